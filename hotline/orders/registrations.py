"""The Orders panel of the customer 360 view and the "order" history source
of the screen pop (see hotline.customers.panels)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.customers.panels import HistoryItem, Panel, register_history_source, register_panel
from hotline.orders.selectors import customer_orders

PANEL_ROWS = 50


def _products(order) -> str:
    return ", ".join(f"{line.name} × {line.quantity}" for line in order.lines.all())


@register_history_source("order")
def order_history(customer_ids, user, limit):
    if not user.has_perm("orders.view_order"):
        return []
    return [
        HistoryItem(
            source="order",
            at=order.created_at,
            title=_("Order %(number)s · %(status)s · ¥%(total)s")
            % {"number": order.number, "status": order.get_status_display(), "total": order.total},
            detail=_products(order)[:200],
            url=order.get_absolute_url(),
        )
        for order in customer_orders(actor=user, customer_ids=customer_ids, limit=limit)
    ]


def _orders(customer, user):
    orders = list(customer_orders(actor=user, customer_ids=[customer.pk], limit=PANEL_ROWS))
    return {"orders": orders}


register_panel(
    Panel(
        "orders",
        gettext_lazy("Orders"),
        35,
        "orders/panels/orders.html",
        _orders,
        permission="orders.view_order",
    )
)
