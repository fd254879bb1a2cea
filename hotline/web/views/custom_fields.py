"""Management of custom field definitions."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from hotline.core import services
from hotline.core.selectors import custom_field_list
from hotline.web.forms import CustomFieldForm
from hotline.web.views.common import delete_action, form_page, require_view


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
    return form_page(
        request,
        CustomFieldForm(request.POST or None, instance=custom_field),
        save=lambda form: _save(request, form, custom_field),
        saved_message=_("Custom field “%(name)s” was saved."),
        success_url="web:customfield_list",
        template="web/custom_fields/form.html",
        instance=custom_field,
    )


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
    return delete_action(
        request,
        custom_field,
        delete=lambda: services.custom_field_delete(actor=request.user, custom_field=custom_field),
        deleted_message=_("Custom field “%(name)s” was deleted."),
        success_url="web:customfield_list",
    )
