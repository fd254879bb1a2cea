"""Management of the organisation: departments (a tree) and teams."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from hotline.accounts import selectors, services
from hotline.core.exceptions import DomainError
from hotline.web.forms import DepartmentForm, TeamForm
from hotline.web.views.common import require_view, show_domain_error

# --- departments ------------------------------------------------------------


@login_required
def department_list(request):
    require_view(request.user, "accounts.view_department")
    departments = selectors.department_tree(actor=request.user).annotate(
        child_count=Count("children", distinct=True),
        team_count=Count("teams", distinct=True),
        member_count=Count("members", distinct=True),
    )
    return render(request, "web/departments/list.html", {"departments": departments})


def _department_save(request, form, department):
    data = form.service_kwargs()
    if department is None:
        return services.department_create(actor=request.user, **data)
    return services.department_update(actor=request.user, department=department, **data)


def _department_form(request, department=None):
    form = DepartmentForm(request.POST or None, actor=request.user, instance=department)
    if request.method == "POST" and form.is_valid():
        try:
            saved = _department_save(request, form, department)
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            messages.success(request, _("Department “%(name)s” was saved.") % {"name": saved})
            return redirect("web:department_list")
    return render(request, "web/departments/form.html", {"form": form, "object": department})


@never_cache
@login_required
def department_create(request):
    require_view(request.user, "accounts.add_department")
    return _department_form(request)


@never_cache
@login_required
def department_edit(request, pk: int):
    require_view(request.user, "accounts.change_department")
    department = get_object_or_404(selectors.department_tree(actor=request.user), pk=pk)
    return _department_form(request, department)


@require_POST
@login_required
def department_delete(request, pk: int):
    department = get_object_or_404(selectors.department_tree(actor=request.user), pk=pk)
    try:
        services.department_delete(actor=request.user, department=department)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Department “%(name)s” was deleted.") % {"name": department})
    return redirect("web:department_list")


# --- teams ------------------------------------------------------------------


@login_required
def team_list(request):
    require_view(request.user, "accounts.view_team")
    teams = selectors.team_list(actor=request.user).annotate(member_count=Count("members"))
    return render(request, "web/teams/list.html", {"teams": teams})


def _team_save(request, form, team):
    data = form.service_kwargs()
    if team is None:
        return services.team_create(actor=request.user, **data)
    return services.team_update(actor=request.user, team=team, **data)


def _team_form(request, team=None):
    form = TeamForm(request.POST or None, actor=request.user, instance=team)
    if request.method == "POST" and form.is_valid():
        try:
            saved = _team_save(request, form, team)
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            messages.success(request, _("Team “%(name)s” was saved.") % {"name": saved})
            return redirect("web:team_list")
    return render(request, "web/teams/form.html", {"form": form, "object": team})


@never_cache
@login_required
def team_create(request):
    require_view(request.user, "accounts.add_team")
    return _team_form(request)


@never_cache
@login_required
def team_edit(request, pk: int):
    require_view(request.user, "accounts.change_team")
    team = get_object_or_404(selectors.team_list(actor=request.user), pk=pk)
    return _team_form(request, team)


@require_POST
@login_required
def team_delete(request, pk: int):
    team = get_object_or_404(selectors.team_list(actor=request.user), pk=pk)
    try:
        services.team_delete(actor=request.user, team=team)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Team “%(name)s” was deleted.") % {"name": team})
    return redirect("web:team_list")
