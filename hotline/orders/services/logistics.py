"""Logistics (ORD-5): start picking a batch of approved orders of one
warehouse (returns the picking list), and ship an order that is being picked:
its goods leave stock (sale-out, reference = order number, bundles as their
products) and it moves to shipped, in one transaction."""

from django.db import transaction
from django.utils.translation import gettext as _

from hotline.core.exceptions import Conflict, InvalidData, NotAllowed
from hotline.core.permissions import require_perm
from hotline.inventory.services.stock import stock_issue_lines
from hotline.orders.models import Order
from hotline.orders.selectors import (
    SHIP_ORDER,
    PickingList,
    picking_rows,
    products_of_lines,
)
from hotline.orders.services.transitions import (
    illegal_transition,
    order_transition,
    orders_transition,
)
from hotline.orders.states import OrderStatus

MAX_BATCH = 20000


def _ids(orders) -> list[int]:
    try:
        wanted = [int(getattr(order, "pk", order)) for order in orders]
    except (TypeError, ValueError):
        raise InvalidData(
            _("Order ids must be numbers."), details={"ids": [_("Not a number.")]}
        ) from None
    wanted = list(dict.fromkeys(wanted))
    if not wanted:
        raise InvalidData(_("Select at least one order."), details={"ids": [_("Empty.")]})
    if len(wanted) > MAX_BATCH:
        raise InvalidData(_("Pick at most %d orders at once.") % MAX_BATCH)
    return wanted


def _in_scope(actor, wanted: list[int]) -> list[Order]:
    scope = Order.objects.restrict(actor, "ship").only(
        "id", "number", "status", "customer_id", "owner_id", "warehouse_id"
    )
    found = []
    for start in range(0, len(wanted), 1000):
        found += scope.filter(pk__in=wanted[start : start + 1000]).select_related("warehouse")
    missing = sorted(set(wanted) - {order.pk for order in found})
    if missing:
        raise InvalidData(
            _("%(count)d of the selected orders are not in your scope.") % {"count": len(missing)},
            details={"ids": missing[:100]},
        )
    return found


def _one_warehouse(orders: list[Order]):
    without = [order.number for order in orders if order.warehouse_id is None]
    if without:
        raise InvalidData(
            _("Order %(number)s has no warehouse to ship from.") % {"number": without[0]},
            details={"orders": without[:100]},
        )
    warehouses = {order.warehouse_id for order in orders}
    if len(warehouses) > 1:
        raise InvalidData(
            _("Pick the orders of one warehouse at a time (%(count)d warehouses selected).")
            % {"count": len(warehouses)}
        )
    return orders[0].warehouse


@transaction.atomic
def picking_start(*, actor, orders) -> PickingList:
    """Move approved ``orders`` (orders or ids) of one warehouse to picking,
    all or none, and return their picking list."""
    require_perm(actor, SHIP_ORDER)
    found = _in_scope(actor, _ids(orders))
    warehouse = _one_warehouse(found)
    orders_transition(orders=found, to=OrderStatus.PICKING, actor=actor)
    found.sort(key=lambda order: order.pk)
    return PickingList(
        warehouse=warehouse,
        numbers=[order.number for order in found],
        rows=picking_rows(order.pk for order in found),
    )


def _shippable(actor, order: Order) -> None:
    require_perm(actor, SHIP_ORDER)
    if not Order.objects.restrict(actor, "ship").filter(pk=order.pk).exists():
        raise NotAllowed(
            _("Order %(number)s is outside your data scope.") % {"number": order.number},
            details={"permission": SHIP_ORDER},
        )


def _required(value, name: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidData(
            _("Give the %(field)s.") % {"field": label}, details={name: [_("Required.")]}
        )
    if len(value) > 100:
        raise InvalidData(
            _("The %(field)s is too long.") % {"field": label},
            details={name: [_("At most 100 characters.")]},
        )
    return value


@transaction.atomic
def order_ship(*, actor, order: Order, carrier: str, tracking_number: str) -> Order:
    """Ship an order being picked: stock out of its warehouse and shipped.
    Out of stock raises ``Conflict`` (code ``out_of_stock``), nothing changed."""
    _shippable(actor, order)
    carrier = _required(carrier, "carrier", _("carrier"))
    tracking_number = _required(tracking_number, "tracking_number", _("tracking number"))
    locked = (
        Order.objects.select_for_update(of=("self",)).select_related("warehouse").get(pk=order.pk)
    )
    if locked.status != OrderStatus.PICKING:
        raise illegal_transition(locked, OrderStatus.SHIPPED)
    if locked.warehouse is None:
        raise Conflict(
            _("Order %(number)s has no warehouse to ship from.") % {"number": locked.number}
        )
    lines = locked.lines.values_list("product_id", "bundle_id", "quantity")
    totals = products_of_lines(lines)
    products = _products(totals)
    stock_issue_lines(
        warehouse=locked.warehouse,
        lines=[(products[pk], quantity) for pk, quantity in totals.items()],
        reference=locked.number,
        by=actor,
    )
    locked.carrier, locked.tracking_number = carrier, tracking_number
    locked.save(update_fields=["carrier", "tracking_number", "updated_at"])
    order_transition(order=locked, to=OrderStatus.SHIPPED, actor=actor)
    order.carrier, order.tracking_number = carrier, tracking_number
    order.status, order.status_changed_at = locked.status, locked.status_changed_at
    return order


def _products(totals: dict[int, int]) -> dict:
    from hotline.catalog.models import Product

    return Product.objects.in_bulk(list(totals))
