"""/api/customers/: search, create, read and change customers, their phones
and contact records, merge, and saved searches. A customer outside the
caller's data scope is 404 everywhere."""

from datetime import date, datetime
from decimal import Decimal

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from hotline.accounts.models import User
from hotline.core.exceptions import InvalidData
from hotline.customers.models import (
    AdSource,
    ContactRecord,
    Customer,
    CustomerGroup,
    MemberLevel,
    SavedSearch,
)
from hotline.customers.selectors.customers import customer_get, customer_search
from hotline.customers.selectors.searches import saved_searches_visible
from hotline.customers.services import customers as services
from hotline.customers.services.merge import customer_merge
from hotline.customers.services.searches import saved_search_delete, saved_search_save

router = Router()
MAX_LIMIT = 200
RANGE_SUFFIXES = (".min", ".max")


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class PhoneOut(Schema):
    id: int
    number: str
    national: str
    kind: str
    location: str
    carrier: str
    label: str
    is_primary: bool


class AddressIn(Strict):
    recipient: str = ""
    phone: str = ""
    province: str = ""
    city: str = ""
    district: str = ""
    detail: str
    postcode: str = ""
    is_default: bool = False


class AddressOut(Schema):
    id: int
    recipient: str
    phone: str
    province: str
    city: str
    district: str
    detail: str
    postcode: str
    is_default: bool


class Ref(Schema):
    id: int
    name: str


class CustomerRow(Schema):
    id: int
    name: str
    kind: str
    phones: list[PhoneOut]
    level: Ref | None
    owner: Ref | None
    low_credit: bool

    @staticmethod
    def resolve_phones(obj):
        return list(obj.phones.all())

    @staticmethod
    def resolve_level(obj):
        return {"id": obj.level_id, "name": obj.level.display_name} if obj.level_id else None

    @staticmethod
    def resolve_owner(obj):
        return {"id": obj.owner_id, "name": obj.owner.display_name} if obj.owner_id else None


class CustomerPage(Schema):
    count: int
    limit: int
    offset: int
    results: list[CustomerRow]


class ValueOut(Schema):
    purchase_count: int
    total_spend: Decimal
    last_purchase_at: datetime | None
    segment: str
    segment_label: str


class CustomerOut(CustomerRow):
    gender: str
    birthday: date | None
    email: str
    group_id: int | None
    source_id: int | None
    tags: list[str]
    credit_note: str
    notes: str
    addresses: list[AddressOut]
    custom_fields: dict
    companies: list[Ref]
    contacts: list[Ref]
    value: ValueOut
    points: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_tags(obj):
        return [tag.name for tag in obj.tags.all()]

    @staticmethod
    def resolve_addresses(obj):
        return list(obj.addresses.all())

    @staticmethod
    def resolve_companies(obj):
        return list(obj.companies.filter(merged_into__isnull=True))

    @staticmethod
    def resolve_contacts(obj):
        return list(obj.contacts.filter(merged_into__isnull=True))

    @staticmethod
    def resolve_value(obj):
        return {
            "purchase_count": obj.purchase_count,
            "total_spend": obj.total_spend,
            "last_purchase_at": obj.last_purchase_at,
            "segment": obj.rfm_segment,
            "segment_label": str(obj.get_rfm_segment_display()),
        }

    @staticmethod
    def resolve_points(obj):
        return obj.points_balance


class CustomerFields(Strict):
    kind: str | None = None
    gender: str | None = None
    birthday: date | None = None
    email: str | None = None
    level_id: int | None = None
    group_id: int | None = None
    source_id: int | None = None
    owner_id: int | None = None
    low_credit: bool | None = None
    credit_note: str | None = None
    notes: str | None = None
    tags: list[str] | None = None
    custom_fields: dict | None = None


class CustomerIn(CustomerFields):
    name: str
    phones: list[str] = Field(default_factory=list)
    addresses: list[AddressIn] = Field(default_factory=list)


class CustomerPatch(CustomerFields):
    name: str | None = None


class PhoneIn(Strict):
    number: str
    label: str = ""
    is_primary: bool = False


class ContactIn(Strict):
    channel: str
    summary: str
    at: datetime | None = None


