"""Checks shared by the callback services: whose data scope covers a user,
who may take callbacks, and row claiming that is safe with several workers."""

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils.translation import gettext as _

from hotline.core.exceptions import InvalidData, NotAllowed
from hotline.core.scope import scope_filter

VIEW_CALLBACK = "callbacks.view_callbacktask"
ADD_CALLBACK = "callbacks.add_callbacktask"
CHANGE_CALLBACK = "callbacks.change_callbacktask"
ASSIGN_CALLBACK = "callbacks.assign_callbacktask"


def scope_covers_user(actor, perm: str, user) -> bool:
    """Whether ``actor``'s data scope for ``perm`` covers rows owned by ``user``."""
    if actor is None or user is None or not actor.is_authenticated:
        return False
    if actor.is_superuser:
        return True
    scope = actor.data_scope(perm)
    if scope is None:
        return False
    User = get_user_model()
    condition = scope_filter(User, actor, scope)
    if condition is None:
        return True
    return User.objects.filter(condition, pk=user.pk).exists()


def users_in_scope(actor, perm: str):
    """The users whose rows ``actor``'s scope for ``perm`` covers."""
    User = get_user_model()
    if actor.is_superuser:
        return User.objects.all()
    scope = actor.data_scope(perm)
    if scope is None:
        return User.objects.none()
    condition = scope_filter(User, actor, scope)
    return User.objects.all() if condition is None else User.objects.filter(condition)


def can_take_callbacks(user) -> bool:
    return user is not None and user.is_active and user.has_perm(CHANGE_CALLBACK)


def callback_takers():
    """Active users whose roles let them work on callbacks (and superusers)."""
    from django.db.models import Q

    User = get_user_model()
    app_label, codename = CHANGE_CALLBACK.split(".")
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(
                roles__permissions__content_type__app_label=app_label,
                roles__permissions__codename=codename,
            )
        )
        .distinct()
    )


def claim(queryset):
    """``queryset`` locked for this transaction, skipping rows another worker
    holds (PostgreSQL). SQLite has no row locks: the database is opened with
    IMMEDIATE transactions, so a second writer waits for the first to commit
    and then sees its changes."""
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True)
    return queryset


def require_task_in_scope(actor, task) -> None:
    """A callback in the pool may be allocated by anyone who allocates; an
    assigned or suggested one only within the actor's scope."""
    person = task.owner if task.owner_id else task.suggested_to
    if person is not None and not scope_covers_user(actor, ASSIGN_CALLBACK, person):
        raise NotAllowed(
            _("The callback to %(number)s is outside your data scope.") % {"number": task.number},
            details={"permission": ASSIGN_CALLBACK},
        )


def require_taker(actor, agent) -> None:
    """``agent`` may take callbacks and is the actor or within the actor's
    scope of allocating callbacks."""
    if agent is None or not can_take_callbacks(agent):
        raise InvalidData(
            _("%(agent)s cannot take callbacks.") % {"agent": agent or "—"},
            details={"owner": [_("Choose an active agent who works on callbacks.")]},
        )
    if agent.pk != actor.pk and not scope_covers_user(actor, ASSIGN_CALLBACK, agent):
        raise NotAllowed(
            _("%(agent)s is outside your data scope.") % {"agent": agent},
            details={"permission": ASSIGN_CALLBACK},
        )
