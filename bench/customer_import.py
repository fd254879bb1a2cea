"""Customer import benchmark (issue 3, CUS-8).

Generates an .xlsx of N rows (default 100,000; 10% duplicate phones, 2%
malformed numbers, Chinese names and addresses), then on a fresh SQLite
database in a temporary data directory measures:

  (a) Hotline's import end to end: upload (read + headers), start, and the
      background task's service ``customer_import_run``;
  (b) django-import-export 4.4.3 importing the same rows into the same
      Customer model (phones and addresses as related rows, dedupe by phone),
      on a sample (``--baseline-rows``, default 10,000) whose rows/s are
      then compared.

    python bench/customer_import.py [--rows 100000] [--baseline-rows 10000]

django-import-export is not a Hotline dependency; install it for the
benchmark only:  .venv/bin/pip install django-import-export==4.4.3
"""

import argparse
import importlib.util
import io
import os
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADERS = ["姓名", "手机", "电话2", "性别", "生日", "省", "市", "区", "地址", "标签", "备注"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红娥玲芬燕彬鹏辉"
PLACES = [
    ("北京市", "北京市", "朝阳区", "010"),
    ("上海市", "上海市", "浦东新区", "021"),
    ("广东省", "深圳市", "南山区", "0755"),
    ("广东省", "广州市", "天河区", "020"),
    ("浙江省", "杭州市", "西湖区", "0571"),
    ("江苏省", "南京市", "鼓楼区", "025"),
    ("四川省", "成都市", "武侯区", "028"),
    ("湖北省", "武汉市", "洪山区", "027"),
]
STREETS = ["人民路", "解放路", "中山路", "建设路", "和平路", "长江路", "新华路", "友谊路"]
TAGS = ["老客户", "复购", "VIP", "电视购物", "网络", "投诉过", "促销敏感"]
MOBILE_PREFIXES = ["138", "139", "137", "136", "135", "150", "151", "158", "186", "188", "133"]


def generate(rows: int, seed: int = 7) -> bytes:
    """The workbook: ~10% rows repeat an earlier phone, ~2% have a malformed one."""
    from openpyxl import Workbook

    rng = random.Random(seed)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("客户")
    sheet.append(HEADERS)
    used: list[str] = []
    seen: set[str] = set()
    for _index in range(rows):
        roll = rng.random()
        if roll < 0.02:
            phone = rng.choice(["1380013", "138-0013-80000", "12345678901", "139abc00000"])
        elif roll < 0.12 and used:
            phone = rng.choice(used)
        else:
            phone = ""
            while not phone or phone in seen:
                phone = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            seen.add(phone)
            used.append(phone)
        province, city, district, area = rng.choice(PLACES)
        landline = f"{area}-{rng.randrange(20000000, 89999999)}" if rng.random() < 0.1 else ""
        birthday = date(1950, 1, 1) + timedelta(days=rng.randrange(20000))
        sheet.append(
            [
                rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2)))),
                int(phone) if phone.isdigit() and rng.random() < 0.5 else phone,
                landline,
                rng.choice(["男", "女", ""]),
                birthday if rng.random() < 0.6 else None,
                province,
                city,
                district,
                f"{rng.choice(STREETS)}{rng.randrange(1, 999)}号{rng.randrange(1, 30)}栋",
                "、".join(rng.sample(TAGS, rng.randrange(0, 3))),
                "电视购物来电" if rng.random() < 0.2 else "",
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def setup_django(data_dir: Path, with_import_export: bool) -> None:
    os.environ["HOTLINE_DATA_DIR"] = str(data_dir)
    os.environ["DATABASE_URL"] = f"sqlite:///{data_dir / 'bench.sqlite3'}"
    os.environ.setdefault("SECRET_KEY", "bench-only")
    sys.path.insert(0, str(ROOT))
    import django
    from django.conf import settings

    import config.settings as base

    values = {name: getattr(base, name) for name in dir(base) if name.isupper()}
    if with_import_export:
        values["INSTALLED_APPS"] = [*values["INSTALLED_APPS"], "import_export"]
    # The task runs in this process, at once, so that the timing is end to end.
    values["TASKS"] = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    values["LOGGING"] = {"version": 1, "disable_existing_loggers": False}
    settings.configure(**values)
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def importer():
    from hotline.accounts.models import Team, User
    from hotline.accounts.roles import roles_sync

    lead = roles_sync().roles["lead"]
    from hotline.accounts.models import Department

    team = Team.objects.create(name="bench", department=Department.objects.create(name="Bench"))
    user = User.objects.create(username="bench_lead", team=team, department=team.department)
    user.roles.add(lead)
    return user


def reset_customers() -> None:
    from django.db import connection

    from hotline.core.models import ObjectChange
    from hotline.customers.models import Customer, CustomerTag

    Customer.objects.all().delete()
    CustomerTag.objects.all().delete()
    ObjectChange.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM")


def run_hotline(user, data: bytes) -> tuple[float, object]:
    from django.db import transaction

    from hotline.customers.models import ImportJob
    from hotline.customers.services.imports import (
        import_mapping_suggest,
        import_start,
        import_upload,
    )

    started = time.perf_counter()
    job = import_upload(actor=user, file=io.BytesIO(data), filename="bench.xlsx")
    mapping, _remembered = import_mapping_suggest(actor=user, headers=job.headers)
    with transaction.atomic():  # the task is enqueued when this commits
        import_start(actor=user, job=job, mapping=mapping)
    elapsed = time.perf_counter() - started
    return elapsed, ImportJob.objects.get(pk=job.pk)


