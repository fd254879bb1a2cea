"""The customers app's own panels on the 360 view and its history source
for the screen pop (see hotline.customers.panels)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.customers.models import ContactRecord, Customer, PointsEntry
from hotline.customers.panels import HistoryItem, Panel, register_history_source, register_panel

PANEL_ROWS = 50


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


# --- panels of the 360 view -----------------------------------------------


def _shown(value) -> str:
    if value in (None, "", []):
        return "—"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _profile(customer, user):
    definitions = list(Customer.custom_field_definitions())
    custom = [
        {
            "key": d.name,
            "label": d.display_label,
            "shown": _shown(customer.custom_fields.get(d.name)),
        }
        for d in definitions
    ]
    return {"custom_fields": custom}


def _addresses(customer, user):
    return {"addresses": list(customer.addresses.all())}


def _links(customer, user):
    if customer.kind == Customer.Kind.COMPANY:
        linked = customer.contacts.all()
        heading = _("Contacts of this company")
    else:
        linked = customer.companies.all()
        heading = _("Companies")
    visible = Customer.objects.restrict(user, "view").current().values("pk")
    return {
        "linked": list(linked.filter(pk__in=visible).select_related("level")),
        "hidden_count": linked.exclude(pk__in=visible).count(),
        "links_heading": heading,
    }


def _contacts(customer, user):
    records = (
        ContactRecord.objects.restrict(user, "view")
        .filter(customer=customer)
        .select_related("created_by")[:PANEL_ROWS]
    )
    return {"records": list(records)}


def _points(customer, user):
    entries = (
        PointsEntry.objects.restrict(user, "view")
        .filter(customer=customer)
        .select_related("created_by")[:PANEL_ROWS]
    )
    return {"entries": list(entries), "balance": customer.points_balance}


def _value(customer, user):
    return {"segment_label": customer.get_rfm_segment_display()}


CHANGE_LABELS = {
    "tags": gettext_lazy("Tags"),
    "phones": gettext_lazy("Phones"),
    "addresses": gettext_lazy("Addresses"),
    "companies": gettext_lazy("Companies"),
    "merged": gettext_lazy("Merged from"),
    "merged_into": gettext_lazy("Merged into"),
}


def _changes(customer, user):
    from hotline.web.views.change_rows import change_entries

    labels = {f"cf.{d.name}": d.display_label for d in Customer.custom_field_definitions()}
    labels.update({key: str(label) for key, label in CHANGE_LABELS.items()})
    entries = change_entries(customer.change_history()[:PANEL_ROWS])
    for entry in entries:
        shown = {row["field"] for row in entry["rows"]}
        # Reverse relations (phones, addresses) are left out by change_entries.
        for key, pair in (entry["change"].changes or {}).items():
            if key in CHANGE_LABELS and key not in shown and isinstance(pair, list | tuple):
                old, new = (*pair, None, None)[:2]
                entry["rows"].append({"field": key, "old": _shown(old), "new": _shown(new)})
        for row in entry["rows"]:
            row["label"] = labels.get(row["field"], row.get("label", row["field"]))
    return {"entries": entries}


def _merged_from(customer, user):
    merged = list(customer.merged_from.order_by("-updated_at"))
    return {"merged": merged} if merged else None


PANELS = [
    Panel("profile", gettext_lazy("Profile"), 10, "customers/panels/profile.html", _profile),
    Panel(
        "addresses", gettext_lazy("Addresses"), 20, "customers/panels/addresses.html", _addresses
    ),
    Panel(
        "links", gettext_lazy("Companies and contacts"), 30, "customers/panels/links.html", _links
    ),
    Panel(
        "contacts",
        gettext_lazy("Contact history"),
        40,
        "customers/panels/contacts.html",
        _contacts,
        permission="customers.view_contactrecord",
    ),
    Panel(
        "points",
        gettext_lazy("Points"),
        50,
        "customers/panels/points.html",
        _points,
        permission="customers.view_pointsentry",
    ),
    Panel("value", gettext_lazy("Customer value"), 60, "customers/panels/value.html", _value),
    Panel(
        "merged", gettext_lazy("Merged records"), 80, "customers/panels/merged.html", _merged_from
    ),
    Panel("changes", gettext_lazy("Change history"), 90, "customers/panels/changes.html", _changes),
]

for _panel in PANELS:
    register_panel(_panel)
