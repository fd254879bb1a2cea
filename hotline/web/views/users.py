"""Management of users: list, create, edit (with roles) and set a password."""

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from hotline.accounts import selectors, services
from hotline.accounts.models import User
from hotline.core.permissions import require_object_perm
from hotline.web.forms import SetPasswordForm, UserCreateForm, UserFilterForm, UserForm
from hotline.web.views.common import form_page, paginate, render_list, require_view


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


def _create_user(actor, form: UserCreateForm) -> User:
    data = form.cleaned_data
    return services.user_create(
        actor=actor,
        username=data["username"],
        password=data["password1"],
        roles=list(data["roles"]),
        **form.service_kwargs(),
    )


def _save_user(actor, user: User, form: UserForm) -> User:
    """The user's fields and roles together: both or neither."""
    roles = list(form.cleaned_data["roles"])
    with transaction.atomic():
        services.user_update(actor=actor, user=user, **form.service_kwargs())
        if _roles_changed(user, roles):
            services.user_set_roles(actor=actor, user=user, roles=roles)
    return user


def _edit_url(user: User) -> str:
    return reverse("web:user_edit", args=[user.pk])


@never_cache
@login_required
def user_create(request):
    require_view(request.user, "accounts.add_user")
    return form_page(
        request,
        UserCreateForm(request.POST or None, actor=request.user),
        save=lambda form: _create_user(request.user, form),
        saved_message=_("User “%(name)s” was created."),
        success_url=_edit_url,
        template="web/users/form.html",
    )


@never_cache
@login_required
def user_edit(request, pk: int):
    require_view(request.user, "accounts.view_user")
    user = get_object_or_404(User.objects.restrict(request.user, "view"), pk=pk)
    require_object_perm(request.user, user, "change")
    return form_page(
        request,
        UserForm(request.POST or None, actor=request.user, instance=user),
        save=lambda form: _save_user(request.user, user, form),
        saved_message=_("User “%(name)s” was saved."),
        success_url=_edit_url,
        template="web/users/form.html",
        instance=user,
        context={"password_form": SetPasswordForm()},
    )


@never_cache
@login_required
def user_password(request, pk: int):
    user = get_object_or_404(User.objects.restrict(request.user, "view"), pk=pk)
    require_object_perm(request.user, user, "change")
    return form_page(
        request,
        SetPasswordForm(request.POST or None),
        save=lambda form: services.user_set_password(
            actor=request.user, user=user, password=form.cleaned_data["password1"]
        ),
        saved_message=_("The password of “%(name)s” was set."),
        success_url=_edit_url,
        template="web/users/password.html",
        context={"object": user},
    )
