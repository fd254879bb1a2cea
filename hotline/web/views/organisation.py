"""Management of the organisation: departments (a tree) and teams."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from hotline.accounts import selectors, services
from hotline.web.forms import DepartmentForm, TeamForm
from hotline.web.views.common import delete_action, form_page, require_view

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
    return form_page(
        request,
        form,
        save=lambda form: _department_save(request, form, department),
        saved_message=_("Department “%(name)s” was saved."),
        success_url="web:department_list",
        template="web/departments/form.html",
        instance=department,
    )


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
    return delete_action(
        request,
        department,
        delete=lambda: services.department_delete(actor=request.user, department=department),
        deleted_message=_("Department “%(name)s” was deleted."),
        success_url="web:department_list",
    )


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
    return form_page(
        request,
        form,
        save=lambda form: _team_save(request, form, team),
        saved_message=_("Team “%(name)s” was saved."),
        success_url="web:team_list",
        template="web/teams/form.html",
        instance=team,
    )


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
    return delete_action(
        request,
        team,
        delete=lambda: services.team_delete(actor=request.user, team=team),
        deleted_message=_("Team “%(name)s” was deleted."),
        success_url="web:team_list",
    )
