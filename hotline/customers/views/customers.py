"""The customer pages: the list with quick and combined search and saved
searches (CUS-5), the create and edit forms (CUS-1, CUS-3), the 360 page with
the panels apps contribute, its phones, addresses, contacts and companies
(CUS-2), and the merge of two records of one customer."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from hotline.core.exceptions import DomainError
from hotline.customers.forms import (
    AddressForm,
    ContactRecordForm,
    CustomerCreateForm,
    CustomerForm,
    CustomerSearchForm,
    FindCustomerForm,
    PhoneForm,
    PointsAdjustForm,
    SavedSearchForm,
    SetLevelForm,
    criteria_params,
)
from hotline.customers.models import Customer, SavedSearch
from hotline.customers.panels import panels_for
from hotline.customers.selectors.customers import customer_get, customer_search
from hotline.customers.selectors.searches import saved_search_get, saved_searches_visible
from hotline.customers.services import customers as services
from hotline.customers.services.merge import customer_merge
from hotline.customers.services.searches import saved_search_delete, saved_search_save
from hotline.web.views.common import (
    delete_action,
    form_page,
    paginate,
    render_list,
    require_view,
    show_domain_error,
)

VIEW_CUSTOMER = "customers.view_customer"
PREFILL = ("phone", "province", "city", "district", "detail", "name")
CANDIDATES = 20


def visible_customer(request, pk: int) -> Customer:
    """The customer within the user's scope, else 404 (never 403: a customer
    outside the scope is not revealed to exist)."""
    require_view(request.user, VIEW_CUSTOMER)
    try:
        return customer_get(actor=request.user, pk=pk)
    except Customer.DoesNotExist:
        raise Http404(_("No such customer.")) from None


# --- list and search ------------------------------------------------------


def _search_state(request):
    """(form, criteria, saved search) from the query string or a saved search."""
    saved = None
    params = request.GET
    if request.GET.get("saved"):
        try:
            saved = saved_search_get(actor=request.user, pk=int(request.GET["saved"]))
        except (ValueError, SavedSearch.DoesNotExist):
            raise Http404(_("No such saved search.")) from None
        params = criteria_params(saved.query)
    form = CustomerSearchForm(params)
    criteria = form.criteria() if form.is_valid() else None
    return form, criteria, saved


def _export_url(user, search_query: str) -> str | None:
    if not user.has_perm("customers.export_customer"):
        return None
    try:
        return f"{reverse('customers:export')}?{search_query}"
    except NoReverseMatch:  # the export page is not installed
        return None


@never_cache
@login_required
def customer_list(request):
    require_view(request.user, VIEW_CUSTOMER)
    form, criteria, saved = _search_state(request)
    customers = Customer.objects.none()
    if criteria is not None:
        try:
            customers = customer_search(actor=request.user, criteria=criteria)
        except DomainError as exc:
            show_domain_error(form, exc)
    search_query = urlencode(criteria_params(criteria or {}))
    context = {
        "search_form": form,
        "page": paginate(request, customers),
        "saved": saved,
        "saved_searches": saved_searches_visible(request.user),
        "save_form": SavedSearchForm(),
        "search_query": search_query,
        "has_criteria": bool(criteria),
        "export_url": _export_url(request.user, search_query),
    }
    return render_list(
        request, "customers/customers/list.html", "customers/customers/_results.html", context
    )


@require_POST
@login_required
def saved_search_create(request):
    """Save the criteria of the query string under a name."""
    form = SavedSearchForm(request.POST)
    search_form = CustomerSearchForm(request.GET)
    if form.is_valid() and search_form.is_valid():
        try:
            search = saved_search_save(
                actor=request.user, query=search_form.criteria(), **form.cleaned_data
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The search “%(name)s” was saved.") % {"name": search})
            return redirect(f"{reverse('customers:list')}?saved={search.pk}")
    else:
        messages.error(request, _("Give the search a name and valid criteria."))
    return redirect(f"{reverse('customers:list')}?{request.GET.urlencode()}")


@require_POST
@login_required
def saved_search_remove(request, pk: int):
    search = get_object_or_404(saved_searches_visible(request.user), pk=pk)
    return delete_action(
        request,
        search,
        delete=lambda: saved_search_delete(actor=request.user, search=search),
        deleted_message=_("The search “%(name)s” was deleted."),
        success_url="customers:list",
    )


# --- create and edit ------------------------------------------------------


def _resolved_tags(actor, form):
    names = form.tag_names()
    return None if names is None else services.customer_tags_resolve(actor=actor, names=names)


def _create(actor, form: CustomerCreateForm) -> Customer:
    with transaction.atomic():
        return services.customer_create(
            actor=actor,
            phones=form.phone_list(),
            addresses=form.addresses(),
            tags=_resolved_tags(actor, form) or (),
            custom_fields=form.custom_values(),
            **form.service_kwargs(),
        )


def _update(actor, customer: Customer, form: CustomerForm) -> Customer:
    with transaction.atomic():
        return services.customer_update(
            actor=actor,
            customer=customer,
            tags=_resolved_tags(actor, form),
            custom_fields=form.custom_values(),
            **form.service_kwargs(),
        )


@never_cache
@login_required
def customer_create(request):
    require_view(request.user, "customers.add_customer")
    initial = {key: request.GET[key] for key in PREFILL if request.GET.get(key)}
    if "phone" in initial:
        initial["phones"] = initial.pop("phone")
    form = CustomerCreateForm(request.POST or None, actor=request.user, initial=initial)
    return form_page(
        request,
        form,
        save=lambda form: _create(request.user, form),
        saved_message=_("Customer “%(name)s” was created."),
        success_url=lambda customer: customer.get_absolute_url(),
        template="customers/customers/form.html",
    )


@never_cache
@login_required
def customer_edit(request, pk: int):
    customer = visible_customer(request, pk)
    require_view(request.user, "customers.change_customer")
    form = CustomerForm(request.POST or None, actor=request.user, instance=customer)
    return form_page(
        request,
        form,
        save=lambda form: _update(request.user, customer, form),
        saved_message=_("Customer “%(name)s” was saved."),
        success_url=lambda saved: saved.get_absolute_url(),
        template="customers/customers/form.html",
        instance=customer,
    )


# --- the 360 page ---------------------------------------------------------

DETAIL_FORMS = {
    "phone_form": PhoneForm,
    "address_form": AddressForm,
    "contact_form": ContactRecordForm,
    "points_form": PointsAdjustForm,
    "company_form": FindCustomerForm,
}


def detail_response(request, customer: Customer, status: int = 200, **bound):
    """The 360 page; ``bound`` forms (with their errors) replace the empty ones."""
    customer = customer_get(actor=request.user, pk=customer.pk)
    context = {name: form_class() for name, form_class in DETAIL_FORMS.items()}
    context["level_form"] = SetLevelForm(initial={"level": customer.level_id})
    context.update(bound)
    context.update(
        {
            "customer": customer,
            "phones": customer.phones.all(),
            "tags": customer.tags.all(),
            "panels": panels_for(customer, request.user),
            "can_change": request.user.has_perm("customers.change_customer"),
        }
    )
    return render(request, "customers/customers/detail.html", context, status=status)


@never_cache
@login_required
def customer_detail(request, pk: int):
    require_view(request.user, VIEW_CUSTOMER)
    merged = (
        Customer.objects.restrict(request.user, "view")
        .filter(pk=pk, merged_into__isnull=False)
        .values_list("merged_into_id", flat=True)
        .first()
    )
    if merged:
        messages.info(request, _("This customer was merged into another record."))
        return redirect("customers:detail", merged)
    return detail_response(request, visible_customer(request, pk))


def detail_action(request, customer, form_name: str, form, act, done: str):
    """Run ``act(form)`` for a valid form posted from the 360 page; on a
    refusal the page is shown again with the form's errors and input."""
    if form.is_valid():
        try:
            act(form.cleaned_data)
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            messages.success(request, done)
            return redirect(customer.get_absolute_url())
    return detail_response(request, customer, status=422, **{form_name: form})


