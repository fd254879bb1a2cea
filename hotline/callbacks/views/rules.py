"""Allocation rule pages (CB-3): the list in the order the rules are tried,
create, edit and delete."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from hotline.callbacks import selectors
from hotline.callbacks.forms import AllocationRuleForm
from hotline.callbacks.services import rules as services
from hotline.web.views.common import delete_action, form_page, require_view


@never_cache
@login_required
def rule_list(request):
    require_view(request.user, selectors.VIEW_RULE)
    rules = selectors.allocation_rules(actor=request.user)
    return render(request, "callbacks/rules/list.html", {"rules": rules})


def _rule_form(request, rule=None):
    return form_page(
        request,
        AllocationRuleForm(request.POST or None, instance=rule),
        save=lambda form: services.allocation_rule_save(
            actor=request.user, rule=rule, **form.service_kwargs()
        ),
        saved_message=_("Allocation rule “%(name)s” was saved."),
        success_url=reverse("callbacks:rules"),
        template="callbacks/rules/form.html",
        instance=rule,
    )


@never_cache
@login_required
def rule_create(request):
    require_view(request.user, "callbacks.add_allocationrule")
    return _rule_form(request)


@never_cache
@login_required
def rule_edit(request, pk: int):
    require_view(request.user, "callbacks.change_allocationrule")
    return _rule_form(
        request, get_object_or_404(selectors.allocation_rules(actor=request.user), pk=pk)
    )


@require_POST
@login_required
def rule_delete(request, pk: int):
    require_view(request.user, "callbacks.delete_allocationrule")
    rule = get_object_or_404(selectors.allocation_rules(actor=request.user), pk=pk)
    return delete_action(
        request,
        rule,
        delete=lambda: services.allocation_rule_delete(actor=request.user, rule=rule),
        deleted_message=_("Allocation rule “%(name)s” was deleted."),
        success_url=reverse("callbacks:rules"),
    )


urlpatterns = [
    path("rules/", rule_list, name="rules"),
    path("rules/new/", rule_create, name="rule_create"),
    path("rules/<int:pk>/edit/", rule_edit, name="rule_edit"),
    path("rules/<int:pk>/delete/", rule_delete, name="rule_delete"),
]
