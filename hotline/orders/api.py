"""/api/orders/: take an order, list and read orders, the review actions
(approve, void, batch approve) and lookup by number or phone (ORD-8)."""

from datetime import date, datetime
from decimal import Decimal

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from pydantic import ConfigDict

from hotline.customers.models import Customer
from hotline.inventory.models import Warehouse
from hotline.orders import selectors
from hotline.orders.services import entry, review

router = Router(tags=["orders"])


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class LineIn(Strict):
    product_id: int | None = None
    bundle_id: int | None = None
    quantity: int


class OrderIn(Strict):
    customer_id: int
    lines: list[LineIn]
    delivery_method: str = "courier"
    payment_method: str = "cod"
    address_id: int | None = None
    recipient: str = ""
    phone: str = ""
    province: str = ""
    city: str = ""
    district: str = ""
    address_detail: str = ""
    ad_source_id: int | None = None
    programme: str = ""
    ad_slot: str = ""
    invoice: bool = False
    invoice_title: str = ""
    urgent: bool = False
    warehouse_id: int | None = None
    discount: Decimal = Decimal(0)
    shipping_fee: Decimal = Decimal(0)
    note: str = ""
    call_id: str | None = None


class VoidIn(Strict):
    reason: str


class BatchIn(Strict):
    ids: list[int]


class LineOut(Schema):
    id: int
    product_id: int | None
    bundle_id: int | None
    sku: str
    name: str
    quantity: int
    unit_list_price: Decimal
    unit_price: Decimal
    price_source: str
    line_total: Decimal


class TransitionOut(Schema):
    from_status: str
    to_status: str
    by_id: int | None
    at: datetime
    reason: str


class OrderOut(Schema):
    id: int
    number: str
    status: str
    status_display: str
    customer_id: int
    owner_id: int | None
    delivery_method: str
    payment_method: str
    recipient: str
    phone: str
    province: str
    city: str
    district: str
    address_detail: str
    ad_source_id: int | None
    programme: str
    ad_slot: str
    invoice: bool
    invoice_title: str
    urgent: bool
    low_credit: bool
    warnings: list[str]
    items_total: Decimal
    discount: Decimal
    shipping_fee: Decimal
    total: Decimal
    warehouse_id: int | None
    call_id: str | None
    note: str
    created_at: datetime
    lines: list[LineOut]
    history: list[TransitionOut]

    @staticmethod
    def resolve_status_display(obj):
        return str(obj.get_status_display())

    @staticmethod
    def resolve_warnings(obj):
        return obj.warning_messages()

    @staticmethod
    def resolve_lines(obj):
        return list(obj.lines.all())

    @staticmethod
    def resolve_history(obj):
        return list(obj.transitions.all())


class OrderBrief(Schema):
    id: int
    number: str
    status: str
    customer_id: int
    owner_id: int | None
    total: Decimal
    urgent: bool
    created_at: datetime


class BatchOut(Schema):
    approved: int


def _order(request, pk: int):
    return get_object_or_404(selectors.with_details(selectors.orders_visible(request.auth)), pk=pk)


def _fresh(request, order):
    return selectors.order_detail(actor=request.auth, pk=order.pk)


@router.post("/", response={201: OrderOut})
def order_create(request, payload: OrderIn):
    actor = request.auth
    customer = get_object_or_404(Customer.objects.restrict(actor, "view"), pk=payload.customer_id)
    warehouse = None
    if payload.warehouse_id is not None:
        warehouse = get_object_or_404(
            Warehouse.objects.restrict(actor, "view"), pk=payload.warehouse_id
        )
    data = payload.model_dump(exclude={"customer_id", "lines", "address_id", "ad_source_id"})
    data.pop("warehouse_id")
    order = entry.order_create(
        actor=actor,
        customer=customer,
        lines=[line.model_dump(exclude_none=True) for line in payload.lines],
        address=payload.address_id,
        ad_source=payload.ad_source_id,
        warehouse=warehouse,
        **data,
    )
    return Status(201, _fresh(request, order))


@router.get("/", response=list[OrderBrief])
def order_list(
    request,
    status: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    owner_id: int | None = None,
    q: str = "",
    limit: int = 100,
    offset: int = 0,
):
    orders = selectors.order_list(
        actor=request.auth,
        status=status,
        date_from=date_from,
        date_to=date_to,
        owner_id=owner_id,
        q=q,
    )
    limit = max(1, min(limit, 500))
    return list(orders[offset : offset + limit])


@router.get("/lookup", response=list[OrderOut])
def order_lookup(request, number: str = "", phone: str = ""):
    return selectors.order_lookup(actor=request.auth, number=number, phone=phone)


@router.get("/review-queue", response=list[OrderBrief])
def review_queue(request, limit: int = 100, offset: int = 0):
    limit = max(1, min(limit, 500))
    return list(selectors.review_queue(actor=request.auth)[offset : offset + limit])


@router.post("/batch-approve", response=BatchOut)
def order_batch_approve(request, payload: BatchIn):
    return {"approved": review.orders_batch_approve(actor=request.auth, ids=payload.ids)}


@router.get("/{int:order_id}", response=OrderOut)
def order_get(request, order_id: int):
    selectors.require_perm(request.auth, selectors.VIEW_ORDER)
    return _order(request, order_id)


@router.post("/{int:order_id}/approve", response=OrderOut)
def order_approve(request, order_id: int):
    order = _order(request, order_id)
    review.order_approve(actor=request.auth, order=order)
    return _fresh(request, order)


@router.post("/{int:order_id}/void", response=OrderOut)
def order_void(request, order_id: int, payload: VoidIn):
    order = _order(request, order_id)
    review.order_void(actor=request.auth, order=order, reason=payload.reason)
    return _fresh(request, order)