@require_POST
@login_required
def phone_add(request, pk: int):
    customer = visible_customer(request, pk)
    return detail_action(
        request,
        customer,
        "phone_form",
        PhoneForm(request.POST),
        lambda data: services.customer_phone_add(actor=request.user, customer=customer, **data),
        _("The phone number was added."),
    )


@require_POST
@login_required
def phone_remove(request, pk: int, phone_id: int):
    customer = visible_customer(request, pk)
    phone = get_object_or_404(customer.phones, pk=phone_id)
    return delete_action(
        request,
        phone,
        delete=lambda: services.customer_phone_remove(actor=request.user, phone=phone),
        deleted_message=_("The number %(name)s was removed."),
        success_url=customer.get_absolute_url(),
    )


@require_POST
@login_required
def address_add(request, pk: int):
    customer = visible_customer(request, pk)
    return detail_action(
        request,
        customer,
        "address_form",
        AddressForm(request.POST),
        lambda data: services.customer_address_add(actor=request.user, customer=customer, **data),
        _("The address was added."),
    )


@require_POST
@login_required
def address_remove(request, pk: int, address_id: int):
    customer = visible_customer(request, pk)
    address = get_object_or_404(customer.addresses, pk=address_id)
    return delete_action(
        request,
        address,
        delete=lambda: services.customer_address_remove(actor=request.user, address=address),
        deleted_message=_("The address “%(name)s” was removed."),
        success_url=customer.get_absolute_url(),
    )


