"""Logistics pages (ORD-5): the picking queue (approved orders per warehouse,
select some or all and start picking), the printable picking list, shipping
an order from its detail page and delivery notes as PDF."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from hotline.core.exceptions import DomainError
from hotline.inventory.models import Warehouse
from hotline.orders import selectors
from hotline.orders.documents import delivery_notes_pdf
from hotline.orders.models import Order
from hotline.orders.services import logistics
from hotline.orders.states import OrderStatus
from hotline.web.views.common import require_view


def _selected_ids(request) -> list:
    """The ticked orders, or every approved order of a warehouse ("all")."""
    warehouse = request.POST.get("all_of_warehouse", "")
    if not warehouse.isdigit():
        return request.POST.getlist("ids")
    approved = Order.objects.restrict(request.user, "ship").filter(
        status=OrderStatus.APPROVED, warehouse_id=int(warehouse)
    )
    return list(approved.values_list("id", flat=True))


@never_cache
@login_required
def picking(request):
    require_view(request.user, selectors.SHIP_ORDER)
    if request.method == "POST":
        try:
            picked = logistics.picking_start(actor=request.user, orders=_selected_ids(request))
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(reverse("orders:picking"))
        messages.success(
            request, _("Picking started for %(count)d orders.") % {"count": picked.order_count}
        )
        return render(request, "orders/picking_list.html", {"picking": picked})
    groups = selectors.picking_queue(actor=request.user)
    return render(request, "orders/picking.html", {"groups": groups})


@never_cache
@login_required
def picking_list(request, warehouse_id: int):
    require_view(request.user, selectors.SHIP_ORDER)
    warehouse = get_object_or_404(Warehouse, pk=warehouse_id)
    picked = selectors.picking_in_progress(actor=request.user, warehouse=warehouse)
    return render(request, "orders/picking_list.html", {"picking": picked})


def _order(request, pk: int) -> Order:
    try:
        return selectors.order_detail(actor=request.user, pk=pk)
    except Order.DoesNotExist:
        raise Http404 from None


@require_POST
@login_required
def order_ship(request, pk: int):
    order = _order(request, pk)
    try:
        logistics.order_ship(
            actor=request.user,
            order=order,
            carrier=request.POST.get("carrier", ""),
            tracking_number=request.POST.get("tracking_number", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Order %(number)s shipped.") % {"number": order.number})
    return redirect(order.get_absolute_url())


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@never_cache
@login_required
def delivery_note(request, pk: int):
    order = _order(request, pk)
    if order.status not in selectors.DELIVERY_NOTE_STATUSES:
        messages.error(
            request,
            _("A delivery note is printed once picking has started (%(number)s is %(status)s).")
            % {"number": order.number, "status": order.get_status_display()},
        )
        return redirect(order.get_absolute_url())
    return _pdf(delivery_notes_pdf([order]), f"{order.number}.pdf")


@never_cache
@login_required
def delivery_notes(request):
    """Delivery notes of several orders (``?ids=1&ids=2``) in one PDF."""
    require_view(request.user, selectors.VIEW_ORDER)
    ids = [pk for pk in request.GET.getlist("ids") if pk.isdigit()]
    orders = selectors.delivery_note_orders(actor=request.user, ids=ids)
    if not orders:
        messages.error(request, _("None of the selected orders has a delivery note yet."))
        return redirect(reverse("orders:list"))
    return _pdf(delivery_notes_pdf(orders), "delivery-notes.pdf")


urlpatterns = [
    path("picking/", picking, name="picking"),
    path("picking/<int:warehouse_id>/list/", picking_list, name="picking_list"),
    path("<int:pk>/ship/", order_ship, name="ship"),
    path("<int:pk>/delivery-note.pdf", delivery_note, name="delivery_note"),
    path("delivery-notes.pdf", delivery_notes, name="delivery_notes"),
]
