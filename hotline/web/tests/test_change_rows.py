"""Change history as people read it: labels, choice names, related names."""

import pytest

from hotline.core.models import ObjectChange
from hotline.customers.services.customers import customer_create, customer_phone_add
from hotline.web.views.change_rows import change_entries

pytestmark = pytest.mark.django_db


def test_choices_show_their_names_and_reverse_relations_their_label(org):
    customer = customer_create(actor=org.admin, name="王芳", kind="company", gender="f")
    customer_phone_add(actor=org.admin, customer=customer, number="13800138000")
    entries = change_entries(customer.change_history().order_by("id"))
    created = {row["field"]: row for row in entries[0]["rows"]}
    assert created["kind"]["new"] == "Company"
    assert created["gender"]["new"] == "Female"
    phone_row = entries[1]["rows"][0]
    assert (phone_row["label"], phone_row["new"]) == ("phones", "+8613800138000")


def test_changes_of_internal_columns_only_are_left_out(org):
    customer = customer_create(actor=org.admin, name="李娜")
    customer.record_change({"birthday_md": [None, 1231]})
    entries = change_entries(ObjectChange.objects.filter(object_id=str(customer.pk)))
    assert all(entry["rows"] for entry in entries)
