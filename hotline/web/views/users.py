"""Management of users: list, create, edit (with roles) and set a password."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from hotline.accounts import selectors, services
from hotline.accounts.models import User
from hotline.core.exceptions import DomainError
from hotline.core.permissions import require_object_perm
from hotline.web.forms import SetPasswordForm, UserCreateForm, UserFilterForm, UserForm
from hotline.web.views.common import paginate, render_list, require_view, show_domain_error


@login_required
def user_list(request):
    require_view(request.user, "accounts.view_user")
    form = UserFilterForm(request.GET or None, actor=request.user)
    search, department = "", None
    if form.is_valid():
        search = form.cleaned_data["q"].strip()
        department = form.cleaned_data["department"]
    users = selectors.user_list(
        actor=request.user, search=search, department_id=department.pk if department else None
    )
    context = {"filter_form": form, "page": paginate(request, users)}
    return render_list(request, "web/users/list.html", "web/users/_results.html", context)


def _roles_changed(user: User, roles) -> bool:
    return set(user.roles.values_list("pk", flat=True)) != {role.pk for role in roles}


@never_cache
@login_required
def user_create(request):
    require_view(request.user, "accounts.add_user")
    form = UserCreateForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(
                actor=request.user,
                username=data["username"],
                password=data["password1"],
                roles=list(data["roles"]),
                **form.service_kwargs(),
            )
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            messages.success(request, _("User “%(user)s” was created.") % {"user": user})
            return redirect("web:user_edit", pk=user.pk)
    return render(request, "web/users/form.html", {"form": form, "object": None})


def _save_user(actor, user: User, form: UserForm) -> None:
    """The user's fields and roles together: both or neither."""
    roles = list(form.cleaned_data["roles"])
    with transaction.atomic():
        services.user_update(actor=actor, user=user, **form.service_kwargs())
        if _roles_changed(user, roles):
            services.user_set_roles(actor=actor, user=user, roles=roles)


@never_cache
@login_required
def user_edit(request, pk: int):
    require_view(request.user, "accounts.view_user")
    user = get_object_or_404(User.objects.restrict(request.user, "view"), pk=pk)
    require_object_perm(request.user, user, "change")
    form = UserForm(request.POST or None, actor=request.user, instance=user)
    if request.method == "POST" and form.is_valid():
        try:
            _save_user(request.user, user, form)
        except DomainError as exc:
            user.refresh_from_db()
            show_domain_error(form, exc)
        else:
            messages.success(request, _("User “%(user)s” was saved.") % {"user": user})
            return redirect("web:user_edit", pk=user.pk)
    context = {"form": form, "object": user, "password_form": SetPasswordForm()}
    return render(request, "web/users/form.html", context)


@never_cache
@login_required
def user_password(request, pk: int):
    user = get_object_or_404(User.objects.restrict(request.user, "view"), pk=pk)
    require_object_perm(request.user, user, "change")
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_set_password(
                actor=request.user, user=user, password=form.cleaned_data["password1"]
            )
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            messages.success(request, _("The password of “%(user)s” was set.") % {"user": user})
            return redirect("web:user_edit", pk=user.pk)
    return render(request, "web/users/password.html", {"form": form, "object": user})
