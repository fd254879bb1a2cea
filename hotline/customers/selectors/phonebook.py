"""The phonebook (CUS-9): the reader's personal entries and the shared ones."""

from django.db.models import Q

from hotline.core.phones import phone_digits
from hotline.customers.models import PhonebookEntry

MIN_PHONE_DIGITS = 3


def phonebook_entries(*, actor, q: str = "", shared: bool | None = None):
    """Entries ``actor`` may view: their own and the shared ones, optionally
    narrowed to a name, organisation or part of a number (3 digits or more)."""
    entries = PhonebookEntry.objects.restrict(actor, "view").filter(
        Q(owner_id=actor.pk) | Q(shared=True)
    )
    if shared is not None:
        entries = entries.filter(shared=shared)
    q = (q or "").strip()
    if q:
        condition = Q(name__icontains=q) | Q(organisation__icontains=q) | Q(title__icontains=q)
        digits = phone_digits(q)
        if len(digits) >= MIN_PHONE_DIGITS:
            # Numbers are kept in E.164: a trunk prefix 0 as typed is not stored.
            for part in {digits, digits.lstrip("0") or digits}:
                condition |= Q(phone__contains=part) | Q(mobile__contains=part)
        entries = entries.filter(condition)
    return entries.select_related("owner").order_by("name", "pk")
