"""Customer import (CUS-8): reading, mapping, preview, the run with its
dedupe and rejects, crash and resume, permissions, pages and API."""

import io
from datetime import date

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from hotline.core.exceptions import InvalidData, NotAllowed
from hotline.core.models import CustomField, ObjectChange
from hotline.customers.models import (
    AdSource,
    Customer,
    CustomerGroup,
    CustomerPhone,
    ImportJob,
    ImportMapping,
    MemberLevel,
)
from hotline.customers.services.imports import (
    customer_import_run,
    import_file_read,
    import_mapping_suggest,
    import_preview,
    import_start,
    import_upload,
)
from hotline.customers.services.imports.reading import cell_text, job_table
from hotline.customers.services.imports.rows import RowParser, chunk_parse
from hotline.customers.services.imports.writing import ChunkWriter, chunk_write

pytestmark = pytest.mark.django_db

HEADERS = ["姓名", "手机", "电话2", "性别", "生日", "省", "市", "地址", "标签", "分组"]


def xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(actor, rows, name="customers.xlsx", data=None):
    data = data if data is not None else xlsx(rows)
    return import_upload(actor=actor, file=io.BytesIO(data), filename=name)


def run(actor, job, mapping=None, owner=None, capture=None):
    if mapping is None:
        mapping, _remembered = import_mapping_suggest(actor=actor, headers=job.headers)
    if capture is None:
        job = import_start(actor=actor, job=job, mapping=mapping, owner=owner)
        customer_import_run(job_id=job.pk)
    else:
        with capture(execute=True):
            import_start(actor=actor, job=job, mapping=mapping, owner=owner)
    job.refresh_from_db()
    return job


def rejects(job) -> list[list]:
    with job.rejects_file.open("rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read()), read_only=True).active
        return [list(row) for row in sheet.iter_rows(values_only=True)]


def phones_of(customer) -> set[str]:
    return set(customer.phones.values_list("number", flat=True))


# --- reading -------------------------------------------------------------------


def test_csv_in_utf8_with_bom_and_in_gbk():
    text = "姓名,手机\n张三,13800138000\n"
    for data, encoding in (
        (text.encode("utf-8-sig"), "utf-8"),
        (text.encode("utf-8"), "utf-8"),
        (text.encode("gbk"), "gbk"),
    ):
        table = import_file_read(data, "a.csv")
        assert table.headers == ["姓名", "手机"]
        assert table.rows == [["张三", "13800138000"]]
        assert table.encoding == encoding


def test_xlsx_numbers_and_dates_read_as_typed():
    data = xlsx([["姓名", "手机", "生日"], ["李四", 13900139000, date(1980, 5, 6)], [None, None]])
    table = import_file_read(data, "a.xlsx")
    assert table.headers == ["姓名", "手机", "生日"]
    assert len(table.rows) == 1
    assert cell_text(table.rows[0][1]) == "13900139000"
    assert cell_text(table.rows[0][2]) == "1980-05-06"


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "a.csv", "The file is empty."),
        (b"x", "a.pdf", "is not an .xlsx, .xls or .csv file"),
        (b"not a workbook", "a.xlsx", "The workbook could not be read"),
        (b"\n\n,,\n", "a.csv", "The file has no header row"),
    ],
)
def test_unreadable_files_are_refused_and_nothing_is_saved(org, data, name, message):
    with pytest.raises(InvalidData, match=message):
        upload(org.lead_a, None, name=name, data=data)
    assert not ImportJob.objects.exists()


def test_duplicate_and_blank_headers_get_distinct_names():
    table = import_file_read("电话,电话,,姓名\n1,2,3,4\n".encode(), "a.csv")
    assert table.headers == ["电话", "电话 (2)", "Column 3", "姓名"]


# --- mapping -------------------------------------------------------------------


