"""Reads of customers, always within the reader's data scope (CUS-5)."""

import json
from datetime import date

from django.db.models import Q
from django.utils.translation import gettext as _

from hotline.core.exceptions import InvalidData
from hotline.core.models import CustomFieldType
from hotline.core.phones import phone_digits
from hotline.customers.models import Customer

MIN_PHONE_DIGITS = 3
PHONE_CHARACTERS = set("0123456789+-() ")
PLAIN_CRITERIA = {
    "q",
    "name",
    "phone",
    "kind",
    "level",
    "group",
    "tag",
    "source",
    "owner",
    "low_credit",
    "province",
    "city",
    "segment",
    "created_from",
    "created_to",
}


def customers_visible(actor):
    return Customer.objects.restrict(actor, "view").current()


def customer_get(*, actor, pk: int) -> Customer:
    """The customer if it is within the actor's scope, else Customer.DoesNotExist."""
    return customers_visible(actor).select_related("level", "group", "source", "owner").get(pk=pk)


def _quick(q: str) -> Q:
    q = q.strip()
    digits = phone_digits(q)
    if set(q) <= PHONE_CHARACTERS and len(digits) >= MIN_PHONE_DIGITS:
        return Q(phones__national__contains=digits) | Q(phones__number__contains=digits)
    return Q(name__icontains=q)


def _date(value, key: str) -> date:
    try:
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError as exc:
        raise InvalidData(
            _("%(key)s must be a date like 2026-01-31.") % {"key": key},
            details={key: [_("Not a date.")]},
        ) from exc


def _id(value, key: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise InvalidData(
            _("%(key)s must be a number.") % {"key": key}, details={key: [_("Not a number.")]}
        ) from exc


def _plain_condition(key: str, value) -> Q:
    lookups = {
        "q": lambda v: _quick(str(v)),
        "name": lambda v: Q(name__icontains=str(v).strip()),
        "phone": lambda v: (
            Q(phones__national__contains=phone_digits(v))
            | Q(phones__number__contains=phone_digits(v))
        ),
        "kind": lambda v: Q(kind=v),
        "level": lambda v: Q(level_id=_id(v, "level")),
        "group": lambda v: Q(group_id=_id(v, "group")),
        "tag": lambda v: Q(tags__name=v),
        "source": lambda v: Q(source_id=_id(v, "source")),
        "owner": lambda v: Q(owner_id=_id(v, "owner")),
        "low_credit": lambda v: Q(low_credit=str(v).lower() in {"1", "true", "yes", "on"}),
        "province": lambda v: (
            Q(addresses__province__icontains=v) | Q(phones__location__icontains=v)
        ),
        "city": lambda v: Q(addresses__city__icontains=v) | Q(phones__location__icontains=v),
        "segment": lambda v: Q(rfm_segment=v),
        "created_from": lambda v: Q(created_at__date__gte=_date(v, "created_from")),
        "created_to": lambda v: Q(created_at__date__lte=_date(v, "created_to")),
    }
    return lookups[key](value)


def _custom_condition(definition, value) -> Q:
    key = f"custom_fields__{definition.name}"
    kind = definition.field_type
    if kind == CustomFieldType.TEXT:
        return Q(**{f"{key}__icontains": str(value).strip()})
    if kind == CustomFieldType.MULTI_CHOICE:
        # The list as JSON text: SQLite keeps non-ASCII escaped (\uXXXX), PostgreSQL not.
        choice = definition.clean_value(value)[0]
        return Q(**{f"{key}__icontains": json.dumps(choice)}) | Q(
            **{f"{key}__icontains": json.dumps(choice, ensure_ascii=False)}
        )
    if kind in (CustomFieldType.NUMBER, CustomFieldType.DATE) and isinstance(value, dict):
        condition = Q()
        if value.get("min") not in (None, ""):
            condition &= Q(**{f"{key}__gte": definition.clean_value(value["min"])})
        if value.get("max") not in (None, ""):
            condition &= Q(**{f"{key}__lte": definition.clean_value(value["max"])})
        return condition
    return Q(**{key: definition.clean_value(value)})


def customer_search(*, actor, criteria: dict):
    """Customers matching every criterion: the plain ones above, and
    ``cf.<key>`` for custom fields marked searchable (text: contains; number
    and date: a value or {"min", "max"}; choices: equal / includes)."""
    from django.core.exceptions import ValidationError

    customers = customers_visible(actor)
    searchable = {d.name: d for d in Customer.custom_field_definitions().filter(searchable=True)}
    condition = Q()
    for key, value in criteria.items():
        if value in (None, "", [], {}):
            continue
        if key in PLAIN_CRITERIA:
            condition &= _plain_condition(key, value)
        elif key.startswith("cf.") and key[3:] in searchable:
            try:
                condition &= _custom_condition(searchable[key[3:]], value)
            except ValidationError as exc:
                raise InvalidData(" ".join(exc.messages), details={key: exc.messages}) from exc
        else:
            raise InvalidData(
                _("Cannot search by “%(key)s”.") % {"key": key},
                details={key: [_("Unknown criterion.")]},
            )
    return (
        customers.filter(condition)
        .distinct()
        .select_related("level", "owner")
        .prefetch_related("phones")
        .order_by("-id")
    )


def customer_quick_search(*, actor, q: str):
    """By any part of a phone number (3 digits or more) or of a name."""
    return customer_search(actor=actor, criteria={"q": q})
