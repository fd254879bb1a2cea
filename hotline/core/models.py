import copy
import datetime
import decimal
import re
import uuid

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from hotline.core.context import current_actor, current_remote_addr
from hotline.core.querysets import RestrictedManager

CHANGE_LOG_EXCLUDED = {"password", "last_login", "updated_at"}


def _plain(value):
    """A JSON-safe form of a field value for the change log."""
    if isinstance(value, list | dict):
        return copy.deepcopy(value)  # a snapshot: later in-place edits must show as changes
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, decimal.Decimal | uuid.UUID | datetime.date | datetime.time):
        return str(value) if not isinstance(value, datetime.date) else value.isoformat()
    return str(value)


def _number_text(value) -> str:
    """18.0000 → "18", 2.5000 → "2.5", without exponent notation."""
    text = f"{decimal.Decimal(str(value)):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class ObjectChange(models.Model):
    """One create, update or delete of a change-logged object: who, when, what."""

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Updated")
        DELETE = "delete", _("Deleted")

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    remote_addr = models.GenericIPAddressField(_("address"), null=True, blank=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.CharField(max_length=64, db_index=True)
    object_repr = models.CharField(_("object"), max_length=200)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("change")
        verbose_name_plural = _("change history")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-at"])]

    def __str__(self):
        return f"{self.get_action_display()} {self.object_repr}"


class ChangeLoggedModel(models.Model):
    """Records every save and delete in ObjectChange with the acting user and
    the fields that changed (old and new value)."""

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        creating = self._state.adding
        changes = self._changed_fields()
        super().save(*args, **kwargs)
        if creating:
            self._log_change(ObjectChange.Action.CREATE, changes)
        elif changes:
            self._log_change(ObjectChange.Action.UPDATE, changes)
        self._loaded_values = self._loggable_values()

    def delete(self, *args, **kwargs):
        pk = self.pk
        result = super().delete(*args, **kwargs)
        self._log_change(ObjectChange.Action.DELETE, {}, object_id=pk)
        return result

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_values = instance._loggable_values()
        return instance

    def _loggable_values(self) -> dict:
        values = {}
        for field in self._meta.concrete_fields:
            if field.attname in self.__dict__ and field.name not in CHANGE_LOG_EXCLUDED:
                values[field.name] = _plain(getattr(self, field.attname))
        return values

    def _changed_fields(self) -> dict:
        before = getattr(self, "_loaded_values", {})
        after = self._loggable_values()
        changes = {}
        for name, new in after.items():
            old = before.get(name)
            if name == "custom_fields" and isinstance(new, dict):
                for key in sorted(set(new) | set(old or {})):
                    if (old or {}).get(key) != new.get(key):
                        changes[f"cf.{key}"] = [(old or {}).get(key), new.get(key)]
            elif old != new:
                changes[name] = [old, new]
        return changes

    def _log_change(self, action, changes, object_id=None):
        ObjectChange.objects.create(
            actor=current_actor(),
            remote_addr=current_remote_addr(),
            content_type=ContentType.objects.get_for_model(type(self)),
            object_id=str(object_id if object_id is not None else self.pk),
            object_repr=str(self)[:200],
            action=action,
            changes=changes,
        )

    def record_change(self, changes: dict) -> None:
        """Log a change the save hook cannot see, such as many-to-many links."""
        self._log_change(ObjectChange.Action.UPDATE, changes)

    def change_history(self):
        return ObjectChange.objects.filter(
            content_type=ContentType.objects.get_for_model(type(self)), object_id=str(self.pk)
        ).select_related("actor")


class CustomFieldType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    MULTI_CHOICE = "multichoice", _("Multiple choice")


class CustomField(ChangeLoggedModel):
    """A field an administrator adds to a model (customers, tickets …) without
    a migration. Values live in the model's ``custom_fields`` JSON column."""

    content_type = models.ForeignKey(
        ContentType, verbose_name=_("applies to"), on_delete=models.CASCADE, related_name="+"
    )
    name = models.SlugField(
        _("key"),
        max_length=50,
        help_text=_("Lower-case letters, digits and underscores; used in imports and the API."),
    )
    label = models.CharField(_("label (Chinese)"), max_length=100)
    label_en = models.CharField(_("label (English)"), max_length=100, blank=True)
    field_type = models.CharField(_("type"), max_length=12, choices=CustomFieldType.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    searchable = models.BooleanField(_("searchable"), default=False)
    show_in_screen_pop = models.BooleanField(_("show in screen pop"), default=False)
    editable_by_roles = models.ManyToManyField(
        "accounts.Role",
        verbose_name=_("editable by roles"),
        blank=True,
        related_name="+",
        help_text=_("Leave empty to let everyone who may edit the record edit this field."),
    )
    max_length = models.PositiveIntegerField(_("maximum length"), null=True, blank=True)
    min_value = models.DecimalField(
        _("minimum"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("maximum"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    pattern = models.CharField(
        _("pattern"), max_length=200, blank=True, help_text=_("A regular expression.")
    )
    position = models.PositiveIntegerField(_("position"), default=100)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["content_type", "position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "name"], name="core_customfield_unique_name"
            )
        ]

    def __str__(self):
        return self.display_label

    @property
    def display_label(self) -> str:
        if translation.get_language() == "en" and self.label_en:
            return self.label_en
        return self.label

    def clean(self):
        if self.field_type in (CustomFieldType.CHOICE, CustomFieldType.MULTI_CHOICE):
            if not self.choices or not all(isinstance(c, str) and c for c in self.choices):
                raise ValidationError({"choices": _("List at least one choice.")})
        if self.pattern:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValidationError({"pattern": _("Not a valid pattern: %s") % exc}) from exc

    def clean_value(self, raw):
        """The stored form of ``raw``, or ValidationError with a message for a person."""
        if raw in (None, "", []):
            if self.required:
                raise ValidationError(_("%(field)s is required.") % {"field": self.display_label})
            return None
        return getattr(self, f"_clean_{self.field_type}")(raw)

    def _clean_text(self, raw):
        value = str(raw).strip()
        if self.max_length and len(value) > self.max_length:
            raise ValidationError(
                _("%(field)s may be at most %(n)d characters.")
                % {"field": self.display_label, "n": self.max_length}
            )
        if self.pattern and not re.fullmatch(self.pattern, value):
            raise ValidationError(
                _("%(field)s does not have the expected format.") % {"field": self.display_label}
            )
        return value

    def _clean_number(self, raw):
        try:
            value = decimal.Decimal(str(raw).strip())
        except decimal.InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            raise ValidationError(_("%(field)s must be a number.") % {"field": self.display_label})
        if self.min_value is not None and value < self.min_value:
            raise ValidationError(
                _("%(field)s must be at least %(n)s.")
                % {"field": self.display_label, "n": _number_text(self.min_value)}
            )
        if self.max_value is not None and value > self.max_value:
            raise ValidationError(
                _("%(field)s must be at most %(n)s.")
                % {"field": self.display_label, "n": _number_text(self.max_value)}
            )
        # Stored as a JSON number so that searches can compare ranges.
        return int(value) if value == value.to_integral_value() else float(value)

    def _clean_date(self, raw):
        if isinstance(raw, datetime.date):
            return raw.isoformat()
        try:
            return datetime.date.fromisoformat(str(raw).strip()).isoformat()
        except ValueError as exc:
            raise ValidationError(
                _("%(field)s must be a date like 2026-01-31.") % {"field": self.display_label}
            ) from exc

    def _clean_choice(self, raw):
        value = str(raw).strip()
        if value not in self.choices:
            raise ValidationError(
                _("%(value)s is not one of the choices of %(field)s.")
                % {"value": value, "field": self.display_label}
            )
        return value

    def _clean_multichoice(self, raw):
        values = [raw] if isinstance(raw, str) else list(raw)
        cleaned = []
        for item in values:
            value = self._clean_choice(item)
            if value not in cleaned:
                cleaned.append(value)
        return cleaned


class CustomFieldsModel(models.Model):
    """Adds the ``custom_fields`` JSON column; ``obj.cf`` reads it."""

    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)

    class Meta:
        abstract = True

    @property
    def cf(self) -> dict:
        return self.custom_fields

    @classmethod
    def custom_field_definitions(cls):
        return CustomField.objects.filter(
            content_type=ContentType.objects.get_for_model(cls)
        ).prefetch_related("editable_by_roles")


class SystemSetting(ChangeLoggedModel):
    """A runtime setting an administrator may change; defaults and
    validation live in ``hotline.core.runtime_settings``."""

    key = models.CharField(_("key"), max_length=100, unique=True)
    value = models.JSONField(_("value"))

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("system setting")
        verbose_name_plural = _("system settings")
        ordering = ["key"]

    def __str__(self):
        return self.key


class FieldEditRule(ChangeLoggedModel):
    """Only members of the listed departments or holders of the listed roles
    may change this field of this kind of record (CUS-10)."""

    content_type = models.ForeignKey(
        ContentType, verbose_name=_("applies to"), on_delete=models.CASCADE, related_name="+"
    )
    field_name = models.CharField(_("field"), max_length=100)
    roles = models.ManyToManyField(
        "accounts.Role", verbose_name=_("roles"), blank=True, related_name="+"
    )
    departments = models.ManyToManyField(
        "accounts.Department",
        verbose_name=_("departments"),
        blank=True,
        related_name="+",
        help_text=_("Members of these departments and their sub-departments."),
    )

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("field edit rule")
        verbose_name_plural = _("field edit rules")
        ordering = ["content_type", "field_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "field_name"], name="core_fieldeditrule_unique_field"
            )
        ]

    def __str__(self):
        return f"{self.content_type.model}.{self.field_name}"

    def allows(self, user) -> bool:
        if user.is_superuser:
            return True
        role_ids = {role.pk for role in self.roles.all()}
        if role_ids & set(user.roles.values_list("pk", flat=True)):
            return True
        if user.department_id is None:
            return False
        ancestors = set(user.department_ancestor_ids())
        return any(dept.pk in ancestors for dept in self.departments.all())
