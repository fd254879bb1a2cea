"""Purchase orders (INV-3): draft → ordered → partially received → received,
or cancelled; receiving posts purchase-in moves, in part or in full."""

import uuid

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.core.exceptions import Conflict, InvalidData
from hotline.core.permissions import require_perm
from hotline.inventory.models import PurchaseOrder, PurchaseOrderLine, StockMove
from hotline.inventory.services.stock import _usable, post_lines

Status = PurchaseOrder.Status
TRANSITIONS = {
    Status.DRAFT: {Status.ORDERED, Status.CANCELLED},
    Status.ORDERED: {Status.PARTIALLY_RECEIVED, Status.RECEIVED, Status.CANCELLED},
    Status.PARTIALLY_RECEIVED: {Status.PARTIALLY_RECEIVED, Status.RECEIVED, Status.CANCELLED},
    Status.RECEIVED: set(),
    Status.CANCELLED: set(),
}


def _transition(order: PurchaseOrder, target: str) -> None:
    if target not in TRANSITIONS[order.status]:
        raise Conflict(
            _("Purchase order %(number)s is %(status)s and cannot become %(target)s.")
            % {
                "number": order.number,
                "status": order.get_status_display(),
                "target": Status(target).label,
            },
            code="illegal_transition",
        )
    order.status = target


def _lines(lines) -> list[tuple]:
    """(product, quantity, unit_cost) triples; one line per product."""
    seen, result = set(), []
    for product, quantity, unit_cost in lines:
        if product.pk in seen:
            raise InvalidData(
                _("%(product)s is listed twice.") % {"product": product},
                details={"lines": [_("Each product once.")]},
            )
        if int(quantity) < 1 or unit_cost is None or unit_cost < 0:
            raise InvalidData(
                _("Each line needs a quantity of at least 1 and a cost of 0 or more."),
                details={"lines": [_("Check quantities and costs.")]},
            )
        seen.add(product.pk)
        result.append((product, int(quantity), unit_cost))
    if not result:
        raise InvalidData(_("Add at least one line."), details={"lines": [_("Required.")]})
    return result


def _locked(order: PurchaseOrder) -> PurchaseOrder:
    return PurchaseOrder.objects.select_for_update().get(pk=order.pk)


@transaction.atomic
def purchase_order_create(*, actor, supplier, warehouse, lines, note="", expected_on=None):
    """A draft order; ``lines`` are (product, quantity, unit_cost)."""
    require_perm(actor, "inventory.add_purchaseorder")
    lines = _lines(lines)
    order = PurchaseOrder(
        number=f"TMP-{uuid.uuid4().hex[:20]}",
        supplier=supplier,
        warehouse=warehouse,
        note=note,
        expected_on=expected_on,
        created_by=actor,
    )
    order.save()
    order.number = f"PO{timezone.localdate():%Y%m%d}-{order.pk:05d}"
    PurchaseOrder.objects.filter(pk=order.pk).update(number=order.number)
    PurchaseOrderLine.objects.bulk_create(
        PurchaseOrderLine(order=order, product=product, quantity=qty, unit_cost=cost)
        for product, qty, cost in lines
    )
    return order


@transaction.atomic
def purchase_order_place(*, actor, order: PurchaseOrder) -> PurchaseOrder:
    """Draft → ordered (sent to the supplier)."""
    require_perm(actor, "inventory.change_purchaseorder")
    order = _locked(order)
    _transition(order, Status.ORDERED)
    order.ordered_at = timezone.now()
    order.save()
    return order


@transaction.atomic
def purchase_order_cancel(*, actor, order: PurchaseOrder, reason: str = "") -> PurchaseOrder:
    """What was received stays in stock; the rest is no longer expected."""
    require_perm(actor, "inventory.change_purchaseorder")
    order = _locked(order)
    _transition(order, Status.CANCELLED)
    if reason.strip():
        order.note = f"{order.note}\n{reason.strip()}".strip()
    order.save()
    return order


@transaction.atomic
def purchase_order_receive(
    *, actor, order: PurchaseOrder, quantities: dict[int, int], note: str = ""
) -> list[StockMove]:
    """Receive goods against an ordered PO: ``quantities`` maps line id →
    units arriving now (0 or missing: none). Posts purchase-in moves with the
    PO number as reference and moves the order to partially received or received."""
    require_perm(actor, "inventory.change_purchaseorder")
    require_perm(actor, "inventory.add_stockmove")
    order = _locked(order)
    _usable(order.warehouse)
    lines = {line.pk: line for line in order.lines.select_related("product")}
    unknown = set(quantities) - set(lines)
    if unknown:
        raise InvalidData(_("Those lines are not on %(number)s.") % {"number": order.number})
    arriving = []
    for line_id, quantity in quantities.items():
        quantity = int(quantity or 0)
        line = lines[line_id]
        if quantity < 0 or quantity > line.outstanding:
            raise InvalidData(
                _("%(product)s: receive between 0 and %(n)d.")
                % {"product": line.product, "n": line.outstanding},
                details={f"line_{line_id}": [_("Between 0 and %(n)d.") % {"n": line.outstanding}]},
            )
        if quantity:
            arriving.append((line, quantity))
    if not arriving:
        raise InvalidData(_("Enter the quantity received of at least one line."))
    complete = all(
        line.outstanding == dict((ln.pk, q) for ln, q in arriving).get(line.pk, 0)
        for line in lines.values()
    )
    _transition(order, Status.RECEIVED if complete else Status.PARTIALLY_RECEIVED)
    for line, quantity in arriving:
        line.received_quantity += quantity
        line.save(update_fields=["received_quantity"])
    order.save()
    return post_lines(
        warehouse=order.warehouse,
        lines=[(line.product, quantity) for line, quantity in arriving],
        kind=StockMove.Kind.PURCHASE_IN,
        reference=order.number,
        note=note,
        by=actor,
    )
