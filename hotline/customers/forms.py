"""Forms of the customer pages. They parse input only; the rules live in the
services. Custom fields (CUS-3) become form fields named ``cf_<key>``."""

import datetime
import decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from hotline.accounts.models import Department, Role, User
from hotline.core.models import CustomFieldType
from hotline.core.permissions import fields_not_editable
from hotline.customers.models import (
    AdSource,
    ContactRecord,
    Customer,
    CustomerGroup,
    MemberLevel,
    PhonebookEntry,
    SavedSearch,
)
from hotline.web.forms import ModelFieldsForm, UserChoice

CF_PREFIX = "cf_"
DATE_WIDGET = {"type": "date"}


def _may_edit_custom_field(definition, actor) -> bool:
    allowed = {role.pk for role in definition.editable_by_roles.all()}
    if not allowed or actor.is_superuser:
        return True
    return bool(allowed & set(actor.roles.values_list("pk", flat=True)))


def _choices(definition, blank=True):
    options = [(choice, choice) for choice in definition.choices or []]
    return [("", "—"), *options] if blank else options


def custom_form_field(definition, *, required: bool):
    """The form field for a custom field definition."""
    label = definition.display_label
    kind = definition.field_type
    if kind == CustomFieldType.NUMBER:
        return forms.DecimalField(label=label, required=required)
    if kind == CustomFieldType.DATE:
        return forms.DateField(
            label=label, required=required, widget=forms.DateInput(attrs=DATE_WIDGET)
        )
    if kind == CustomFieldType.CHOICE:
        return forms.ChoiceField(label=label, required=required, choices=_choices(definition))
    if kind == CustomFieldType.MULTI_CHOICE:
        return forms.MultipleChoiceField(
            label=label,
            required=required,
            choices=_choices(definition, blank=False),
            widget=forms.CheckboxSelectMultiple,
        )
    return forms.CharField(label=label, required=required, max_length=definition.max_length)


def _stored(value):
    """A form value as the custom field service expects it."""
    if value in (None, "", []):
        return None
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


# --- the customer form ----------------------------------------------------


class CustomerForm(ModelFieldsForm):
    """Create or edit a customer (CUS-1) with its custom fields (CUS-3).
    Fields the actor may not change (field edit rules, custom fields of other
    roles) are shown read-only."""

    model = Customer
    field_names = (
        "kind",
        "name",
        "gender",
        "birthday",
        "email",
        "level",
        "group",
        "source",
        "owner",
        "low_credit",
        "credit_note",
        "notes",
    )

    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        help_text=_("Separate tags with commas."),
        max_length=500,
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.error_field_map = {}
        self._setup_plain_fields()
        self._setup_custom_fields()
        if self.instance is not None:
            self._protect_ruled_fields()
            if not self.is_bound:
                self.initial["tags"] = ", ".join(t.name for t in self.instance.tags.all())

    def _setup_plain_fields(self):
        fields = self.fields
        fields["birthday"].widget = forms.DateInput(attrs=DATE_WIDGET)
        fields["notes"].widget.attrs["rows"] = 3
        fields["group"].queryset = CustomerGroup.objects.all()
        fields["source"].queryset = AdSource.objects.filter(active=True) | AdSource.objects.filter(
            pk=getattr(self.instance, "source_id", None) or 0
        )
        if self.actor.has_perm("customers.change_memberlevel"):
            fields["level"].queryset = MemberLevel.objects.all()
        else:
            del fields["level"]
        if self.actor.has_perm("customers.assign_customer"):
            fields["owner"] = UserChoice(
                label=_("Owner"),
                queryset=User.objects.filter(is_active=True).order_by("username"),
                required=False,
                help_text=_("Empty: yourself."),
            )
        else:
            del fields["owner"]

    def _setup_custom_fields(self):
        current = self.instance.custom_fields if self.instance is not None else {}
        for definition in Customer.custom_field_definitions():
            name = CF_PREFIX + definition.name
            editable = _may_edit_custom_field(definition, self.actor)
            field = custom_form_field(definition, required=definition.required and editable)
            if not editable:
                field.disabled = True
                field.help_text = _("Not editable by your roles.")
            field.custom_field = definition
            self.fields[name] = field
            self.error_field_map[definition.name] = name
            if not self.is_bound and definition.name in current:
                self.initial[name] = current[definition.name]

    def _protect_ruled_fields(self):
        plain = [name for name in self.field_names if name in self.fields]
        for name in fields_not_editable(self.actor, Customer, [*plain, "tags"]):
            self.fields[name].disabled = True
            self.fields[name].help_text = _("Not editable by you.")

    def plain_fields(self):
        return [self[name] for name in self.fields if not name.startswith(CF_PREFIX)]

    def custom_fields(self):
        return [self[name] for name in self.fields if name.startswith(CF_PREFIX)]

    def tag_names(self) -> list[str] | None:
        """The tags as typed, or None when the actor may not change them."""
        from hotline.customers.services.customers import tag_names_parse

        if self.fields["tags"].disabled:
            return None
        return tag_names_parse(self.cleaned_data.get("tags", ""))

    def custom_values(self) -> dict:
        return {
            name[len(CF_PREFIX) :]: _stored(self.cleaned_data.get(name))
            for name, field in self.fields.items()
            if name.startswith(CF_PREFIX) and not field.disabled
        }

    def service_kwargs(self) -> dict:
        kwargs = super().service_kwargs()
        if kwargs.get("owner", False) is None:
            kwargs.pop("owner")  # empty: the actor on create, unchanged on edit
        return kwargs


