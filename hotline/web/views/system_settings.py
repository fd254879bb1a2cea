"""Runtime settings an administrator changes (hotline.core.runtime_settings)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from hotline.core.exceptions import DomainError
from hotline.core.runtime_settings import REGISTRY, setting_get, setting_set
from hotline.web.views.common import require_view


def _rows(errors: dict, posted: dict) -> list[dict]:
    return [
        {
            "spec": spec,
            "value": posted.get(key, setting_get(key)),
            "error": errors.get(key, ""),
        }
        for key, spec in sorted(REGISTRY.items())
    ]


@never_cache
@login_required
def settings_list(request):
    require_view(request.user, "core.view_systemsetting")
    errors: dict[str, str] = {}
    posted: dict[str, str] = {}
    if request.method == "POST":
        key = request.POST.get("key", "")
        posted[key] = request.POST.get("value", "")
        try:
            setting_set(actor=request.user, key=key, value=posted[key])
        except DomainError as exc:
            errors[key] = exc.message
        else:
            messages.success(request, _("The setting was saved."))
            return redirect("web:settings")
    return render(request, "web/settings/list.html", {"rows": _rows(errors, posted)})
