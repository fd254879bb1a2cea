"""Export of a customer search to Excel: permission-gated, within the data
scope, audited; the page and the API."""

import io
from datetime import date

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from openpyxl import load_workbook

from hotline.accounts.models import AuditEvent
from hotline.core.exceptions import NotAllowed
from hotline.core.models import CustomField
from hotline.customers.models import Customer, CustomerAddress, CustomerPhone, MemberLevel
from hotline.customers.services.exports import customer_export

pytestmark = pytest.mark.django_db


def customer(name, owner, number, **fields):
    found = Customer.objects.create(name=name, owner=owner, **fields)
    CustomerPhone.objects.create(
        customer=found, number=f"+86{number}", national=number, is_primary=True
    )
    return found


@pytest.fixture
def customers(org):
    CustomField.objects.create(
        content_type=ContentType.objects.get_for_model(Customer),
        name="card",
        label="卡号",
        field_type="text",
        searchable=True,
    )
    gold = MemberLevel.objects.create(code="gold", name="金卡会员")
    ann = customer(
        "张三",
        org.agent_a1,
        "13800138000",
        level=gold,
        email="z@example.com",
        birthday=date(1980, 1, 2),
        custom_fields={"card": "A-1"},
    )
    CustomerAddress.objects.create(
        customer=ann, province="北京", city="北京市", detail="长安街1号", is_default=True
    )
    customer("李四", org.lead_a, "13900139000", low_credit=True)
    customer("王五", org.agent_c1, "13700137000")
    return ann


def sheet_rows(content: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_export_holds_only_customers_in_scope_and_is_audited(org, customers):
    filename, content = customer_export(actor=org.lead_a, criteria={})
    assert filename.endswith(".xlsx")
    rows = sheet_rows(content)
    assert rows[0][:3] == ["ID", "Name", "Phones"] and rows[0][-1] == "卡号"
    names = [row[1] for row in rows[1:]]
    assert sorted(names) == ["张三", "李四"]  # 王五 belongs to team_c
    ann = next(row for row in rows[1:] if row[1] == "张三")
    assert ann[2] == "13800138000" and ann[3] == "金卡会员"
    assert ann[7:11] == ["No", "北京", "北京市", "z@example.com"]
    assert ann[11].date() == date(1980, 1, 2)
    assert ann[-1] == "A-1"
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.actor == org.lead_a and event.object_repr == "customers"
    assert event.detail == {"criteria": {}, "rows": 2}


def test_export_follows_the_criteria(org, customers):
    _name, content = customer_export(actor=org.admin, criteria={"phone": "0013", "cf.card": "A"})
    assert [row[1] for row in sheet_rows(content)[1:]] == ["张三"]


def test_export_is_refused_without_the_permission(org, customers):
    with pytest.raises(NotAllowed, match="export"):
        customer_export(actor=org.agent_a1, criteria={})
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_export_page(client, org, customers):
    client.force_login(org.agent_a1)
    refused = client.get(reverse("customers:export"))
    assert refused.status_code == 403
    assert "export" in refused.content.decode().lower()

    client.force_login(org.lead_a)
    response = client.get(reverse("customers:export"), {"q": "李", "page": "2", "tag": ""})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="customers-')
    assert [row[1] for row in sheet_rows(response.content)[1:]] == ["李四"]
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.detail == {"criteria": {"q": "李"}, "rows": 1}


def test_export_page_with_a_bad_criterion_says_why(client, org, customers):
    client.force_login(org.lead_a)
    response = client.get(reverse("customers:export"), {"created_from": "yesterday"}, follow=True)
    assert "created_from must be a date" in response.content.decode()


def test_export_api(client, org, customers):
    client.force_login(org.agent_a1)
    refused = client.post("/api/customers/export", {}, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"

    client.force_login(org.head_sales)
    response = client.post(
        "/api/customers/export", {"criteria": {"low_credit": "1"}}, content_type="application/json"
    )
    assert response.status_code == 200
    assert [row[1] for row in sheet_rows(response.content)[1:]] == ["李四"]
