"""The review queue (ORD-4): reviewers approve orders under review or void
them with a reason; batch approval moves many in one transaction."""

from django.db import transaction
from django.utils.translation import gettext as _

from hotline.core.exceptions import InvalidData, NotAllowed
from hotline.core.permissions import require_perm
from hotline.orders.models import Order
from hotline.orders.services.transitions import order_transition, orders_transition
from hotline.orders.states import OrderStatus

REVIEW_ORDER = "orders.review_order"
MAX_BATCH = 20000


def _reviewable(actor, order: Order) -> None:
    require_perm(actor, REVIEW_ORDER)
    if not Order.objects.restrict(actor, "review").filter(pk=order.pk).exists():
        raise NotAllowed(
            _("Order %(number)s is outside your data scope.") % {"number": order.number},
            details={"permission": REVIEW_ORDER},
        )


def order_approve(*, actor, order: Order, reason: str = "") -> Order:
    _reviewable(actor, order)
    order_transition(order=order, to=OrderStatus.APPROVED, actor=actor, reason=reason)
    return order


def order_void(*, actor, order: Order, reason: str) -> Order:
    """Void an order that has not started picking; ``reason`` is required."""
    _reviewable(actor, order)
    order_transition(order=order, to=OrderStatus.VOIDED, actor=actor, reason=reason)
    return order


@transaction.atomic
def orders_batch_approve(*, actor, ids) -> int:
    """Approve the orders with these ids, all or none: ids outside the
    actor's scope or not under review refuse the whole batch."""
    require_perm(actor, REVIEW_ORDER)
    try:
        wanted = list(dict.fromkeys(int(pk) for pk in ids))
    except (TypeError, ValueError):
        raise InvalidData(
            _("Order ids must be numbers."), details={"ids": [_("Not a number.")]}
        ) from None
    if not wanted:
        raise InvalidData(_("Select at least one order."), details={"ids": [_("Empty.")]})
    if len(wanted) > MAX_BATCH:
        raise InvalidData(_("Approve at most %d orders at once.") % MAX_BATCH)
    orders = []
    scope = Order.objects.restrict(actor, "review").only(
        "id", "number", "status", "customer_id", "owner_id"
    )
    for start in range(0, len(wanted), 1000):
        orders += scope.filter(pk__in=wanted[start : start + 1000])
    missing = sorted(set(wanted) - {order.pk for order in orders})
    if missing:
        raise InvalidData(
            _("%(count)d of the selected orders are not in your review scope.")
            % {"count": len(missing)},
            details={"ids": missing[:100]},
        )
    orders_transition(orders=orders, to=OrderStatus.APPROVED, actor=actor)
    return len(orders)
