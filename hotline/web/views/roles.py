"""Management of roles: permissions (grouped by app) and data scope."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from hotline.accounts import selectors, services
from hotline.web.forms import RoleForm
from hotline.web.views.common import form_page, require_view


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
    return form_page(
        request,
        RoleForm(request.POST or None, instance=role),
        save=lambda form: _role_save(request, form, role),
        saved_message=_("Role “%(name)s” was saved."),
        success_url="web:role_list",
        template="web/roles/form.html",
        instance=role,
    )


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
