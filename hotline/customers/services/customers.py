"""Writes for customers: create, update, phones, addresses, contact records."""

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.core.custom_fields import custom_fields_clean
from hotline.core.events import publish
from hotline.core.exceptions import Conflict, InvalidData, NotAllowed
from hotline.core.permissions import fields_not_editable, require_object_perm, require_perm
from hotline.core.phones import PhoneInfo, phone_require
from hotline.customers.events import CustomerCreated, CustomerUpdated
from hotline.customers.models import (
    ContactRecord,
    Customer,
    CustomerAddress,
    CustomerPhone,
    CustomerTag,
)

CUSTOMER_FIELDS = {
    "kind",
    "name",
    "gender",
    "birthday",
    "email",
    "level",
    "group",
    "source",
    "owner",
    "low_credit",
    "credit_note",
    "notes",
}
ADDRESS_FIELDS = {"recipient", "phone", "province", "city", "district", "detail", "postcode"}


def birthday_key(birthday: date | None) -> int | None:
    return birthday.month * 100 + birthday.day if birthday else None


def _check_fields(fields: dict, allowed: set[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise InvalidData(_("Unknown fields: %s") % ", ".join(sorted(unknown)))


def _check_name(name) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidData(_("Enter the customer's name."), details={"name": [_("Required.")]})
    return name


def _announce_created(customer: Customer) -> None:
    publish(
        CustomerCreated(customer_id=customer.pk, name=customer.name, owner_id=customer.owner_id)
    )


def _announce_updated(customer: Customer, changed) -> None:
    publish(
        CustomerUpdated(
            customer_id=customer.pk,
            name=customer.name,
            owner_id=customer.owner_id,
            changed=sorted(changed),
        )
    )


def _phone_row(customer: Customer, info: PhoneInfo, *, label="", is_primary=False):
    return CustomerPhone(
        customer=customer,
        number=info.e164,
        national=info.national,
        kind=info.kind,
        location=info.location,
        carrier=info.carrier,
        label=label,
        is_primary=is_primary,
    )


@transaction.atomic
def customer_create(
    *, actor, name: str, phones=(), addresses=(), tags=(), custom_fields=None, **fields
) -> Customer:
    """A new customer owned by ``actor`` unless another owner is given.
    ``phones`` are numbers as typed; ``addresses`` dicts of address fields."""
    require_perm(actor, "customers.add_customer")
    _check_fields(fields, CUSTOMER_FIELDS)
    infos = [phone_require(raw, field="phones") for raw in phones if str(raw).strip()]
    owner = fields.pop("owner", actor)
    if owner is not None and owner != actor:
        require_perm(actor, "customers.assign_customer")
    if fields.get("level") is not None:
        require_perm(actor, "customers.change_memberlevel")
    customer = Customer(name=_check_name(name), owner=owner, **fields)
    customer.birthday_md = birthday_key(customer.birthday)
    customer.custom_fields = custom_fields_clean(
        Customer, custom_fields or {}, actor=actor, current={}
    )
    customer.save()
    seen = set()
    for index, info in enumerate(infos):
        if info.e164 not in seen:
            seen.add(info.e164)
            _phone_row(customer, info, is_primary=index == 0).save()
    for address in addresses:
        customer_address_add(actor=actor, customer=customer, **address)
    if tags:
        customer.tags.set(tags)
    _announce_created(customer)
    return customer


@transaction.atomic
def customer_update(
    *, actor, customer: Customer, custom_fields=None, tags=None, **fields
) -> Customer:
    """Change fields of ``customer``; fields under an edit rule the actor
    does not meet, and custom fields not editable by the actor's roles, are
    refused (nothing is changed)."""
    require_object_perm(actor, customer, "change")
    _check_fields(fields, CUSTOMER_FIELDS)
    if "name" in fields:
        fields["name"] = _check_name(fields["name"])
    changed = [name for name, value in fields.items() if getattr(customer, name) != value]
    if "owner" in changed:
        require_perm(actor, "customers.assign_customer")
    if "level" in changed:
        require_perm(actor, "customers.change_memberlevel")
    tags_changed = tags is not None and sorted(t.name for t in customer.tags.all()) != sorted(
        t.name for t in tags
    )
    refused = fields_not_editable(actor, Customer, [*changed, *(["tags"] if tags_changed else [])])
    if refused:
        labels = ", ".join(str(Customer._meta.get_field(f).verbose_name) for f in refused)
        raise NotAllowed(
            _("You may not change: %(fields)s.") % {"fields": labels},
            details={name: [_("Not editable by you.")] for name in refused},
        )
    for name in changed:
        setattr(customer, name, fields[name])
    customer.birthday_md = birthday_key(customer.birthday)
    if custom_fields is not None:
        merged = {**customer.custom_fields, **custom_fields}
        cleaned = custom_fields_clean(Customer, merged, actor=actor, current=customer.custom_fields)
        if cleaned != customer.custom_fields:
            changed.append("custom_fields")
        customer.custom_fields = cleaned
    # Only the fields of the form: points and value figures are kept by their
    # own services and must not be overwritten from a stale copy.
    customer.save(update_fields=[*fields, "birthday_md", "custom_fields", "updated_at"])
    if tags_changed:
        before = sorted(t.name for t in customer.tags.all())
        customer.tags.set(tags)
        customer.record_change({"tags": [before, sorted(t.name for t in tags)]})
        changed.append("tags")
    if changed:
        _announce_updated(customer, changed)
    return customer


@transaction.atomic
def customer_phone_add(
    *, actor, customer: Customer, number: str, label: str = "", is_primary: bool = False
) -> CustomerPhone:
    require_object_perm(actor, customer, "change")
    info = phone_require(number, field="number")
    if customer.phones.filter(number=info.e164).exists():
        raise Conflict(
            _("%(number)s is already a phone of this customer.") % {"number": info.national},
            details={"number": [_("Already listed.")]},
        )
    if is_primary or not customer.phones.exists():
        customer.phones.update(is_primary=False)
        is_primary = True
    phone = _phone_row(customer, info, label=label, is_primary=is_primary)
    phone.save()
    customer.record_change({"phones": [None, info.e164]})
    _announce_updated(customer, ["phones"])
    return phone


@transaction.atomic
def customer_phone_remove(*, actor, phone: CustomerPhone) -> None:
    customer = phone.customer
    require_object_perm(actor, customer, "change")
    phone.delete()
    if phone.is_primary:
        first = customer.phones.first()
        if first:
            first.is_primary = True
            first.save(update_fields=["is_primary"])
    customer.record_change({"phones": [phone.number, None]})
    _announce_updated(customer, ["phones"])


@transaction.atomic
def customer_address_add(*, actor, customer: Customer, is_default: bool = False, **fields):
    require_object_perm(actor, customer, "change")
    _check_fields(fields, ADDRESS_FIELDS)
    if not (fields.get("detail") or "").strip():
        raise InvalidData(_("Enter the street address."), details={"detail": [_("Required.")]})
    if is_default or not customer.addresses.exists():
        customer.addresses.update(is_default=False)
        is_default = True
    address = CustomerAddress.objects.create(customer=customer, is_default=is_default, **fields)
    customer.record_change({"addresses": [None, str(address)]})
    return address


@transaction.atomic
def customer_address_remove(*, actor, address: CustomerAddress) -> None:
    customer = address.customer
    require_object_perm(actor, customer, "change")
    address.delete()
    customer.record_change({"addresses": [str(address), None]})


@transaction.atomic
def contact_record_add(*, actor, customer: Customer, channel: str, summary: str, at=None):
    require_perm(actor, "customers.add_contactrecord")
    require_object_perm(actor, customer, "view")
    if channel not in ContactRecord.Channel.values:
        raise InvalidData(_("Unknown channel: %s") % channel)
    if not summary.strip():
        raise InvalidData(_("Write what was said."), details={"summary": [_("Required.")]})
    return ContactRecord.objects.create(
        customer=customer,
        channel=channel,
        summary=summary.strip(),
        at=at or timezone.now(),
        created_by=actor,
    )


TAG_MAX_LENGTH = 50


def tag_names_parse(text: str) -> list[str]:
    """Tag names from free text separated by commas (also Chinese ones) or new lines."""
    for separator in ("，", "、", ";", "；", "\n"):
        text = (text or "").replace(separator, ",")
    names = []
    for part in text.split(","):
        name = part.strip()[:TAG_MAX_LENGTH]
        if name and name not in names:
            names.append(name)
    return names


@transaction.atomic
def customer_tags_resolve(*, actor, names) -> list[CustomerTag]:
    """The tags of these names, creating the missing ones (for a customer form)."""
    require_perm(actor, "customers.change_customer")
    return [CustomerTag.objects.get_or_create(name=name)[0] for name in names]


def _check_link(person: Customer, company: Customer) -> None:
    if company.kind != Customer.Kind.COMPANY:
        raise InvalidData(
            _("“%(name)s” is not a company.") % {"name": company},
            details={"company": [_("Not a company.")]},
        )
    if person.pk == company.pk:
        raise Conflict(_("A customer cannot be its own contact."))


@transaction.atomic
def customer_company_link(*, actor, person: Customer, company: Customer) -> None:
    """Make ``person`` a contact of ``company`` (CUS-2)."""
    require_object_perm(actor, person, "change")
    require_object_perm(actor, company, "view")
    _check_link(person, company)
    if person.companies.filter(pk=company.pk).exists():
        raise Conflict(
            _("%(person)s is already a contact of %(company)s.")
            % {"person": person, "company": company}
        )
    person.companies.add(company)
    person.record_change({"companies": [None, str(company)]})
    _announce_updated(person, ["companies"])


@transaction.atomic
def customer_company_unlink(*, actor, person: Customer, company: Customer) -> None:
    require_object_perm(actor, person, "change")
    person.companies.remove(company)
    person.record_change({"companies": [str(company), None]})
    _announce_updated(person, ["companies"])