@require_POST
@login_required
def contact_add(request, pk: int):
    customer = visible_customer(request, pk)
    return detail_action(
        request,
        customer,
        "contact_form",
        ContactRecordForm(request.POST),
        lambda data: services.contact_record_add(actor=request.user, customer=customer, **data),
        _("The contact was recorded."),
    )


# --- companies and contacts (CUS-2) ---------------------------------------


def _candidates(request, customer: Customer, q: str, **filters):
    try:
        found = customer_search(actor=request.user, criteria={"q": q})
    except DomainError:
        return []
    return list(found.filter(**filters).exclude(pk=customer.pk)[:CANDIDATES])


def _link_pair(customer: Customer, other: Customer) -> tuple[Customer, Customer]:
    """(person, company) of a link between ``customer`` and ``other``."""
    if customer.kind == Customer.Kind.COMPANY:
        return other, customer
    return customer, other


@never_cache
@login_required
def company_link(request, pk: int):
    """Find a company (for a person) or a contact (for a company) and link it."""
    customer = visible_customer(request, pk)
    if request.method == "POST":
        other_id = request.POST.get("other", "")
        other = visible_customer(request, int(other_id) if other_id.isdigit() else 0)
        person, company = _link_pair(customer, other)
        try:
            services.customer_company_link(actor=request.user, person=person, company=company)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("%(person)s is now a contact of %(company)s.")
                % {"person": person, "company": company},
            )
        return redirect(customer.get_absolute_url())
    form = FindCustomerForm(request.GET or None)
    wanted = {} if customer.kind == Customer.Kind.COMPANY else {"kind": Customer.Kind.COMPANY}
    candidates = _candidates(request, customer, form.data.get("q", ""), **wanted)
    context = {"customer": customer, "form": form, "candidates": candidates}
    return render(request, "customers/customers/link.html", context)


@require_POST
@login_required
def company_unlink(request, pk: int, other_id: int):
    customer = visible_customer(request, pk)
    other = visible_customer(request, other_id)
    person, company = _link_pair(customer, other)
    try:
        services.customer_company_unlink(actor=request.user, person=person, company=company)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The link was removed."))
    return redirect(customer.get_absolute_url())


# --- merge ----------------------------------------------------------------


@never_cache
@login_required
def customer_merge_view(request, pk: int):
    """Choose the record to merge into this one, confirm, merge."""
    survivor = visible_customer(request, pk)
    require_view(request.user, "customers.merge_customer")
    other_id = request.POST.get("merged") or request.GET.get("merged")
    merged = visible_customer(request, int(other_id)) if str(other_id or "").isdigit() else None
    if request.method == "POST" and merged is not None:
        try:
            customer_merge(actor=request.user, survivor=survivor, merged=merged)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("“%(merged)s” was merged into “%(survivor)s”.")
                % {"merged": merged, "survivor": survivor},
            )
            return redirect(survivor.get_absolute_url())
    form = FindCustomerForm(request.GET or None)
    context = {
        "customer": survivor,
        "merged": merged,
        "form": form,
        "candidates": [] if merged else _candidates(request, survivor, form.data.get("q", "")),
    }
    return render(request, "customers/customers/merge.html", context)


urlpatterns = [
    path("", customer_list, name="list"),
    path("new/", customer_create, name="create"),
    path("searches/save/", saved_search_create, name="search_save"),
    path("searches/<int:pk>/delete/", saved_search_remove, name="search_delete"),
    path("<int:pk>/", customer_detail, name="detail"),
    path("<int:pk>/edit/", customer_edit, name="edit"),
    path("<int:pk>/phones/", phone_add, name="phone_add"),
    path("<int:pk>/phones/<int:phone_id>/remove/", phone_remove, name="phone_remove"),
    path("<int:pk>/addresses/", address_add, name="address_add"),
    path("<int:pk>/addresses/<int:address_id>/remove/", address_remove, name="address_remove"),
    path("<int:pk>/contacts/", contact_add, name="contact_add"),
    path("<int:pk>/links/", company_link, name="link"),
    path("<int:pk>/links/<int:other_id>/remove/", company_unlink, name="unlink"),
    path("<int:pk>/merge/", customer_merge_view, name="merge"),
]
