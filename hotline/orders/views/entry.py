"""The new-order page, fit for use during a call: pick the customer (search or
?customer=<id>), search products by name, SKU or pinyin initials (htmx live
results priced for the customer, with stock), edit the lines, see the totals,
place the order. The lines travel as ``item`` ("product:12" / "bundle:3")
and ``quantity`` pairs; buttons add, remove or recalculate without saving."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin

from hotline.catalog.selectors import catalog_search
from hotline.core.exceptions import DomainError
from hotline.customers.models import Customer
from hotline.customers.selectors.customers import customer_quick_search
from hotline.orders.forms import OrderEntryForm
from hotline.orders.selectors import order_quote
from hotline.orders.services.entry import ADD_ORDER, order_create
from hotline.web.views.common import require_view, show_domain_error

KINDS = {"product": "product_id", "bundle": "bundle_id"}


def _lines_from(post) -> list[dict]:
    lines = []
    for item, quantity in zip(post.getlist("item"), post.getlist("quantity"), strict=False):
        kind, _sep, pk = item.partition(":")
        if kind in KINDS and pk.isdigit():
            qty = quantity.strip()
            lines.append({KINDS[kind]: int(pk), "quantity": int(qty) if qty.isdigit() else qty})
    return lines


def _edit_lines(post, lines: list[dict]) -> list[dict]:
    if post.get("remove", "").isdigit():
        index = int(post["remove"])
        lines = [line for i, line in enumerate(lines) if i != index]
    add = post.get("add", "")
    kind, _sep, pk = add.partition(":")
    if kind in KINDS and pk.isdigit():
        for line in lines:
            if line.get(KINDS[kind]) == int(pk) and isinstance(line["quantity"], int):
                line["quantity"] += 1
                break
        else:
            lines.append({KINDS[kind]: int(pk), "quantity": 1})
    return lines


def _customer(request):
    raw = request.GET.get("customer") or request.POST.get("customer") or ""
    if not raw.isdigit():
        return None
    return get_object_or_404(Customer.objects.restrict(request.user, "view").current(), pk=raw)


def _call_param(request) -> str:
    """The call the order is taken in, passed along while a customer is picked."""
    call = request.GET.get("call", "")
    return call if call.isdigit() else ""


@never_cache
@xframe_options_sameorigin  # the agent desktop shows it in a panel during a call
@login_required
def order_new(request):
    require_view(request.user, ADD_ORDER)
    customer = _customer(request)
    if customer is None:
        context = {"q": request.GET.get("q", ""), "call": _call_param(request)}
        return render(request, "orders/entry/pick_customer.html", context)
    lines = _lines_from(request.POST) if request.method == "POST" else []
    initial = {"call_id": request.GET.get("call", "")}
    form = OrderEntryForm(request.POST or None, customer=customer, initial=initial)
    placing = request.method == "POST" and "place" in request.POST
    if not placing:
        lines = _edit_lines(request.POST, lines)
        form = OrderEntryForm(request.POST or None, customer=customer, initial=initial)
        if form.is_bound:
            form.is_valid()
            form._errors = {}  # editing lines: do not shout about fields yet
    elif form.is_valid():
        try:
            order = order_create(
                actor=request.user, customer=customer, lines=lines, **form.service_kwargs()
            )
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            messages.success(request, _("Order %(number)s placed.") % {"number": order.number})
            for text in order.warning_messages():
                messages.warning(request, text)
            return redirect(order.get_absolute_url())
    warehouse = form.cleaned_data.get("warehouse") if hasattr(form, "cleaned_data") else None
    quote = order_quote(actor=request.user, customer=customer, lines=lines, warehouse=warehouse)
    context = {"customer": customer, "form": form, "quote": quote}
    return render(request, "orders/entry/form.html", context)


@never_cache
@login_required
def customer_pick(request):
    require_view(request.user, ADD_ORDER)
    q = request.GET.get("q", "").strip()
    found = list(customer_quick_search(actor=request.user, q=q)[:20]) if q else []
    context = {"customers": found, "q": q, "call": _call_param(request)}
    return render(request, "orders/entry/_customers.html", context)


@never_cache
@login_required
def product_pick(request):
    require_view(request.user, ADD_ORDER)
    customer = _customer(request)
    q = request.GET.get("q", "").strip()
    hits = catalog_search(actor=request.user, q=q, customer=customer) if q else []
    return render(request, "orders/entry/_products.html", {"hits": hits, "q": q})


urlpatterns = [
    path("new/", order_new, name="create"),
    path("new/customers/", customer_pick, name="pick_customer"),
    path("new/products/", product_pick, name="pick_product"),
]
