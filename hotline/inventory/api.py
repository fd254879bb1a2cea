"""/api/inventory/: warehouses, stock levels, the ledger, stock moves
(receive, issue, transfer) and purchase orders with receiving."""

from datetime import date, datetime
from decimal import Decimal

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from pydantic import ConfigDict

from hotline.catalog.models import Product
from hotline.core.permissions import require_perm
from hotline.inventory import selectors
from hotline.inventory.models import StockMove
from hotline.inventory.services import purchasing, stock

router = Router(tags=["inventory"])


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class WarehouseOut(Schema):
    id: int
    code: str
    name: str
    address: str
    active: bool


class LevelOut(Schema):
    product_id: int
    sku: str
    product: str
    warehouse_id: int
    warehouse: str
    quantity: int
    reorder_level: int
    low: bool


class MoveOut(Schema):
    id: int
    kind: str
    product_id: int
    warehouse_id: int
    quantity: int
    balance_after: int
    reference: str
    note: str
    created_by_id: int | None
    at: datetime


class ReceiveIn(Strict):
    product_id: int
    warehouse_id: int
    quantity: int
    reference: str = ""
    note: str = ""
    kind: str = StockMove.Kind.PURCHASE_IN


class IssueIn(Strict):
    product_id: int
    warehouse_id: int
    quantity: int
    reference: str = ""
    note: str = ""
    kind: str = StockMove.Kind.SALE_OUT


class TransferIn(Strict):
    product_id: int
    from_warehouse_id: int
    to_warehouse_id: int
    quantity: int
    reference: str = ""
    note: str = ""


class POLineIn(Strict):
    product_id: int
    quantity: int
    unit_cost: Decimal = Decimal(0)


class POIn(Strict):
    supplier_id: int
    warehouse_id: int
    lines: list[POLineIn]
    note: str = ""
    expected_on: date | None = None


class POLineOut(Schema):
    id: int
    product_id: int
    quantity: int
    unit_cost: Decimal
    received_quantity: int


class POOut(Schema):
    id: int
    number: str
    supplier_id: int
    warehouse_id: int
    status: str
    note: str
    expected_on: date | None
    ordered_at: datetime | None
    lines: list[POLineOut]


class ReceiveLinesIn(Strict):
    quantities: dict[int, int]
    note: str = ""


class CancelIn(Strict):
    reason: str = ""


def _warehouse(request, pk: int):
    return get_object_or_404(selectors.warehouses_visible(request.user), pk=pk)


def _product(request, pk: int):
    return get_object_or_404(Product.objects.restrict(request.user, "view"), pk=pk)


def _order(request, pk: int):
    return get_object_or_404(selectors.purchase_orders_visible(request.user), pk=pk)


def _po_out(order) -> dict:
    return {
        **{f: getattr(order, f) for f in ("id", "number", "status", "note", "expected_on")},
        "supplier_id": order.supplier_id,
        "warehouse_id": order.warehouse_id,
        "ordered_at": order.ordered_at,
        "lines": list(order.lines.all()),
    }


@router.get("/warehouses", response=list[WarehouseOut])
def warehouse_list(request):
    require_perm(request.user, "inventory.view_warehouse")
    return list(selectors.warehouses_visible(request.user))


@router.get("/levels", response=list[LevelOut], summary="Stock levels")
def level_list(request, warehouse_id: int | None = None, q: str = "", low: bool = False):
    require_perm(request.user, "inventory.view_stocklevel")
    warehouse = _warehouse(request, warehouse_id) if warehouse_id else None
    levels = selectors.stock_levels(actor=request.user, warehouse=warehouse, q=q, low_only=low)
    return [
        {
            "product_id": lv.product_id,
            "sku": lv.product.sku,
            "product": lv.product.name,
            "warehouse_id": lv.warehouse_id,
            "warehouse": lv.warehouse.name,
            "quantity": lv.quantity,
            "reorder_level": lv.reorder_level,
            "low": lv.is_low,
        }
        for lv in levels[:1000]
    ]


