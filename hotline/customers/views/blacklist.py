"""The blacklist pages (CUS-6): the list with an add form for leads, one
entry with its reports and refusal windows, and the report action used from
the customer page and the agent desktop."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from hotline.core.exceptions import DomainError
from hotline.customers.selectors.blacklist import (
    blacklist_entries,
    blacklist_reports,
    blacklist_status,
    window_as_dict,
)
from hotline.customers.services import blacklist as services
from hotline.web.views.common import paginate, render_list, require_view, show_domain_error

STATUS_CHOICES = {
    "active": (gettext_lazy("On the blacklist"), True),
    "inactive": (gettext_lazy("Removed"), False),
    "all": (gettext_lazy("All"), None),
}


class NumberReasonForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Phone number"), max_length=40)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)


class BlacklistAddForm(NumberReasonForm):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200, required=False)


class WindowForm(forms.Form):
    weekdays = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Weekdays"),
        choices=list(WEEKDAYS_ABBR.items()),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None ticked: every day."),
    )
    start = forms.TimeField(
        label=gettext_lazy("From"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    end = forms.TimeField(
        label=gettext_lazy("Until"),
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text=gettext_lazy("Before the start: the window spans midnight."),
    )

    def window(self) -> dict:
        data = self.cleaned_data
        return {
            "weekdays": data["weekdays"],
            "start": data["start"].strftime("%H:%M"),
            "end": data["end"].strftime("%H:%M"),
        }


def weekdays_label(days) -> str:
    if not days or len(days) == 7:
        return _("Every day")
    return " ".join(str(WEEKDAYS_ABBR[day]) for day in days)


def _windows(entry) -> list[dict]:
    return [
        {**window_as_dict(window), "days": weekdays_label(window.weekdays)}
        for window in entry.windows.all()
    ]


def _next_url(request, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


@never_cache
@login_required
def blacklist_list(request):
    require_view(request.user, "customers.view_blacklistentry")
    add_form = BlacklistAddForm(request.POST or None)
    if request.method == "POST" and add_form.is_valid():
        try:
            entry = services.blacklist_add(actor=request.user, **add_form.cleaned_data)
        except DomainError as exc:
            show_domain_error(add_form, exc)
        else:
            messages.success(request, _("%(number)s was blacklisted.") % {"number": entry.number})
            return redirect("customers:blacklist_detail", entry.pk)
    status = request.GET.get("status", "active")
    if status not in STATUS_CHOICES:
        status = "active"
    entries = blacklist_entries(actor=request.user, active=STATUS_CHOICES[status][1])
    page = paginate(request, entries)
    for entry in page.object_list:
        entry.window_rows = _windows(entry)
    context = {
        "page": page,
        "status": status,
        "statuses": [(key, label) for key, (label, _active) in STATUS_CHOICES.items()],
        "add_form": add_form,
    }
    return render_list(
        request, "customers/blacklist/list.html", "customers/blacklist/_results.html", context
    )


def _detail_context(request, entry, window_form=None) -> dict:
    return {
        "entry": entry,
        "windows": _windows(entry),
        "reports": blacklist_reports(actor=request.user, number=entry.number)[:200],
        "status": blacklist_status(entry.number),
        "window_form": window_form or WindowForm(),
    }


@never_cache
@login_required
def blacklist_detail(request, pk: int):
    entry = get_object_or_404(blacklist_entries(actor=request.user), pk=pk)
    window_form = None
    if request.method == "POST":
        window_form = WindowForm(request.POST)
        if window_form.is_valid():
            windows = [*(window_as_dict(w) for w in entry.windows.all()), window_form.window()]
            try:
                services.blacklist_set_windows(actor=request.user, entry=entry, windows=windows)
            except DomainError as exc:
                show_domain_error(window_form, exc)
            else:
                messages.success(request, _("The window was added."))
                return redirect("customers:blacklist_detail", entry.pk)
    return render(
        request, "customers/blacklist/detail.html", _detail_context(request, entry, window_form)
    )


@require_POST
@login_required
def blacklist_window_remove(request, pk: int, index: int):
    entry = get_object_or_404(blacklist_entries(actor=request.user), pk=pk)
    windows = [window_as_dict(w) for w in entry.windows.all()]
    if 0 <= index < len(windows):
        del windows[index]
        try:
            services.blacklist_set_windows(actor=request.user, entry=entry, windows=windows)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The window was removed."))
    return redirect("customers:blacklist_detail", entry.pk)


@require_POST
@login_required
def blacklist_remove(request, pk: int):
    entry = get_object_or_404(blacklist_entries(actor=request.user), pk=pk)
    try:
        services.blacklist_remove(actor=request.user, entry=entry)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("%(number)s was taken off the blacklist.") % {"number": entry.number}
        )
    return redirect(_next_url(request, reverse("customers:blacklist")))


@never_cache
@login_required
def blacklist_report(request):
    """Report a number with a reason. With htmx the answer is the form's
    fragment (with the outcome or the errors); otherwise a redirect to
    ``next`` with a message."""
    require_view(request.user, "customers.add_blacklistreport")
    form = NumberReasonForm(request.POST or None, initial={"number": request.GET.get("number")})
    outcome = None
    if request.method == "POST" and form.is_valid():
        try:
            report = services.blacklist_report(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            outcome = blacklist_status(report.number)
            if not request.htmx:
                messages.success(request, _report_message(outcome))
                return redirect(_next_url(request, reverse("customers:blacklist_report")))
            form = NumberReasonForm()
    template = (
        "customers/blacklist/_report_form.html"
        if request.htmx
        else "customers/blacklist/report.html"
    )
    context = {
        "form": form,
        "outcome": outcome,
        "message": outcome and _report_message(outcome),
        "next": request.POST.get("next") or request.GET.get("next", ""),
    }
    return render(request, template, context)


def _report_message(status: dict) -> str:
    if status["listed"]:
        return _("Reported. %(number)s is on the blacklist (%(n)d reports).") % {
            "number": status["number"],
            "n": status["reports"],
        }
    return ngettext(
        "Reported. %(number)s has %(n)d report.",
        "Reported. %(number)s has %(n)d reports.",
        status["reports"],
    ) % {"number": status["number"], "n": status["reports"]}


urlpatterns = [
    path("blacklist/", blacklist_list, name="blacklist"),
    path("blacklist/report/", blacklist_report, name="blacklist_report"),
    path("blacklist/<int:pk>/", blacklist_detail, name="blacklist_detail"),
    path("blacklist/<int:pk>/remove/", blacklist_remove, name="blacklist_remove"),
    path(
        "blacklist/<int:pk>/windows/<int:index>/remove/",
        blacklist_window_remove,
        name="blacklist_window_remove",
    ),
]
