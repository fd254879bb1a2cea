"""The customer pages render for agents and leads, refuse missing permissions,
keep customers outside the scope hidden (404) and show service errors on
their forms."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from hotline.core.models import CustomField, FieldEditRule
from hotline.customers.models import (
    ContactRecord,
    Customer,
    MemberLevel,
    PhonebookEntry,
    SavedSearch,
)
from hotline.customers.services.membership import points_adjust
from hotline.customers.tests.test_services import make_customer


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def call_time(db):
    return CustomField.objects.create(
        content_type=ContentType.objects.get_for_model(Customer),
        name="call_time",
        label="方便接听时间",
        label_en="Best time to call",
        field_type="choice",
        choices=["上午", "下午", "晚上"],
        searchable=True,
    )


@pytest.fixture
def customer(org, call_time):
    customer = make_customer(
        org.agent_a1,
        name="王伟",
        phones=["13800138000", "0755 2641 7308"],
        custom_fields={"call_time": "上午"},
        low_credit=True,
        credit_note="拒收两次",
    )
    points_adjust(actor=org.lead_a, customer=customer, delta=20, reason="开卡")
    return customer


@pytest.mark.parametrize("username", ["agent_a1", "lead_a", "admin"])
def test_pages_render(org, customer, username):
    client = client_for(getattr(org, username))
    MemberLevel.objects.create(code="gold", name="金卡", rank=2)
    urls = [
        reverse("customers:list"),
        reverse("customers:list") + "?q=8001",
        reverse("customers:list") + "?name=王&cf.call_time=上午",
        reverse("customers:create") + "?phone=13900139000&province=北京市",
        reverse("customers:detail", args=[customer.pk]),
        reverse("customers:edit", args=[customer.pk]),
        reverse("customers:link", args=[customer.pk]) + "?q=王",
        reverse("customers:care"),
        reverse("customers:care") + "?list=month",
        reverse("customers:phonebook"),
        reverse("customers:phonebook_create"),
        reverse("customers:levels"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url


def test_detail_shows_the_customer(org, customer):
    response = client_for(org.agent_a1).get(reverse("customers:detail", args=[customer.pk]))
    html = response.content.decode()
    assert 'href="tel:+8613800138000"' in html and 'data-dial="+8613800138000"' in html
    assert "北京市" in html and "中国移动" in html
    assert 'id="low-credit"' in html and "拒收两次" in html
    for key in ("profile", "addresses", "links", "contacts", "points", "value", "changes"):
        assert f'data-panel="{key}"' in html
    assert 'data-custom-field="call_time">上午<' in html
    assert reverse("customers:blacklist_report") in html
    # the points form is for holders of add_pointsentry only
    assert 'id="points-adjust-form"' not in html
    assert (
        'id="points-adjust-form"'
        in client_for(org.lead_a)
        .get(reverse("customers:detail", args=[customer.pk]))
        .content.decode()
    )


def test_outside_the_scope_is_404(org, customer):
    client = client_for(org.agent_c1)
    for name in ("detail", "edit", "merge"):
        assert client.get(reverse(f"customers:{name}", args=[customer.pk])).status_code == 404
    response = client.post(reverse("customers:phone_add", args=[customer.pk]), {"number": "1"})
    assert response.status_code == 404
    response = client.get(reverse("customers:list"), {"q": "13800"})
    assert "王伟" not in response.content.decode()


def test_missing_permissions_are_403(org, customer, make_user):
    finance = make_user("fin", roles=["finance"])
    client = client_for(finance)
    assert client.get(reverse("customers:create")).status_code == 403
    assert client.get(reverse("customers:phonebook")).status_code == 403
    assert client.get(reverse("customers:levels")).status_code == 403
    agent = client_for(org.agent_a1)
    assert agent.get(reverse("customers:merge", args=[customer.pk])).status_code == 403
    assert agent.get(reverse("customers:field_rules")).status_code == 403
    assert agent.get(reverse("customers:level_create")).status_code == 403
    nobody = client_for(make_user("nobody"))
    assert nobody.get(reverse("customers:list")).status_code == 403


def test_create_with_prefill_and_errors(org, call_time):
    client = client_for(org.agent_a1)
    url = reverse("customers:create")
    html = client.get(url, {"phone": "13900139000", "city": "深圳市"}).content.decode()
    assert "13900139000" in html and 'value="深圳市"' in html
    response = client.post(url, {"kind": "person", "name": "李娜", "phones": "12345"})
    assert response.status_code == 200
    assert "不是有效的电话号码" in response.content.decode() or "not a valid" in (
        response.content.decode()
    )
    assert 'value="李娜"' in response.content.decode()
    assert not Customer.objects.exists()
    response = client.post(
        url,
        {
            "kind": "person",
            "name": "李娜",
            "phones": "13900139000\n020-88886666",
            "province": "广东省",
            "city": "广州市",
            "detail": "天河路1号",
            "tags": "VIP, 新客户",
            "cf_call_time": "晚上",
        },
    )
    customer = Customer.objects.get()
    assert response.status_code == 302 and response.url == customer.get_absolute_url()
    assert customer.phones.count() == 2 and customer.addresses.get().city == "广州市"
    assert sorted(customer.tags.values_list("name", flat=True)) == ["VIP", "新客户"]
    assert customer.custom_fields == {"call_time": "晚上"} and customer.owner == org.agent_a1


def test_edit_form_honours_rules(org, roles, customer, call_time):
    rule = FieldEditRule.objects.create(
        content_type=ContentType.objects.get_for_model(Customer), field_name="low_credit"
    )
    rule.roles.add(roles["lead"])
    call_time.editable_by_roles.add(roles["lead"])
    client = client_for(org.agent_a1)
    url = reverse("customers:edit", args=[customer.pk])
    html = client.get(url).content.decode()
    assert 'name="low_credit"' in html and "disabled" in html
    assert 'name="owner"' not in html  # agents may not give customers away
    response = client.post(
        url,
        {"kind": "person", "name": "王伟强", "low_credit": "", "cf_call_time": "晚上"},
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.name == "王伟强"
    assert customer.low_credit is True  # disabled: kept
    assert customer.custom_fields == {"call_time": "上午"}  # read-only for agents


def test_edit_shows_custom_field_errors(org, customer):
    CustomField.objects.create(
        content_type=ContentType.objects.get_for_model(Customer),
        name="budget",
        label="预算",
        field_type="number",
        max_value=100,
    )
    client = client_for(org.agent_a1)
    response = client.post(
        reverse("customers:edit", args=[customer.pk]),
        {"kind": "person", "name": "王伟", "cf_budget": "500", "cf_call_time": "上午"},
    )
    assert response.status_code == 200
    assert "100" in response.content.decode()
    assert Customer.objects.get(pk=customer.pk).custom_fields.get("budget") is None


def test_detail_actions(org, customer):
    client = client_for(org.agent_a1)
    detail = reverse("customers:detail", args=[customer.pk])
    response = client.post(reverse("customers:phone_add", args=[customer.pk]), {"number": "12"})
    assert response.status_code == 422 and 'id="phone-add-form"' in response.content.decode()
    response = client.post(
        reverse("customers:phone_add", args=[customer.pk]), {"number": "13900139000"}
    )
    assert response.status_code == 302 and response.url == detail
    phone = customer.phones.get(number="+8613900139000")
    client.post(reverse("customers:phone_remove", args=[customer.pk, phone.pk]))
    assert not customer.phones.filter(pk=phone.pk).exists()
    client.post(
        reverse("customers:address_add", args=[customer.pk]),
        {"province": "北京市", "city": "北京市", "detail": "长安街1号"},
    )
    address = customer.addresses.get()
    client.post(reverse("customers:address_remove", args=[customer.pk, address.pk]))
    assert not customer.addresses.exists()
    client.post(
        reverse("customers:contact_add", args=[customer.pk]),
        {"channel": "call_out", "summary": "回访满意"},
    )
    assert ContactRecord.objects.get().summary == "回访满意"
    html = client.get(detail).content.decode()
    assert "回访满意" in html and "+8613900139000" in html  # change history shows the phone


def test_points_and_level_forms(org, customer):
    lead = client_for(org.lead_a)
    url = reverse("customers:points_adjust", args=[customer.pk])
    response = lead.post(url, {"delta": "-50", "reason": "兑换"})
    assert response.status_code == 422
    lead.post(url, {"delta": "5", "reason": "活动"})
    assert Customer.objects.get(pk=customer.pk).points_balance == 25
    level = MemberLevel.objects.create(code="gold", name="金卡", rank=2)
    response = lead.post(reverse("customers:set_level", args=[customer.pk]), {"level": level.pk})
    assert response.status_code == 422  # leads may not give levels by hand
    admin = client_for(org.admin)
    admin.post(reverse("customers:set_level", args=[customer.pk]), {"level": level.pk})
    assert Customer.objects.get(pk=customer.pk).level == level


def test_company_links(org, customer):
    company = make_customer(org.agent_a1, name="华为公司", phones=["02088886666"], kind="company")
    client = client_for(org.agent_a1)
    html = client.get(reverse("customers:link", args=[customer.pk]), {"q": "华为"}).content.decode()
    assert "华为公司" in html
    client.post(reverse("customers:link", args=[customer.pk]), {"other": company.pk})
    assert list(customer.companies.all()) == [company]
    html = client.get(reverse("customers:detail", args=[company.pk])).content.decode()
    assert "王伟" in html
    client.post(reverse("customers:unlink", args=[company.pk, customer.pk]))
    assert not customer.companies.exists()


def test_merge_page(org, customer):
    other = make_customer(org.agent_a1, name="王伟", phones=["13900139000"])
    lead = client_for(org.lead_a)
    url = reverse("customers:merge", args=[customer.pk])
    html = lead.get(url, {"q": "王伟"}).content.decode()
    assert f'?merged={other.pk}"' in html
    html = lead.get(url, {"merged": other.pk}).content.decode()
    assert 'id="merge-form"' in html
    response = lead.post(url, {"merged": other.pk})
    assert response.status_code == 302
    assert Customer.objects.get(pk=other.pk).merged_into_id == customer.pk
    # the old record's page leads to the survivor
    response = lead.get(reverse("customers:detail", args=[other.pk]))
    assert response.status_code == 302 and response.url == customer.get_absolute_url()


def test_saved_search_from_the_list(org, customer):
    client = client_for(org.agent_a1)
    list_url = reverse("customers:list")
    html = client.get(list_url, {"cf.call_time": "上午"}).content.decode()
    assert 'id="saved-search-form"' in html and "王伟" in html
    response = client.post(
        reverse("customers:search_save") + "?cf.call_time=上午",
        {"name": "上午回访", "is_care_list": "on", "suggested_action": "call"},
    )
    search = SavedSearch.objects.get()
    assert response.status_code == 302 and search.query == {"cf.call_time": "上午"}
    html = client.get(list_url, {"saved": search.pk}).content.decode()
    assert "王伟" in html and 'value="上午" selected' in html
    html = client.get(reverse("customers:care"), {"list": search.pk}).content.decode()
    assert "王伟" in html and 'href="tel:+8613800138000"' in html
    other = client_for(org.agent_a2)
    assert other.get(list_url, {"saved": search.pk}).status_code == 404
    client.post(reverse("customers:search_delete", args=[search.pk]))
    assert not SavedSearch.objects.exists()


def test_export_link_needs_permission(org, customer):
    html = client_for(org.agent_a1).get(reverse("customers:list"), {"q": "王"}).content.decode()
    assert 'id="customer-export"' not in html
    html = client_for(org.lead_a).get(reverse("customers:list"), {"q": "王"}).content.decode()
    assert 'id="customer-export"' in html and "q=%E7%8E%8B" in html


def test_htmx_list_returns_the_results_only(org, customer):
    response = client_for(org.agent_a1).get(
        reverse("customers:list"), {"q": "8001"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
    )
    html = response.content.decode()
    assert html.startswith('<div id="results"') and "王伟" in html


def test_phonebook_pages(org):
    client = client_for(org.agent_a1)
    response = client.post(
        reverse("customers:phonebook_create"), {"name": "快递", "phone": "12", "shared": "on"}
    )
    assert response.status_code == 200 and not PhonebookEntry.objects.exists()
    client.post(
        reverse("customers:phonebook_create"),
        {"name": "顺丰快递", "phone": "0755-26417308", "shared": "on"},
    )
    entry = PhonebookEntry.objects.get()
    assert entry.phone == "+8675526417308"
    html = client_for(org.agent_c1).get(reverse("customers:phonebook"), {"q": "2641"})
    assert 'href="tel:+8675526417308"' in html.content.decode()
    assert (
        client_for(org.agent_c1).get(reverse("customers:phonebook_edit", args=[entry.pk]))
    ).status_code == 404
    client.post(reverse("customers:phonebook_delete", args=[entry.pk]))
    assert not PhonebookEntry.objects.exists()


def test_levels_and_field_rules_pages(org, roles):
    admin = client_for(org.admin)
    response = admin.post(
        reverse("customers:level_create"),
        {"code": "gold", "name": "金卡", "rank": 2, "discount_percent": "5", "queue_priority": 1},
    )
    assert response.status_code == 302
    level = MemberLevel.objects.get()
    response = admin.post(
        reverse("customers:level_edit", args=[level.pk]),
        {"code": "gold", "name": "金卡", "rank": 2, "discount_percent": "120", "queue_priority": 1},
    )
    assert response.status_code == 200 and MemberLevel.objects.get().discount_percent == 5
    url = reverse("customers:field_rules")
    assert admin.get(url).status_code == 200
    admin.post(url, {"field_name": "low_credit", "roles": [roles["lead"].pk]})
    rule = FieldEditRule.objects.get()
    assert rule.field_name == "low_credit"
    response = admin.post(url, {"field_name": "low_credit", "roles": [roles["lead"].pk]})
    assert response.status_code == 200 and FieldEditRule.objects.count() == 1
    admin.post(reverse("customers:field_rule_remove", args=[rule.pk]))
    assert not FieldEditRule.objects.exists()
