"""The screen pop (CUS-4): everything an agent's desktop shows when a call
rings, in one call of one function and a handful of indexed queries.

Given the number as presented by the carrier (and the number the caller
dialled), it returns the caller's location and carrier, the blacklist status,
the matching customers within the agent's data scope (level, credit warning,
owner, tags, the custom fields flagged for the screen pop, companies or
contacts, points, value figures and the latest history) and, when no customer
matches, what the new-customer form is prefilled with.
"""

import re
from datetime import datetime

from django.urls import reverse

from hotline.core.permissions import require_perm
from hotline.core.phones import phone_digits, phone_info
from hotline.customers.models import Customer
from hotline.customers.panels import latest_history
from hotline.customers.selectors.blacklist import status_for_e164

# A shared number (a company switchboard) may belong to many customers: the
# pop shows the best few and says that there are more.
MAX_MATCHES = 5
MAX_LINKED = 50
HISTORY_LIMIT = 10
VIEW_CUSTOMER = "customers.view_customer"
# Only what the pop shows is loaded: the rows are read on every call.
LOADED_FIELDS = (
    "id",
    "name",
    "kind",
    "low_credit",
    "credit_note",
    "custom_fields",
    "points_balance",
    "purchase_count",
    "total_spend",
    "last_purchase_at",
    "rfm_segment",
    "level__code",
    "level__name",
    "level__name_en",
    "level__discount_percent",
    "owner__username",
    "owner__full_name",
    "owner__first_name",
    "owner__last_name",
)
MUNICIPALITIES = ("北京市", "上海市", "天津市", "重庆市")
# The number data names five autonomous regions by their short names.
PROVINCE_RE = re.compile(r"^(.+?(?:省|自治区|特别行政区)|广西|内蒙古|宁夏|新疆|西藏)(.*)$")


def location_split(location: str) -> tuple[str, str]:
    """广东省深圳市 → (广东省, 深圳市); 北京市 → (北京市, 北京市); a country
    name or an empty string gives no province."""
    location = (location or "").strip()
    for city in MUNICIPALITIES:
        if location.startswith(city):
            return city, city
    found = PROVINCE_RE.match(location)
    if found:
        return found.group(1), found.group(2)
    return "", ""


def number_describe(raw: str) -> tuple[dict, str | None]:
    """The number as the pop shows it, and its E.164 (None when not valid)."""
    info = phone_info(raw)
    if info is None:
        described = {
            "raw": str(raw or ""),
            "valid": False,
            "e164": "",
            "national": phone_digits(raw),
            "kind": "",
            "location": "",
            "carrier": "",
        }
        return described, None
    return {"raw": str(raw or ""), "valid": True, **info.as_dict()}, info.e164


def _unknown_blacklist() -> dict:
    return {"listed": False, "refused_now": False, "reports": 0, "reason": "", "windows": []}


def _blacklist(e164: str | None, at: datetime | None) -> dict:
    if e164 is None:
        return _unknown_blacklist()
    status = status_for_e164(e164, at)
    return {key: status[key] for key in ("listed", "refused_now", "reports", "reason", "windows")}


def _matches(visible, e164: str) -> list[Customer]:
    return list(
        visible.filter(phones__number=e164)
        .select_related("level", "owner")
        .only(*LOADED_FIELDS)
        .order_by("-phones__is_primary", "-id")[: MAX_MATCHES + 1]
    )


def _tags(customers: list[Customer]) -> dict[int, list[str]]:
    tags: dict[int, list[str]] = {c.pk: [] for c in customers}
    rows = (
        Customer.tags.through.objects.filter(customer_id__in=list(tags))
        .order_by("customertag__name")
        .values_list("customer_id", "customertag__name")
    )
    for customer_id, name in rows:
        tags[customer_id].append(name)
    return tags


