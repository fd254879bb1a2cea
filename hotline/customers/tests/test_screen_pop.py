"""The screen pop (CUS-4): one call returns the caller's location, the
blacklist status and the matching customers within the agent's scope, or what
the new-customer form is prefilled with."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from hotline.core.exceptions import NotAllowed
from hotline.core.models import CustomField
from hotline.core.phones import phone_require
from hotline.customers.models import (
    ContactRecord,
    Customer,
    CustomerPhone,
    CustomerTag,
    MemberLevel,
)
from hotline.customers.panels import HISTORY_SOURCES
from hotline.customers.selectors.screen_pop import location_split, screen_pop
from hotline.customers.services.blacklist import blacklist_add, blacklist_report

pytestmark = pytest.mark.django_db

MOBILE = "+8613800138000"
LANDLINE = "+8675526417308"
# The role scopes (permission and data scope), the blacklist, the customers, their
# tags, links and screen-pop fields, and one query per registered history source
# (contact records, orders); not one more per field or customer.
MAX_QUERIES = 6 + len(HISTORY_SOURCES)


def add_phone(customer, raw, *, primary=False):
    info = phone_require(raw)
    return CustomerPhone.objects.create(
        customer=customer,
        number=info.e164,
        national=info.national,
        kind=info.kind,
        location=info.location,
        carrier=info.carrier,
        is_primary=primary,
    )


@pytest.fixture
def fields(db):
    content_type = ContentType.objects.get_for_model(Customer)
    shown = CustomField.objects.create(
        content_type=content_type,
        name="preferred_time",
        label="方便时间",
        label_en="Preferred time",
        field_type="text",
        show_in_screen_pop=True,
    )
    hidden = CustomField.objects.create(
        content_type=content_type, name="id_card", label="身份证", field_type="text"
    )
    return shown, hidden


@pytest.fixture
def known(org, fields):
    level = MemberLevel.objects.create(code="gold", name="金卡", name_en="Gold", discount_percent=5)
    company = Customer.objects.create(
        name="深圳华强公司", kind=Customer.Kind.COMPANY, owner=org.agent_a1
    )
    person = Customer.objects.create(
        name="张伟",
        owner=org.agent_a1,
        level=level,
        low_credit=True,
        credit_note="Refused two deliveries",
        points_balance=120,
        purchase_count=3,
        total_spend=Decimal("899.00"),
        custom_fields={"preferred_time": "evenings", "id_card": "110101199003070000"},
    )
    person.companies.add(company)
    person.tags.add(CustomerTag.objects.create(name="VIP"))
    add_phone(person, "13800138000", primary=True)
    add_phone(company, "0755 2641 7308")
    now = timezone.now()
    for days, summary in ((3, "Asked about delivery"), (1, "Ordered tea")):
        ContactRecord.objects.create(
            customer=person, channel="call_in", summary=summary, at=now - timedelta(days=days)
        )
    return person, company


def test_known_customer(org, known):
    person, company = known
    result = screen_pop(actor=org.agent_a1, number="+86 138-0013-8000", dialled="4008123123")
    assert result["number"]["e164"] == MOBILE
    assert result["number"]["valid"] is True
    assert (result["number"]["location"], result["number"]["carrier"]) == ("北京市", "中国移动")
    assert result["number"]["kind"] == "mobile"
    assert result["dialled"]["e164"] == "+864008123123"
    assert result["blacklist"]["listed"] is False
    assert result["new_customer"] is None
    [found] = result["customers"]
    assert found["id"] == person.pk and found["name"] == "张伟" and found["kind"] == "person"
    assert found["level"] == {"code": "gold", "name": "Gold", "discount": "5.00"}
    assert found["low_credit"] is True and found["credit_note"] == "Refused two deliveries"
    assert found["owner"] == "agent_a1"
    assert found["tags"] == ["VIP"]
    assert found["fields"] == [
        {"key": "preferred_time", "label": "Preferred time", "value": "evenings"}
    ]
    assert "110101199003070000" not in str(result)
    assert found["companies"] == [{"id": company.pk, "name": "深圳华强公司", "kind": "company"}]
    assert found["contacts"] == []
    assert found["points"] == 120
    assert found["value"]["purchase_count"] == 3 and found["value"]["total_spend"] == "899.00"
    assert [item["detail"] for item in found["history"]] == ["Ordered tea", "Asked about delivery"]
    assert found["history"][0]["source"] == "contact"


def test_company_shows_its_contacts(org, known):
    person, company = known
    [found] = screen_pop(actor=org.agent_a1, number="0755 2641 7308")["customers"]
    assert found["id"] == company.pk
    assert found["contacts"] == [{"id": person.pk, "name": "张伟", "kind": "person"}]
    assert found["companies"] == []


def test_unknown_number_gives_the_prefill(org, known):
    result = screen_pop(actor=org.agent_a1, number="020 8888 6666")
    assert result["customers"] == []
    assert result["number"]["location"] == "广东省广州市"
    assert result["new_customer"] == {
        "phones": ["+862088886666"],
        "province": "广东省",
        "city": "广州市",
    }


def test_unknown_beijing_mobile_prefill(org):
    result = screen_pop(actor=org.agent_a1, number="13800138000")
    assert result["new_customer"] == {"phones": [MOBILE], "province": "北京市", "city": "北京市"}


def test_invalid_number_still_answers(org):
    result = screen_pop(actor=org.agent_a1, number="anonymous", dialled="12")
    assert result["number"]["valid"] is False and result["number"]["raw"] == "anonymous"
    assert result["dialled"]["valid"] is False
    assert result["customers"] == []
    assert result["blacklist"]["listed"] is False
    assert result["new_customer"] == {"phones": [], "province": "", "city": ""}


@pytest.mark.parametrize(
    ("location", "split"),
    [
        ("广东省深圳市", ("广东省", "深圳市")),
        ("北京市", ("北京市", "北京市")),
        ("重庆市", ("重庆市", "重庆市")),
        ("广西壮族自治区南宁市", ("广西壮族自治区", "南宁市")),
        ("广西南宁市", ("广西", "南宁市")),
        ("内蒙古呼和浩特市", ("内蒙古", "呼和浩特市")),
        ("浙江省", ("浙江省", "")),
        ("美国", ("", "")),
        ("", ("", "")),
    ],
)
def test_location_split(location, split):
    assert location_split(location) == split


def test_blacklisted_number_is_flagged(org, known):
    for agent in (org.agent_a1, org.agent_a2, org.agent_b1):
        blacklist_report(actor=agent, number=MOBILE, reason="abusive")
    result = screen_pop(actor=org.agent_a1, number="13800138000")
    assert result["blacklist"] == {
        "listed": True,
        "refused_now": True,
        "reports": 3,
        "reason": "abusive",
        "windows": [],
    }
    assert result["customers"][0]["id"] == known[0].pk


def test_blacklist_windows_in_the_pop(org):
    entry = blacklist_add(
        actor=org.lead_a,
        number="0755 2641 7308",
        reason="",
        windows=[{"weekdays": [], "start": "00:00", "end": "00:01"}],
    )
    result = screen_pop(actor=org.agent_a1, number="075526417308")
    assert result["blacklist"]["listed"] is True
    assert result["blacklist"]["windows"] == [{"weekdays": [], "start": "00:00", "end": "00:01"}]
    assert entry.active


@pytest.fixture
def other_agents_customer(org):
    customer = Customer.objects.create(name="王芳", owner=org.agent_c1)
    add_phone(customer, "13900139000")
    return customer


def test_customer_outside_scope_is_not_returned(org, other_agents_customer):
    result = screen_pop(actor=org.agent_a1, number="139 0013 9000")
    assert result["customers"] == []
    assert "王芳" not in str(result)
    assert result["new_customer"]["phones"] == ["+8613900139000"]
    mine = screen_pop(actor=org.agent_c1, number="139 0013 9000")
    assert [c["id"] for c in mine["customers"]] == [other_agents_customer.pk]
    assert screen_pop(actor=org.admin, number="13900139000")["customers"][0]["name"] == "王芳"


def test_company_outside_scope_is_not_named(org, known):
    _person, company = known
    company.owner = org.agent_c1
    company.save()
    [found] = screen_pop(actor=org.agent_a1, number=MOBILE)["customers"]
    assert found["companies"] == []


def test_lead_sees_the_team(org, known):
    [found] = screen_pop(actor=org.lead_a, number=MOBILE)["customers"]
    assert found["id"] == known[0].pk


def test_merged_customer_is_not_returned(org):
    survivor = Customer.objects.create(name="李娜", owner=org.agent_a1)
    merged = Customer.objects.create(name="李娜 (old)", owner=org.agent_a1, merged_into=survivor)
    add_phone(merged, "13700137000")
    result = screen_pop(actor=org.agent_a1, number="13700137000")
    assert result["customers"] == []


def test_shared_number_lists_every_match_primary_first(org):
    first = Customer.objects.create(name="A", owner=org.agent_a1)
    second = Customer.objects.create(name="B", owner=org.agent_a1)
    add_phone(first, "0755 2641 7308", primary=True)
    add_phone(second, "0755 2641 7308")
    result = screen_pop(actor=org.agent_a1, number=LANDLINE)
    assert [c["id"] for c in result["customers"]] == [first.pk, second.pk]
    assert result["more_customers"] is False


def test_without_permission_not_allowed(make_user):
    with pytest.raises(NotAllowed):
        screen_pop(actor=make_user("nobody"), number=MOBILE)


def test_query_count_is_pinned(org, known, django_assert_max_num_queries):
    screen_pop(actor=org.agent_a1, number=MOBILE)  # warm the permission caches
    org.agent_a1.forget_permissions()
    with django_assert_max_num_queries(MAX_QUERIES):
        result = screen_pop(actor=org.agent_a1, number=MOBILE)
    assert result["customers"]


def test_query_count_for_an_unknown_number(org, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        screen_pop(actor=org.agent_a1, number="13600136000")


# --- API -------------------------------------------------------------------------------


def test_api_returns_the_pop(client, org, known):
    client.force_login(org.agent_a1)
    response = client.get(
        "/api/customers/screen-pop", {"number": "0086 138 0013 8000", "dialled": "4008123123"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["number"]["e164"] == MOBILE
    assert body["customers"][0]["id"] == known[0].pk
    assert body["customers"][0]["fields"][0]["value"] == "evenings"


def test_api_does_not_return_a_customer_outside_scope(client, org, other_agents_customer):
    client.force_login(org.agent_a1)
    body = client.get("/api/customers/screen-pop", {"number": "13900139000"}).json()
    assert body["customers"] == []
    assert "王芳" not in str(body)


def test_api_without_permission_is_403(client, make_user):
    client.force_login(make_user("nobody"))
    response = client.get("/api/customers/screen-pop", {"number": MOBILE})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_api_needs_authentication(client):
    response = client.get("/api/customers/screen-pop", {"number": MOBILE})
    assert response.status_code == 401
