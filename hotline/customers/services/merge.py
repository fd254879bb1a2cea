"""Merging two records of one customer into one, keeping all their history."""

from django.db import transaction
from django.utils.translation import gettext as _

from hotline.core.events import publish
from hotline.core.exceptions import Conflict
from hotline.core.permissions import require_object_perm, require_perm
from hotline.customers.events import CustomerMerged
from hotline.customers.models import Customer, CustomerPhone

FILLABLE = ("gender", "birthday", "birthday_md", "email", "level", "group", "source", "owner")


def _move_related_rows(survivor: Customer, merged: Customer) -> None:
    """Point every row of every app that refers to ``merged`` at ``survivor``:
    orders, calls, tickets … arrive later and are moved without this module
    knowing them."""
    for relation in Customer._meta.related_objects:
        if relation.related_model is Customer or relation.many_to_many:
            continue
        if relation.related_model is CustomerPhone:
            continue  # moved below, without duplicates
        manager = relation.related_model._base_manager
        manager.filter(**{relation.field.name: merged}).update(**{relation.field.name: survivor})


def _move_phones(survivor: Customer, merged: Customer) -> None:
    known = set(survivor.phones.values_list("number", flat=True))
    for phone in merged.phones.all():
        if phone.number in known:
            phone.delete()
        else:
            phone.customer = survivor
            phone.is_primary = False
            phone.save()


def _move_links(survivor: Customer, merged: Customer) -> None:
    survivor.tags.add(*merged.tags.all())
    survivor.companies.add(*merged.companies.exclude(pk=survivor.pk))
    for contact in merged.contacts.exclude(pk=survivor.pk):
        contact.companies.remove(merged)
        contact.companies.add(survivor)
    Customer.objects.filter(merged_into=merged).update(merged_into=survivor)


def _fill_blanks(survivor: Customer, merged: Customer) -> None:
    for name in FILLABLE:
        if not getattr(survivor, name) and getattr(merged, name):
            setattr(survivor, name, getattr(merged, name))
    # A new dict, not one changed in place, so that the change log sees the fill.
    survivor.custom_fields = {**merged.custom_fields, **survivor.custom_fields}
    survivor.low_credit = survivor.low_credit or merged.low_credit
    if merged.notes:
        survivor.notes = "\n".join(n for n in (survivor.notes, merged.notes) if n)


def _add_value(survivor: Customer, merged: Customer) -> None:
    survivor.purchase_count += merged.purchase_count
    survivor.total_spend += merged.total_spend
    survivor.points_balance += merged.points_balance
    if merged.last_purchase_at and (
        not survivor.last_purchase_at or merged.last_purchase_at > survivor.last_purchase_at
    ):
        survivor.last_purchase_at = merged.last_purchase_at


@transaction.atomic
def customer_merge(*, actor, survivor: Customer, merged: Customer) -> Customer:
    """``merged`` becomes part of ``survivor``: phones, addresses, contacts,
    points, purchases and the rows of every other app move over; blank
    fields are filled from it; ``merged`` stays as a pointer to ``survivor``."""
    require_perm(actor, "customers.merge_customer")
    require_object_perm(actor, survivor, "change")
    require_object_perm(actor, merged, "change")
    if survivor.pk == merged.pk:
        raise Conflict(_("A customer cannot be merged into itself."))
    if survivor.merged_into_id or merged.merged_into_id:
        raise Conflict(_("One of the two customers was already merged into another."))
    survivor = Customer.objects.select_for_update().get(pk=survivor.pk)
    merged = Customer.objects.select_for_update().get(pk=merged.pk)
    _move_phones(survivor, merged)
    _move_related_rows(survivor, merged)
    _move_links(survivor, merged)
    _fill_blanks(survivor, merged)
    _add_value(survivor, merged)
    survivor.save()
    survivor.record_change({"merged": [None, f"{merged.pk} {merged.name}"]})
    Customer.objects.filter(pk=merged.pk).update(merged_into=survivor, points_balance=0)
    merged.refresh_from_db()
    merged.record_change({"merged_into": [None, survivor.pk]})
    publish(
        CustomerMerged(
            customer_id=survivor.pk,
            name=survivor.name,
            owner_id=survivor.owner_id,
            merged_id=merged.pk,
        )
    )
    return survivor
