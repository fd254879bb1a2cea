"""The fields of ObjectChange entries as rows a person can read: field labels
instead of names, related records by name instead of id (one query per
related model for the whole page), internal fields left out."""

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext as _

EMPTY = "—"


def _field(model, name: str):
    if model is None or name.startswith("cf."):
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _label(model, name: str) -> str:
    if name.startswith("cf."):
        return _("Custom field “%(key)s”") % {"key": name[3:]}
    field = _field(model, name)
    if field is None:
        return name
    if hasattr(field, "verbose_name"):
        return str(field.verbose_name)
    return str(field.related_model._meta.verbose_name_plural)  # a reverse relation


def _shown(value) -> str:
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _pairs(change):
    model = change.content_type.model_class()
    for name, pair in (change.changes or {}).items():
        field = _field(model, name)
        if field is not None and getattr(field, "concrete", False) and not field.editable:
            continue  # internal columns (paths, hashes, computed figures)
        old, new = pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
        yield model, name, field, old, new


def _related_names(changes) -> dict:
    """{(related model, pk): name} for every foreign key value on the page."""
    wanted: dict = {}
    for change in changes:
        for _model, _name, field, old, new in _pairs(change):
            if isinstance(field, models.ForeignKey):
                ids = wanted.setdefault(field.related_model, set())
                ids.update(v for v in (old, new) if v not in (None, ""))
    names = {}
    for model, ids in wanted.items():
        for obj in model._default_manager.filter(pk__in=ids):
            names[(model, str(obj.pk))] = str(obj)
    return names


def _value(field, value, names) -> str:
    if isinstance(field, models.ForeignKey) and value not in (None, ""):
        return names.get((field.related_model, str(value)), f"#{value}")
    if getattr(field, "choices", None) and value not in (None, ""):
        return str(dict(field.flatchoices).get(value, value))
    return _shown(value)


def change_entries(changes) -> list[dict]:
    """Each change with its rows of label, old value and new value."""
    changes = list(changes)
    names = _related_names(changes)
    entries = []
    for change in changes:
        rows = []
        for model, name, field, old, new in _pairs(change):
            old_text, new_text = _value(field, old, names), _value(field, new, names)
            if old_text == EMPTY and new_text == EMPTY:
                continue
            rows.append(
                {"field": name, "label": _label(model, name), "old": old_text, "new": new_text}
            )
        if rows or not change.changes:
            entries.append({"change": change, "rows": rows})
    return entries