def test_mapping_is_suggested_from_chinese_and_english_headers(org):
    CustomField.objects.create(
        content_type=ContentType.objects.get_for_model(Customer),
        name="vip_card",
        label="会员卡号",
        field_type="text",
    )
    headers = [*HEADERS, "Email", "Mobile", "会员卡号", "备注", "whatever"]
    mapping, remembered = import_mapping_suggest(actor=org.lead_a, headers=headers)
    assert not remembered
    assert mapping == {
        "姓名": "name",
        "手机": "phone",
        "电话2": "phone",
        "性别": "gender",
        "生日": "birthday",
        "省": "province",
        "市": "city",
        "地址": "address",
        "标签": "tags",
        "分组": "group",
        "Email": "email",
        "Mobile": "phone",
        "会员卡号": "cf.vip_card",
        "备注": "notes",
    }


def test_chosen_mapping_is_remembered_per_user_and_headers(org, django_capture_on_commit_callbacks):
    job = upload(org.lead_a, [["客户", "号码A"], ["王五", "13700137000"]])
    mapping = {"客户": "name", "号码A": "phone"}
    run(org.lead_a, job, mapping, capture=django_capture_on_commit_callbacks)
    assert ImportMapping.objects.filter(user=org.lead_a).count() == 1

    again = upload(org.lead_a, [["客户", "号码A"], ["赵六", "13700137001"]])
    assert import_mapping_suggest(actor=org.lead_a, headers=again.headers) == (mapping, True)
    other, remembered = import_mapping_suggest(actor=org.head_sales, headers=again.headers)
    assert not remembered and other == {"客户": "name"}


def test_mapping_needs_a_name_or_phone_and_each_field_once(org):
    job = upload(org.lead_a, [["a", "b"], ["x", "y"]])
    with pytest.raises(InvalidData, match="name or of the phone"):
        import_start(actor=org.lead_a, job=job, mapping={"a": "notes"})
    with pytest.raises(InvalidData, match="more than one column"):
        import_start(actor=org.lead_a, job=job, mapping={"a": "name", "b": "name"})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.UPLOADED


# --- preview -------------------------------------------------------------------


def test_preview_shows_normalised_phones_location_and_reasons(org):
    rows = [HEADERS, ["张三", "+86 138-0013-8000", "0755 2641 7308", "男"], ["李四", "12345"]]
    rows += [[f"客户{i}", f"1390013{i:04d}"] for i in range(30)]
    job = upload(org.lead_a, rows)
    mapping, _remembered = import_mapping_suggest(actor=org.lead_a, headers=job.headers)
    preview = import_preview(actor=org.lead_a, job=job, mapping=mapping)
    assert len(preview) == 20
    line, draft, reason = preview[0]
    assert line == 2 and reason == ""
    assert list(draft.phones) == ["+8613800138000", "+8675526417308"]
    assert draft.phones["+8613800138000"].location == "北京市"
    assert draft.phones["+8675526417308"].location == "广东省深圳市"
    assert draft.fields == {"gender": "m"}
    assert preview[1] == (3, None, "“12345” is not a valid phone number.")


# --- the run ---------------------------------------------------------------------


