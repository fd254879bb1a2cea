"""Reads of the core models, always within the user's scope."""

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from hotline.core.models import ChangeLoggedModel, CustomField, ObjectChange


def object_change_list(
    *,
    actor,
    action: str = "",
    username: str = "",
    content_type_id: int | None = None,
    search: str = "",
):
    changes = ObjectChange.objects.restrict(actor, "view").select_related("actor", "content_type")
    if action:
        changes = changes.filter(action=action)
    if username:
        username = username.strip()
        changes = changes.filter(
            Q(actor__username__icontains=username) | Q(actor__full_name__icontains=username)
        )
    if content_type_id:
        changes = changes.filter(content_type_id=content_type_id)
    if search:
        changes = changes.filter(
            Q(object_repr__icontains=search.strip()) | Q(object_id=search.strip())
        )
    return changes


def custom_field_list(*, actor):
    return (
        CustomField.objects.restrict(actor, "view")
        .select_related("content_type")
        .prefetch_related("editable_by_roles")
    )


def change_logged_content_types():
    """The record types whose changes the change history holds."""
    models = [m for m in apps.get_models() if issubclass(m, ChangeLoggedModel)]
    ids = [ContentType.objects.get_for_model(model).pk for model in models]
    return ContentType.objects.filter(pk__in=ids).order_by("app_label", "model")
