"""Stocktakes (INV-4): a count sheet per warehouse with the expected
quantities snapshot at creation; counted quantities are entered, then the
differences (counted − expected) are posted as stocktake-adjust moves. Moves
made between the snapshot and the posting are kept: the count is taken as
of the snapshot."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.catalog.models import Product
from hotline.core.exceptions import Conflict, InvalidData
from hotline.core.permissions import require_perm
from hotline.inventory.models import StockLevel, StockMove, Stocktake, StocktakeLine
from hotline.inventory.services.stock import _usable, post_lines


def _open(stocktake: Stocktake) -> Stocktake:
    stocktake = Stocktake.objects.select_for_update().get(pk=stocktake.pk)
    if stocktake.status != Stocktake.Status.COUNTING:
        raise Conflict(
            _("Stocktake %(ref)s is %(status)s; it can no longer be changed.")
            % {"ref": stocktake.reference, "status": stocktake.get_status_display()},
            code="illegal_transition",
        )
    return stocktake


@transaction.atomic
def stocktake_create(*, actor, warehouse, reason: str = "", products=None) -> Stocktake:
    """A count sheet for ``warehouse``: every active product with a level
    there (or ``products``), each with the quantity expected now."""
    require_perm(actor, "inventory.add_stocktake")
    _usable(warehouse)
    stocktake = Stocktake.objects.create(
        warehouse=warehouse, reason=reason.strip(), created_by=actor
    )
    expected = dict(
        StockLevel.objects.filter(warehouse=warehouse).values_list("product_id", "quantity")
    )
    if products is None:
        with_stock = [pid for pid, qty in expected.items() if qty]
        products = Product.objects.filter(
            Q(active=True, pk__in=list(expected)) | Q(pk__in=with_stock)
        ).order_by("sku")
    StocktakeLine.objects.bulk_create(
        StocktakeLine(stocktake=stocktake, product=product, expected=expected.get(product.pk, 0))
        for product in products
    )
    return stocktake


@transaction.atomic
def stocktake_count(*, actor, stocktake: Stocktake, counts: dict[int, int | None]) -> Stocktake:
    """Enter counted quantities: line id → units counted (None clears)."""
    require_perm(actor, "inventory.change_stocktake")
    stocktake = _open(stocktake)
    lines = {line.pk: line for line in stocktake.lines.all()}
    for line_id, counted in counts.items():
        if line_id not in lines:
            raise InvalidData(_("That line is not on this stocktake."))
        if counted is not None and int(counted) < 0:
            raise InvalidData(
                _("Counted quantities must be 0 or more."),
                details={f"line_{line_id}": [_("0 or more.")]},
            )
        line = lines[line_id]
        line.counted = None if counted is None else int(counted)
        line.save(update_fields=["counted"])
    stocktake.save()
    return stocktake


@transaction.atomic
def stocktake_post(*, actor, stocktake: Stocktake, reason: str = "") -> list[StockMove]:
    """Post the differences as stocktake-adjust moves, all or nothing."""
    require_perm(actor, "inventory.change_stocktake")
    require_perm(actor, "inventory.add_stockmove")
    stocktake = _open(stocktake)
    lines = list(stocktake.lines.select_related("product"))
    uncounted = [line for line in lines if line.counted is None]
    if uncounted:
        raise InvalidData(
            _("%(n)d line(s) have not been counted yet, such as %(product)s.")
            % {"n": len(uncounted), "product": uncounted[0].product},
        )
    reason = (reason or stocktake.reason).strip()
    if not reason:
        raise InvalidData(
            _("Give a reason for the adjustment."), details={"reason": [_("Required.")]}
        )
    moves = post_lines(
        warehouse=stocktake.warehouse,
        lines=[(line.product, line.difference) for line in lines if line.difference],
        kind=StockMove.Kind.STOCKTAKE_ADJUST,
        reference=stocktake.reference,
        note=reason,
        by=actor,
    )
    stocktake.status = Stocktake.Status.POSTED
    stocktake.reason = reason
    stocktake.posted_at = timezone.now()
    stocktake.posted_by = actor
    stocktake.save()
    return moves


@transaction.atomic
def stocktake_cancel(*, actor, stocktake: Stocktake) -> Stocktake:
    require_perm(actor, "inventory.change_stocktake")
    stocktake = _open(stocktake)
    stocktake.status = Stocktake.Status.CANCELLED
    stocktake.save()
    return stocktake
