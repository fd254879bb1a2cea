"""Demo customers for `manage.py demo_data`: member levels, ad sources, a
custom field and customers of the demo agents, so that a new user finds a
lived-in system. Created through the services; skipped when present."""

import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from hotline.core.models import CustomField
from hotline.customers.models import AdSource, Customer, CustomerGroup, MemberLevel
from hotline.customers.services.customers import contact_record_add, customer_create
from hotline.customers.services.membership import customer_value_record, member_level_save

LEVELS = [
    ("regular", "普通会员", "Regular", 0, None, "0"),
    ("silver", "银卡会员", "Silver", 1, "1000", "3"),
    ("gold", "金卡会员", "Gold", 2, "5000", "5"),
    ("diamond", "钻石会员", "Diamond", 3, "20000", "8"),
]
SOURCES = [
    ("CCTV-2 购物街", "CCTV-2", "购物街"),
    ("快乐购 晚间档", "湖南卫视", "快乐购"),
    ("东方购物 早间档", "东方卫视", "东方购物"),
]
GROUPS = ["电视购物老客户", "网络新客户", "企业客户"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
]
CITIES = [
    ("北京市", "北京市", "朝阳区", "010"),
    ("上海市", "上海市", "浦东新区", "021"),
    ("广东省", "深圳市", "南山区", "0755"),
    ("广东省", "广州市", "天河区", "020"),
    ("浙江省", "杭州市", "西湖区", "0571"),
    ("四川省", "成都市", "武侯区", "028"),
]
MOBILE_PREFIXES = ["138", "139", "135", "186", "189", "177", "150", "158"]


def _custom_field() -> None:
    CustomField.objects.get_or_create(
        content_type=ContentType.objects.get_for_model(Customer),
        name="call_time",
        defaults={
            "label": "方便接听时间",
            "label_en": "Best time to call",
            "field_type": "choice",
            "choices": ["上午", "下午", "晚上"],
            "searchable": True,
            "show_in_screen_pop": True,
        },
    )


def _street_address(rng) -> str:
    return f"{rng.randrange(1, 300)}号{rng.randrange(1, 30)}栋{rng.randrange(101, 2800)}室"


def _customer(rng, index, admin, owners, sources, groups):
    province, city, district, area = CITIES[index % len(CITIES)]
    phones = [f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"]
    if index % 4 == 0:
        phones.append(f"{area}-{rng.randrange(2 * 10**7, 9 * 10**7):08d}"[: len(area) + 9])
    today = timezone.localdate()
    birthday = today + timedelta(days=index % 9) if index % 5 == 0 else None
    if birthday:
        birthday = birthday.replace(year=1960 + index % 30)
    customer = customer_create(
        actor=admin,
        name=rng.choice(SURNAMES) + rng.choice(GIVEN),
        phones=phones,
        addresses=[
            {
                "province": province,
                "city": city,
                "district": district,
                "detail": _street_address(rng),
            }
        ],
        owner=owners[index % len(owners)],
        source=sources[index % len(sources)],
        group=groups[index % len(groups)],
        gender=rng.choice(["f", "m"]),
        birthday=birthday,
        low_credit=index % 17 == 0,
        custom_fields={"call_time": ["上午", "下午", "晚上"][index % 3]},
    )
    return customer


def load(builder, admin) -> list[str]:
    if Customer.objects.exists():
        return []
    rng = random.Random(2026)  # noqa: S311  (the same demo every time, not a secret)
    for code, name, name_en, rank, min_spend, discount in LEVELS:
        if not MemberLevel.objects.filter(code=code).exists():
            member_level_save(
                actor=admin,
                code=code,
                name=name,
                name_en=name_en,
                rank=rank,
                min_spend=Decimal(min_spend) if min_spend else None,
                discount_percent=Decimal(discount),
            )
    sources = [
        AdSource.objects.get_or_create(name=n, channel=c, programme=p)[0] for n, c, p in SOURCES
    ]
    groups = [CustomerGroup.objects.get_or_create(name=name)[0] for name in GROUPS]
    _custom_field()
    owners = [builder.users[name] for name in ("agent1", "agent2", "agent3")]
    for index in range(60):
        customer = _customer(rng, index, admin, owners, sources, groups)
        for _purchase in range(index % 4):
            amount = Decimal(rng.choice([199, 399, 699, 1280, 2980]))
            at = timezone.now() - timedelta(days=rng.randrange(1, 400))
            customer_value_record(customer_id=customer.pk, amount=amount, at=at)
        if index % 3 == 0:
            contact_record_add(
                actor=admin,
                customer=customer,
                channel="call_in",
                summary="咨询产品功效和配送时间。",
                at=timezone.now() - timedelta(days=index),
            )
    return ["60 demo customers"]
