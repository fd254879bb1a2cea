"""Data scope: which rows of a model a user may act on.

A role grants permissions and carries a scope. For a permission the user's
scope is the widest scope of the roles that grant it. Scoped models name the
field that points at the owning user (``scope_owner_field``); rows are then
visible by owner, owner's team or owner's department (with sub-departments).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DataScope(models.TextChoices):
    OWN = "own", _("Own records")
    TEAM = "team", _("Own team")
    DEPARTMENT = "department", _("Own department")
    ALL = "all", _("All records")


SCOPE_ORDER = [DataScope.OWN, DataScope.TEAM, DataScope.DEPARTMENT, DataScope.ALL]


def widest_scope(scopes) -> DataScope | None:
    present = {DataScope(s) for s in scopes}
    for scope in reversed(SCOPE_ORDER):
        if scope in present:
            return scope
    return None


def permission_name(model, action: str) -> str:
    """``view`` on Customer → ``customers.view_customer``; a dotted action is taken as is."""
    if "." in action:
        return action
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


def scope_filter(model, user, scope: DataScope) -> models.Q | None:
    """The row filter for ``scope``; None means every row.

    ``scope_owner_field`` names the field pointing at the owning user, or is
    "self" for the user model, whose rows own themselves.
    """
    owner_field = getattr(model, "scope_owner_field", None)
    if scope == DataScope.ALL or not owner_field:
        return None
    prefix = "" if owner_field == "self" else f"{owner_field}__"
    own = models.Q(**{f"{prefix}id": user.pk})
    if scope == DataScope.OWN:
        return own
    if scope == DataScope.TEAM:
        return own | models.Q(**{f"{prefix}team_id__in": user.scope_team_ids()})
    return own | models.Q(**{f"{prefix}department_id__in": user.scope_department_ids()})
