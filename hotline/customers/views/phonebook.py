"""The phonebook (CUS-9): personal and shared outside contacts, searchable,
each number a click-to-dial link."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from hotline.core.phones import phone_info
from hotline.customers.forms import PhonebookEntryForm
from hotline.customers.selectors.phonebook import phonebook_entries
from hotline.customers.services import phonebook as services
from hotline.web.views.common import (
    delete_action,
    form_page,
    paginate,
    render_list,
    require_view,
)

SCOPES = {"all": None, "mine": False, "shared": True}


def _national(number: str) -> str:
    info = phone_info(number) if number else None
    return info.national if info else number


@never_cache
@login_required
def phonebook_list(request):
    require_view(request.user, "customers.view_phonebookentry")
    q = request.GET.get("q", "").strip()
    scope = request.GET.get("scope", "all")
    entries = phonebook_entries(actor=request.user, q=q, shared=SCOPES.get(scope))
    page = paginate(request, entries)
    for entry in page.object_list:
        entry.phone_shown = _national(entry.phone)
        entry.mobile_shown = _national(entry.mobile)
        entry.mine = entry.owner_id == request.user.pk
    context = {"page": page, "q": q, "scope": scope if scope in SCOPES else "all"}
    return render_list(
        request, "customers/phonebook/list.html", "customers/phonebook/_results.html", context
    )


def _own_entry(request, pk: int):
    return get_object_or_404(
        phonebook_entries(actor=request.user).filter(owner_id=request.user.pk), pk=pk
    )


def _save(request, form, entry):
    if entry is None:
        return services.phonebook_entry_create(actor=request.user, **form.service_kwargs())
    return services.phonebook_entry_update(actor=request.user, entry=entry, **form.service_kwargs())


def _form(request, entry=None):
    return form_page(
        request,
        PhonebookEntryForm(request.POST or None, instance=entry),
        save=lambda form: _save(request, form, entry),
        saved_message=_("“%(name)s” was saved in the phonebook."),
        success_url="customers:phonebook",
        template="customers/phonebook/form.html",
        instance=entry,
    )


@never_cache
@login_required
def phonebook_create(request):
    require_view(request.user, "customers.add_phonebookentry")
    return _form(request)


@never_cache
@login_required
def phonebook_edit(request, pk: int):
    require_view(request.user, "customers.change_phonebookentry")
    return _form(request, _own_entry(request, pk))


@require_POST
@login_required
def phonebook_delete(request, pk: int):
    entry = _own_entry(request, pk)
    return delete_action(
        request,
        entry,
        delete=lambda: services.phonebook_entry_delete(actor=request.user, entry=entry),
        deleted_message=_("“%(name)s” was deleted from the phonebook."),
        success_url="customers:phonebook",
    )


urlpatterns = [
    path("phonebook/", phonebook_list, name="phonebook"),
    path("phonebook/new/", phonebook_create, name="phonebook_create"),
    path("phonebook/<int:pk>/edit/", phonebook_edit, name="phonebook_edit"),
    path("phonebook/<int:pk>/delete/", phonebook_delete, name="phonebook_delete"),
]
