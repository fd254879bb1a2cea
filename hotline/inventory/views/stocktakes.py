"""Stocktake count sheets: create, enter counts, post (INV-4)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from hotline.core.exceptions import DomainError
from hotline.inventory import selectors
from hotline.inventory.forms import StocktakeForm, line_numbers
from hotline.inventory.services import stocktakes
from hotline.web.views.common import paginate, require_view, show_domain_error


@never_cache
@login_required
def stocktake_list(request):
    require_view(request.user, "inventory.view_stocktake")
    form = StocktakeForm(request.POST or None)
    if request.method == "POST":
        require_view(request.user, "inventory.add_stocktake")
        if form.is_valid():
            try:
                sheet = stocktakes.stocktake_create(actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                show_domain_error(form, exc)
            else:
                return redirect("inventory:stocktake", pk=sheet.pk)
    sheets = selectors.stocktakes_visible(request.user)
    return render(
        request, "inventory/stocktakes/list.html", {"page": paginate(request, sheets), "form": form}
    )


@never_cache
@login_required
def stocktake_detail(request, pk: int):
    sheet = get_object_or_404(selectors.stocktakes_visible(request.user), pk=pk)
    lines = list(sheet.lines.select_related("product"))
    if request.method == "POST":
        try:
            counts = line_numbers(request.POST, "count_", [line.pk for line in lines])
            stocktakes.stocktake_count(actor=request.user, stocktake=sheet, counts=counts)
            if "post" in request.POST:
                stocktakes.stocktake_post(
                    actor=request.user, stocktake=sheet, reason=request.POST.get("reason", "")
                )
                messages.success(request, _("The differences were posted to stock."))
            else:
                messages.success(request, _("The counts were saved."))
        except ValueError:
            messages.error(request, _("Enter whole numbers."))
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("inventory:stocktake", pk=pk)
    return render(
        request,
        "inventory/stocktakes/detail.html",
        {"sheet": sheet, "lines": lines, "editable": sheet.status == sheet.Status.COUNTING},
    )


@require_POST
@login_required
def stocktake_cancel(request, pk: int):
    sheet = get_object_or_404(selectors.stocktakes_visible(request.user), pk=pk)
    try:
        stocktakes.stocktake_cancel(actor=request.user, stocktake=sheet)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("inventory:stocktake", pk=pk)


urlpatterns = [
    path("stocktakes/", stocktake_list, name="stocktakes"),
    path("stocktakes/<int:pk>/", stocktake_detail, name="stocktake"),
    path("stocktakes/<int:pk>/cancel/", stocktake_cancel, name="stocktake_cancel"),
]
