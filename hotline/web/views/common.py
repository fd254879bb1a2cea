"""Helpers shared by the web views: permission gates, service errors on
forms, pagination and htmx partial rendering."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers

from hotline.core.exceptions import DomainError
from hotline.core.permissions import require_perm

PAGE_SIZE = 50
RESULTS_TARGET = "results"


def require_view(user, perm: str) -> None:
    """Refuse the page (403 with the missing permission named) unless ``user`` holds ``perm``."""
    require_perm(user, perm)


def _as_list(messages) -> list[str]:
    if isinstance(messages, list | tuple):
        return [str(m) for m in messages]
    return [str(messages)]


def show_domain_error(form, exc: DomainError) -> None:
    """Put a service's refusal on ``form``: per-field details under their
    fields, the message itself at the top of the form."""
    mapping = getattr(form, "error_field_map", {})
    details = exc.details if isinstance(exc.details, dict) else {}
    placed: list[str] = []
    for key, field_messages in details.items():
        name = mapping.get(key, key)
        if name not in form.fields and name.endswith("_id"):
            name = name[: -len("_id")]
        if name in form.fields:
            for message in _as_list(field_messages):
                form.add_error(name, message)
                placed.append(message)
    if not placed or exc.message != " ".join(placed):
        form.add_error(None, exc.message)


def paginate(request, queryset, per_page: int = PAGE_SIZE):
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def render_list(request, template: str, partial: str, context: dict):
    """The whole page, or only the results block when htmx asks for it."""
    htmx = getattr(request, "htmx", None)
    partial_only = bool(htmx) and htmx.target == RESULTS_TARGET
    response = render(request, partial if partial_only else template, context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


def form_page(
    request, form, *, save, saved_message, success_url, template, instance=None, context=None
):
    """A create or edit page: a valid POST calls ``save(form)``; when the
    service refuses, its message is shown on the form with the input kept and
    ``instance`` reloaded, so nothing half-applied is shown as saved."""
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(form)
        except DomainError as exc:
            if instance is not None:
                instance.refresh_from_db()
            show_domain_error(form, exc)
        else:
            messages.success(request, saved_message % {"name": saved})
            return redirect(success_url(saved) if callable(success_url) else success_url)
    return render(request, template, {"form": form, "object": instance, **(context or {})})


def delete_action(request, obj, *, delete, deleted_message, success_url):
    """Run ``delete()``; a refusal (still in use, not allowed) becomes a message."""
    try:
        delete()
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, deleted_message % {"name": obj})
    return redirect(success_url)
