"""Validation of administrator-defined custom field values."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from hotline.core.exceptions import InvalidData, NotAllowed


def _may_edit(definition, actor) -> bool:
    allowed = {role.pk for role in definition.editable_by_roles.all()}
    if not allowed or actor is None or actor.is_superuser:
        return True
    return bool(allowed & set(actor.roles.values_list("pk", flat=True)))


def custom_fields_clean(model, data: dict, *, actor, current: dict) -> dict:
    """Clean ``data`` against ``model``'s custom fields.

    Unknown keys, bad values and missing required values raise InvalidData
    with a message per field; changing a field the actor's roles may not
    edit raises NotAllowed. Returns the values to store.
    """
    definitions = {d.name: d for d in model.custom_field_definitions()}
    errors: dict[str, list[str]] = {}
    for key in sorted(set(data) - set(definitions)):
        errors[key] = [_("There is no custom field “%(key)s”.") % {"key": key}]
    cleaned = {}
    for name, definition in definitions.items():
        try:
            value = definition.clean_value(data.get(name))
        except ValidationError as exc:
            errors[name] = exc.messages
            continue
        if value != current.get(name) and not _may_edit(definition, actor):
            raise NotAllowed(
                _("Your roles may not change “%(field)s”.") % {"field": definition.display_label},
                details={name: [_("Not editable by your roles.")]},
            )
        if value is not None:
            cleaned[name] = value
    if errors:
        message = " ".join(msg for messages in errors.values() for msg in messages)
        raise InvalidData(message, details=errors)
    return cleaned
