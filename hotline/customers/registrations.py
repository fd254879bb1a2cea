"""The customers app's own panels on the 360 view and its history source
for the screen pop (see hotline.customers.panels)."""

from hotline.customers.models import ContactRecord
from hotline.customers.panels import HistoryItem, register_history_source


@register_history_source("contact")
def contact_history(customer_ids, user, limit):
    records = (
        ContactRecord.objects.restrict(user, "view")
        .filter(customer_id__in=customer_ids)
        .order_by("-at")[:limit]
    )
    return [
        HistoryItem(
            source="contact",
            at=record.at,
            title=str(record.get_channel_display()),
            detail=record.summary[:200],
        )
        for record in records
    ]
