"""Applying the state machine of ``hotline.orders.states``.

``order_transition`` is the one function that changes an order's status. It
locks the order, checks the transition table, writes the ``OrderTransition``
history row and the change-log entry, updates the order and publishes
``OrderStatusChanged`` after commit. ``orders_transition`` is the same for many
orders in one transaction (batch approval): the same table check, the same
rows, written in bulk. Callers check who may do what (review, logistics …);
this module checks only what may follow what.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.core.context import current_actor, current_remote_addr
from hotline.core.events import publish
from hotline.core.exceptions import Conflict, InvalidData
from hotline.core.models import ObjectChange
from hotline.orders.events import OrderStatusChanged
from hotline.orders.models import Order, OrderTransition
from hotline.orders.states import REASON_REQUIRED, OrderStatus, transition_allowed

BULK_BATCH = 1000


def _status(value) -> OrderStatus:
    try:
        return OrderStatus(value)
    except ValueError:
        raise InvalidData(
            _("“%(status)s” is not an order status.") % {"status": value},
            details={"to": [_("Unknown status.")]},
        ) from None


def illegal_transition(order: Order, to: OrderStatus) -> Conflict:
    return Conflict(
        _("Order %(number)s cannot go from “%(from)s” to “%(to)s”.")
        % {
            "number": order.number,
            "from": OrderStatus(order.status).label,
            "to": to.label,
        },
        code="illegal_transition",
        details={"order": order.number, "from": order.status, "to": str(to)},
    )


def _check_reason(to: OrderStatus, reason: str) -> str:
    reason = (reason or "").strip()
    if to in REASON_REQUIRED and not reason:
        raise InvalidData(
            _("Say why the order is %(status)s.") % {"status": to.label},
            details={"reason": [_("A reason is required.")]},
        )
    return reason


def record_entry(*, order: Order, actor) -> OrderTransition:
    """The first history row of a new order (from nothing to its status)."""
    return OrderTransition.objects.create(
        order=order, from_status="", to_status=order.status, by=actor, at=order.created_at
    )


def _apply(orders: list[Order], to: OrderStatus, actor, reason: str) -> list[OrderTransition]:
    now = timezone.now()
    rows = [
        OrderTransition(
            order=order, from_status=order.status, to_status=to, by=actor, at=now, reason=reason
        )
        for order in orders
    ]
    OrderTransition.objects.bulk_create(rows, batch_size=BULK_BATCH)
    ids = [order.pk for order in orders]
    for start in range(0, len(ids), BULK_BATCH):
        Order.objects.filter(pk__in=ids[start : start + BULK_BATCH]).update(
            status=to, status_changed_at=now, updated_at=now
        )
    content_type = ContentType.objects.get_for_model(Order)
    by = current_actor() or actor
    address = current_remote_addr()
    ObjectChange.objects.bulk_create(
        [
            ObjectChange(
                at=now,
                actor=by,
                remote_addr=address,
                content_type=content_type,
                object_id=str(order.pk),
                object_repr=str(order)[:200],
                action=ObjectChange.Action.UPDATE,
                changes={"status": [order.status, str(to)]},
            )
            for order in orders
        ],
        batch_size=BULK_BATCH,
    )
    for order in orders:
        publish(
            OrderStatusChanged(
                order_id=order.pk,
                number=order.number,
                customer_id=order.customer_id,
                owner_id=order.owner_id,
                status=str(to),
                from_status=order.status,
                by_id=actor.pk if actor is not None else None,
                reason=reason,
            )
        )
        order.status = to
        order.status_changed_at = now
        order.updated_at = now
    return rows


@transaction.atomic
def order_transition(*, order: Order, to, actor, reason: str = "") -> OrderTransition:
    """Move ``order`` to status ``to``. An illegal move raises ``Conflict``
    (code ``illegal_transition``) naming both statuses and changes nothing."""
    to = _status(to)
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if not transition_allowed(locked.status, to):
        raise illegal_transition(locked, to)
    reason = _check_reason(to, reason)
    (row,) = _apply([locked], to, actor, reason)
    order.status = locked.status
    order.status_changed_at = locked.status_changed_at
    order.updated_at = locked.updated_at
    return row


@transaction.atomic
def orders_transition(*, orders, to, actor, reason: str = "") -> list[OrderTransition]:
    """Move many orders to ``to`` at once; when any move is illegal none is
    made (``Conflict`` listing the refused orders)."""
    to = _status(to)
    reason = _check_reason(to, reason)
    ids = [order.pk for order in orders]
    locked = []
    for start in range(0, len(ids), BULK_BATCH):
        locked += Order.objects.select_for_update().filter(pk__in=ids[start : start + BULK_BATCH])
    refused = [order for order in locked if not transition_allowed(order.status, to)]
    if refused:
        first = illegal_transition(refused[0], to)
        raise Conflict(
            first.message
            if len(refused) == 1
            else _("%(count)d of the orders cannot go to “%(to)s”, for example: %(first)s")
            % {"count": len(refused), "to": to.label, "first": first.message},
            code="illegal_transition",
            details={order.number: str(OrderStatus(order.status).label) for order in refused},
        )
    return _apply(locked, to, actor, reason)
