"""Forms of the web UI. They parse input only; the rules live in services.

Model-backed forms are plain forms whose fields are derived from the model
(labels and limits stay in one place) and whose ``service_kwargs()`` give the
keyword arguments of the matching service.
"""

import datetime

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from hotline.accounts.models import AuditEvent, Department, Role, Team, User
from hotline.accounts.selectors import assignable_permissions
from hotline.core.models import CustomField, ObjectChange
from hotline.core.permissions import permission_display
from hotline.core.selectors import change_logged_content_types
from hotline.core.services import custom_field_content_types

PERMISSION_ACTIONS = ("view", "add", "change", "delete")
PERMISSION_ACTION_LABELS = {
    "view": _("View"),
    "add": _("Add"),
    "change": _("Change"),
    "delete": _("Delete"),
}


class ModelFieldsForm(forms.Form):
    """Fields taken from ``model`` (``field_names``), then the declared ones."""

    model = None
    field_names: tuple[str, ...] = ()
    # Service error keys that name a form field differently.
    error_field_map: dict[str, str] = {}

    def __init__(self, *args, instance=None, **kwargs):
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = forms.model_to_dict(instance, fields=self.field_names)
        super().__init__(*args, **kwargs)
        derived = forms.fields_for_model(self.model, fields=self.field_names)
        self.fields = {**derived, **self.fields}

    def service_kwargs(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in self.field_names
            if name in self.cleaned_data and not self.fields[name].disabled
        }


class IndentedDepartmentChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{'— ' * obj.depth}{obj.name}"


class UserChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        if obj.display_name != obj.username:
            return f"{obj.display_name} ({obj.username})"
        return obj.username


def _visible_or_current(model, actor, current_id):
    """The rows ``actor`` may view, plus the one the record points at now, so
    that saving a form keeps a value the actor cannot see the list of."""
    visible = model.objects.restrict(actor, "view").values("pk")
    return model.objects.filter(Q(pk__in=visible) | Q(pk=current_id or 0))


def _active_users():
    return User.objects.filter(is_active=True).order_by("username")


# --- my account -----------------------------------------------------------


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class OwnPasswordForm(forms.Form):
    error_field_map = {"password": "new_password1"}

    current_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_current_password(self):
        value = self.cleaned_data["current_password"]
        if not self.user.check_password(value):
            raise forms.ValidationError(_("Your current password is not correct."))
        return value

    def clean(self):
        data = super().clean()
        if data.get("new_password1") != data.get("new_password2"):
            self.add_error("new_password2", _("The two new passwords differ."))
        return data


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty for a token that does not expire."),
    )

    def expires_at(self):
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        end = datetime.datetime.combine(day, datetime.time(23, 59, 59))
        return timezone.make_aware(end)


# --- users ----------------------------------------------------------------