def _links(visible, customers: list[Customer]) -> dict[int, list[dict]]:
    """For a person their companies, for a company its contacts, within scope."""
    person_ids = [c.pk for c in customers if c.kind == Customer.Kind.PERSON]
    company_ids = [c.pk for c in customers if c.kind == Customer.Kind.COMPANY]
    links: dict[int, list[dict]] = {c.pk: [] for c in customers}
    queries = []
    if person_ids:
        queries.append(
            visible.filter(contacts__in=person_ids).values_list("contacts", "id", "name", "kind")
        )
    if company_ids:
        queries.append(
            visible.filter(companies__in=company_ids).values_list("companies", "id", "name", "kind")
        )
    for query in queries:
        for owner_id, pk, name, kind in query.order_by("name", "id")[:MAX_LINKED]:
            links[owner_id].append({"id": pk, "name": name, "kind": kind})
    return links


def _screen_pop_fields(customers: list[Customer]) -> list:
    if not customers:
        return []
    return list(
        Customer.custom_field_definitions()
        .prefetch_related(None)
        .filter(show_in_screen_pop=True)
        .only("name", "label", "label_en")
        .order_by("position", "name")
    )


def _level(level) -> dict | None:
    if level is None:
        return None
    return {"code": level.code, "name": level.display_name, "discount": str(level.discount_percent)}


def _customer(customer: Customer, *, fields, links, tags, history) -> dict:
    return {
        "id": customer.pk,
        "url": reverse("customers:detail", args=[customer.pk]),
        "name": customer.name,
        "kind": customer.kind,
        "kind_display": str(customer.get_kind_display()),
        "level": _level(customer.level),
        "low_credit": customer.low_credit,
        "credit_note": customer.credit_note,
        "owner": customer.owner.display_name if customer.owner_id else "",
        "owner_id": customer.owner_id,
        "tags": tags,
        "fields": [
            {"key": f.name, "label": f.display_label, "value": customer.custom_fields.get(f.name)}
            for f in fields
        ],
        "companies": links if customer.kind == Customer.Kind.PERSON else [],
        "contacts": links if customer.kind == Customer.Kind.COMPANY else [],
        "points": customer.points_balance,
        "value": {
            "purchase_count": customer.purchase_count,
            "total_spend": str(customer.total_spend),
            "last_purchase_at": (
                customer.last_purchase_at.isoformat() if customer.last_purchase_at else None
            ),
            "segment": customer.rfm_segment,
            "segment_display": str(customer.get_rfm_segment_display()),
        },
        "history": [item.as_dict() for item in history],
    }


def _new_customer(number: dict, e164: str | None) -> dict:
    province, city = location_split(number["location"])
    return {"phones": [e164] if e164 else [], "province": province, "city": city}


def _require_view(actor) -> None:
    """customers.view_customer, read from the role scopes that the data scope
    loads anyway (one query fewer per call); require_perm words the refusal."""
    if not (actor is not None and actor.is_authenticated and actor.data_scope(VIEW_CUSTOMER)):
        require_perm(actor, VIEW_CUSTOMER)


def screen_pop(*, actor, number: str, dialled: str = "", at: datetime | None = None) -> dict:
    """What the desktop shows for a call from ``number`` to ``dialled``
    (NotAllowed without customers.view_customer). Customers outside the
    actor's data scope and merged customers are never returned."""
    _require_view(actor)
    caller, e164 = number_describe(number)
    result = {
        "number": caller,
        "dialled": number_describe(dialled)[0] if dialled else None,
        "blacklist": _blacklist(e164, at),
        "customers": [],
        "more_customers": False,
        "new_customer": None,
    }
    visible = Customer.objects.restrict(actor, "view").current()
    customers = _matches(visible, e164) if e164 else []
    result["more_customers"] = len(customers) > MAX_MATCHES
    customers = customers[:MAX_MATCHES]
    if not customers:
        result["new_customer"] = _new_customer(caller, e164)
        return result
    fields = _screen_pop_fields(customers)
    links = _links(visible, customers)
    tags = _tags(customers)
    result["customers"] = [
        _customer(
            customer,
            fields=fields,
            links=links[customer.pk],
            tags=tags[customer.pk],
            history=latest_history([customer.pk], actor, limit=HISTORY_LIMIT),
        )
        for customer in customers
    ]
    return result
