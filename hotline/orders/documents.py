"""Printable delivery notes (ORD-5) as PDF, drawn with reportlab.

Chinese text uses the CID font ``STSong-Light`` that reportlab knows without
font files (the PDF viewer supplies the glyphs), so no font ships with us.
One page per order; a batch is one PDF with a page per order."""

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from hotline.orders.models import PaymentMethod
from hotline.orders.states import OrderStatus

FONT = "STSong-Light"


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _styles():
    font = _font()
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=16, leading=22),
        "text": ParagraphStyle("text", fontName=font, fontSize=10, leading=14),
    }


def _escape(value) -> str:
    return str(value or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _bundle_parts(line) -> list[tuple[str, str, int]]:
    if line.bundle_id is None:
        return []
    return [
        ("", f"  └ {item.product.sku} {item.product.name}", item.quantity * line.quantity)
        for item in line.bundle.items.select_related("product").order_by("product__sku")
    ]


def _lines_table(order, font: str) -> Table:
    rows = [[_("SKU"), _("Name"), _("Quantity"), _("Unit price"), _("Line total")]]
    for line in order.lines.all():
        rows.append([line.sku, line.name, line.quantity, line.unit_price, line.line_total])
        rows += [[sku, name, qty, "", ""] for sku, name, qty in _bundle_parts(line)]
    rows.append(["", _("Items total"), "", "", order.items_total])
    rows.append(["", _("Discount"), "", "", f"-{order.discount}"])
    rows.append(["", _("Shipping fee"), "", "", order.shipping_fee])
    rows.append(["", _("Total"), "", "", order.total])
    table = Table(rows, colWidths=[30 * mm, 75 * mm, 20 * mm, 25 * mm, 25 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
                ("LINEABOVE", (0, -4), (-1, -4), 0.5, colors.black),
            ]
        )
    )
    return table


def _facts(order) -> list[tuple[str, str]]:
    created = timezone.localtime(order.created_at)
    facts = [
        (_("Order number"), order.number),
        (_("Date"), created.strftime("%Y-%m-%d %H:%M")),
        (_("Customer"), order.customer.name),
        (_("Recipient"), order.recipient),
        (_("Phone"), order.phone),
        (_("Address"), order.full_address),
        (_("Payment"), order.get_payment_method_display()),
    ]
    if order.payment_method == PaymentMethod.COD:
        facts.append((_("Cash to collect"), str(order.total)))
    if order.status != OrderStatus.PICKING and order.tracking_number:
        facts.append((_("Carrier"), order.carrier))
        facts.append((_("Tracking number"), order.tracking_number))
    return facts


def _story(order, styles) -> list:
    story = [Paragraph(_escape(_("Delivery note")), styles["title"]), Spacer(1, 4 * mm)]
    for label, value in _facts(order):
        story.append(Paragraph(f"{_escape(label)}: {_escape(value)}", styles["text"]))
    story += [Spacer(1, 6 * mm), _lines_table(order, styles["text"].fontName)]
    if order.note:
        story += [Spacer(1, 4 * mm), Paragraph(_escape(order.note), styles["text"])]
    return story


def delivery_notes_pdf(orders) -> bytes:
    """One PDF with a delivery note page per order (orders with lines loaded)."""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, title=_("Delivery note"), leftMargin=15 * mm, rightMargin=15 * mm
    )
    styles = _styles()
    story = []
    for index, order in enumerate(orders):
        if index:
            story.append(PageBreak())
        story += _story(order, styles)
    document.build(story)
    return buffer.getvalue()
