"""Reads of stock: levels, availability, the ledger, low stock and the
ledger check (level == sum of moves)."""

from django.db.models import F, Q, Sum

from hotline.inventory.models import (
    PurchaseOrder,
    StockLevel,
    StockMove,
    Stocktake,
    Supplier,
    Warehouse,
)


def stock_available(product, warehouse=None) -> int:
    """Units of ``product`` on hand in ``warehouse`` (all warehouses when None)."""
    levels = StockLevel.objects.filter(product=product)
    if warehouse is not None:
        levels = levels.filter(warehouse=warehouse)
    else:
        levels = levels.filter(warehouse__active=True)
    return levels.aggregate(total=Sum("quantity"))["total"] or 0


def stock_available_map(*, product_ids, warehouse=None) -> dict[int, int]:
    """Units on hand per product id, in one query."""
    levels = StockLevel.objects.filter(product_id__in=list(product_ids))
    if warehouse is not None:
        levels = levels.filter(warehouse=warehouse)
    else:
        levels = levels.filter(warehouse__active=True)
    rows = levels.values("product_id").annotate(total=Sum("quantity"))
    return {row["product_id"]: row["total"] or 0 for row in rows}


def warehouses_visible(actor):
    return Warehouse.objects.restrict(actor, "view")


def stock_levels(*, actor, warehouse=None, q: str = "", low_only: bool = False):
    levels = StockLevel.objects.restrict(actor, "view").select_related("product", "warehouse")
    if warehouse is not None:
        levels = levels.filter(warehouse=warehouse)
    if q and q.strip():
        q = q.strip()
        condition = Q(product__name__icontains=q) | Q(product__sku__icontains=q)
        if q.isascii() and q.isalnum():
            condition |= Q(product__name_initials__startswith=q.lower())
        levels = levels.filter(condition)
    if low_only:
        levels = levels.filter(reorder_level__gt=0, quantity__lte=F("reorder_level"))
    return levels.order_by("warehouse__code", "product__sku")


def low_stock(*, actor, warehouse=None):
    """Levels at or below their reorder level (INV-5)."""
    return stock_levels(actor=actor, warehouse=warehouse, low_only=True)


def stock_moves(*, actor, product=None, warehouse=None, reference: str = "", kind: str = ""):
    moves = StockMove.objects.restrict(actor, "view").select_related(
        "product", "warehouse", "created_by"
    )
    if product is not None:
        moves = moves.filter(product=product)
    if warehouse is not None:
        moves = moves.filter(warehouse=warehouse)
    if reference:
        moves = moves.filter(reference=reference)
    if kind:
        moves = moves.filter(kind=kind)
    return moves


def suppliers_visible(actor):
    return Supplier.objects.restrict(actor, "view")


def purchase_orders_visible(actor):
    return PurchaseOrder.objects.restrict(actor, "view").select_related("supplier", "warehouse")


def stocktakes_visible(actor):
    return Stocktake.objects.restrict(actor, "view").select_related("warehouse", "created_by")


def stock_ledger_mismatches() -> list[dict]:
    """Every (product, warehouse) whose level differs from the sum of its
    moves; empty when the ledger is consistent."""
    sums = {
        (row["product_id"], row["warehouse_id"]): row["total"]
        for row in StockMove.objects.values("product_id", "warehouse_id").annotate(
            total=Sum("quantity")
        )
    }
    levels = {
        (row["product_id"], row["warehouse_id"]): row["quantity"]
        for row in StockLevel.objects.values("product_id", "warehouse_id", "quantity")
    }
    return [
        {
            "product_id": p,
            "warehouse_id": w,
            "level": levels.get((p, w), 0),
            "moves": sums.get((p, w), 0),
        }
        for p, w in sorted(set(sums) | set(levels))
        if levels.get((p, w), 0) != sums.get((p, w), 0)
    ]
