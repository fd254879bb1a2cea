"""Care lists (CUS-11): birthdays today, in the coming week and this month,
and the saved searches marked as care lists with their suggested action."""

from django.contrib.auth.decorators import login_required
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from hotline.core.exceptions import DomainError
from hotline.customers.selectors.care import PERIODS, birthday_counts, birthday_customers
from hotline.customers.selectors.customers import customer_search
from hotline.customers.selectors.searches import saved_searches_visible
from hotline.web.views.common import paginate, render_list, require_view

PERIOD_LABELS = {
    "today": _("Birthdays today"),
    "week": _("Birthdays in the coming 7 days"),
    "month": _("Birthdays this month"),
}


def _tab(request, care_lists):
    """The selected tab: a birthday period or a care list's id."""
    tab = request.GET.get("list") or "today"
    if tab in PERIODS:
        return tab, None
    return tab, next((s for s in care_lists if str(s.pk) == tab), None)


def _customers(request, tab, care_list, today):
    if care_list is not None:
        try:
            return customer_search(actor=request.user, criteria=care_list.query), None
        except DomainError as exc:
            return [], exc.message
    if tab not in PERIODS:
        tab = "today"
    return birthday_customers(actor=request.user, period=tab, today=today), None


@never_cache
@login_required
def care_lists(request):
    require_view(request.user, "customers.view_customer")
    today = timezone.localdate()
    lists = list(saved_searches_visible(request.user, care_lists_only=True))
    tab, care_list = _tab(request, lists)
    customers, error = _customers(request, tab, care_list, today)
    counts = birthday_counts(actor=request.user, today=today)
    context = {
        "today": today,
        "tab": tab,
        "care_list": care_list,
        "periods": [(key, PERIOD_LABELS[key], counts[key]) for key in PERIODS],
        "care_lists": lists,
        "page": paginate(request, customers),
        "error": error,
        "heading": care_list.name if care_list else PERIOD_LABELS.get(tab, PERIOD_LABELS["today"]),
    }
    return render_list(request, "customers/care/list.html", "customers/care/_results.html", context)


urlpatterns = [path("care/", care_lists, name="care")]
