"""The stock ledger (INV-2). Every change of stock goes through ``_post``:
it locks the level row (``select_for_update`` on PostgreSQL; SQLite takes the
write lock at BEGIN IMMEDIATE), refuses to go below zero, writes the move and
the new level in the same transaction and announces low stock after commit.

Interface for orders (ORD-5, ORD-7)::

    stock_issue(product=p, warehouse=w, quantity=2, reference="SO20260101-0001", by=user)
    stock_issue_lines(warehouse=w, lines=[(p, 2), (q, 1)], reference=..., by=user)
    stock_return(product=p, warehouse=w, quantity=1, reference=..., by=user)

``actor`` is a person acting directly (their ``inventory.add_stockmove`` is
checked); ``by`` only records who, for callers that checked their own rules.
An out-of-stock refusal is ``Conflict`` with code ``out_of_stock`` and changes
nothing.
"""

import uuid

from django.db import transaction
from django.utils.translation import gettext as _

from hotline.core.events import publish
from hotline.core.exceptions import Conflict, InvalidData
from hotline.core.permissions import require_perm
from hotline.inventory.events import StockLow
from hotline.inventory.models import StockLevel, StockMove, Warehouse

Kind = StockMove.Kind
MOVE_PERMISSION = "inventory.add_stockmove"
ISSUE_KINDS = {Kind.SALE_OUT, Kind.RETURN_TO_SUPPLIER}
RECEIVE_KINDS = {Kind.PURCHASE_IN, Kind.AFTER_SALES_IN}


def _check_actor(actor) -> None:
    if actor is not None:
        require_perm(actor, MOVE_PERMISSION)


def _positive(quantity) -> int:
    try:
        value = int(quantity)
    except (TypeError, ValueError):
        value = 0
    if value < 1 or value != quantity:
        raise InvalidData(
            _("The quantity must be a whole number of at least 1."),
            details={"quantity": [_("At least 1.")]},
        )
    return value


def _usable(warehouse: Warehouse) -> None:
    if not warehouse.active:
        raise Conflict(
            _("The warehouse “%(warehouse)s” is closed.") % {"warehouse": warehouse},
            details={"warehouse": [_("Closed.")]},
        )


def lock_level(product, warehouse) -> StockLevel:
    """The level row of ``product`` in ``warehouse``, locked until commit."""
    level, _created = StockLevel.objects.select_for_update().get_or_create(
        product_id=product.pk, warehouse_id=warehouse.pk
    )
    return level


def out_of_stock(product, warehouse, available: int, requested: int) -> Conflict:
    return Conflict(
        _("Out of stock: %(product)s has %(available)d in %(warehouse)s (%(requested)d wanted).")
        % {
            "product": product,
            "available": available,
            "warehouse": warehouse,
            "requested": requested,
        },
        code="out_of_stock",
        details={
            "out_of_stock": {
                "product_id": product.pk,
                "warehouse_id": warehouse.pk,
                "available": available,
                "requested": requested,
            }
        },
    )


def _post(*, level, product, warehouse, kind, quantity: int, reference="", note="", by=None):
    """Apply a signed ``quantity`` to the locked ``level`` and write the move."""
    before = level.quantity
    after = before + quantity
    if after < 0:
        raise out_of_stock(product, warehouse, before, -quantity)
    level.quantity = after
    level.save(update_fields=["quantity", "updated_at"])
    move = StockMove.objects.create(
        kind=kind,
        product_id=product.pk,
        warehouse_id=warehouse.pk,
        quantity=quantity,
        balance_after=after,
        reference=(reference or "")[:100],
        note=(note or "")[:300],
        created_by=by,
    )
    if level.reorder_level and after <= level.reorder_level < before:
        publish(
            StockLow(
                product_id=product.pk,
                sku=product.sku,
                name=product.name,
                warehouse_id=warehouse.pk,
                warehouse=warehouse.name,
                quantity=after,
                reorder_level=level.reorder_level,
            )
        )
    return move