class ContactOut(Schema):
    id: int
    customer_id: int
    channel: str
    summary: str
    at: datetime
    created_by_id: int | None


class MergeIn(Strict):
    merged_id: int


class SavedSearchIn(Strict):
    name: str
    query: dict
    shared: bool = False
    is_care_list: bool = False
    suggested_action: str = ""


class SavedSearchPatch(Strict):
    name: str | None = None
    query: dict | None = None
    shared: bool | None = None
    is_care_list: bool | None = None
    suggested_action: str | None = None


class SavedSearchOut(Schema):
    id: int
    name: str
    query: dict
    shared: bool
    is_care_list: bool
    suggested_action: str
    owner_id: int
    mine: bool = False


# --- helpers ----------------------------------------------------------------

RELATED = {
    "level_id": ("level", MemberLevel),
    "group_id": ("group", CustomerGroup),
    "source_id": ("source", AdSource),
    "owner_id": ("owner", User),
}


def _customer(request, customer_id: int) -> Customer:
    try:
        return customer_get(actor=request.user, pk=customer_id)
    except Customer.DoesNotExist:
        raise Http404 from None


def _fields(request, payload: CustomerFields, *, exclude_unset: bool) -> dict:
    """Service keyword arguments from the payload: related ids to records,
    tag names to tags; unknown ids refused with the field named."""
    fields = payload.dict(exclude_unset=exclude_unset)
    if not exclude_unset:
        fields = {k: v for k, v in fields.items() if v is not None}
    for key, (name, model) in RELATED.items():
        if key in fields:
            pk = fields.pop(key)
            found = model.objects.filter(pk=pk).first() if pk is not None else None
            if pk is not None and found is None:
                raise InvalidData(
                    _("Not found: %(key)s") % {"key": key}, details={key: [_("Not found.")]}
                )
            fields[name] = found
    if fields.get("tags") is not None:
        fields["tags"] = services.customer_tags_resolve(
            actor=request.user, names=[n.strip() for n in fields["tags"] if n.strip()]
        )
    return fields


def criteria_from_query(params) -> dict:
    """Search criteria from query parameters: the plain ones, ``cf.<key>``
    and ``cf.<key>.min`` / ``cf.<key>.max``; ``limit`` and ``offset`` aside."""
    criteria: dict = {}
    for key in params:
        if key in ("limit", "offset"):
            continue
        value = params.get(key, "").strip()
        if not value:
            continue
        if key.startswith("cf.") and key.endswith(RANGE_SUFFIXES):
            criteria.setdefault(key[:-4], {})[key[-3:]] = value
        else:
            criteria[key] = value
    return criteria


def _number(value: str, name: str, default: int) -> int:
    try:
        return max(int(value), 0) if value not in (None, "") else default
    except ValueError as exc:
        raise InvalidData(
            _("%(key)s must be a number.") % {"key": name}, details={name: [_("Not a number.")]}
        ) from exc


# --- saved searches (literal paths before /{int:customer_id}) --------------------


def _with_mine(request, search):
    search.mine = search.owner_id == request.user.pk
    return search


@router.get("/saved-searches", response=list[SavedSearchOut], summary="Your and shared searches")
def saved_search_list(request, care_lists: bool = False):
    searches = saved_searches_visible(request.user, care_lists_only=care_lists)
    return [_with_mine(request, search) for search in searches]


@router.post("/saved-searches", response={201: SavedSearchOut})
def saved_search_create(request, payload: SavedSearchIn):
    search = saved_search_save(actor=request.user, **payload.dict())
    return Status(201, _with_mine(request, search))


@router.get("/saved-searches/{int:search_id}", response=SavedSearchOut)
def saved_search_read(request, search_id: int):
    return _with_mine(
        request, get_object_or_404(saved_searches_visible(request.user), pk=search_id)
    )


@router.patch("/saved-searches/{int:search_id}", response=SavedSearchOut)
def saved_search_update(request, search_id: int, payload: SavedSearchPatch):
    search = get_object_or_404(saved_searches_visible(request.user), pk=search_id)
    current = {
        "name": search.name,
        "query": search.query,
        "shared": search.shared,
        "is_care_list": search.is_care_list,
        "suggested_action": search.suggested_action,
    }
    current.update(payload.dict(exclude_unset=True))
    return _with_mine(request, saved_search_save(actor=request.user, search=search, **current))