def test_import_merges_duplicates_in_the_file_and_with_existing_customers(
    org, django_capture_on_commit_callbacks
):
    existing = Customer.objects.create(name="老客户", owner=org.agent_a1, email="")
    CustomerPhone.objects.create(customer=existing, number="+8613800138000", national="13800138000")
    group = CustomerGroup.objects.create(name="老客户组")
    rows = [
        HEADERS,
        ["张三", "13800138000", "", "男", "1980-01-02", "北京", "北京市", "长安街1号", "VIP、复购"],
        ["王五", "13900139000", "", "", "", "", "", "", "新客"],
        ["", "139 0013 9000", "010 6552 9988", "女", date(1990, 3, 4), "", "", "", "", "老客户组"],
        ["孙七", "", "", "", "", "上海", "上海市", "南京路2号"],
        ["坏号码", "1380013800x1"],
        ["", ""],
        ["", "", "", "", "", "", "", "", "孤儿标签"],
        ["", "", "", "", "", "", "", "", "", "没有的组"],
    ]
    job = upload(org.lead_a, rows)
    assert job.total_rows == 7
    job = run(org.lead_a, job, capture=django_capture_on_commit_callbacks)

    assert job.status == ImportJob.Status.DONE
    assert (job.processed_rows, job.total_rows) == (7, 7)
    assert (job.created_count, job.merged_count, job.rejected_count) == (2, 2, 3)
    assert job.outside_scope_count == 0
    assert job.percent == 100

    existing.refresh_from_db()
    assert existing.name == "老客户"  # never overwritten
    assert existing.gender == "m" and existing.birthday == date(1980, 1, 2)
    assert existing.birthday_md == 102
    assert existing.owner == org.agent_a1
    assert {t.name for t in existing.tags.all()} == {"VIP", "复购"}
    assert [str(a) for a in existing.addresses.all()] == ["北京 北京市 长安街1号"]

    wang = Customer.objects.get(name="王五")
    assert phones_of(wang) == {"+8613900139000", "+861065529988"}
    assert wang.phones.get(is_primary=True).number == "+8613900139000"
    assert wang.gender == "f" and wang.group == group and wang.owner == org.lead_a
    assert wang.phones.get(number="+861065529988").location == "北京市"
    sun = Customer.objects.get(name="孙七")
    assert not sun.phones.exists() and sun.addresses.get().is_default
    assert Customer.objects.count() == 3
    assert CustomerPhone.objects.filter(number="+8613800138000").count() == 1

    assert rejects(job) == [
        [*HEADERS, "Reason"],
        ["坏号码", "1380013800x1", *[None] * 8, "“1380013800x1” is not a valid phone number."],
        [*[None] * 8, "孤儿标签", None, "The row has neither a name nor a phone number."],
        [*[None] * 9, "没有的组", "There is no customer group “没有的组”."],
    ]
    customer_type = ContentType.objects.get_for_model(Customer)
    history = ObjectChange.objects.filter(
        content_type=customer_type, object_id=str(existing.pk), action="update"
    ).get()
    assert history.action == "update" and history.actor == org.lead_a
    assert history.changes["gender"] == [None, "m"]
    assert ObjectChange.objects.filter(
        content_type=customer_type, object_id=str(wang.pk), action="create"
    ).exists()


def test_lookups_custom_fields_and_validation(org, django_capture_on_commit_callbacks):
    ct = ContentType.objects.get_for_model(Customer)
    CustomField.objects.create(
        content_type=ct, name="age", label="年龄", field_type="number", min_value=0, max_value=120
    )
    CustomField.objects.create(
        content_type=ct, name="likes", label="喜好", field_type="multichoice", choices=["茶", "酒"]
    )
    MemberLevel.objects.create(code="gold", name="金卡会员", name_en="Gold")
    source = AdSource.objects.create(name="CCTV-2 购物街")
    headers = ["姓名", "手机", "年龄", "喜好", "等级", "来源", "邮箱", "生日"]
    rows = [
        headers,
        ["甲", "13800000001", 33, "茶、酒", "金卡会员", "CCTV-2 购物街", "a@example.com", ""],
        ["乙", "13800000002", "abc"],
        ["丙", "13800000003", 200],
        ["丁", "13800000004", "", "咖啡"],
        ["戊", "13800000005", "", "", "钻石"],
        ["己", "13800000006", "", "", "GOLD", "", "not-mail"],
        ["庚", "13800000007", "", "", "", "", "", "31/02/1990"],
    ]
    job = run(org.lead_a, upload(org.lead_a, rows), capture=django_capture_on_commit_callbacks)
    first = Customer.objects.get(name="甲")
    assert first.custom_fields == {"age": 33, "likes": ["茶", "酒"]}
    assert first.level.code == "gold" and first.source == source
    assert first.email == "a@example.com"
    reasons = [row[-1] for row in rejects(job)[1:]]
    assert reasons == [
        "年龄 must be a number.",
        "年龄 must be at most 120.",
        "咖啡 is not one of the choices of 喜好.",
        "There is no member level “钻石”.",
        "“not-mail” is not an e-mail address.",
        "“31/02/1990” is not a date like 1980-01-31.",
    ]
    assert job.created_count == 1 and job.rejected_count == 6


def test_required_custom_field_must_be_mapped_and_filled(org):
    CustomField.objects.create(
        content_type=ContentType.objects.get_for_model(Customer),
        name="card",
        label="卡号",
        field_type="text",
        required=True,
    )
    job = upload(org.lead_a, [["姓名", "卡号"], ["甲", ""], ["乙", "A1"]])
    with pytest.raises(InvalidData, match="required field"):
        import_start(actor=org.lead_a, job=job, mapping={"姓名": "name"})
    job = run(org.lead_a, job, {"姓名": "name", "卡号": "cf.card"})
    assert job.created_count == 1
    assert rejects(job)[1][-1] == "卡号 is required."