def post_lines(*, warehouse, lines, kind, reference="", note="", by=None) -> list[StockMove]:
    """Post (product, signed quantity) lines in one warehouse, locking the
    levels in product order so that concurrent posts cannot deadlock."""
    moves = []
    for product, quantity in sorted(lines, key=lambda line: line[0].pk):
        level = lock_level(product, warehouse)
        moves.append(
            _post(
                level=level,
                product=product,
                warehouse=warehouse,
                kind=kind,
                quantity=quantity,
                reference=reference,
                note=note,
                by=by,
            )
        )
    return moves


@transaction.atomic
def stock_receive(
    *,
    product,
    warehouse,
    quantity,
    reference="",
    note="",
    kind=Kind.PURCHASE_IN,
    actor=None,
    by=None,
) -> StockMove:
    """Goods in (purchase-in by default)."""
    _check_actor(actor)
    if kind not in RECEIVE_KINDS:
        raise InvalidData(_("Not a kind of receipt: %s") % kind)
    _usable(warehouse)
    (move,) = post_lines(
        warehouse=warehouse,
        lines=[(product, _positive(quantity))],
        kind=kind,
        reference=reference,
        note=note,
        by=actor or by,
    )
    return move


@transaction.atomic
def stock_return(*, product, warehouse, quantity, reference="", note="", actor=None, by=None):
    """Goods back from a customer (after-sales-in, ORD-7)."""
    return stock_receive(
        product=product,
        warehouse=warehouse,
        quantity=quantity,
        reference=reference,
        note=note,
        kind=Kind.AFTER_SALES_IN,
        actor=actor,
        by=by,
    )


@transaction.atomic
def stock_issue(
    *, product, warehouse, quantity, reference, kind=Kind.SALE_OUT, note="", actor=None, by=None
) -> StockMove:
    """Goods out (sale-out by default, or return-to-supplier). Refuses with
    ``Conflict`` (code ``out_of_stock``) when the warehouse has too few."""
    (move,) = stock_issue_lines(
        warehouse=warehouse,
        lines=[(product, quantity)],
        reference=reference,
        kind=kind,
        note=note,
        actor=actor,
        by=by,
    )
    return move


@transaction.atomic
def stock_issue_lines(
    *, warehouse, lines, reference, kind=Kind.SALE_OUT, note="", actor=None, by=None
) -> list[StockMove]:
    """Several products out of one warehouse at once: all or nothing."""
    _check_actor(actor)
    if kind not in ISSUE_KINDS:
        raise InvalidData(_("Not a kind of issue: %s") % kind)
    merged: dict[int, list] = {}
    for product, quantity in lines:
        merged.setdefault(product.pk, [product, 0])[1] += _positive(quantity)
    return post_lines(
        warehouse=warehouse,
        lines=[(product, -quantity) for product, quantity in merged.values()],
        kind=kind,
        reference=reference,
        note=note,
        by=actor or by,
    )


@transaction.atomic
def stock_transfer(
    *, product, from_warehouse, to_warehouse, quantity, reference="", note="", actor=None, by=None
) -> tuple[StockMove, StockMove]:
    """Move stock between warehouses: a transfer-out and a transfer-in with the same reference."""
    _check_actor(actor)
    quantity = _positive(quantity)
    if from_warehouse.pk == to_warehouse.pk:
        raise InvalidData(
            _("Choose two different warehouses."), details={"to_warehouse": [_("Same warehouse.")]}
        )
    _usable(to_warehouse)
    reference = reference or f"TR-{uuid.uuid4().hex[:10].upper()}"
    levels = {
        wh.pk: lock_level(product, wh)
        for wh in sorted((from_warehouse, to_warehouse), key=lambda wh: wh.pk)
    }
    common = {"product": product, "reference": reference, "note": note, "by": actor or by}
    out = _post(
        level=levels[from_warehouse.pk],
        warehouse=from_warehouse,
        kind=Kind.TRANSFER_OUT,
        quantity=-quantity,
        **common,
    )
    into = _post(
        level=levels[to_warehouse.pk],
        warehouse=to_warehouse,
        kind=Kind.TRANSFER_IN,
        quantity=quantity,
        **common,
    )
    return out, into
