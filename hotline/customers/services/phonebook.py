"""The phonebook (CUS-9): personal entries and entries shared with everyone.
Numbers are stored in E.164; an entry is changed or deleted by its owner."""

from django.db import transaction
from django.utils.translation import gettext as _

from hotline.core.exceptions import InvalidData, NotAllowed
from hotline.core.permissions import require_perm
from hotline.core.phones import phone_require
from hotline.customers.models import PhonebookEntry

ENTRY_FIELDS = {"name", "organisation", "title", "phone", "mobile", "email", "notes", "shared"}


def _require_owner(actor, entry: PhonebookEntry) -> None:
    if entry.owner_id != actor.pk and not actor.is_superuser:
        raise NotAllowed(_("Only the owner of “%(name)s” may change it.") % {"name": entry})


def _cleaned(fields: dict) -> dict:
    unknown = set(fields) - ENTRY_FIELDS
    if unknown:
        raise InvalidData(_("Unknown fields: %s") % ", ".join(sorted(unknown)))
    fields = dict(fields)
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
        if not fields["name"]:
            raise InvalidData(_("Enter a name."), details={"name": [_("Required.")]})
    for key in ("phone", "mobile"):
        raw = (fields.get(key) or "").strip()
        if key in fields:
            fields[key] = phone_require(raw, field=key).e164 if raw else ""
    return fields


def _check_reachable(entry: PhonebookEntry) -> None:
    if not (entry.phone or entry.mobile or entry.email):
        raise InvalidData(
            _("Give a phone number, a mobile number or an e-mail address."),
            details={"phone": [_("Required.")]},
        )


@transaction.atomic
def phonebook_entry_create(*, actor, name: str, **fields) -> PhonebookEntry:
    require_perm(actor, "customers.add_phonebookentry")
    entry = PhonebookEntry(owner=actor, **_cleaned({"name": name, **fields}))
    _check_reachable(entry)
    entry.save()
    return entry


@transaction.atomic
def phonebook_entry_update(*, actor, entry: PhonebookEntry, **fields) -> PhonebookEntry:
    require_perm(actor, "customers.change_phonebookentry")
    _require_owner(actor, entry)
    for name, value in _cleaned(fields).items():
        setattr(entry, name, value)
    _check_reachable(entry)
    entry.save()
    return entry


@transaction.atomic
def phonebook_entry_delete(*, actor, entry: PhonebookEntry) -> None:
    require_perm(actor, "customers.delete_phonebookentry")
    _require_owner(actor, entry)
    entry.delete()
