"""The Calls panel of the customer 360 view and the "call" history source of
the screen pop (see hotline.customers.panels): the customer's latest calls
in the reader's scope, with the recordings they may play."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.customers.panels import HistoryItem, Panel, register_history_source, register_panel
from hotline.telephony.selectors.records import (
    VIEW_CALL,
    calls_visible,
    customer_calls,
    format_ms,
)

PANEL_ROWS = 20


@register_history_source("call")
def call_history(customer_ids, user, limit):
    if not user.has_perm(VIEW_CALL):
        return []
    calls = (
        calls_visible(user)
        .filter(customer_id__in=list(customer_ids))
        .select_related(None)
        .order_by("-started_at", "-id")[:limit]
    )
    return [
        HistoryItem(
            source="call",
            at=call.started_at,
            title=_("Call %(direction)s · %(disposition)s")
            % {
                "direction": call.get_direction_display(),
                "disposition": call.get_disposition_display(),
            },
            detail=f"{call.caller} → {call.called}",
            url=reverse("telephony:call_detail", args=[call.pk]),
        )
        for call in calls
    ]


def _calls(customer, user):
    calls = customer_calls(actor=user, customer_ids=[customer.pk], limit=PANEL_ROWS)
    for call in calls:
        call.shown_talk = format_ms(call.talk_ms)
        call.shown_wait = format_ms(call.wait_ms)
    return {"calls": calls}


register_panel(
    Panel(
        "calls",
        gettext_lazy("Calls"),
        37,
        "telephony/records/panel_calls.html",
        _calls,
        permission=VIEW_CALL,
    )
)
