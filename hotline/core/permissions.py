"""Checks that services run before they act. Each refusal names what is missing."""

from django.contrib.auth.models import Permission
from django.utils.translation import gettext as _

from hotline.core.exceptions import NotAllowed
from hotline.core.scope import permission_name


def permission_label(perm: str) -> str:
    app_label, _sep, codename = perm.partition(".")
    found = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
    return str(found.name) if found else perm


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