class CustomerCreateForm(CustomerForm):
    """The customer form with first phones and a first address; accepts a
    prefill from the screen pop (?phone=…&province=…&city=…)."""

    phones = forms.CharField(
        label=_("Phones"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One number per line, as dialled: mobile or landline with area code."),
    )
    province = forms.CharField(label=_("Province"), max_length=50, required=False)
    city = forms.CharField(label=_("City"), max_length=50, required=False)
    district = forms.CharField(label=_("District"), max_length=50, required=False)
    detail = forms.CharField(label=_("Address"), max_length=300, required=False)

    ADDRESS_FIELDS = ("province", "city", "district", "detail")

    def phone_list(self) -> list[str]:
        text = self.cleaned_data.get("phones", "").replace(",", "\n").replace("，", "\n")
        return [line.strip() for line in text.splitlines() if line.strip()]

    def addresses(self) -> list[dict]:
        address = {name: self.cleaned_data.get(name, "").strip() for name in self.ADDRESS_FIELDS}
        return [address] if any(address.values()) else []

    def address_fields(self):
        return [self[name] for name in self.ADDRESS_FIELDS]

    def plain_fields(self):
        skipped = {"phones", *self.ADDRESS_FIELDS}
        return [field for field in super().plain_fields() if field.name not in skipped]


# --- parts of the customer page --------------------------------------------


class PhoneForm(forms.Form):
    number = forms.CharField(label=_("Phone number"), max_length=40)
    label = forms.CharField(label=_("Label"), max_length=50, required=False)
    is_primary = forms.BooleanField(label=_("Primary"), required=False)


class AddressForm(forms.Form):
    recipient = forms.CharField(label=_("Recipient"), max_length=100, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    province = forms.CharField(label=_("Province"), max_length=50, required=False)
    city = forms.CharField(label=_("City"), max_length=50, required=False)
    district = forms.CharField(label=_("District"), max_length=50, required=False)
    detail = forms.CharField(label=_("Address"), max_length=300)
    postcode = forms.CharField(label=_("Postcode"), max_length=10, required=False)
    is_default = forms.BooleanField(label=_("Default address"), required=False)


class ContactRecordForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=ContactRecord.Channel.choices)
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 2}))


class PointsAdjustForm(forms.Form):
    delta = forms.IntegerField(
        label=_("Points"), help_text=_("Positive to add, negative to take away.")
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)


