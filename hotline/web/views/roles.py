"""Management of roles: permissions (grouped by app) and data scope."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from hotline.accounts import selectors, services
from hotline.core.exceptions import DomainError
from hotline.web.forms import RoleForm
from hotline.web.views.common import require_view, show_domain_error


@login_required
def role_list(request):
    require_view(request.user, "accounts.view_role")
    roles = (
        selectors.role_list(actor=request.user)
        .prefetch_related(None)
        .annotate(
            user_count=Count("users", distinct=True),
            permission_count=Count("permissions", distinct=True),
        )
    )
    return render(request, "web/roles/list.html", {"roles": roles})


def _role_save(request, form, role):
    data = form.service_kwargs()
    permissions = list(form.cleaned_data["permissions"])
    if role is None:
        return services.role_create(actor=request.user, permissions=permissions, **data)
    return services.role_update(actor=request.user, role=role, permissions=permissions, **data)


def _role_form(request, role=None):
    form = RoleForm(request.POST or None, instance=role)
    if request.method == "POST" and form.is_valid():
        try:
            saved = _role_save(request, form, role)
        except DomainError as exc:
            if role is not None:
                role.refresh_from_db()
            show_domain_error(form, exc)
        else:
            messages.success(request, _("Role “%(name)s” was saved.") % {"name": saved})
            return redirect("web:role_list")
    return render(request, "web/roles/form.html", {"form": form, "object": role})


@never_cache
@login_required
def role_create(request):
    require_view(request.user, "accounts.add_role")
    return _role_form(request)


@never_cache
@login_required
def role_edit(request, pk: int):
    require_view(request.user, "accounts.change_role")
    role = get_object_or_404(selectors.role_list(actor=request.user), pk=pk)
    return _role_form(request, role)
