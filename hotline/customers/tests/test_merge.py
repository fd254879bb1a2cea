"""Merging two records of one customer keeps all their history."""

from decimal import Decimal

import pytest
from django.utils import timezone

from hotline.core.exceptions import Conflict, NotAllowed
from hotline.customers.models import ContactRecord, Customer, PointsEntry
from hotline.customers.selectors.customers import customer_search
from hotline.customers.services import customers as services
from hotline.customers.services.membership import customer_value_record, points_adjust
from hotline.customers.services.merge import customer_merge
from hotline.customers.tests.test_services import make_customer


@pytest.fixture
def pair(org):
    survivor = make_customer(org.agent_a1, name="王伟", phones=["13800138000"])
    merged = make_customer(
        org.agent_a1,
        name="王伟",
        phones=["13800138000", "13900139000"],
        email="w@example.com",
        notes="喜欢晚上联系",
        custom_fields={},
    )
    services.contact_record_add(
        actor=org.agent_a1, customer=merged, channel="call_in", summary="问价格"
    )
    points_adjust(actor=org.lead_a, customer=merged, delta=30, reason="开卡")
    points_adjust(actor=org.lead_a, customer=survivor, delta=5, reason="活动")
    customer_value_record(customer_id=merged.pk, amount=Decimal("300"), at=timezone.now())
    services.customer_address_add(actor=org.agent_a1, customer=merged, detail="长安街1号")
    tags = services.customer_tags_resolve(actor=org.agent_a1, names=["VIP"])
    services.customer_update(actor=org.agent_a1, customer=merged, tags=tags)
    company = make_customer(org.agent_a1, name="华为", phones=["02088886666"], kind="company")
    services.customer_company_link(actor=org.agent_a1, person=merged, company=company)
    return Customer.objects.get(pk=survivor.pk), Customer.objects.get(pk=merged.pk), company


def test_merge_keeps_history(org, pair):
    survivor, merged, company = pair
    result = customer_merge(actor=org.lead_a, survivor=survivor, merged=merged)
    assert sorted(result.phones.values_list("number", flat=True)) == [
        "+8613800138000",
        "+8613900139000",
    ]
    assert ContactRecord.objects.get().customer_id == survivor.pk
    assert PointsEntry.objects.filter(customer=survivor).count() == 2
    assert result.points_balance == 35
    assert (result.purchase_count, result.total_spend) == (1, Decimal("300"))
    assert result.addresses.get().detail == "长安街1号"
    assert list(result.tags.values_list("name", flat=True)) == ["VIP"]
    assert list(result.companies.all()) == [company]
    assert result.email == "w@example.com" and "喜欢晚上联系" in result.notes
    merged.refresh_from_db()
    assert merged.merged_into_id == survivor.pk and merged.points_balance == 0
    assert list(survivor.merged_from.all()) == [merged]
    assert any("merged" in change.changes for change in survivor.change_history())


def test_merged_customer_hidden_from_search_and_screen_pop(org, pair):
    from hotline.customers.selectors.screen_pop import screen_pop

    survivor, merged, _company = pair
    customer_merge(actor=org.lead_a, survivor=survivor, merged=merged)
    found = customer_search(actor=org.agent_a1, criteria={"q": "王伟"})
    assert [c.pk for c in found] == [survivor.pk]
    pop = screen_pop(actor=org.agent_a1, number="13900139000")
    ids = [c["id"] for c in pop["customers"]]
    assert ids == [survivor.pk]


def test_merge_refusals(org, pair):
    survivor, merged, _company = pair
    with pytest.raises(NotAllowed):
        customer_merge(actor=org.agent_a1, survivor=survivor, merged=merged)
    with pytest.raises(Conflict):
        customer_merge(actor=org.lead_a, survivor=survivor, merged=survivor)
    stranger = make_customer(org.agent_c1, name="张三", phones=["13700137000"])
    with pytest.raises(NotAllowed):
        customer_merge(actor=org.lead_a, survivor=survivor, merged=stranger)
    customer_merge(actor=org.lead_a, survivor=survivor, merged=merged)
    with pytest.raises(Conflict):
        customer_merge(
            actor=org.lead_a, survivor=survivor, merged=Customer.objects.get(pk=merged.pk)
        )


def test_merge_fills_custom_fields_and_logs_them(org):
    from django.contrib.contenttypes.models import ContentType

    from hotline.core.models import CustomField

    CustomField.objects.create(
        content_type=ContentType.objects.get_for_model(Customer),
        name="call_time",
        label="call_time",
        field_type="text",
    )
    survivor = make_customer(org.agent_a1, phones=["13800138000"])
    merged = make_customer(
        org.agent_a1, phones=["13900139000"], custom_fields={"call_time": "晚上"}
    )
    result = customer_merge(actor=org.lead_a, survivor=survivor, merged=merged)
    assert result.custom_fields == {"call_time": "晚上"}
    assert any("cf.call_time" in change.changes for change in result.change_history())
