"""Stock pages: dashboard with low stock, levels, the ledger per product,
receive / issue / transfer by hand, reorder levels and warehouses."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from hotline.catalog.models import Product
from hotline.core.exceptions import DomainError
from hotline.inventory import selectors
from hotline.inventory.forms import ReorderLevelForm, StockMoveForm, TransferForm, WarehouseForm
from hotline.inventory.services import stock, warehouses
from hotline.web.views.common import (
    form_page,
    paginate,
    render_list,
    require_view,
    show_domain_error,
)


@never_cache
@login_required
def dashboard(request):
    require_view(request.user, "inventory.view_stocklevel")
    low = selectors.low_stock(actor=request.user)
    moves = (
        selectors.stock_moves(actor=request.user)[:15]
        if request.user.has_perm("inventory.view_stockmove")
        else []
    )
    return render(
        request,
        "inventory/dashboard.html",
        {"low": low, "moves": moves, "warehouses": selectors.warehouses_visible(request.user)},
    )


@never_cache
@login_required
def level_list(request):
    require_view(request.user, "inventory.view_stocklevel")
    warehouse_id = request.GET.get("warehouse") or None
    warehouse = None
    if warehouse_id and warehouse_id.isdigit():
        warehouse = get_object_or_404(selectors.warehouses_visible(request.user), pk=warehouse_id)
    q = request.GET.get("q", "")
    low_only = request.GET.get("low") == "1"
    levels = selectors.stock_levels(actor=request.user, warehouse=warehouse, q=q, low_only=low_only)
    context = {
        "page": paginate(request, levels),
        "q": q,
        "low_only": low_only,
        "warehouse": warehouse,
        "warehouses": selectors.warehouses_visible(request.user),
    }
    return render_list(
        request, "inventory/stock/levels.html", "inventory/stock/_levels.html", context
    )


@never_cache
@login_required
def move_list(request):
    require_view(request.user, "inventory.view_stockmove")
    product = None
    if (request.GET.get("product") or "").isdigit():
        product = get_object_or_404(
            Product.objects.restrict(request.user, "view"), pk=request.GET["product"]
        )
    moves = selectors.stock_moves(
        actor=request.user, product=product, reference=request.GET.get("reference", "").strip()
    )
    return render(
        request,
        "inventory/stock/moves.html",
        {"page": paginate(request, moves), "product": product},
    )


def _move_page(request, action: str):
    require_view(request.user, "inventory.add_stockmove")
    form_class = TransferForm if action == "transfer" else StockMoveForm
    extra = {} if action == "transfer" else {"action": action}
    form = form_class(request.POST or None, **extra)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if action == "transfer":
                stock.stock_transfer(actor=request.user, **data)
            elif action == "receive":
                stock.stock_receive(actor=request.user, **data)
            else:
                stock.stock_issue(actor=request.user, **data)
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            messages.success(request, _("The stock move was posted."))
            return redirect(f"{reverse('inventory:moves')}?product={data['product'].pk}")
    titles = {
        "receive": _("Receive stock"),
        "issue": _("Issue stock"),
        "transfer": _("Transfer stock"),
    }
    return render(
        request, "inventory/stock/move_form.html", {"form": form, "heading": titles[action]}
    )


@never_cache
@login_required
def move_receive(request):
    return _move_page(request, "receive")


@never_cache
@login_required
def move_issue(request):
    return _move_page(request, "issue")


@never_cache
@login_required
def move_transfer(request):
    return _move_page(request, "transfer")


@require_POST
@login_required
def reorder_level(request, product_pk: int, warehouse_pk: int):
    product = get_object_or_404(Product.objects.restrict(request.user, "view"), pk=product_pk)
    warehouse = get_object_or_404(selectors.warehouses_visible(request.user), pk=warehouse_pk)
    form = ReorderLevelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The reorder level must be 0 or more."))
    else:
        try:
            warehouses.reorder_level_set(
                actor=request.user, product=product, warehouse=warehouse, **form.cleaned_data
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The reorder level was set."))
    return redirect(request.POST.get("next") or "inventory:levels")


# --- warehouses -------------------------------------------------------------


@never_cache
@login_required
def warehouse_list(request):
    require_view(request.user, "inventory.view_warehouse")
    return render(
        request,
        "inventory/warehouses/list.html",
        {"warehouses": selectors.warehouses_visible(request.user)},
    )


def _warehouse_form(request, warehouse=None):
    return form_page(
        request,
        WarehouseForm(request.POST or None, instance=warehouse),
        save=lambda form: warehouses.warehouse_save(
            actor=request.user, warehouse=warehouse, **form.service_kwargs()
        ),
        saved_message=_("Warehouse “%(name)s” was saved."),
        success_url="inventory:warehouses",
        template="inventory/warehouses/form.html",
        instance=warehouse,
    )


@never_cache
@login_required
def warehouse_create(request):
    require_view(request.user, "inventory.add_warehouse")
    return _warehouse_form(request)


@never_cache
@login_required
def warehouse_edit(request, pk: int):
    require_view(request.user, "inventory.change_warehouse")
    return _warehouse_form(
        request, get_object_or_404(selectors.warehouses_visible(request.user), pk=pk)
    )


urlpatterns = [
    path("", dashboard, name="dashboard"),
    path("levels/", level_list, name="levels"),
    path(
        "levels/<int:product_pk>/<int:warehouse_pk>/reorder/", reorder_level, name="reorder_level"
    ),
    path("moves/", move_list, name="moves"),
    path("moves/receive/", move_receive, name="receive"),
    path("moves/issue/", move_issue, name="issue"),
    path("moves/transfer/", move_transfer, name="transfer"),
    path("warehouses/", warehouse_list, name="warehouses"),
    path("warehouses/new/", warehouse_create, name="warehouse_create"),
    path("warehouses/<int:pk>/edit/", warehouse_edit, name="warehouse_edit"),
]
