"""Applying the state machine of ``hotline.callbacks.states``.

``callback_transition`` is the one public function that changes a callback's
status: it locks the task, checks the transition table, writes the
``CallbackTransition`` history row, updates the task and publishes
``CallbackStatusChanged`` after commit. ``apply_transition`` does the same on
a task the caller has already locked (the allocation worker locks a batch at
once). Callers check who may do what; this module checks only what may
follow what.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.callbacks.events import CallbackCreated, CallbackStatusChanged
from hotline.callbacks.models import CallbackTask, CallbackTransition
from hotline.callbacks.states import FINAL, CallbackStatus, transition_allowed
from hotline.core.events import publish
from hotline.core.exceptions import Conflict, InvalidData


def event_fields(task: CallbackTask) -> dict:
    return {
        "task_id": task.pk,
        "number": task.number,
        "kind": task.kind,
        "status": task.status,
        "customer_id": task.customer_id,
        "owner_id": task.owner_id,
        "suggested_to_id": task.suggested_to_id,
        "priority": task.priority,
        "due_at": task.due_at.isoformat(),
    }


def _status(value) -> CallbackStatus:
    try:
        return CallbackStatus(value)
    except ValueError:
        raise InvalidData(
            _("“%(status)s” is not a callback status.") % {"status": value},
            details={"status": [_("Unknown status.")]},
        ) from None


def illegal_transition(task: CallbackTask, to: CallbackStatus) -> Conflict:
    return Conflict(
        _("The callback to %(number)s cannot go from “%(from)s” to “%(to)s”.")
        % {
            "number": task.number,
            "from": CallbackStatus(task.status).label,
            "to": to.label,
        },
        code="illegal_transition",
        details={"task": task.pk, "from": task.status, "to": str(to)},
    )


def record_entry(*, task: CallbackTask, by=None) -> CallbackTransition:
    """The first history row of a new callback (from nothing to its status)
    and its ``CallbackCreated`` event."""
    row = CallbackTransition.objects.create(
        task=task,
        from_status="",
        to_status=task.status,
        owner_id=task.owner_id,
        by=by,
        at=task.created_at,
    )
    publish(CallbackCreated(**event_fields(task)))
    return row


def apply_transition(
    task: CallbackTask,
    to,
    *,
    by=None,
    at=None,
    owner=None,
    suggested_to=None,
    rule=None,
    note: str = "",
) -> CallbackTransition:
    """Move the locked ``task`` to ``to``. ``owner`` is required to assign,
    ``suggested_to`` to suggest; going back to pending clears both."""
    to = _status(to)
    if not transition_allowed(task.status, to):
        raise illegal_transition(task, to)
    at = at or timezone.now()
    from_status = task.status
    if to == CallbackStatus.ASSIGNED:
        if owner is None:
            raise InvalidData(
                _("Choose the agent who calls back."), details={"owner": [_("Required.")]}
            )
        task.owner = owner
        task.suggested_to = None
        task.assigned_at = at
        task.alarmed_at = None
    elif to == CallbackStatus.SUGGESTED:
        if suggested_to is None:
            raise InvalidData(
                _("Choose the agent to suggest."), details={"suggested_to": [_("Required.")]}
            )
        task.suggested_to = suggested_to
        task.owner = None
    elif to == CallbackStatus.PENDING:
        task.owner = None
        task.suggested_to = None
        task.assigned_at = None
    if to in FINAL:
        task.closed_at = at
    if rule is not None or to in (CallbackStatus.PENDING, CallbackStatus.ASSIGNED):
        task.rule = rule
    task.status = to
    task.save()
    row = CallbackTransition.objects.create(
        task=task,
        from_status=from_status,
        to_status=to,
        owner_id=task.owner_id,
        by=by,
        rule=rule,
        at=at,
        note=(note or "")[:500],
    )
    publish(
        CallbackStatusChanged(
            **event_fields(task),
            from_status=from_status,
            by_id=by.pk if by is not None else None,
            rule_id=rule.pk if rule is not None else None,
        )
    )
    return row


def lock(task: CallbackTask) -> CallbackTask:
    """The task's row, locked until the transaction ends (must be inside one)."""
    return CallbackTask.objects.select_for_update().get(pk=task.pk)


def refresh(task: CallbackTask, locked: CallbackTask) -> None:
    """Copy the state of ``locked`` onto the caller's instance of the task
    (setting a foreign key id drops a stale cached object)."""
    for field in CallbackTask._meta.concrete_fields:
        setattr(task, field.attname, getattr(locked, field.attname))
    task._state.fields_cache.update(locked._state.fields_cache)


@transaction.atomic
def callback_transition(*, task: CallbackTask, to, actor, **changes) -> CallbackTransition:
    """Move ``task`` to ``to``. An illegal move raises ``Conflict`` (code
    ``illegal_transition``) naming both statuses and changes nothing."""
    locked = lock(task)
    row = apply_transition(locked, to, by=actor, **changes)
    refresh(task, locked)
    return row
