"""Customer services: create and update with phones, custom fields and field
edit rules; phones and addresses; value figures, levels and points."""

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType

from hotline.core.exceptions import Conflict, InvalidData, NotAllowed
from hotline.core.models import CustomField, FieldEditRule
from hotline.customers.models import Customer, CustomerPhone, CustomerTag, MemberLevel
from hotline.customers.services import customers as services
from hotline.customers.services import membership
from hotline.customers.services.field_rules import (
    customer_field_rule_add,
    customer_field_rule_delete,
    customer_rule_fields,
)


def make_customer(actor, name="王伟", phones=("13800138000",), **fields):
    return services.customer_create(actor=actor, name=name, phones=list(phones), **fields)


def custom_field(name="call_time", field_type="text", **fields):
    return CustomField.objects.create(
        content_type=ContentType.objects.get_for_model(Customer),
        name=name,
        label=fields.pop("label", name),
        field_type=field_type,
        **fields,
    )


@pytest.fixture
def levels(db):
    return {
        code: MemberLevel.objects.create(
            code=code, name=code, rank=rank, min_spend=Decimal(spend) if spend else None
        )
        for code, rank, spend in (("regular", 0, None), ("silver", 1, "1000"), ("gold", 2, "5000"))
    }


# --- create and update ----------------------------------------------------


def test_create_normalises_phones_and_keeps_location(org):
    customer = make_customer(org.agent_a1, phones=["+86 138-0013-8000", "0755 2641 7308"])
    phones = list(customer.phones.all())
    assert [p.number for p in phones] == ["+8613800138000", "+8675526417308"]
    assert phones[0].is_primary and not phones[1].is_primary
    assert phones[0].location == "北京市" and phones[0].carrier == "中国移动"
    assert phones[1].kind == "landline" and "深圳" in phones[1].location
    assert customer.owner == org.agent_a1


def test_create_with_an_invalid_phone_saves_nothing(org):
    with pytest.raises(InvalidData) as info:
        make_customer(org.agent_a1, phones=["13800138000", "12345"])
    assert "phones" in info.value.details
    assert not Customer.objects.exists()
    assert not CustomerPhone.objects.exists()


def test_create_for_another_owner_needs_the_assign_permission(org):
    with pytest.raises(NotAllowed):
        make_customer(org.agent_a1, owner=org.agent_a2)
    customer = make_customer(org.lead_a, owner=org.agent_a2)
    assert customer.owner == org.agent_a2


def test_create_validates_custom_fields(org):
    custom_field("budget", "number", min_value=0, label="预算")
    with pytest.raises(InvalidData) as info:
        make_customer(org.agent_a1, custom_fields={"budget": "lots"})
    assert "budget" in info.value.details
    customer = make_customer(org.agent_a1, custom_fields={"budget": "1200"})
    assert customer.custom_fields == {"budget": 1200}


def test_update_honours_field_edit_rules(org, roles):
    customer = make_customer(org.agent_a1)
    rule = FieldEditRule.objects.create(
        content_type=ContentType.objects.get_for_model(Customer), field_name="low_credit"
    )
    rule.roles.add(roles["lead"])
    with pytest.raises(NotAllowed) as info:
        services.customer_update(actor=org.agent_a1, customer=customer, low_credit=True)
    assert "low_credit" in info.value.details
    customer.refresh_from_db()
    assert customer.low_credit is False
    services.customer_update(actor=org.agent_a1, customer=customer, name="王伟强")
    lead_customer = Customer.objects.get(pk=customer.pk)
    services.customer_update(actor=org.lead_a, customer=lead_customer, low_credit=True)
    assert Customer.objects.get(pk=customer.pk).low_credit is True


def test_tags_under_a_rule_are_refused(org, roles):
    customer = make_customer(org.agent_a1)
    rule = FieldEditRule.objects.create(
        content_type=ContentType.objects.get_for_model(Customer), field_name="tags"
    )
    rule.roles.add(roles["lead"])
    vip = services.customer_tags_resolve(actor=org.agent_a1, names=["VIP"])
    with pytest.raises(NotAllowed):
        services.customer_update(actor=org.agent_a1, customer=customer, tags=vip)
    assert not customer.tags.exists()


def test_update_refuses_custom_field_of_other_roles(org, roles):
    field = custom_field("vip_note")
    field.editable_by_roles.add(roles["lead"])
    customer = make_customer(org.agent_a1)
    with pytest.raises(NotAllowed):
        services.customer_update(
            actor=org.agent_a1, customer=customer, custom_fields={"vip_note": "x"}
        )
    assert Customer.objects.get(pk=customer.pk).custom_fields == {}
    lead_view = Customer.objects.get(pk=customer.pk)
    services.customer_update(actor=org.lead_a, customer=lead_view, custom_fields={"vip_note": "x"})
    assert Customer.objects.get(pk=customer.pk).custom_fields == {"vip_note": "x"}


