"""After a restart of the engine: calls that were in progress are closed
with a cause, their callers get a callback, and no agent is left ringing,
talking or in after-call work without a call."""

from hotline.telephony.engine import store
from hotline.telephony.engine.transitions import BUSY_STATES
from hotline.telephony.models import Agent, AgentState, Call, CallLeg

RESTART_CAUSE = "engine_restart"


def _ms(later, earlier) -> int:
    return max(0, round((later - earlier).total_seconds() * 1000)) if later and earlier else 0


def _close_leg(leg: CallLeg, now) -> None:
    answered = leg.answered_at
    store.leg_update(
        leg.pk,
        state=CallLeg.State.ENDED,
        ended_at=now,
        hangup_side="system",
        hangup_cause=RESTART_CAUSE,
        wait_ms=_ms(answered or now, leg.created_at),
        talk_ms=_ms(now, answered) if answered else 0,
        hold_ms=0,
    )


def _close_call(engine, call: Call, now) -> None:
    for leg in call.legs.exclude(state=CallLeg.State.ENDED):
        _close_leg(leg, now)
    answered = call.answered_at
    timeline = [*call.timeline, [Call.State.ENDED, now.isoformat(), RESTART_CAUSE]]
    store.call_update(
        call.pk,
        state=Call.State.ENDED,
        ended_at=now,
        disposition=Call.Disposition.LOST,
        hangup_side="system",
        hangup_cause=RESTART_CAUSE,
        wait_ms=_ms(answered or now, call.started_at),
        talk_ms=_ms(now, answered) if answered else 0,
        hold_ms=0,
        timeline=timeline,
    )
    if call.direction == Call.Direction.INBOUND and call.queued_at and not answered:
        from hotline.callbacks.services.callbacks import callback_create_for_call

        callback_create_for_call(
            call=call,
            kind="lost",
            number=call.caller,
            customer=call.customer,
            queue=call.queue,
            at=now,
        )


def recover(engine) -> int:
    """Close what a previous run left open; returns how many calls were closed."""
    now = engine.clock.now()
    open_calls = list(Call.objects.exclude(state=Call.State.ENDED))
    for call in open_calls:
        _close_call(engine, call, now)
    stuck = Agent.objects.filter(state__in=[*BUSY_STATES, AgentState.AFTER_CALL])
    for agent_id in stuck.values_list("pk", flat=True):
        store.agent_state_write(
            agent_id=agent_id,
            state=AgentState.NOT_READY,
            reason_id=engine.reasons["restart"],
            at=now,
            call_id=None,
        )
    return len(open_calls)
