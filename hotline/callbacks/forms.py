"""Forms of the callback pages. They parse input only; rules live in the services."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from hotline.accounts.models import Team
from hotline.callbacks.models import AllocationRule, PendingItem
from hotline.callbacks.states import AttemptResult, CallbackKind
from hotline.web.forms import ModelFieldsForm, UserChoice

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def datetime_field(label, *, required=True, help_text=""):
    return forms.DateTimeField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )


class AttemptForm(forms.Form):
    result = forms.ChoiceField(label=_("Result"), choices=AttemptResult.choices)
    next_due_at = datetime_field(
        _("Call again at"),
        required=False,
        help_text=_("Required for “Call again later”; otherwise the retry delay applies."),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)


class AssignForm(forms.Form):
    owner = UserChoice(label=_("Agent"), queryset=get_user_model().objects.none())

    def __init__(self, *args, agents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = agents


class ScheduleForm(forms.Form):
    number = forms.CharField(
        label=_("Phone number"),
        max_length=40,
        required=False,
        help_text=_("Leave empty for the customer's primary number."),
    )
    due_at = datetime_field(_("Call at"))
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    owner = UserChoice(
        label=_("Agent"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("— me —"),
    )

    def __init__(self, *args, agents=None, **kwargs):
        super().__init__(*args, **kwargs)
        if agents is None:
            del self.fields["owner"]
        else:
            self.fields["owner"].queryset = agents


class AllocationRuleForm(ModelFieldsForm):
    model = AllocationRule
    field_names = (
        "name",
        "position",
        "active",
        "mode",
        "min_priority",
        "member_level",
        "province",
        "ad_source",
        "last_result",
        "customer_owner",
        "last_agent_first",
        "target_user",
        "target_team",
    )

    kinds = forms.MultipleChoiceField(
        label=_("Kinds"),
        choices=CallbackKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only callbacks of these kinds; none ticked: every kind."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        users = get_user_model().objects.filter(is_active=True).order_by("username")
        for name, label in (
            ("customer_owner", _("Customer owner")),
            ("target_user", _("To agent")),
        ):
            self.fields[name] = UserChoice(label=label, queryset=users, required=False)
        self.fields["target_team"].queryset = Team.objects.select_related("department")
        order = ["name", "position", "active", "mode", "kinds"]
        self.fields = {
            **{name: self.fields[name] for name in order},
            **{n: f for n, f in self.fields.items() if n not in order},
        }
        if self.instance is not None and not self.is_bound:
            self.initial["kinds"] = list(self.instance.kinds or [])
        elif self.instance is None and not self.is_bound:
            self.initial.setdefault("active", True)

    def service_kwargs(self) -> dict:
        kwargs = super().service_kwargs()
        kwargs["kinds"] = list(self.cleaned_data.get("kinds") or [])
        return kwargs


class PendingItemForm(forms.Form):
    title = forms.CharField(label=_("Subject"), max_length=200)
    due_at = datetime_field(_("Due"))
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    handler = UserChoice(
        label=_("Handled by"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("— me —"),
    )

    def __init__(self, *args, handlers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if handlers is None:
            del self.fields["handler"]
        else:
            self.fields["handler"].queryset = handlers


PENDING_STATUS_CHOICES = [("", _("All")), *PendingItem.Status.choices]
