"""Factories for callback tests: missed calls as the telephony engine reports
them, agents logged in to telephony, and rules."""

from datetime import timedelta
from itertools import count

from django.utils import timezone

from hotline.callbacks.models import AllocationRule, CallbackTask
from hotline.callbacks.services.callbacks import callback_create_for_call
from hotline.telephony.models import Agent, AgentState, Call

_agent_numbers = count(800)


def make_call(number="13800138000", *, at=None, **fields) -> Call:
    return Call.objects.create(
        direction=Call.Direction.INBOUND,
        caller=number,
        called="4008001234",
        started_at=at or timezone.now(),
        disposition=Call.Disposition.ABANDONED,
        state=Call.State.ENDED,
        **fields,
    )


def missed(number="13800138000", kind="abandoned", *, at=None, call=True, **kwargs):
    """What the engine does when a call from ``number`` is missed."""
    at = at or timezone.now()
    return callback_create_for_call(
        call=make_call(number, at=at) if call else None, kind=kind, number=number, at=at, **kwargs
    )


def make_rule(name="rule", **fields) -> AllocationRule:
    return AllocationRule.objects.create(name=name, **fields)


def logged_in(user, state=AgentState.READY) -> Agent:
    agent, _created = Agent.objects.get_or_create(
        user=user, defaults={"number": str(next(_agent_numbers))}
    )
    agent.state = state
    agent.save()
    return agent


def assigned_task(owner, number="13800138000", *, due_in_minutes=30, **fields) -> CallbackTask:
    """A callback already assigned to ``owner`` (made as a missed call, then
    assigned by a one-off rule)."""
    from hotline.callbacks.services.callbacks import callback_create_for_call as create

    rule = make_rule("tmp", target_user=owner)
    try:
        task = create(call=None, kind="abandoned", number=number, at=timezone.now(), **fields)
    finally:
        rule.delete()
    task.refresh_from_db()
    assert task.owner_id == owner.pk
    task.due_at = timezone.now() + timedelta(minutes=due_in_minutes)
    task.save(update_fields=["due_at"])
    return task