@router.delete("/saved-searches/{int:search_id}", response={204: None})
def saved_search_remove(request, search_id: int):
    search = get_object_or_404(saved_searches_visible(request.user), pk=search_id)
    saved_search_delete(actor=request.user, search=search)
    return Status(204, None)


@router.get("/saved-searches/{int:search_id}/customers", response=CustomerPage)
def saved_search_run(request, search_id: int, limit: int = 50, offset: int = 0):
    search: SavedSearch = get_object_or_404(saved_searches_visible(request.user), pk=search_id)
    return _page(customer_search(actor=request.user, criteria=search.query), limit, offset)


# --- customers ----------------------------------------------------------------


def _page(customers, limit: int, offset: int) -> dict:
    limit = min(max(limit, 1), MAX_LIMIT)
    return {
        "count": customers.count(),
        "limit": limit,
        "offset": offset,
        "results": list(customers[offset : offset + limit]),
    }


@router.get(
    "",
    response=CustomerPage,
    summary="Search customers",
    description=(
        "Query parameters are criteria: q (part of a phone, 3 digits or more, or of a name), "
        "name, phone, kind, level, group, tag, source, owner, low_credit, province, city, "
        "segment, created_from, created_to, cf.<key> and cf.<key>.min / cf.<key>.max for "
        "searchable custom fields; limit (at most 200) and offset page the results."
    ),
)
def customer_list(request):
    limit = _number(request.GET.get("limit"), "limit", 50)
    offset = _number(request.GET.get("offset"), "offset", 0)
    customers = customer_search(actor=request.user, criteria=criteria_from_query(request.GET))
    return _page(customers, limit, offset)


@router.post("", response={201: CustomerOut})
def customer_create(request, payload: CustomerIn):
    fields = _fields(request, payload, exclude_unset=False)
    fields["addresses"] = [address.dict() for address in payload.addresses]
    fields["tags"] = fields.get("tags") or ()
    customer = services.customer_create(actor=request.user, **fields)
    return Status(201, _customer(request, customer.pk))


@router.get("/{int:customer_id}", response=CustomerOut)
def customer_read(request, customer_id: int):
    return _customer(request, customer_id)


@router.patch("/{int:customer_id}", response=CustomerOut)
def customer_update(request, customer_id: int, payload: CustomerPatch):
    customer = _customer(request, customer_id)
    services.customer_update(
        actor=request.user, customer=customer, **_fields(request, payload, exclude_unset=True)
    )
    return _customer(request, customer_id)


@router.post("/{int:customer_id}/phones", response={201: PhoneOut})
def phone_add(request, customer_id: int, payload: PhoneIn):
    customer = _customer(request, customer_id)
    phone = services.customer_phone_add(actor=request.user, customer=customer, **payload.dict())
    return Status(201, phone)


@router.delete("/{int:customer_id}/phones/{int:phone_id}", response={204: None})
def phone_remove(request, customer_id: int, phone_id: int):
    customer = _customer(request, customer_id)
    phone = get_object_or_404(customer.phones, pk=phone_id)
    services.customer_phone_remove(actor=request.user, phone=phone)
    return Status(204, None)


@router.get("/{int:customer_id}/contacts", response=list[ContactOut])
def contact_list(request, customer_id: int):
    customer = _customer(request, customer_id)
    return list(
        ContactRecord.objects.restrict(request.user, "view").filter(customer=customer)[:200]
    )


@router.post("/{int:customer_id}/contacts", response={201: ContactOut})
def contact_add(request, customer_id: int, payload: ContactIn):
    customer = _customer(request, customer_id)
    record = services.contact_record_add(actor=request.user, customer=customer, **payload.dict())
    return Status(201, record)


@router.post(
    "/{int:customer_id}/merge", response=CustomerOut, summary="Merge merged_id into this one"
)
def merge(request, customer_id: int, payload: MergeIn):
    survivor = _customer(request, customer_id)
    merged = _customer(request, payload.merged_id)
    customer_merge(actor=request.user, survivor=survivor, merged=merged)
    return _customer(request, customer_id)