class SetLevelForm(forms.Form):
    level = forms.ModelChoiceField(
        label=_("Member level"), queryset=MemberLevel.objects.none(), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].queryset = MemberLevel.objects.all()
        self.fields["level"].empty_label = _("No level")


class FindCustomerForm(forms.Form):
    q = forms.CharField(
        label=_("Find a customer"),
        max_length=100,
        help_text=_("Part of a phone number (3 digits or more) or of a name."),
    )


# --- search ---------------------------------------------------------------

PLAIN_SEARCH_ORDER = (
    "name",
    "phone",
    "kind",
    "level",
    "group",
    "tag",
    "source",
    "owner",
    "low_credit",
    "province",
    "city",
    "segment",
    "created_from",
    "created_to",
)
RANGE_TYPES = (CustomFieldType.NUMBER, CustomFieldType.DATE)
BOOLEAN_CHOICES = [("", "—"), ("1", _("Yes")), ("0", _("No"))]


def _search_definitions():
    return list(Customer.custom_field_definitions().filter(searchable=True))


def _id_choice(label, queryset, to_label=str):
    return forms.ChoiceField(
        label=label,
        required=False,
        choices=[("", "—"), *((str(obj.pk), to_label(obj)) for obj in queryset)],
    )


class CustomerSearchForm(forms.Form):
    """The combined search (CUS-5). Field names are the criteria keys of
    ``customer_search``; a custom field is ``cf.<key>``, and number and date
    custom fields have ``cf.<key>.min`` and ``cf.<key>.max``. The same names
    serve as query parameters of the page, the export and the API."""

    q = forms.CharField(label=_("Quick search"), required=False, max_length=100)
    name = forms.CharField(label=_("Name"), required=False, max_length=100)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=40)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", "—"), *Customer.Kind.choices]
    )
    tag = forms.CharField(label=_("Tag"), required=False, max_length=50)
    low_credit = forms.ChoiceField(label=_("Low credit"), required=False, choices=BOOLEAN_CHOICES)
    province = forms.CharField(label=_("Province"), required=False, max_length=50)
    city = forms.CharField(label=_("City"), required=False, max_length=50)
    segment = forms.ChoiceField(label=_("Segment"), required=False)
    created_from = forms.DateField(
        label=_("Created from"), required=False, widget=forms.DateInput(attrs=DATE_WIDGET)
    )
    created_to = forms.DateField(
        label=_("Created until"), required=False, widget=forms.DateInput(attrs=DATE_WIDGET)
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"] = _id_choice(_("Member level"), MemberLevel.objects.all())
        self.fields["group"] = _id_choice(_("Group"), CustomerGroup.objects.all())
        self.fields["source"] = _id_choice(_("Source"), AdSource.objects.all())
        self.fields["owner"] = _id_choice(
            _("Owner"), User.objects.filter(is_active=True).order_by("username"), _user_label
        )
        self.fields["segment"].choices = [
            ("", "—"),
            *((value, label) for value, label in Customer.Segment.choices if value),
        ]
        self.fields = {
            "q": self.fields["q"],
            **{key: self.fields[key] for key in PLAIN_SEARCH_ORDER},
        }
        self.range_keys = {}
        for definition in _search_definitions():
            self._add_custom(definition)

    def _add_custom(self, definition):
        key = f"cf.{definition.name}"
        label = definition.display_label
        if definition.field_type in RANGE_TYPES:
            field = custom_form_field(definition, required=False)
            low = field.__class__(label=_("%(field)s from") % {"field": label}, required=False)
            high = field.__class__(label=_("%(field)s to") % {"field": label}, required=False)
            low.widget, high.widget = (
                (forms.DateInput(attrs=DATE_WIDGET), forms.DateInput(attrs=DATE_WIDGET))
                if definition.field_type == CustomFieldType.DATE
                else (low.widget, high.widget)
            )
            self.fields[f"{key}.min"], self.fields[f"{key}.max"] = low, high
            self.range_keys[key] = (f"{key}.min", f"{key}.max")
        elif definition.field_type == CustomFieldType.MULTI_CHOICE:
            self.fields[key] = forms.ChoiceField(
                label=label, required=False, choices=_choices(definition)
            )
        else:
            self.fields[key] = custom_form_field(definition, required=False)

    def advanced_fields(self):
        return [self[name] for name in self.fields if name != "q"]

    def criteria(self) -> dict:
        """The criteria for ``customer_search`` from the cleaned data."""
        data = self.cleaned_data
        criteria = {}
        for name, value in data.items():
            if name.endswith((".min", ".max")) or value in (None, "", []):
                continue
            criteria[name] = _stored(value)
        for key, (low, high) in self.range_keys.items():
            bounds = {"min": _stored(data.get(low)), "max": _stored(data.get(high))}
            if any(v is not None for v in bounds.values()):
                criteria[key] = {k: v for k, v in bounds.items() if v is not None}
        return criteria

    @property
    def is_advanced(self) -> bool:
        return any(
            name != "q" and value not in (None, "", [])
            for name, value in getattr(self, "cleaned_data", {}).items()
        )


def _user_label(user) -> str:
    return user.display_name


def criteria_params(criteria: dict) -> dict:
    """The query parameters that reproduce ``criteria`` (a saved search's query)."""
    params = {}
    for key, value in criteria.items():
        if isinstance(value, dict):
            for bound in ("min", "max"):
                if value.get(bound) not in (None, ""):
                    params[f"{key}.{bound}"] = str(value[bound])
        elif isinstance(value, list):
            params[key] = str(value[0]) if value else ""
        elif isinstance(value, bool):
            params[key] = "1" if value else "0"
        else:
            params[key] = str(value)
    return params


def search_criteria(params) -> dict:
    """Criteria for ``customer_search`` from query parameters (a QueryDict or a
    dict); malformed values raise ``forms.ValidationError`` with the messages.
    Used by the customer list and open to the export and the API."""
    form = CustomerSearchForm(params)
    if not form.is_valid():
        raise forms.ValidationError(
            [
                f"{form.fields[k].label}: {m}" if k in form.fields else m
                for k, ms in form.errors.items()
                for m in ms
            ]
        )
    return form.criteria()


class SavedSearchForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    shared = forms.BooleanField(label=_("Share with everyone"), required=False)
    is_care_list = forms.BooleanField(label=_("Use as a care list"), required=False)
    suggested_action = forms.ChoiceField(
        label=_("Suggested action"), required=False, choices=SavedSearch.Action.choices
    )


# --- phonebook, levels, field rules ---------------------------------------


class PhonebookEntryForm(ModelFieldsForm):
    model = PhonebookEntry
    field_names = ("name", "organisation", "title", "phone", "mobile", "email", "notes", "shared")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("phone", "mobile"):
            self.fields[name] = forms.CharField(
                label=self.fields[name].label,
                max_length=40,
                required=False,
                help_text=_("As dialled; kept in international form."),
            )
        self.fields["shared"].label = _("Shared with everyone")


class MemberLevelForm(ModelFieldsForm):
    model = MemberLevel
    field_names = (
        "code",
        "name",
        "name_en",
        "rank",
        "min_spend",
        "discount_percent",
        "queue_priority",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["min_spend"].help_text = _(
            "Customers whose total spend reaches this amount are upgraded to the level. "
            "Empty: the level is given by hand."
        )


class FieldRuleForm(forms.Form):
    field_name = forms.ChoiceField(label=_("Field"))
    roles = forms.ModelMultipleChoiceField(
        label=_("Roles that may change it"),
        queryset=Role.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    departments = forms.ModelMultipleChoiceField(
        label=_("Departments that may change it"),
        queryset=Department.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Members of these departments and their sub-departments."),
    )

    def __init__(self, *args, field_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field_name"].choices = field_choices
        self.fields["roles"].queryset = Role.objects.all()
        self.fields["departments"].queryset = Department.objects.all()
