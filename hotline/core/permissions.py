"""Checks that services run before they act. Each refusal names what is missing."""

from django.contrib.auth.models import Permission
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.core.exceptions import NotAllowed
from hotline.core.scope import permission_name

STANDARD_PERMISSION_NAMES = {
    "view": gettext_lazy("Can view %(model)s"),
    "add": gettext_lazy("Can add %(model)s"),
    "change": gettext_lazy("Can change %(model)s"),
    "delete": gettext_lazy("Can delete %(model)s"),
}


def permission_display(permission: Permission) -> str:
    """The permission's name in the active language (the stored name is English)."""
    model = permission.content_type.model_class()
    if model is None:
        return permission.name
    action, _sep, model_name = permission.codename.partition("_")
    if action in STANDARD_PERMISSION_NAMES and model_name == model._meta.model_name:
        return str(STANDARD_PERMISSION_NAMES[action] % {"model": model._meta.verbose_name})
    declared = dict(model._meta.permissions)
    return str(declared.get(permission.codename, permission.name))


def permission_label(perm: str) -> str:
    app_label, _sep, codename = perm.partition(".")
    found = (
        Permission.objects.select_related("content_type")
        .filter(content_type__app_label=app_label, codename=codename)
        .first()
    )
    return permission_display(found) if found else perm


def require_perm(user, perm: str) -> None:
    if user is None or not user.is_authenticated or not user.has_perm(perm):
        raise NotAllowed(
            _("You do not have the permission “%(perm)s”.") % {"perm": permission_label(perm)},
            details={"permission": perm},
        )


def require_object_perm(user, obj, action: str) -> None:
    """The permission for ``action`` on ``obj``'s model and a data scope that covers ``obj``."""
    model = type(obj)
    perm = permission_name(model, action)
    require_perm(user, perm)
    if not model._default_manager.restrict(user, action).filter(pk=obj.pk).exists():
        raise NotAllowed(
            _("“%(object)s” is outside your data scope.") % {"object": obj},
            details={"permission": perm},
        )


def fields_not_editable(user, model, field_names) -> list[str]:
    """Those of ``field_names`` that a field edit rule keeps ``user`` from changing."""
    from django.contrib.contenttypes.models import ContentType

    from hotline.core.models import FieldEditRule

    rules = FieldEditRule.objects.filter(
        content_type=ContentType.objects.get_for_model(model), field_name__in=list(field_names)
    ).prefetch_related("roles", "departments")
    return sorted(rule.field_name for rule in rules if not rule.allows(user))
