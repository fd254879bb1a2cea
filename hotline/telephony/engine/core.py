"""The call engine: one object that owns every call and agent while they
are live, driven by switch events, timers on its clock and agents' commands.

All input runs under ``step()``: the engine's lock and one database
transaction. Whatever a step changes is written in that transaction and the
events it announces go out after it commits. A simulation runs many timers
in one step (a day in seconds); the live runner makes a step of each tick.
"""

import itertools
import logging
import threading
from contextlib import contextmanager

from django.db import transaction

from hotline.core.events import publish_all
from hotline.core.phones import phone_info
from hotline.telephony import events as ev
from hotline.telephony.engine import store
from hotline.telephony.engine.agents import AgentMixin
from hotline.telephony.engine.config import ConfigMixin
from hotline.telephony.engine.consult import ConsultMixin
from hotline.telephony.engine.ivr import IvrMixin
from hotline.telephony.engine.media import MediaMixin
from hotline.telephony.engine.queueing import QueueingMixin
from hotline.telephony.engine.state import TALK, CallRun, LegRun
from hotline.telephony.engine.store import Writes
from hotline.telephony.engine.transitions import check_call
from hotline.telephony.models import Call, CallLeg
from hotline.telephony.switch import (
    DigitsCollected,
    DtmfReceived,
    LegAnswered,
    LegCreated,
    LegHungUp,
    LegRinging,
    PlaybackDone,
)

logger = logging.getLogger(__name__)
S = Call.State
D = Call.Disposition


