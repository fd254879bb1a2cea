"""Export of a customer search to Excel (CUS-8, CUS-5): only what the
exporter may see (the search runs within their data scope), permission-gated
and written to the audit log."""

import io

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from hotline.accounts.audit import audit_record
from hotline.accounts.models import AuditEvent
from hotline.core.permissions import require_perm
from hotline.customers.models import Customer, CustomerAddress
from hotline.customers.selectors.customers import customer_search

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _headers(definitions) -> list[str]:
    return [
        _("ID"),
        _("Name"),
        _("Phones"),
        _("Member level"),
        _("Group"),
        _("Source"),
        _("Owner"),
        _("Low credit"),
        _("Province"),
        _("City"),
        _("E-mail"),
        _("Birthday"),
        _("Purchases"),
        _("Total spend"),
        _("Points"),
        _("Created"),
        *[d.display_label for d in definitions],
    ]


def _custom_cell(value):
    if isinstance(value, list):
        return "、".join(str(item) for item in value)
    return value


def _row(customer: Customer, definitions) -> list:
    address = next(iter(customer.default_addresses), None)
    created = timezone.localtime(customer.created_at).replace(tzinfo=None)
    return [
        customer.pk,
        customer.name,
        ", ".join(phone.national or phone.number for phone in customer.phones.all()),
        customer.level.display_name if customer.level else "",
        customer.group.name if customer.group else "",
        customer.source.name if customer.source else "",
        customer.owner.display_name if customer.owner else "",
        _("Yes") if customer.low_credit else _("No"),
        address.province if address else "",
        address.city if address else "",
        customer.email,
        customer.birthday,
        customer.purchase_count,
        customer.total_spend,
        customer.points_balance,
        created,
        *[_custom_cell(customer.custom_fields.get(d.name)) for d in definitions],
    ]


def customer_export(*, actor, criteria: dict) -> tuple[str, bytes]:
    """(file name, .xlsx bytes) of the customers matching ``criteria`` that
    ``actor`` may see; requires ``customers.export_customer``."""
    require_perm(actor, "customers.export_customer")
    customers = customer_search(actor=actor, criteria=criteria)
    customers = customers.select_related("group", "source").prefetch_related(
        Prefetch(
            "addresses",
            queryset=CustomerAddress.objects.filter(is_default=True),
            to_attr="default_addresses",
        )
    )
    definitions = list(Customer.custom_field_definitions())
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Customers"))
    sheet.append(_headers(definitions))
    rows = 0
    for customer in customers.iterator(chunk_size=2000):
        sheet.append(_row(customer, definitions))
        rows += 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    audit_record(
        action=AuditEvent.Action.EXPORT,
        actor=actor,
        object_repr="customers",
        detail={
            "criteria": {k: v for k, v in criteria.items() if v not in (None, "")},
            "rows": rows,
        },
    )
    filename = f"customers-{timezone.localtime():%Y%m%d-%H%M%S}.xlsx"
    return filename, buffer.getvalue()
