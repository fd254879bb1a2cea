"""/api/customers/levels and /api/customers/{id}/points: member levels and
the points ledger (MEM-1..3)."""

from datetime import datetime
from decimal import Decimal

from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from pydantic import ConfigDict

from hotline.core.permissions import require_perm
from hotline.customers.models import Customer, MemberLevel, PointsEntry
from hotline.customers.selectors.customers import customer_get
from hotline.customers.services import membership

router = Router()


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class LevelOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    rank: int
    min_spend: Decimal | None
    discount_percent: Decimal
    queue_priority: int


class LevelIn(Strict):
    code: str
    name: str
    name_en: str = ""
    rank: int = 0
    min_spend: Decimal | None = None
    discount_percent: Decimal = Decimal(0)
    queue_priority: int = 0


class LevelPatch(Strict):
    code: str | None = None
    name: str | None = None
    name_en: str | None = None
    rank: int | None = None
    min_spend: Decimal | None = None
    discount_percent: Decimal | None = None
    queue_priority: int | None = None


class PointsEntryOut(Schema):
    id: int
    kind: str
    delta: int
    balance_after: int
    reason: str
    reference: str
    at: datetime
    created_by_id: int | None


class PointsOut(Schema):
    customer_id: int
    balance: int
    entries: list[PointsEntryOut]


class PointsIn(Strict):
    delta: int
    reason: str


def _levels(request):
    return MemberLevel.objects.restrict(request.user, "view")


def _customer(request, customer_id: int) -> Customer:
    try:
        return customer_get(actor=request.user, pk=customer_id)
    except Customer.DoesNotExist:
        raise Http404 from None


@router.get("/levels", response=list[LevelOut], summary="Member levels")
def level_list(request):
    require_perm(request.user, "customers.view_memberlevel")
    return list(_levels(request))


@router.post("/levels", response={201: LevelOut})
def level_create(request, payload: LevelIn):
    return Status(201, membership.member_level_save(actor=request.user, **payload.dict()))


@router.patch("/levels/{int:level_id}", response=LevelOut)
def level_update(request, level_id: int, payload: LevelPatch):
    level = get_object_or_404(_levels(request), pk=level_id)
    return membership.member_level_save(
        actor=request.user, level=level, **payload.dict(exclude_unset=True)
    )


def _points(request, customer: Customer) -> dict:
    require_perm(request.user, "customers.view_pointsentry")
    entries = PointsEntry.objects.restrict(request.user, "view").filter(customer=customer)[:200]
    return {
        "customer_id": customer.pk,
        "balance": customer.points_balance,
        "entries": list(entries),
    }


@router.get("/{int:customer_id}/points", response=PointsOut, summary="Points balance and ledger")
def points_read(request, customer_id: int):
    return _points(request, _customer(request, customer_id))


@router.post("/{int:customer_id}/points", response={201: PointsOut}, summary="Adjust points")
def points_adjust(request, customer_id: int, payload: PointsIn):
    customer = _customer(request, customer_id)
    membership.points_adjust(actor=request.user, customer=customer, **payload.dict())
    return Status(201, _points(request, _customer(request, customer_id)))