def test_existing_customer_outside_the_scope_is_merged_and_counted(org):
    other = Customer.objects.create(name="别组客户", owner=org.agent_c1)
    CustomerPhone.objects.create(customer=other, number="+8613800138000", national="13800138000")
    merged_away = Customer.objects.create(name="已合并", owner=org.agent_a1, merged_into=other)
    CustomerPhone.objects.create(
        customer=merged_away, number="+8613700137000", national="13700137000"
    )
    rows = [["姓名", "手机", "备注"], ["张三", "13800138000", "来电"], ["李四", "13700137000"]]
    job = run(org.lead_a, upload(org.lead_a, rows))
    assert (job.created_count, job.merged_count, job.outside_scope_count) == (1, 1, 1)
    other.refresh_from_db()
    assert other.name == "别组客户" and other.notes == "来电"
    assert Customer.objects.current().filter(phones__number="+8613700137000").get().name == "李四"


def test_owner_of_new_customers_needs_the_assign_permission(org):
    job = upload(org.lead_a, [["姓名"], ["甲"]])
    job = run(org.lead_a, job, owner=org.agent_a2)
    assert Customer.objects.get().owner == org.agent_a2


def test_crash_after_the_first_chunk_then_rerun_imports_everything_once(org, monkeypatch):
    rows = [["姓名", "手机"]]
    rows += [[f"客户{i}", f"1380000{i % 40:04d}"] for i in range(50)]  # 10 duplicates
    rows += [["坏", "999"]]
    job = upload(org.lead_a, rows)
    job = import_start(actor=org.lead_a, job=job, mapping={"姓名": "name", "手机": "phone"})

    real_write = ChunkWriter.write
    calls = {"n": 0}

    def dying_write(self, drafts, outcome):
        calls["n"] += 1
        real_write(self, drafts, outcome)
        if calls["n"] == 2:
            raise RuntimeError("worker killed")

    monkeypatch.setattr(ChunkWriter, "write", dying_write)
    with pytest.raises(RuntimeError):
        customer_import_run(job_id=job.pk, chunk_rows=20)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.error
    assert job.processed_rows == 20  # the second chunk was rolled back
    assert Customer.objects.count() == 20

    monkeypatch.setattr(ChunkWriter, "write", real_write)
    customer_import_run(job_id=job.pk, chunk_rows=20)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (job.processed_rows, job.total_rows) == (51, 51)
    assert (job.created_count, job.merged_count, job.rejected_count) == (40, 10, 1)
    assert Customer.objects.count() == 40
    assert CustomerPhone.objects.count() == 40
    assert [row[-1] for row in rejects(job)[1:]] == ["“999” is not a valid phone number."]
    # A finished job is not run again.
    assert customer_import_run(job_id=job.pk) is None
    assert Customer.objects.count() == 40


def test_a_job_killed_mid_run_resumes_from_its_checkpoint(org):
    rows = [["姓名", "手机"]] + [[f"客户{i}", f"1380000{i:04d}"] for i in range(30)]
    job = upload(org.lead_a, rows)
    job = import_start(actor=org.lead_a, job=job, mapping={"姓名": "name", "手机": "phone"})
    # As if the worker died after committing one chunk: status still running.
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING)
    parser = RowParser(job.headers, job.mapping)
    chunk = chunk_parse(parser, job_table(job).rows[:10], 0)
    chunk_write(job, org.lead_a, chunk, {})
    customer_import_run(job_id=job.pk, chunk_rows=7)
    job.refresh_from_db()
    assert (job.created_count, job.processed_rows) == (30, 30)
    assert Customer.objects.count() == 30


# --- permissions -----------------------------------------------------------------


def test_agent_may_not_upload_or_start(org):
    with pytest.raises(NotAllowed):
        upload(org.agent_a1, [["姓名"], ["甲"]])
    job = upload(org.lead_a, [["姓名"], ["甲"]])
    with pytest.raises(NotAllowed):
        import_start(actor=org.agent_a1, job=job, mapping={"姓名": "name"})
    with pytest.raises(NotAllowed):
        import_start(actor=org.head_sales, job=job, mapping={"姓名": "name"})


