"""Suppliers and purchase orders with receiving (INV-3)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from hotline.core.exceptions import DomainError
from hotline.inventory import selectors
from hotline.inventory.forms import PurchaseOrderForm, SupplierForm, line_numbers
from hotline.inventory.services import purchasing, warehouses
from hotline.web.views.common import form_page, paginate, require_view, show_domain_error


@never_cache
@login_required
def supplier_list(request):
    require_view(request.user, "inventory.view_supplier")
    return render(
        request,
        "inventory/suppliers/list.html",
        {"suppliers": selectors.suppliers_visible(request.user)},
    )


def _supplier_form(request, supplier=None):
    return form_page(
        request,
        SupplierForm(request.POST or None, instance=supplier),
        save=lambda form: warehouses.supplier_save(
            actor=request.user, supplier=supplier, **form.service_kwargs()
        ),
        saved_message=_("Supplier “%(name)s” was saved."),
        success_url="inventory:suppliers",
        template="inventory/suppliers/form.html",
        instance=supplier,
    )


@never_cache
@login_required
def supplier_create(request):
    require_view(request.user, "inventory.add_supplier")
    return _supplier_form(request)


@never_cache
@login_required
def supplier_edit(request, pk: int):
    require_view(request.user, "inventory.change_supplier")
    return _supplier_form(
        request, get_object_or_404(selectors.suppliers_visible(request.user), pk=pk)
    )


@never_cache
@login_required
def order_list(request):
    require_view(request.user, "inventory.view_purchaseorder")
    orders = selectors.purchase_orders_visible(request.user)
    return render(request, "inventory/purchases/list.html", {"page": paginate(request, orders)})


@never_cache
@login_required
def order_create(request):
    require_view(request.user, "inventory.add_purchaseorder")
    form = PurchaseOrderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            order = purchasing.purchase_order_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            messages.success(
                request, _("Purchase order %(number)s was created.") % {"number": order.number}
            )
            return redirect("inventory:purchase_order", pk=order.pk)
    return render(request, "inventory/purchases/form.html", {"form": form})


def _order(request, pk):
    return get_object_or_404(selectors.purchase_orders_visible(request.user), pk=pk)


@never_cache
@login_required
def order_detail(request, pk: int):
    order = _order(request, pk)
    lines = list(order.lines.select_related("product"))
    if request.method == "POST":
        try:
            quantities = {
                k: v or 0
                for k, v in line_numbers(request.POST, "line_", [ln.pk for ln in lines]).items()
            }
            purchasing.purchase_order_receive(
                actor=request.user,
                order=order,
                quantities=quantities,
                note=request.POST.get("note", ""),
            )
        except ValueError:
            messages.error(request, _("Enter whole numbers."))
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The goods were received into stock."))
        return redirect("inventory:purchase_order", pk=pk)
    receivable = order.status in ("ordered", "partially_received")
    moves = selectors.stock_moves(actor=request.user, reference=order.number)
    return render(
        request,
        "inventory/purchases/detail.html",
        {"order": order, "lines": lines, "receivable": receivable, "moves": moves},
    )


@require_POST
@login_required
def order_action(request, pk: int, action: str):
    order = _order(request, pk)
    try:
        if action == "place":
            purchasing.purchase_order_place(actor=request.user, order=order)
        else:
            purchasing.purchase_order_cancel(
                actor=request.user, order=order, reason=request.POST.get("reason", "")
            )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("inventory:purchase_order", args=[pk]))


urlpatterns = [
    path("suppliers/", supplier_list, name="suppliers"),
    path("suppliers/new/", supplier_create, name="supplier_create"),
    path("suppliers/<int:pk>/edit/", supplier_edit, name="supplier_edit"),
    path("purchase-orders/", order_list, name="purchase_orders"),
    path("purchase-orders/new/", order_create, name="purchase_order_create"),
    path("purchase-orders/<int:pk>/", order_detail, name="purchase_order"),
    path(
        "purchase-orders/<int:pk>/place/",
        order_action,
        {"action": "place"},
        name="purchase_order_place",
    ),
    path(
        "purchase-orders/<int:pk>/cancel/",
        order_action,
        {"action": "cancel"},
        name="purchase_order_cancel",
    ),
]
