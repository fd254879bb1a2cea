"""The audit log (logins, tokens, refusals) and the change history of records."""

from django.contrib.auth.decorators import login_required

from hotline.accounts import selectors
from hotline.core.selectors import object_change_list
from hotline.web.forms import AuditFilterForm, ChangeFilterForm
from hotline.web.views.change_rows import change_entries
from hotline.web.views.common import paginate, render_list, require_view


@login_required
def audit_list(request):
    require_view(request.user, "accounts.view_auditevent")
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    events = selectors.audit_event_list(
        actor=request.user,
        action=filters.get("action", ""),
        username=filters.get("username", ""),
    )
    context = {"filter_form": form, "page": paginate(request, events)}
    return render_list(request, "web/audit/list.html", "web/audit/_results.html", context)


@login_required
def change_list(request):
    require_view(request.user, "core.view_objectchange")
    form = ChangeFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    content_type = filters.get("content_type")
    changes = object_change_list(
        actor=request.user,
        action=filters.get("action", ""),
        username=filters.get("username", ""),
        content_type_id=content_type.pk if content_type else None,
        search=filters.get("q", ""),
    )
    page = paginate(request, changes)
    context = {"filter_form": form, "page": page, "entries": change_entries(page.object_list)}
    return render_list(request, "web/changes/list.html", "web/changes/_results.html", context)
