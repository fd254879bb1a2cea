"""Management of custom field definitions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from hotline.core import services
from hotline.core.exceptions import DomainError
from hotline.core.selectors import custom_field_list
from hotline.web.forms import CustomFieldForm
from hotline.web.views.common import require_view, show_domain_error


@login_required
def customfield_list(request):
    require_view(request.user, "core.view_customfield")
    fields = custom_field_list(actor=request.user)
    context = {"fields": fields, "supported": bool(services.custom_field_models())}
    return render(request, "web/custom_fields/list.html", context)


def _save(request, form, custom_field):
    data = form.service_kwargs()
    if custom_field is None:
        return services.custom_field_create(actor=request.user, **data)
    return services.custom_field_update(actor=request.user, custom_field=custom_field, **data)


def _form(request, custom_field=None):
    form = CustomFieldForm(request.POST or None, instance=custom_field)
    if request.method == "POST" and form.is_valid():
        try:
            saved = _save(request, form, custom_field)
        except DomainError as exc:
            if custom_field is not None:
                custom_field.refresh_from_db()
            show_domain_error(form, exc)
        else:
            messages.success(request, _("Custom field “%(name)s” was saved.") % {"name": saved})
            return redirect("web:customfield_list")
    context = {"form": form, "object": custom_field}
    return render(request, "web/custom_fields/form.html", context)


@never_cache
@login_required
def customfield_create(request):
    require_view(request.user, "core.add_customfield")
    return _form(request)


@never_cache
@login_required
def customfield_edit(request, pk: int):
    require_view(request.user, "core.change_customfield")
    custom_field = get_object_or_404(custom_field_list(actor=request.user), pk=pk)
    return _form(request, custom_field)


@require_POST
@login_required
def customfield_delete(request, pk: int):
    custom_field = get_object_or_404(custom_field_list(actor=request.user), pk=pk)
    try:
        services.custom_field_delete(actor=request.user, custom_field=custom_field)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Custom field “%(name)s” was deleted.") % {"name": custom_field}
        )
    return redirect("web:customfield_list")