def test_update_logs_custom_field_and_tag_changes(org):
    custom_field("call_time")
    customer = make_customer(org.agent_a1, custom_fields={"call_time": "上午"})
    tags = services.customer_tags_resolve(actor=org.agent_a1, names=["老客户", "VIP"])
    services.customer_update(
        actor=org.agent_a1, customer=customer, custom_fields={"call_time": "晚上"}, tags=tags
    )
    changes = [c.changes for c in customer.change_history()]
    assert {"cf.call_time": ["上午", "晚上"]} in changes
    assert {"tags": [[], ["VIP", "老客户"]]} in changes
    assert CustomerTag.objects.count() == 2


def test_level_by_form_needs_the_level_permission(org, levels):
    customer = make_customer(org.agent_a1)
    with pytest.raises(NotAllowed):
        services.customer_update(actor=org.agent_a1, customer=customer, level=levels["gold"])
    membership.customer_set_level(actor=org.admin, customer=customer, level=levels["gold"])
    assert Customer.objects.get(pk=customer.pk).level == levels["gold"]


def test_tag_names_parse():
    assert services.tag_names_parse("VIP, 老客户，VIP、 新 ") == ["VIP", "老客户", "新"]


# --- phones, addresses, links ---------------------------------------------


def test_phone_add_and_remove(org):
    customer = make_customer(org.agent_a1)
    phone = services.customer_phone_add(
        actor=org.agent_a1, customer=customer, number="020-8888 6666"
    )
    assert phone.number == "+862088886666" and not phone.is_primary
    with pytest.raises(Conflict):
        services.customer_phone_add(actor=org.agent_a1, customer=customer, number="+8620 88886666")
    with pytest.raises(InvalidData):
        services.customer_phone_add(actor=org.agent_a1, customer=customer, number="1234")
    primary = customer.phones.get(is_primary=True)
    services.customer_phone_remove(actor=org.agent_a1, phone=primary)
    assert list(customer.phones.values_list("number", "is_primary")) == [("+862088886666", True)]


def test_phone_add_outside_scope_is_refused(org):
    customer = make_customer(org.agent_c1)
    with pytest.raises(NotAllowed):
        services.customer_phone_add(actor=org.agent_a1, customer=customer, number="13900139000")


def test_address_add_and_remove(org):
    customer = make_customer(org.agent_a1)
    with pytest.raises(InvalidData):
        services.customer_address_add(actor=org.agent_a1, customer=customer, province="北京市")
    address = services.customer_address_add(
        actor=org.agent_a1, customer=customer, province="北京市", city="北京市", detail="1号"
    )
    assert address.is_default
    services.customer_address_remove(actor=org.agent_a1, address=address)
    assert not customer.addresses.exists()


def test_company_link(org):
    person = make_customer(org.agent_a1)
    company = make_customer(org.agent_a1, name="华为", phones=["075526417308"], kind="company")
    other_person = make_customer(org.agent_a1, name="李娜", phones=["13900139000"])
    with pytest.raises(InvalidData):
        services.customer_company_link(actor=org.agent_a1, person=person, company=other_person)
    services.customer_company_link(actor=org.agent_a1, person=person, company=company)
    assert list(company.contacts.all()) == [person]
    with pytest.raises(Conflict):
        services.customer_company_link(actor=org.agent_a1, person=person, company=company)
    services.customer_company_unlink(actor=org.agent_a1, person=person, company=company)
    assert not person.companies.exists()


def test_contact_record_add(org):
    customer = make_customer(org.agent_a1)
    with pytest.raises(InvalidData):
        services.contact_record_add(
            actor=org.agent_a1, customer=customer, channel="call_in", summary=" "
        )
    record = services.contact_record_add(
        actor=org.agent_a1, customer=customer, channel="call_in", summary="问价格"
    )
    assert record.created_by == org.agent_a1


# --- field edit rules ------------------------------------------------------


def test_field_rule_services(org, roles):
    assert "low_credit" in dict(customer_rule_fields())
    assert "points_balance" not in dict(customer_rule_fields())
    with pytest.raises(NotAllowed):
        customer_field_rule_add(actor=org.lead_a, field_name="low_credit", roles=[roles["lead"]])
    with pytest.raises(InvalidData):
        customer_field_rule_add(actor=org.admin, field_name="nonsense", roles=[roles["lead"]])
    with pytest.raises(InvalidData):
        customer_field_rule_add(actor=org.admin, field_name="low_credit")
    rule = customer_field_rule_add(actor=org.admin, field_name="low_credit", roles=[roles["lead"]])
    with pytest.raises(Conflict):
        customer_field_rule_add(actor=org.admin, field_name="low_credit", roles=[roles["lead"]])
    customer_field_rule_delete(actor=org.admin, rule=rule)
    assert not FieldEditRule.objects.exists()
