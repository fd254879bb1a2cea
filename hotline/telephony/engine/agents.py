"""Agents in the engine (TEL-1): login to a set of queues with an extension,
ready / not ready with a reason, after-call work on a timer, and the call
commands an agent gives (answer, hang up, hold, transfer, dial, record)."""

from django.utils.translation import gettext as _

from hotline.core.exceptions import Conflict, InvalidData
from hotline.core.phones import phone_info
from hotline.telephony import events as ev
from hotline.telephony.engine import store
from hotline.telephony.engine.state import HOLD, TALK, WAIT, AgentRun, CallRun
from hotline.telephony.engine.transitions import BUSY_STATES, check_agent
from hotline.telephony.models import Agent, AgentState, Call, CallLeg, QueueMember, RecordingPolicy
from hotline.telephony.services.records import recording_policy

A = AgentState
S = Call.State
D = Call.Disposition
DEFAULT_AFTER_CALL_MS = 10_000


class AgentMixin:
    def _init_agents(self) -> None:
        self.agents: dict[int, AgentRun] = {}

    # --- loading and state changes ---

    def load_agents(self) -> None:
        rows = Agent.objects.exclude(state=A.LOGGED_OUT).select_related("extension")
        for row in rows:
            memberships = QueueMember.objects.filter(agent=row, logged_in=True)
            positions = {m.queue_id: m.position for m in memberships}
            run = self._agent_run(row, row.extension.number if row.extension else "", positions)
            run.state, run.reason_id = row.state, row.state_reason_id
            self._agent_register(run)

    def _agent_run(self, row: Agent, extension: str, positions: dict) -> AgentRun:
        now = self.clock.now_ms
        ext = row.extension if row.extension and row.extension.number == extension else None
        return AgentRun(
            id=row.pk,
            user_id=row.user_id,
            number=row.number,
            extension=extension,
            recording=ext.recording if ext else RecordingPolicy.ON_DEMAND,
            after_call_ms=row.after_call_seconds * 1000
            if row.after_call_seconds is not None
            else None,
            skills=dict(row.skill_levels.values_list("skill_id", "level")),
            queue_ids=set(positions),
            positions=positions,
            state=A.LOGGED_OUT,
            since_ms=now,
            idle_since_ms=now,
        )

    def _agent_register(self, run: AgentRun) -> None:
        self.agents[run.id] = run
        for queue_id in run.queue_ids:
            self.members.setdefault(queue_id, set()).add(run.id)
            self.dirty_queues.add(queue_id)

    def agent_to(
        self, agent: AgentRun, state: str, *, reason_id=None, call_id=None, extension_id=False
    ) -> None:
        check_agent(agent.state, state)
        now = self.clock.now_ms
        agent.state, agent.reason_id, agent.since_ms = state, reason_id, now
        self.writes.agent_state(
            agent_id=agent.id,
            state=state,
            reason_id=reason_id,
            at=self.clock.at(now),
            call_id=call_id,
            extension_id=extension_id,
        )
        self.dirty_queues.update(q for q in agent.queue_ids if q in self.queues)
        self.announce(
            ev.AgentStateChanged(
                agent_id=agent.id,
                user_id=agent.user_id,
                number=agent.number,
                state=state,
                reason=self.reason_codes().get(reason_id, "") if reason_id else "",
                since=self.clock.at(now).isoformat(),
                call_id=call_id,
            )
        )

    def reason_codes(self) -> dict[int, str]:
        return {pk: code for code, pk in self.reasons.items()}

    def agent_call_over(self, agent: AgentRun, call: CallRun, *, talked: bool, leg=False) -> None:
        if leg is False:
            leg = self.legs.get(call.agent_leg) if call.agent_leg else None
        agent.call_id = agent.leg_id = None
        if agent.state == A.RINGING:
            self.agent_to(agent, agent.after_state, reason_id=agent.after_reason_id)
            return
        queue = self.queues.get(call.queue_id) if call.queue_id else None
        after = agent.after_call_ms if agent.after_call_ms is not None else None
        if after is None:
            after = queue.after_call_ms if queue else DEFAULT_AFTER_CALL_MS
        agent.acw_call_id, agent.acw_leg = call.id, leg.switch_id if leg else None
        self.agent_to(agent, A.AFTER_CALL)
        agent.timer = self.clock.call_later(after, self._after_call_over, agent.id)

    def _after_call_over(self, agent_id: int) -> None:
        agent = self.agents.get(agent_id)
        if agent is not None and agent.state == A.AFTER_CALL:
            agent.timer = None
            self.agent_after_call_end(agent)

    def agent_after_call_end(
        self, agent: AgentRun, state: str | None = None, reason_id=None
    ) -> None:
        if agent.timer is not None:
            agent.timer.cancel()
            agent.timer = None
        spent = self.clock.now_ms - agent.since_ms
        if agent.acw_call_id:
            self.writes.call_update(agent.acw_call_id, acw_ms=spent)
        if agent.acw_leg:
            self.writes.leg_update(agent.acw_leg, acw_ms=spent)
        agent.acw_call_id = agent.acw_leg = None
        target = state or agent.after_state
        reason = reason_id if state else agent.after_reason_id
        agent.after_state, agent.after_reason_id = A.READY, None
        self.agent_to(agent, target, reason_id=reason)
        self.agent_idle(agent)

    def agent_idle(self, agent: AgentRun) -> None:
        agent.idle_since_ms = self.clock.now_ms
        if agent.state == A.READY:
            self.route_for_agent(agent)

    # --- commands (each runs inside engine.step()) ---

    def agent_get(self, agent_id: int) -> AgentRun:
        agent = self.agents.get(agent_id)
        if agent is None:
            raise Conflict(_("You are not logged in to any queue."))
        return agent

    def agent_login(
        self, *, agent: Agent, extension, queue_ids: list[int], ready: bool = True
    ) -> AgentRun:
        if agent.pk in self.agents:
            self.agent_logout(agent_id=agent.pk)
        QueueMember.objects.filter(agent=agent).update(logged_in=False)
        QueueMember.objects.filter(agent=agent, queue_id__in=queue_ids).update(logged_in=True)
        positions = dict(
            QueueMember.objects.filter(agent=agent, logged_in=True).values_list(
                "queue_id", "position"
            )
        )
        agent.extension = extension
        run = self._agent_run(agent, extension.number, positions)
        self._agent_register(run)
        self.agent_to(run, A.READY if ready else A.NOT_READY, extension_id=extension.pk)
        self.agent_idle(run)
        return run

    def agent_logout(self, *, agent_id: int) -> None:
        agent = self.agent_get(agent_id)
        if agent.state in BUSY_STATES:
            raise Conflict(_("Finish the call before logging out."))
        if agent.state == A.AFTER_CALL:
            self.agent_after_call_end(agent, A.NOT_READY)
        QueueMember.objects.filter(agent_id=agent_id).update(logged_in=False)
        for queue_id in agent.queue_ids:
            self.members.get(queue_id, set()).discard(agent_id)
        self.agent_to(agent, A.LOGGED_OUT, extension_id=None)
        del self.agents[agent_id]

    def agent_set_state(self, *, agent_id: int, state: str, reason_id=None) -> AgentRun:
        agent = self.agent_get(agent_id)
        if state not in (A.READY, A.NOT_READY):
            raise InvalidData(
                _("Choose ready or not ready."),
                details={"state": [_("Choose ready or not ready.")]},
            )
        if state == A.READY:
            reason_id = None
        if agent.state in BUSY_STATES:
            agent.after_state, agent.after_reason_id = (
                state,
                reason_id,
            )  # applies once the call is over
        elif agent.state == A.AFTER_CALL:
            self.agent_after_call_end(agent, state, reason_id)
        else:
            self.agent_to(agent, state, reason_id=reason_id)
            self.agent_idle(agent)
        return agent

    def _agent_call(self, agent_id: int, *states) -> tuple[AgentRun, CallRun]:
        agent = self.agent_get(agent_id)
        call = self.calls.get(agent.call_id) if agent.call_id else None
        if call is None or (states and call.state not in states):
            raise Conflict(_("There is no call for that."))
        return agent, call

    def agent_answer(self, *, agent_id: int) -> None:
        agent, _call = self._agent_call(agent_id, S.RINGING, S.DIALING)
        if agent.state != A.RINGING:
            raise Conflict(_("Your phone is not ringing."))
        self.switch.answer(agent.leg_id)

    def agent_hangup(self, *, agent_id: int) -> None:
        agent, call = self._agent_call(agent_id)
        if call.consult_leg and call.consult_up and call.agent_id == agent_id:
            self._hand_over(agent, call)  # the agent leaves; the caller stays with the other party
        elif call.state == S.RINGING:
            self.ring_unanswered(call, cause="rejected")
        elif call.state == S.DIALING:
            self.call_end(call, D.NOT_ANSWERED, side="agent", cause="normal")
        else:
            self.call_end(call, D.ANSWERED, side="agent", cause="normal")

    def agent_hold(self, *, agent_id: int, hold: bool = True) -> None:
        agent, call = self._agent_call(agent_id, S.ON_HOLD if not hold else S.CONNECTED)
        (self.switch.hold if hold else self.switch.unhold)(call.customer_leg)
        phase = HOLD if hold else TALK
        self.leg_phase(call.customer_leg, phase)
        self.leg_phase(call.agent_leg, phase)
        self.call_to(call, S.ON_HOLD if hold else S.CONNECTED)
        self.agent_to(agent, A.ON_HOLD if hold else A.TALKING, call_id=call.id)

    def agent_transfer(self, *, agent_id: int, to: str) -> None:
        agent, call = self._agent_call(agent_id, S.CONNECTED, S.ON_HOLD)
        queue_id = self.queue_codes.get(to)
        number = phone_info(to) if queue_id is None else None
        if queue_id is None and number is None:
            raise InvalidData(
                _("Transfer to a queue code or a phone number."),
                details={"to": [_("Unknown queue or number.")]},
            )
        self.recording_finish_and_save(call)
        self.leg_end(self.legs[call.agent_leg], side="agent", cause="transferred", hang_up=True)
        self.agent_call_over(agent, call, talked=True)
        call.agent_leg, call.agent_id = None, None
        if queue_id is not None:
            self.leg_phase(call.customer_leg, WAIT)
            self.switch.unhold(call.customer_leg)
            call.first_queued_ms = None
            self.enqueue(call, queue_id, f"transfer:{agent.number}")
        else:
            self.transfer_out(call, number.e164)

    def recording_finish_and_save(self, call: CallRun) -> None:
        recorded = self.recording_finish(call)
        if recorded is not None:
            self.recording_save(call, recorded)

    def agent_record(self, *, agent_id: int, on: bool) -> None:
        agent, call = self._agent_call(agent_id, S.CONNECTED, S.ON_HOLD)
        queue = self.queues.get(call.queue_id) if call.queue_id else None
        if (
            on
            and recording_policy(
                extension=agent.recording, queue=queue.recording if queue else None
            )
            == RecordingPolicy.NEVER
        ):
            raise Conflict(_("Calls of this queue or extension are never recorded."))
        if on:
            self.recording_start(call)
        else:
            self.recording_finish_and_save(call)

    def agent_dial(self, *, agent_id: int, number: str) -> CallRun:
        agent = self.agent_get(agent_id)
        if agent.state not in (A.READY, A.NOT_READY):
            raise Conflict(_("You can dial when you are not on a call."))
        info = phone_info(number)
        if info is None:
            raise InvalidData(
                _("That is not a valid phone number."),
                details={"number": [_("Not a valid number.")]},
            )
        _refused, listed = self.blacklist_check(info.e164)
        if listed:
            raise Conflict(_("This number is on the blacklist and is never dialled."))
        now = self.clock.now_ms
        customer_id, _priority = self.customer_of(info.e164)
        call = CallRun(
            id=0,
            direction=Call.Direction.OUTBOUND,
            caller=agent.extension,
            called=info.e164,
            started_ms=now,
            seq=next(self._seq),
            customer_id=customer_id,
            agent_id=agent.id,
        )
        call.timeline.append([S.NEW, self.clock.at(now).isoformat(), agent.number])
        call.id = store.call_insert(
            direction=call.direction,
            state=S.NEW,
            caller=agent.extension,
            called=info.e164,
            customer_id=customer_id,
            agent_id=agent.id,
            started_at=self.clock.at(now),
            timeline=call.timeline,
        )
        self.calls[call.id] = call
        agent_leg = self.leg_add(
            call,
            f"c{call.id}-a{agent.id}",
            CallLeg.Kind.AGENT,
            number=agent.extension,
            agent_id=agent.id,
        )
        call.agent_leg = agent_leg.switch_id
        agent.after_state, agent.after_reason_id = agent.state, agent.reason_id
        agent.call_id, agent.leg_id = call.id, agent_leg.switch_id
        self.agent_to(agent, A.RINGING, call_id=call.id)
        self.call_to(call, S.DIALING, info.e164)
        self.switch.originate(leg_id=agent_leg.switch_id, to=agent.extension, caller_id=info.e164)
        return call

    def dial_agent_answered(self, call: CallRun, leg) -> None:
        """The agent picked up their phone: now ring the customer."""
        agent = self.agents[leg.agent_id]
        self.leg_answered(leg)
        customer = self.leg_add(call, f"c{call.id}-out", CallLeg.Kind.CUSTOMER, number=call.called)
        call.customer_leg = customer.switch_id
        self.agent_to(agent, A.TALKING, call_id=call.id)
        self.switch.originate(leg_id=customer.switch_id, to=call.called, caller_id=agent.extension)

    def outbound_answered(self, call: CallRun, leg, answered_by: str) -> None:
        if call.state != S.DIALING:
            return
        now = self.clock.now_ms
        self.leg_answered(leg)
        leg.enter_phase(TALK, now)
        self.leg_phase(call.agent_leg, TALK)
        self.switch.bridge(call.customer_leg, call.agent_leg)
        call.answered = True
        self.call_to(call, S.CONNECTED, answered_by, answered_at=self.clock.at(now))
        agent = self.agents.get(call.agent_id)
        if agent is not None:
            agent.calls_taken += 1
            self.recording_by_policy(call, agent, None)
            self.announce(self.call_event(ev.CallAnswered, call, agent))
