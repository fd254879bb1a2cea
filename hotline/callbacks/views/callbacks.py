"""Callback pages: the agent's own list with a result form per row (CB-4),
the leads' list of every callback in scope with manual allocation,
confirmation of suggestions and "allocate now" (CB-3), one callback with its
attempts and history, and scheduling a follow-up (CB-2)."""

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
from hotline.callbacks.forms import AssignForm, AttemptForm, ScheduleForm
from hotline.callbacks.models import CallbackTask
from hotline.callbacks.services import allocation
from hotline.callbacks.services import callbacks as work
from hotline.callbacks.services.common import (
    ADD_CALLBACK,
    ASSIGN_CALLBACK,
    CHANGE_CALLBACK,
    VIEW_CALLBACK,
)
from hotline.callbacks.states import CallbackKind, CallbackStatus
from hotline.core.exceptions import DomainError
from hotline.customers.models import Customer
from hotline.web.views.common import paginate, render_list, require_view, show_domain_error


def _task(request, pk: int) -> CallbackTask:
    try:
        return selectors.callback_detail(actor=request.user, pk=pk)
    except CallbackTask.DoesNotExist:
        raise Http404 from None


def _back(request, fallback: str):
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect(fallback)


def _error_text(exc: DomainError) -> str:
    details = exc.details if isinstance(exc.details, dict) else {}
    extra = [str(m) for msgs in details.values() if isinstance(msgs, list) for m in msgs]
    return " ".join([exc.message, *extra]) if extra else exc.message


# --- the agent's list -------------------------------------------------------


@never_cache
@login_required
def my_callbacks(request):
    require_view(request.user, VIEW_CALLBACK)
    tasks = selectors.my_callbacks(actor=request.user)
    context = {"page": paginate(request, tasks), "attempt_form": AttemptForm()}
    return render(request, "callbacks/mine.html", context)


@require_POST
@login_required
def callback_attempt(request, pk: int):
    task = _task(request, pk)
    form = AttemptForm(request.POST)
    if not form.is_valid():
        errors = [f"{form.fields[name].label}: {' '.join(e)}" for name, e in form.errors.items()]
        messages.error(request, " ".join(errors))
        return _back(request, reverse("callbacks:mine"))
    try:
        work.callback_record_attempt(
            actor=request.user,
            task=task,
            result=form.cleaned_data["result"],
            note=form.cleaned_data["note"],
            next_due_at=form.cleaned_data["next_due_at"],
        )
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(
            request,
            _("Result recorded for %(number)s: %(status)s.")
            % {"number": task.number, "status": task.get_status_display()},
        )
    return _back(request, reverse("callbacks:mine"))


# --- one callback -------------------------------------------------------------


@never_cache
@login_required
def callback_detail(request, pk: int):
    task = _task(request, pk)
    user = request.user
    can_assign = user.has_perm(ASSIGN_CALLBACK) and task.is_open
    context = {
        "task": task,
        "now": timezone.now(),
        "attempt_form": AttemptForm(),
        "can_record": task.status == CallbackStatus.ASSIGNED
        and CallbackTask.objects.restrict(user, "change").filter(pk=task.pk).exists(),
        "can_assign": can_assign,
        "assign_form": AssignForm(agents=selectors.assignable_agents(actor=user))
        if can_assign
        else None,
    }
    return render(request, "callbacks/detail.html", context)


# --- the leads' list ------------------------------------------------------------


def _filters(request) -> dict:
    get = request.GET
    owner = get.get("owner", "")
    overdue = get.get("overdue", "")
    return {
        "status": get.get("status", "") if get.get("status") in CallbackStatus.values else "",
        "kind": get.get("kind", "") if get.get("kind") in CallbackKind.values else "",
        "owner_id": int(owner) if owner.isdigit() else None,
        "overdue": {"1": True, "0": False}.get(overdue),
        "q": get.get("q", "").strip(),
        "open_only": get.get("status", "open") == "open",
    }


@never_cache
@login_required
def all_callbacks(request):
    require_view(request.user, ASSIGN_CALLBACK)
    filters = _filters(request)
    tasks = selectors.callback_list(actor=request.user, **filters)
    agents = list(selectors.assignable_agents(actor=request.user))
    context = {
        "page": paginate(request, tasks),
        "filters": filters,
        "status_value": request.GET.get("status", "open"),
        "statuses": CallbackStatus,
        "kinds": CallbackKind,
        "agents": agents,
    }
    return render_list(request, "callbacks/all.html", "callbacks/_all.html", context)