@router.get("/moves", response=list[MoveOut], summary="The stock ledger")
def move_list(
    request,
    product_id: int | None = None,
    warehouse_id: int | None = None,
    reference: str = "",
    kind: str = "",
):
    require_perm(request.user, "inventory.view_stockmove")
    moves = selectors.stock_moves(
        actor=request.user,
        product=_product(request, product_id) if product_id else None,
        warehouse=_warehouse(request, warehouse_id) if warehouse_id else None,
        reference=reference,
        kind=kind,
    )
    return list(moves[:500])


@router.post("/moves/receive", response={201: MoveOut})
def move_receive(request, payload: ReceiveIn):
    return Status(
        201,
        stock.stock_receive(
            actor=request.user,
            product=_product(request, payload.product_id),
            warehouse=_warehouse(request, payload.warehouse_id),
            quantity=payload.quantity,
            reference=payload.reference,
            note=payload.note,
            kind=payload.kind,
        ),
    )


@router.post("/moves/issue", response={201: MoveOut})
def move_issue(request, payload: IssueIn):
    return Status(
        201,
        stock.stock_issue(
            actor=request.user,
            product=_product(request, payload.product_id),
            warehouse=_warehouse(request, payload.warehouse_id),
            quantity=payload.quantity,
            reference=payload.reference,
            note=payload.note,
            kind=payload.kind,
        ),
    )


@router.post("/moves/transfer", response={201: list[MoveOut]})
def move_transfer(request, payload: TransferIn):
    moves = stock.stock_transfer(
        actor=request.user,
        product=_product(request, payload.product_id),
        from_warehouse=_warehouse(request, payload.from_warehouse_id),
        to_warehouse=_warehouse(request, payload.to_warehouse_id),
        quantity=payload.quantity,
        reference=payload.reference,
        note=payload.note,
    )
    return Status(201, list(moves))


@router.get("/purchase-orders", response=list[POOut])
def po_list(request, status: str = ""):
    require_perm(request.user, "inventory.view_purchaseorder")
    orders = selectors.purchase_orders_visible(request.user).prefetch_related("lines")
    if status:
        orders = orders.filter(status=status)
    return [_po_out(order) for order in orders[:200]]


@router.get("/purchase-orders/{int:order_id}", response=POOut)
def po_read(request, order_id: int):
    return _po_out(_order(request, order_id))


@router.post("/purchase-orders", response={201: POOut})
def po_create(request, payload: POIn):
    from hotline.inventory.models import Supplier

    supplier = get_object_or_404(
        Supplier.objects.restrict(request.user, "view"), pk=payload.supplier_id
    )
    order = purchasing.purchase_order_create(
        actor=request.user,
        supplier=supplier,
        warehouse=_warehouse(request, payload.warehouse_id),
        lines=[
            (_product(request, ln.product_id), ln.quantity, ln.unit_cost) for ln in payload.lines
        ],
        note=payload.note,
        expected_on=payload.expected_on,
    )
    return Status(201, _po_out(order))


@router.post("/purchase-orders/{int:order_id}/place", response=POOut)
def po_place(request, order_id: int):
    order = purchasing.purchase_order_place(actor=request.user, order=_order(request, order_id))
    return _po_out(order)


@router.post("/purchase-orders/{int:order_id}/cancel", response=POOut)
def po_cancel(request, order_id: int, payload: CancelIn):
    order = purchasing.purchase_order_cancel(
        actor=request.user, order=_order(request, order_id), reason=payload.reason
    )
    return _po_out(order)


@router.post("/purchase-orders/{int:order_id}/receive", response={201: list[MoveOut]})
def po_receive(request, order_id: int, payload: ReceiveLinesIn):
    moves = purchasing.purchase_order_receive(
        actor=request.user,
        order=_order(request, order_id),
        quantities=payload.quantities,
        note=payload.note,
    )
    return Status(201, moves)