# --- pages -----------------------------------------------------------------------


def test_pages_upload_map_preview_start_progress_and_rejects(
    client, org, django_capture_on_commit_callbacks
):
    client.force_login(org.lead_a)
    listing = client.get(reverse("customers:import_list"))
    assert listing.status_code == 200
    data = xlsx([["姓名", "手机"], ["张三", "13800138000"], ["坏", "123"]])
    response = client.post(
        reverse("customers:import_list"),
        {"file": SimpleUploadedFile("c.xlsx", data)},
    )
    job = ImportJob.objects.get()
    detail_url = reverse("customers:import_detail", args=[job.pk])
    assert response.status_code == 302 and response["Location"] == detail_url

    page = client.get(detail_url)
    assert page.status_code == 200
    assert "+86 138 0013 8000" in page.content.decode() or "13800138000" in page.content.decode()
    form = {"col_0": "name", "col_1": "phone"}
    preview = client.post(detail_url, {**form, "action": "preview"})
    assert "“123” is not a valid phone number." in preview.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(detail_url, {**form, "action": "start"})
    assert started.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE

    progress = client.get(reverse("customers:import_progress", args=[job.pk]))
    assert progress.status_code == 200
    assert 'hx-trigger="every 1s"' not in progress.content.decode()
    download = client.get(reverse("customers:import_rejects", args=[job.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")


def test_progress_polls_while_running(client, org):
    job = upload(org.lead_a, [["姓名"], ["甲"], ["乙"]])
    ImportJob.objects.filter(pk=job.pk).update(status="running", processed_rows=1)
    client.force_login(org.lead_a)
    progress = client.get(reverse("customers:import_progress", args=[job.pk]))
    body = progress.content.decode()
    assert 'hx-trigger="every 1s"' in body and 'value="1"' in body and "50%" in body


def test_agent_is_refused_the_pages_and_others_jobs(client, org):
    job = upload(org.lead_a, [["姓名"], ["甲"]])
    client.force_login(org.agent_a1)
    assert client.get(reverse("customers:import_list")).status_code == 403
    data = xlsx([["姓名"], ["甲"]])
    response = client.post(
        reverse("customers:import_list"), {"file": SimpleUploadedFile("c.xlsx", data)}
    )
    assert response.status_code == 403
    client.force_login(org.agent_c1)
    assert client.get(reverse("customers:import_detail", args=[job.pk])).status_code in (403, 404)
    assert client.get(reverse("customers:import_rejects", args=[job.pk])).status_code in (403, 404)


# --- API -------------------------------------------------------------------------


def test_api_upload_start_and_status(client, org, django_capture_on_commit_callbacks):
    client.force_login(org.lead_a)
    data = "姓名,手机\n张三,13800138000\n李四,abc\n".encode("gbk")
    created = client.post("/api/customers/imports", {"file": SimpleUploadedFile("c.csv", data)})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["headers"] == ["姓名", "手机"] and body["encoding"] == "gbk"
    assert body["suggested_mapping"] == {"姓名": "name", "手机": "phone"}
    job_id = body["id"]

    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(
            f"/api/customers/imports/{job_id}/start",
            {"mapping": body["suggested_mapping"]},
            content_type="application/json",
        )
    assert started.status_code == 200, started.content
    status = client.get(f"/api/customers/imports/{job_id}").json()
    assert status["status"] == "done" and status["percent"] == 100
    assert (status["created_count"], status["rejected_count"]) == (1, 1)
    assert status["rejects_url"]


def test_api_refuses_agents_and_bad_files(client, org):
    client.force_login(org.agent_a1)
    refused = client.post(
        "/api/customers/imports", {"file": SimpleUploadedFile("c.csv", b"a\n1\n")}
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    client.force_login(org.lead_a)
    bad = client.post("/api/customers/imports", {"file": SimpleUploadedFile("c.csv", b"")})
    assert bad.status_code == 422
    assert bad.json()["error"]["message"] == "The file is empty."
