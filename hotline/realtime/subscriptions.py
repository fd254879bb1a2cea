"""Which channel-layer groups a connection joins: exactly those whose events
the user's permissions and data scope allow (see core.events.Audience)."""

from hotline.core.events import permission_group, routed_permissions, scope_group, user_group
from hotline.core.scope import DataScope


def groups_for_user(user) -> list[str]:
    if not user.is_authenticated or not user.is_active:
        return []
    groups = [user_group(user.pk)]
    for perm in sorted(routed_permissions()):
        scope = user.data_scope(perm)
        if scope is None:
            continue
        groups.append(permission_group(perm))
        groups += _scope_groups(user, perm, scope)
    return groups


def _scope_groups(user, perm: str, scope: DataScope) -> list[str]:
    if scope == DataScope.ALL:
        return [scope_group(perm, "all")]
    own = [scope_group(perm, "u", user.pk)]
    if scope == DataScope.TEAM:
        return own + [scope_group(perm, "t", team) for team in user.scope_team_ids()]
    if scope == DataScope.DEPARTMENT:
        return own + [scope_group(perm, "d", dept) for dept in _department_roots(user)]
    return own


def _department_roots(user) -> list[int]:
    """The departments the user belongs to or heads; events are sent to the
    owner's department and every ancestor, so sub-departments are covered."""
    roots = set(user.headed_departments.values_list("pk", flat=True))
    if user.department_id:
        roots.add(user.department_id)
    return sorted(roots)
