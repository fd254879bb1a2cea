"""Writes for the core models: custom field definitions.

Every function checks the acting user's permission first and changes
nothing when it refuses.
"""

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from hotline.core.exceptions import InvalidData
from hotline.core.models import CustomField, CustomFieldsModel
from hotline.core.permissions import require_perm

CUSTOM_FIELD_KEYS = {"content_type", "name"}
CUSTOM_FIELD_ATTRIBUTES = {
    "label",
    "label_en",
    "field_type",
    "choices",
    "required",
    "searchable",
    "show_in_screen_pop",
    "max_length",
    "min_value",
    "max_value",
    "pattern",
    "position",
}


def custom_field_models() -> list[type]:
    """The concrete models that carry custom fields, in a stable order."""
    found = [
        model
        for model in apps.get_models()
        if issubclass(model, CustomFieldsModel) and not model._meta.abstract
    ]
    return sorted(found, key=lambda m: (m._meta.app_label, m._meta.model_name))


def custom_field_content_types():
    models = custom_field_models()
    ids = [ContentType.objects.get_for_model(model).pk for model in models]
    return ContentType.objects.filter(pk__in=ids).order_by("app_label", "model")


def _invalid(exc: ValidationError) -> InvalidData:
    if hasattr(exc, "error_dict"):
        details = {
            ("__all__" if field == NON_FIELD_ERRORS else field): list(messages)
            for field, messages in exc.message_dict.items()
        }
    else:
        details = {"__all__": exc.messages}
    message = " ".join(msg for messages in details.values() for msg in messages)
    return InvalidData(message, details=details)


def _check_unknown(fields: dict, allowed: set[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise InvalidData(_("Unknown fields: %s") % ", ".join(sorted(unknown)))


def _check_content_type(content_type) -> None:
    model = content_type.model_class() if content_type is not None else None
    if model is None or model not in custom_field_models():
        raise InvalidData(
            _("Custom fields cannot be added to this kind of record."),
            details={"content_type": [_("Choose a record type that supports custom fields.")]},
        )


def _save_checked(field: CustomField) -> None:
    try:
        field.full_clean(exclude=["editable_by_roles"])
    except ValidationError as exc:
        raise _invalid(exc) from exc
    field.save()


def _set_roles(field: CustomField, roles, *, log: bool) -> None:
    roles = list(roles)
    before = sorted(field.editable_by_roles.values_list("code", flat=True))
    field.editable_by_roles.set(roles)
    after = sorted(role.code for role in roles)
    if log and before != after:
        field.record_change({"editable_by_roles": [before, after]})


@transaction.atomic
def custom_field_create(
    *, actor, content_type, name: str, editable_by_roles=(), **fields
) -> CustomField:
    require_perm(actor, "core.add_customfield")
    _check_unknown(fields, CUSTOM_FIELD_ATTRIBUTES)
    _check_content_type(content_type)
    field = CustomField(content_type=content_type, name=(name or "").strip(), **fields)
    _save_checked(field)
    _set_roles(field, editable_by_roles, log=False)
    return field


@transaction.atomic
def custom_field_update(
    *, actor, custom_field: CustomField, editable_by_roles=None, **fields
) -> CustomField:
    """Changes the attributes of a definition; its record type and key stay,
    since stored values are keyed by them."""
    require_perm(actor, "core.change_customfield")
    _check_unknown(fields, CUSTOM_FIELD_ATTRIBUTES)
    for name, value in fields.items():
        setattr(custom_field, name, value)
    _save_checked(custom_field)
    if editable_by_roles is not None:
        _set_roles(custom_field, editable_by_roles, log=True)
    return custom_field


@transaction.atomic
def custom_field_delete(*, actor, custom_field: CustomField) -> None:
    """Removes the definition; values already stored on records are kept."""
    require_perm(actor, "core.delete_customfield")
    custom_field.delete()
