"""Order pages: the list with filters, one order with lines, totals, address,
status history and change history, the review queue (approve, void with
reason, batch approve) and lookup by number or phone (ORD-8)."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from hotline.core.exceptions import DomainError
from hotline.orders import selectors
from hotline.orders.forms import VoidForm
from hotline.orders.models import Order
from hotline.orders.services import review
from hotline.orders.states import OrderStatus
from hotline.web.views.change_rows import change_entries
from hotline.web.views.common import paginate, render_list, require_view


def _date(raw):
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@never_cache
@login_required
def order_list(request):
    require_view(request.user, selectors.VIEW_ORDER)
    get = request.GET
    owner = get.get("owner", "")
    filters = {
        "status": get.get("status", "") if get.get("status") in OrderStatus.values else "",
        "date_from": _date(get.get("date_from")),
        "date_to": _date(get.get("date_to")),
        "owner_id": int(owner) if owner.isdigit() else None,
        "q": get.get("q", ""),
    }
    orders = selectors.order_list(actor=request.user, **filters)
    context = {"page": paginate(request, orders), "filters": filters, "statuses": OrderStatus}
    return render_list(request, "orders/list.html", "orders/_list.html", context)


def _order(request, pk: int) -> Order:
    try:
        return selectors.order_detail(actor=request.user, pk=pk)
    except Order.DoesNotExist:
        raise Http404 from None


@never_cache
@xframe_options_sameorigin  # shown in the agent desktop's order panel once placed
@login_required
def order_detail(request, pk: int):
    order = _order(request, pk)
    context = {
        "order": order,
        "changes": change_entries(order.change_history()[:50]),
        "void_form": VoidForm(),
        "reviewable": order.status in (OrderStatus.ORDERED, OrderStatus.UNDER_REVIEW)
        and request.user.has_perm(review.REVIEW_ORDER),
        "voidable": order.status in (OrderStatus.ORDERED, OrderStatus.UNDER_REVIEW, "approved")
        and request.user.has_perm(review.REVIEW_ORDER),
        "shippable": order.status == OrderStatus.PICKING
        and request.user.has_perm(selectors.SHIP_ORDER),
        "has_delivery_note": order.status in selectors.DELIVERY_NOTE_STATUSES,
    }
    return render(request, "orders/detail.html", context)


def _back(request, order):
    target = request.POST.get("next", "")
    return redirect(target if target.startswith("/") else order.get_absolute_url())


@require_POST
@login_required
def order_approve(request, pk: int):
    order = _order(request, pk)
    try:
        review.order_approve(actor=request.user, order=order)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Order %(number)s approved.") % {"number": order.number})
    return _back(request, order)


@require_POST
@login_required
def order_void(request, pk: int):
    order = _order(request, pk)
    try:
        review.order_void(actor=request.user, order=order, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Order %(number)s voided.") % {"number": order.number})
    return _back(request, order)


@never_cache
@login_required
def review_queue(request):
    require_view(request.user, review.REVIEW_ORDER)
    if request.method == "POST":
        try:
            count = review.orders_batch_approve(actor=request.user, ids=request.POST.getlist("ids"))
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(count)d orders approved.") % {"count": count})
        return redirect(reverse("orders:review"))
    orders = selectors.review_queue(actor=request.user)
    return render(request, "orders/review.html", {"page": paginate(request, orders)})


@never_cache
@login_required
def order_lookup(request):
    require_view(request.user, selectors.VIEW_ORDER)
    number, phone = request.GET.get("number", ""), request.GET.get("phone", "")
    found = selectors.order_lookup(actor=request.user, number=number, phone=phone)
    context = {"orders": found, "number": number, "phone": phone, "asked": bool(number or phone)}
    return render(request, "orders/lookup.html", context)


urlpatterns = [
    path("", order_list, name="list"),
    path("review/", review_queue, name="review"),
    path("lookup/", order_lookup, name="lookup"),
    path("<int:pk>/", order_detail, name="detail"),
    path("<int:pk>/approve/", order_approve, name="approve"),
    path("<int:pk>/void/", order_void, name="void"),
]
