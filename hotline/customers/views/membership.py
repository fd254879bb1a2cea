"""Membership pages (MEM-1..3): member levels, a customer's level given by
hand and points adjusted with a reason; and the field edit rules of
customers (CUS-10)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from hotline.core.exceptions import DomainError
from hotline.customers.forms import FieldRuleForm, MemberLevelForm, PointsAdjustForm, SetLevelForm
from hotline.customers.models import MemberLevel
from hotline.customers.services import field_rules, membership
from hotline.customers.views.customers import detail_action, visible_customer
from hotline.web.views.common import delete_action, form_page, require_view, show_domain_error

# --- levels ---------------------------------------------------------------


@never_cache
@login_required
def level_list(request):
    require_view(request.user, "customers.view_memberlevel")
    levels = MemberLevel.objects.restrict(request.user, "view").order_by("rank", "code")
    return render(request, "customers/levels/list.html", {"levels": levels})


def _level_form(request, level=None):
    return form_page(
        request,
        MemberLevelForm(request.POST or None, instance=level),
        save=lambda form: membership.member_level_save(
            actor=request.user, level=level, **form.service_kwargs()
        ),
        saved_message=_("Member level “%(name)s” was saved."),
        success_url="customers:levels",
        template="customers/levels/form.html",
        instance=level,
    )


@never_cache
@login_required
def level_create(request):
    require_view(request.user, "customers.add_memberlevel")
    return _level_form(request)


@never_cache
@login_required
def level_edit(request, pk: int):
    require_view(request.user, "customers.change_memberlevel")
    level = get_object_or_404(MemberLevel.objects.restrict(request.user, "view"), pk=pk)
    return _level_form(request, level)


# --- on the customer page -------------------------------------------------


@require_POST
@login_required
def customer_level(request, pk: int):
    customer = visible_customer(request, pk)
    return detail_action(
        request,
        customer,
        "level_form",
        SetLevelForm(request.POST),
        lambda data: membership.customer_set_level(
            actor=request.user, customer=customer, level=data["level"]
        ),
        _("The member level was set."),
    )


@require_POST
@login_required
def points_adjust(request, pk: int):
    customer = visible_customer(request, pk)
    return detail_action(
        request,
        customer,
        "points_form",
        PointsAdjustForm(request.POST),
        lambda data: membership.points_adjust(actor=request.user, customer=customer, **data),
        _("The points were adjusted."),
    )


# --- field edit rules (CUS-10) --------------------------------------------


@never_cache
@login_required
def field_rule_list(request):
    require_view(request.user, "core.view_fieldeditrule")
    choices = field_rules.customer_rule_fields()
    form = FieldRuleForm(request.POST or None, field_choices=choices)
    if request.method == "POST":
        require_view(request.user, "core.add_fieldeditrule")
        if form.is_valid():
            try:
                field_rules.customer_field_rule_add(actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                show_domain_error(form, exc)
            else:
                messages.success(request, _("The rule was added."))
                return redirect("customers:field_rules")
    labels = dict(choices)
    rules = [
        {"rule": rule, "label": labels.get(rule.field_name, rule.field_name)}
        for rule in field_rules.customer_field_rules()
    ]
    return render(request, "customers/field_rules.html", {"form": form, "rules": rules})


@require_POST
@login_required
def field_rule_remove(request, pk: int):
    rule = get_object_or_404(field_rules.customer_field_rules(), pk=pk)
    return delete_action(
        request,
        rule,
        delete=lambda: field_rules.customer_field_rule_delete(actor=request.user, rule=rule),
        deleted_message=_("The rule for %(name)s was removed."),
        success_url="customers:field_rules",
    )


urlpatterns = [
    path("levels/", level_list, name="levels"),
    path("levels/new/", level_create, name="level_create"),
    path("levels/<int:pk>/edit/", level_edit, name="level_edit"),
    path("<int:pk>/level/", customer_level, name="set_level"),
    path("<int:pk>/points/", points_adjust, name="points_adjust"),
    path("field-rules/", field_rule_list, name="field_rules"),
    path("field-rules/<int:pk>/remove/", field_rule_remove, name="field_rule_remove"),
]