class Engine(ConfigMixin, IvrMixin, QueueingMixin, MediaMixin, ConsultMixin, AgentMixin):
    def __init__(self, *, switch, clock):
        self.switch, self.clock = switch, clock
        self.lock = threading.RLock()
        self.calls: dict[int, CallRun] = {}
        self.legs: dict[str, LegRun] = {}
        self.events: list = []
        self.dirty_queues: set[int] = set()
        self._seq = itertools.count()
        self.writes = Writes()
        self.wall = None  # live mode: a function giving the wall clock's ms
        self._init_config()
        self._init_agents()
        switch.set_listener(self.on_switch_event)

    # --- steps, time and announcements ---

    @contextmanager
    def step(self):
        with self.lock:
            try:
                with transaction.atomic():
                    if self.wall is not None:
                        self.clock.run_until(self.wall())
                    self.roll_over_day()
                    yield self
                    self.writes.flush()
                    self._flush_events()
            finally:
                self.writes = Writes()
                self.events.clear()
                self.dirty_queues.clear()

    def advance(self, ms: int, *, chunk_ms: int = 60_000) -> None:
        """Run the clock ``ms`` forward, one step per ``chunk_ms`` of clock time."""
        until = self.clock.now_ms + int(ms)
        while self.clock.now_ms < until:
            with self.step():
                self.clock.run_until(min(until, self.clock.now_ms + chunk_ms))

    def advance_seconds(self, seconds: float) -> None:
        self.advance(round(seconds * 1000))

    def now(self):
        return self.clock.now()

    def _flush_events(self) -> None:
        for queue_id in sorted(self.dirty_queues):
            self.events.append(self.queue_stats_event(self.queues[queue_id]))
        publish_all(self.events)

    def announce(self, event) -> None:
        self.events.append(event)

    # --- switch events ---

    def on_switch_event(self, event) -> None:
        if isinstance(event, LegCreated):
            self._on_leg_created(event)
            return
        leg = self.legs.get(event.leg_id)
        if leg is None or leg.ended:
            return  # a leg already closed here (we hung it up), or one we never had
        call = self.calls.get(leg.call_id)
        if call is None:
            return
        handlers = {
            LegRinging: self._on_ringing,
            LegAnswered: self._on_answered,
            LegHungUp: self._on_hung_up,
            PlaybackDone: self._on_playback_done,
            DigitsCollected: self._on_digits,
            DtmfReceived: self._on_dtmf,
        }
        try:
            handlers[type(event)](call, leg, event)
        except Exception:
            logger.exception("Call %s: handling %s failed", call.id, event)
            self.call_end(call, D.LOST, side="system", cause="engine_error")

    def _on_leg_created(self, event: LegCreated) -> None:
        if event.leg_id in self.legs:
            return
        now = self.clock.now_ms
        info = phone_info(event.caller)
        caller = info.e164 if info else event.caller
        customer_id, priority = self.customer_of(info.e164) if info else (None, 0)
        call = CallRun(
            id=0,
            direction=Call.Direction.INBOUND,
            caller=caller,
            called=event.called,
            started_ms=now,
            seq=next(self._seq),
            customer_id=customer_id,
            priority=priority,
        )
        refused, call.blacklisted = self.blacklist_check(info.e164 if info else None)
        call.flow = self.flow_for_number(event.called)
        call.timeline.append([S.NEW, self.clock.at(now).isoformat(), ""])
        call.id = store.call_insert(
            direction=call.direction,
            state=S.NEW,
            caller=caller,
            called=event.called,
            customer_id=customer_id,
            flow_id=call.flow["id"] if call.flow else None,
            priority=priority,
            blacklisted=call.blacklisted,
            started_at=self.clock.at(now),
            timeline=call.timeline,
        )
        self.calls[call.id] = call
        self.leg_add(call, event.leg_id, CallLeg.Kind.CUSTOMER, number=caller)
        call.customer_leg = event.leg_id
        call.refused = refused
        self.switch.answer(event.leg_id)

    def _on_ringing(self, call: CallRun, leg: LegRun, event) -> None:
        now = self.clock.at(self.clock.now_ms)
        self.writes.leg_update(leg.switch_id, state=CallLeg.State.RINGING, ringing_at=now)
        if leg.kind == CallLeg.Kind.AGENT and leg.agent_id in self.agents:
            self.announce(self.call_event(ev.CallRinging, call, self.agents[leg.agent_id]))

    def _on_answered(self, call: CallRun, leg: LegRun, event: LegAnswered) -> None:
        if leg.switch_id == call.consult_leg:
            self.consult_answered(call, leg)
        elif leg.switch_id == call.transfer_leg:
            self.transfer_answered(call, leg)
        elif leg.kind == CallLeg.Kind.MONITOR:
            self.monitor_answered(call, leg)
        elif leg.switch_id == call.customer_leg and call.direction == Call.Direction.INBOUND:
            self.leg_answered(leg)
            self.inbound_answered(call)
        elif leg.kind == CallLeg.Kind.AGENT:
            self.agent_leg_answered(call, leg)
        else:
            self.outbound_answered(call, leg, event.answered_by)

    def _on_hung_up(self, call: CallRun, leg: LegRun, event: LegHungUp) -> None:
        remote = event.side == "remote"
        if leg.switch_id == call.consult_leg:
            self.consult_gone(call, leg, event.cause)
            return
        if leg.kind == CallLeg.Kind.MONITOR:
            self.monitor_gone(call, leg, event.cause)
            return
        if leg.kind == CallLeg.Kind.AGENT:
            self.agent_leg_gone(call, leg, event.cause)
            return
        side = "caller" if remote else "system"
        state = call.state
        if state == S.VOICEMAIL:
            self.voicemail_finish(call, side=side)
        elif state in (S.QUEUED, S.RINGING):
            self.abandon(call, cause=event.cause)
        elif state in (S.CONNECTED, S.ON_HOLD):
            disposition = D.TRANSFERRED if call.transferred_out else D.ANSWERED
            self.call_end(call, disposition, side=side, cause=event.cause)
        elif state == S.TRANSFERRED:
            side = "caller" if remote and leg.switch_id == call.customer_leg else "system"
            self.call_end(call, D.TRANSFERRED, side=side, cause=event.cause)
        elif state == S.DIALING:
            self.call_end(call, D.NOT_ANSWERED, side="system", cause=event.cause)
        else:
            self.call_end(call, D.IVR_HANGUP, side=side, cause=event.cause)

    def _on_playback_done(self, call: CallRun, leg: LegRun, event: PlaybackDone) -> None:
        if event.playback_id != call.playback or call.on_played is None:
            return
        then, call.on_played, call.playback = call.on_played, None, ""
        then()

    def _on_digits(self, call: CallRun, leg: LegRun, event: DigitsCollected) -> None:
        handler, call.on_digits = call.on_digits, None
        if handler is not None:
            handler(event.digits)

    def _on_dtmf(self, call: CallRun, leg: LegRun, event: DtmfReceived) -> None:
        call.vars.setdefault("dtmf", "")
        call.vars["dtmf"] += event.digit

    # --- calls and legs ---

    def leg_add(
        self, call: CallRun, switch_id: str, kind: str, *, number: str, agent_id=None
    ) -> LegRun:
        now = self.clock.now_ms
        self.writes.leg_insert(
            call_id=call.id,
            switch_id=switch_id,
            kind=kind,
            number=number,
            agent_id=agent_id,
            created_at=self.clock.at(now),
        )
        leg = LegRun(
            switch_id=switch_id,
            call_id=call.id,
            kind=kind,
            created_ms=now,
            agent_id=agent_id,
            phase_since=now,
        )
        self.legs[switch_id] = leg
        return leg

    def leg_answered(self, leg: LegRun) -> None:
        now = self.clock.now_ms
        leg.answered_ms = now
        self.writes.leg_update(
            leg.switch_id, state=CallLeg.State.ANSWERED, answered_at=self.clock.at(now)
        )

    def leg_phase(self, leg_id: str | None, phase: str) -> None:
        leg = self.legs.get(leg_id) if leg_id else None
        if leg is not None and not leg.ended:
            leg.enter_phase(phase, self.clock.now_ms)

    def leg_end(self, leg: LegRun, *, side: str, cause: str, hang_up: bool) -> None:
        if leg.ended:
            return
        now = self.clock.now_ms
        leg.enter_phase(leg.phase, now)
        leg.ended = True
        if hang_up:
            self.switch.hangup(leg.switch_id, cause=cause)
        self.writes.leg_update(
            leg.switch_id,
            state=CallLeg.State.ENDED,
            ended_at=self.clock.at(now),
            wait_ms=leg.spent["wait"],
            talk_ms=leg.spent[TALK],
            hold_ms=leg.spent["hold"],
            hangup_side=side,
            hangup_cause=cause,
        )

    def call_to(self, call: CallRun, state: str, note: str = "", **fields) -> None:
        check_call(call.state, state)
        call.state = state
        call.timeline.append([state, self.clock.now().isoformat(), note])
        self.writes.call_update(call.id, state=state, timeline=call.timeline, **fields)

    def call_end(self, call: CallRun, disposition: str, *, side: str, cause: str) -> None:
        if call.state == S.ENDED:
            return
        self.cancel_call_timers(call)
        self.queue_leave(call)
        recorded = self.recording_finish(call)
        for leg in self.call_legs(call):
            self.leg_end(leg, side=side, cause=cause, hang_up=True)
        customer = self.legs.get(call.customer_leg)
        spent = customer.spent if customer else {"wait": 0, TALK: 0, "hold": 0}
        agent = self.agents.get(call.agent_id) if call.agent_id else None
        self.call_to(
            call,
            S.ENDED,
            disposition,
            ended_at=self.clock.now(),
            disposition=disposition,
            hangup_side=side,
            hangup_cause=cause,
            wait_ms=spent["wait"],
            talk_ms=spent[TALK],
            hold_ms=spent["hold"],
            queue_ms=call.queue_ms,
            flow_path=call.path,
        )
        consulted = self.agents.get(call.consult_agent_id) if call.consult_agent_id else None
        if consulted is not None and consulted.call_id == call.id:
            consult_leg = self.legs.get(call.consult_leg)
            self.agent_call_over(consulted, call, talked=call.consult_up, leg=consult_leg)
        if agent is not None and agent.call_id == call.id:
            self.agent_call_over(
                agent, call, talked=disposition in (D.ANSWERED, D.TRANSFERRED) and call.answered
            )
        queue = self.queues.get(call.queue_id) if call.queue_id else None
        if queue is not None and disposition == D.ABANDONED:
            queue.abandoned += 1
            self.dirty_queues.add(queue.id)
        if agent is not None:
            self.announce(
                self.call_event(
                    ev.CallEnded,
                    call,
                    agent,
                    disposition=disposition,
                    hangup_side=side,
                    talk_seconds=spent[TALK] / 1000,
                )
            )
        self.callback_for(call, disposition)
        if recorded is not None:
            self.recording_save(call, recorded)
        self.call_forget(call)

    def call_legs(self, call: CallRun) -> list[LegRun]:
        return [leg for leg in self.legs.values() if leg.call_id == call.id]

    def call_forget(self, call: CallRun) -> None:
        for leg in self.call_legs(call):
            self.legs.pop(leg.switch_id, None)
        self.calls.pop(call.id, None)
        if call.customer_id or call.caller:
            self.remember_last_agent(call)

    def cancel_call_timers(self, call: CallRun) -> None:
        for name in ("wait_timer", "ring_timer", "limit_timer"):
            timer = getattr(call, name, None)
            if timer is not None:
                timer.cancel()
                setattr(call, name, None)

    def call_event(self, cls, call: CallRun, agent, **extra):
        queue = self.queues.get(call.queue_id) if call.queue_id else None
        return cls(
            call_id=call.id,
            agent_id=agent.id,
            user_id=agent.user_id,
            caller=call.caller,
            called=call.called,
            direction=call.direction,
            customer_id=call.customer_id,
            queue=queue.code if queue else None,
            blacklisted=call.blacklisted,
            **extra,
        )


def engine_start(engine: Engine) -> Engine:
    """Load configuration, close what a previous run left open, load agents."""
    from hotline.telephony.engine.recovery import recover

    with engine.step():
        engine.reload_config()
        recover(engine)
        engine.load_agents()
        engine.load_queue_counts()
    return engine