class UserForm(ModelFieldsForm):
    model = User
    field_names = (
        "full_name",
        "email",
        "department",
        "team",
        "language",
        "extension",
        "mobile",
        "is_active",
    )

    roles = forms.ModelMultipleChoiceField(
        label=_("Roles"),
        queryset=Role.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.instance
        self.fields["department"] = IndentedDepartmentChoice(
            label=_("Department"),
            queryset=_visible_or_current(Department, actor, current and current.department_id),
            required=False,
        )
        self.fields["team"].queryset = _visible_or_current(
            Team, actor, current and current.team_id
        ).select_related("department")
        if self.instance is not None and not self.is_bound:
            self.initial["roles"] = list(self.instance.roles.all())


class UserCreateForm(UserForm):
    error_field_map = {"password": "password1"}

    username = forms.CharField(label=_("User name"), max_length=150)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        order = ["username", "password1", "password2"]
        self.fields = {
            **{name: self.fields[name] for name in order},
            **{n: f for n, f in self.fields.items() if n not in order},
        }
        self.initial.setdefault("is_active", True)

    def clean(self):
        data = super().clean()
        if data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data


class SetPasswordForm(forms.Form):
    error_field_map = {"password": "password1"}

    password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data


class UserFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    department = IndentedDepartmentChoice(
        label=_("Department"), queryset=Department.objects.none(), required=False
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.restrict(actor, "view")


# --- departments and teams ------------------------------------------------


class DepartmentForm(ModelFieldsForm):
    model = Department
    field_names = ("name", "parent", "head")

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        parents = Department.objects.restrict(actor, "view")
        if self.instance is not None:
            parents = parents.exclude(path__startswith=self.instance.path)
        self.fields["parent"] = IndentedDepartmentChoice(
            label=_("Parent department"), queryset=parents, required=False
        )
        self.fields["head"] = UserChoice(label=_("Head"), queryset=_active_users(), required=False)


class TeamForm(ModelFieldsForm):
    model = Team
    field_names = ("name", "department", "lead")

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"] = IndentedDepartmentChoice(
            label=_("Department"), queryset=Department.objects.restrict(actor, "view")
        )
        self.fields["lead"] = UserChoice(
            label=_("Team lead"), queryset=_active_users(), required=False
        )


# --- roles ----------------------------------------------------------------


def permission_label(perm: Permission, model) -> str:
    action, _sep, model_name = perm.codename.partition("_")
    if model is not None and action in PERMISSION_ACTION_LABELS:
        if model_name == model._meta.model_name:
            return str(PERMISSION_ACTION_LABELS[action])
    return permission_display(perm)


def _permission_cell(perm: Permission, model, selected: set[int]) -> dict:
    return {
        "id": perm.pk,
        "name": f"{perm.content_type.app_label}.{perm.codename}",
        "label": permission_label(perm, model),
        "checked": perm.pk in selected,
    }


def _model_row(content_type, perms, selected: set[int]) -> dict:
    model = content_type.model_class()
    label = model._meta.verbose_name_plural if model else content_type.model
    by_action = {}
    extra = []
    for perm in perms:
        action, _sep, rest = perm.codename.partition("_")
        if model is not None and action in PERMISSION_ACTIONS and rest == model._meta.model_name:
            by_action[action] = _permission_cell(perm, model, selected)
        else:
            extra.append(_permission_cell(perm, model, selected))
    return {
        "label": str(label),
        "standard": [by_action.get(action) for action in PERMISSION_ACTIONS],
        "extra": extra,
    }


def permission_groups(permissions, selected: set[int]) -> list[dict]:
    """Permissions grouped by app, then by model, for the role form's matrix."""
    by_type: dict = {}
    for perm in permissions:
        by_type.setdefault(perm.content_type, []).append(perm)
    groups: dict[str, dict] = {}
    for content_type, perms in by_type.items():
        app_label = content_type.app_label
        if app_label not in groups:
            try:
                name = apps.get_app_config(app_label).verbose_name
            except LookupError:
                name = app_label
            groups[app_label] = {"key": app_label, "label": str(name), "models": []}
        groups[app_label]["models"].append(_model_row(content_type, perms, selected))
    return list(groups.values())


class RoleForm(ModelFieldsForm):
    model = Role
    field_names = ("code", "name", "name_en", "description", "description_en", "data_scope")

    permissions = forms.ModelMultipleChoiceField(
        label=_("Permissions"), queryset=Permission.objects.none(), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["permissions"].queryset = assignable_permissions()
        self.fields["description"].widget.attrs["rows"] = 3
        self.fields["description_en"].widget.attrs["rows"] = 3
        if self.instance is not None:
            self.fields["code"].disabled = True
            if not self.is_bound:
                self.initial["permissions"] = list(
                    self.instance.permissions.values_list("pk", flat=True)
                )

    def selected_permission_ids(self) -> set[int]:
        if self.is_bound:
            raw = self.data.getlist("permissions") if hasattr(self.data, "getlist") else []
            return {int(value) for value in raw if str(value).isdigit()}
        return {int(pk) for pk in self.initial.get("permissions", [])}

    def permission_groups(self) -> list[dict]:
        return permission_groups(
            self.fields["permissions"].queryset, self.selected_permission_ids()
        )


# --- custom fields --------------------------------------------------------


class ContentTypeChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        model = obj.model_class()
        return capfirst(model._meta.verbose_name) if model else obj.model


class CustomFieldForm(ModelFieldsForm):
    model = CustomField
    field_names = (
        "content_type",
        "name",
        "label",
        "label_en",
        "field_type",
        "required",
        "searchable",
        "show_in_screen_pop",
        "max_length",
        "min_value",
        "max_value",
        "pattern",
        "position",
    )

    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One choice per line; used by the types “Choice” and “Multiple choice”."),
    )
    editable_by_roles = forms.ModelMultipleChoiceField(
        label=_("Editable by roles"),
        queryset=Role.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty to let everyone who may edit the record edit this field."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["content_type"] = ContentTypeChoice(
            label=_("Applies to"), queryset=custom_field_content_types()
        )
        if self.instance is not None:
            self.fields["content_type"].disabled = True
            self.fields["name"].disabled = True
            if not self.is_bound:
                self.initial["choices"] = "\n".join(self.instance.choices or [])
                self.initial["editable_by_roles"] = list(self.instance.editable_by_roles.all())

    def clean_choices(self):
        lines = (self.cleaned_data.get("choices") or "").splitlines()
        result = []
        for line in lines:
            value = line.strip()
            if value and value not in result:
                result.append(value)
        return result

    def service_kwargs(self) -> dict:
        kwargs = super().service_kwargs()
        kwargs["choices"] = self.cleaned_data["choices"]
        kwargs["editable_by_roles"] = list(self.cleaned_data["editable_by_roles"])
        for name in ("max_length", "min_value", "max_value"):
            kwargs.setdefault(name, None)
        return kwargs


# --- logs -----------------------------------------------------------------


def _with_blank(choices, blank_label):
    return [("", blank_label), *choices]


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=_with_blank(AuditEvent.Action.choices, _("All actions")),
    )
    username = forms.CharField(label=_("User name"), required=False)


class ChangeFilterForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=_with_blank(ObjectChange.Action.choices, _("All actions")),
    )
    content_type = ContentTypeChoice(
        label=_("Record type"), queryset=ContentType.objects.none(), required=False
    )
    username = forms.CharField(label=_("By"), required=False)
    q = forms.CharField(label=_("Object"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["content_type"].queryset = change_logged_content_types()
        self.fields["content_type"].empty_label = _("All record types")