def baseline_resource(owner):
    """django-import-export as one would write it for this model: a resource
    with the columns, dedupe by normalised phone in get_instance, phones and
    the address written after each customer."""
    from import_export import fields, resources
    from import_export.widgets import CharWidget, DateWidget

    from hotline.core.phones import phone_info
    from hotline.customers.models import Customer, CustomerAddress, CustomerPhone

    genders = {"男": "m", "女": "f"}

    class CustomerResource(resources.ModelResource):
        name = fields.Field(attribute="name", column_name="姓名")
        birthday = fields.Field(attribute="birthday", column_name="生日", widget=DateWidget())
        notes = fields.Field(
            attribute="notes", column_name="备注", widget=CharWidget(allow_blank=True)
        )

        class Meta:
            model = Customer
            fields = ("name", "birthday", "notes")
            import_id_fields = ()
            skip_unchanged = False
            report_skipped = True

        def before_import_row(self, row, **kwargs):
            # A malformed number skips the row (an error would roll back the
            # whole import: django-import-export keeps all rows or none).
            numbers = [str(row.get(h) or "").strip() for h in ("手机", "电话2")]
            row["_phones"], row["_invalid"] = [], ""
            for number in numbers:
                number = number.removesuffix(".0")
                info = phone_info(number) if number else None
                if number and info is None:
                    row["_invalid"] = f"“{number}” is not a valid phone number."
                elif info is not None:
                    row["_phones"].append(info)

        def skip_row(self, instance, original, row, import_validation_errors=None):
            return bool(row["_invalid"])

        def get_instance(self, instance_loader, row):
            for info in row["_phones"]:
                found = CustomerPhone.objects.filter(number=info.e164).first()
                if found is not None:
                    return found.customer
            return None

        def import_instance(self, instance, row, **kwargs):
            super().import_instance(instance, row, **kwargs)
            instance.gender = instance.gender or genders.get(row.get("性别") or "", "")
            instance.owner = instance.owner or owner

        def after_save_instance(self, instance, row, **kwargs):
            for index, info in enumerate(row["_phones"]):
                CustomerPhone.objects.get_or_create(
                    customer=instance,
                    number=info.e164,
                    defaults={
                        "national": info.national,
                        "kind": info.kind,
                        "location": info.location,
                        "carrier": info.carrier,
                        "is_primary": index == 0,
                    },
                )
            if row.get("地址"):
                CustomerAddress.objects.get_or_create(
                    customer=instance,
                    detail=row["地址"],
                    defaults={
                        "province": row.get("省") or "",
                        "city": row.get("市") or "",
                        "district": row.get("区") or "",
                    },
                )

    return CustomerResource()


def run_baseline(owner, data: bytes) -> tuple[float, object]:
    import tablib

    started = time.perf_counter()
    dataset = tablib.Dataset().load(io.BytesIO(data), format="xlsx")
    result = baseline_resource(owner).import_data(dataset, dry_run=False, raise_errors=False)
    return time.perf_counter() - started, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the file")
    parser.add_argument(
        "--baseline-rows",
        type=int,
        default=10_000,
        help="rows django-import-export imports (0: the whole file; its rows/s are compared)",
    )
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()

    have_baseline = importlib.util.find_spec("import_export") is not None
    if not have_baseline and not args.skip_baseline:
        print(
            "django-import-export is not installed; the baseline is skipped.\n"
            "For the comparison: .venv/bin/pip install django-import-export==4.4.3"
        )
    with tempfile.TemporaryDirectory(prefix="hotline-bench-") as tmp:
        setup_django(Path(tmp), have_baseline and not args.skip_baseline)
        user = importer()
        started = time.perf_counter()
        data = generate(args.rows)
        print(
            f"generated {args.rows:,} rows ({len(data) / 1e6:.1f} MB) in "
            f"{time.perf_counter() - started:.1f} s"
        )

        elapsed, job = run_hotline(user, data)
        ours = job.total_rows / elapsed
        print(
            f"hotline import: {job.total_rows:,} rows in {elapsed:.2f} s = {ours:,.0f} rows/s "
            f"(status {job.status}; created {job.created_count:,}, merged {job.merged_count:,}, "
            f"rejected {job.rejected_count:,})"
        )
        verdict = "OK" if elapsed < 20 else "OVER the 20 s target"
        print(f"target: the whole import under 20 s: {verdict}")

        if not have_baseline or args.skip_baseline:
            return 0
        sample_rows = args.baseline_rows or args.rows
        sample = data if sample_rows >= args.rows else generate(sample_rows)
        reset_customers()
        base_elapsed, result = run_baseline(user, sample)
        base = sample_rows / base_elapsed
        totals = result.totals
        print(
            f"django-import-export 4.4.3: {sample_rows:,} rows in {base_elapsed:.2f} s = "
            f"{base:,.0f} rows/s (new {totals.get('new', 0):,}, updated "
            f"{totals.get('update', 0):,}, skipped {totals.get('skip', 0):,}, "
            f"errors {len(result.row_errors()):,})"
        )
        if sample_rows < args.rows:
            print(
                f"  measured on the first {sample_rows:,} rows of the same generator; at that "
                f"rate {args.rows:,} rows would take {args.rows / base:.0f} s"
            )
        ratio = ours / base
        print(
            f"ratio: hotline is {ratio:.1f}x faster (target >= 10x: "
            f"{'OK' if ratio >= 10 else 'NOT MET'})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
