"""Pending item pages (CB-5): the user's own open items (or, for a lead, the
items of their scope), a new item (from a customer page with
``?customer=<id>``) and marking an item done."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from hotline.callbacks import selectors
from hotline.callbacks.forms import PENDING_STATUS_CHOICES, PendingItemForm
from hotline.callbacks.models import PendingItem
from hotline.callbacks.services import pending as services
from hotline.callbacks.services.common import users_in_scope
from hotline.core.exceptions import DomainError
from hotline.core.scope import DataScope
from hotline.customers.models import Customer
from hotline.web.views.common import paginate, render_list, require_view, show_domain_error

VIEW = "callbacks.view_pendingitem"
ADD = "callbacks.add_pendingitem"


def _sees_others(user, perm: str) -> bool:
    return user.is_superuser or user.data_scope(perm) not in (None, DataScope.OWN)


@never_cache
@login_required
def pending_list(request):
    require_view(request.user, VIEW)
    status = request.GET.get("status", PendingItem.Status.OPEN)
    if status not in PendingItem.Status.values:
        status = ""
    everyone = request.GET.get("scope") == "all" and _sees_others(request.user, VIEW)
    if everyone:
        items = selectors.pending_item_list(actor=request.user, status=status)
    else:
        items = selectors.my_pending_items(actor=request.user, status=status)
    context = {
        "page": paginate(request, items),
        "status": status,
        "statuses": PENDING_STATUS_CHOICES,
        "everyone": everyone,
        "sees_others": _sees_others(request.user, VIEW),
        "now": timezone.now(),
    }
    return render_list(
        request, "callbacks/pending/list.html", "callbacks/pending/_list.html", context
    )


@never_cache
@login_required
def pending_create(request):
    require_view(request.user, ADD)
    raw = request.POST.get("customer") or request.GET.get("customer", "")
    customer = None
    if raw:
        if not raw.isdigit():
            raise Http404
        customer = get_object_or_404(Customer.objects.restrict(request.user, "view"), pk=raw)
    handlers = None
    if _sees_others(request.user, ADD):
        handlers = users_in_scope(request.user, ADD).filter(is_active=True).order_by("username")
    form = PendingItemForm(request.POST or None, handlers=handlers)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            item = services.pending_item_create(
                actor=request.user,
                title=data["title"],
                due_at=data["due_at"],
                note=data["note"],
                customer=customer,
                handler=data.get("handler"),
            )
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            messages.success(request, _("Pending item “%(name)s” was saved.") % {"name": item})
            target = customer.get_absolute_url() if customer else reverse("callbacks:pending")
            return redirect(target)
    return render(request, "callbacks/pending/form.html", {"form": form, "customer": customer})


@require_POST
@login_required
def pending_done(request, pk: int):
    item = get_object_or_404(selectors.pending_items_visible(request.user), pk=pk)
    try:
        services.pending_item_done(actor=request.user, item=item)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("“%(name)s” is done.") % {"name": item})
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect(reverse("callbacks:pending"))


urlpatterns = [
    path("pending/", pending_list, name="pending"),
    path("pending/new/", pending_create, name="pending_create"),
    path("pending/<int:pk>/done/", pending_done, name="pending_done"),
]
