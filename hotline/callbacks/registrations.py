"""The Callbacks and Pending items panels of the customer 360 view (see
hotline.customers.panels)."""

from django.utils.translation import gettext_lazy

from hotline.callbacks.selectors import customer_callbacks, customer_pending_items
from hotline.customers.panels import Panel, register_panel

PANEL_ROWS = 20


def _callbacks(customer, user):
    return {"callbacks": list(customer_callbacks(actor=user, customer=customer, limit=PANEL_ROWS))}


def _pending_items(customer, user):
    items = customer_pending_items(actor=user, customer=customer, limit=PANEL_ROWS)
    return {"pending_items": list(items)}


register_panel(
    Panel(
        "callbacks",
        gettext_lazy("Callbacks"),
        36,
        "callbacks/panels/callbacks.html",
        _callbacks,
        permission="callbacks.view_callbacktask",
    )
)
register_panel(
    Panel(
        "pending_items",
        gettext_lazy("Pending items"),
        37,
        "callbacks/panels/pending_items.html",
        _pending_items,
        permission="callbacks.view_pendingitem",
    )
)
