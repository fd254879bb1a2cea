"""The order state machine (ORD-3): the statuses and the one table of allowed
transitions. ``hotline.orders.services.transitions.order_transition`` is the
only code that changes an order's status; it checks this table.

::

    ordered ─────────► under_review ──► approved ──► picking ──► shipped
       │                    │              │                      │   │
       └──► voided ◄────────┴──────────────┘          delivered ◄─┘   └─► rejected
                                                          │                  │
                         returned / exchange_ordered ◄────┤                  │
                                      ▲                   ▼                  │
                                      └────────────── settled ◄──────────────┘

* Entry: an order is written ``ordered`` and submitted ``under_review`` at
  once (two history rows: creation and submission), so the review queue sees
  every new order and a later "hold before review" step can plug in.
* Voiding is possible until picking starts (ordered, under review, approved)
  and needs a reason. Once goods leave the shelf the way back is a return.
* ``rejected`` (the recipient refused the parcel) is settled like a delivered
  order: settlement books the COD actually collected (often 0) and closes it.
* Returns and exchanges (ORD-7) start from a delivered or a settled order.
* ``voided``, ``returned`` and ``exchange_ordered`` are final.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    ORDERED = "ordered", _("Ordered")
    UNDER_REVIEW = "under_review", _("Under review")
    APPROVED = "approved", _("Approved")
    VOIDED = "voided", _("Voided")
    PICKING = "picking", _("Picking")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    REJECTED = "rejected", _("Rejected by recipient")
    SETTLED = "settled", _("Settled")
    RETURNED = "returned", _("Returned")
    EXCHANGE_ORDERED = "exchange_ordered", _("Exchange ordered")


S = OrderStatus

TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.ORDERED: frozenset({S.UNDER_REVIEW, S.VOIDED}),
    S.UNDER_REVIEW: frozenset({S.APPROVED, S.VOIDED}),
    S.APPROVED: frozenset({S.PICKING, S.VOIDED}),
    S.PICKING: frozenset({S.SHIPPED}),
    S.SHIPPED: frozenset({S.DELIVERED, S.REJECTED}),
    S.DELIVERED: frozenset({S.SETTLED, S.RETURNED, S.EXCHANGE_ORDERED}),
    S.REJECTED: frozenset({S.SETTLED}),
    S.SETTLED: frozenset({S.RETURNED, S.EXCHANGE_ORDERED}),
    S.VOIDED: frozenset(),
    S.RETURNED: frozenset(),
    S.EXCHANGE_ORDERED: frozenset(),
}

# Transitions into these statuses must say why.
REASON_REQUIRED = frozenset({S.VOIDED, S.RETURNED, S.EXCHANGE_ORDERED})

FINAL = frozenset(status for status, targets in TRANSITIONS.items() if not targets)


def transition_allowed(from_status: str, to_status: str) -> bool:
    try:
        return OrderStatus(to_status) in TRANSITIONS[OrderStatus(from_status)]
    except ValueError:
        return False


def legal_transitions() -> list[tuple[OrderStatus, OrderStatus]]:
    return [(src, dst) for src, targets in TRANSITIONS.items() for dst in sorted(targets)]