def _lead_action(request, pk: int, action, done_message: str):
    task = _task(request, pk)
    try:
        action(task)
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, done_message % {"number": task.number})
    return _back(request, reverse("callbacks:all"))


@require_POST
@login_required
def callback_assign(request, pk: int):
    require_view(request.user, ASSIGN_CALLBACK)
    owner_id = request.POST.get("owner", "")
    agent = (
        selectors.assignable_agents(actor=request.user).filter(pk=owner_id).first()
        if owner_id.isdigit()
        else None
    )
    if agent is None:
        messages.error(request, _("Choose an agent of your scope."))
        return _back(request, reverse("callbacks:all"))
    return _lead_action(
        request,
        pk,
        lambda task: allocation.callback_assign(actor=request.user, task=task, owner=agent),
        _("The callback to %(number)s was assigned."),
    )


@require_POST
@login_required
def callback_confirm(request, pk: int):
    require_view(request.user, ASSIGN_CALLBACK)
    return _lead_action(
        request,
        pk,
        lambda task: allocation.callback_suggest_confirm(actor=request.user, task=task),
        _("The suggestion for %(number)s was confirmed."),
    )


@require_POST
@login_required
def callback_reject(request, pk: int):
    require_view(request.user, ASSIGN_CALLBACK)
    return _lead_action(
        request,
        pk,
        lambda task: allocation.callback_suggest_reject(
            actor=request.user, task=task, note=request.POST.get("note", "")
        ),
        _("The suggestion for %(number)s was rejected; the callback is back in the pool."),
    )


@require_POST
@login_required
def callback_cancel(request, pk: int):
    require_view(request.user, ASSIGN_CALLBACK)
    return _lead_action(
        request,
        pk,
        lambda task: work.callback_cancel(
            actor=request.user, task=task, note=request.POST.get("note", "")
        ),
        _("The callback to %(number)s was cancelled."),
    )


@require_POST
@login_required
def callback_release(request, pk: int):
    require_view(request.user, CHANGE_CALLBACK)
    task = _task(request, pk)
    try:
        allocation.callback_release(
            actor=request.user, task=task, note=request.POST.get("note", "")
        )
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(
            request, _("The callback to %(number)s is back in the pool.") % {"number": task.number}
        )
    return _back(request, reverse("callbacks:mine"))


@require_POST
@login_required
def allocate_now(request):
    require_view(request.user, ASSIGN_CALLBACK)
    count = allocation.callbacks_allocate()
    messages.success(request, _("%(count)d callbacks were allocated.") % {"count": count})
    return redirect(reverse("callbacks:all"))


# --- scheduling a follow-up --------------------------------------------------------


@never_cache
@login_required
def schedule(request):
    require_view(request.user, ADD_CALLBACK)
    raw = request.POST.get("customer") or request.GET.get("customer", "")
    customer = None
    if raw:
        if not raw.isdigit():
            raise Http404
        customer = get_object_or_404(Customer.objects.restrict(request.user, "view"), pk=raw)
    agents = None
    if request.user.has_perm(ASSIGN_CALLBACK):
        agents = selectors.assignable_agents(actor=request.user)
    form = ScheduleForm(request.POST or None, agents=agents)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            task = work.callback_schedule(
                actor=request.user,
                customer=customer,
                number=data["number"],
                due_at=data["due_at"],
                note=data["note"],
                owner=data.get("owner"),
            )
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("A follow-up call to %(number)s was scheduled.") % {"number": task.number},
            )
            return redirect(customer.get_absolute_url() if customer else reverse("callbacks:mine"))
    return render(request, "callbacks/schedule.html", {"form": form, "customer": customer})


urlpatterns = [
    path("", my_callbacks, name="mine"),
    path("all/", all_callbacks, name="all"),
    path("allocate/", allocate_now, name="allocate"),
    path("schedule/", schedule, name="schedule"),
    path("<int:pk>/", callback_detail, name="detail"),
    path("<int:pk>/attempt/", callback_attempt, name="attempt"),
    path("<int:pk>/assign/", callback_assign, name="assign"),
    path("<int:pk>/confirm/", callback_confirm, name="confirm"),
    path("<int:pk>/reject/", callback_reject, name="reject"),
    path("<int:pk>/cancel/", callback_cancel, name="cancel"),
    path("<int:pk>/release/", callback_release, name="release"),
]
