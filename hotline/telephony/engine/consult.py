"""What an agent does inside a call beyond the basics (TEL-2): mute, DTMF,
consulting another agent or a number with the caller on hold, then
completing the transfer, joining all three, or going back; the wrap-up
(disposition) of after-call work; and supervisors' monitoring (TEL-8)."""

import re

from django.utils.translation import gettext as _

from hotline.core.exceptions import Conflict, InvalidData
from hotline.core.phones import phone_info
from hotline.telephony import events as ev
from hotline.telephony.engine.state import TALK, WAIT, CallRun
from hotline.telephony.models import AgentState, Call, CallLeg

A = AgentState
S = Call.State
D = Call.Disposition
DTMF = re.compile(r"^[0-9*#]{1,32}$")
MONITOR_MODES = ("listen", "whisper", "barge")


class ConsultMixin:
    def announce_updated(self, call: CallRun) -> None:
        agent = self.agents.get(call.agent_id) if call.agent_id else None
        if agent is None:
            return
        consult = None
        if call.consult_leg:
            consult = {
                "to": call.consult_to,
                "state": "connected" if call.consult_up else "ringing",
            }
        self.announce(
            self.call_event(
                ev.CallUpdated,
                call,
                agent,
                state=call.state,
                muted=call.muted,
                consult=consult,
                conference=call.conference,
            )
        )

    def call_note(self, call: CallRun, note: str) -> None:
        """A line in the call's timeline that is not a change of state."""
        call.timeline.append([call.state, self.clock.now().isoformat(), note])
        self.writes.call_update(call.id, timeline=call.timeline)

    def agent_mute(self, *, agent_id: int, on: bool) -> None:
        _agent, call = self._agent_call(agent_id, S.CONNECTED, S.ON_HOLD)
        self.switch.mute(call.agent_leg, on=on)
        call.muted = on
        self.announce_updated(call)

    def agent_dtmf(self, *, agent_id: int, digits: str) -> None:
        _agent, call = self._agent_call(agent_id, S.CONNECTED, S.ON_HOLD)
        if not DTMF.match(digits or ""):
            message = _("Digits are 0–9, * and #.")
            raise InvalidData(message, details={"digits": [message]})
        self.switch.send_dtmf(call.customer_leg, digits=digits)

    def agent_wrapup(self, *, agent_id: int, code_id: int | None, note: str, ready: bool) -> None:
        agent = self.agent_get(agent_id)
        if agent.state != A.AFTER_CALL or not agent.acw_call_id:
            raise Conflict(_("There is no after-call work to finish."))
        self.writes.call_update(agent.acw_call_id, wrapup_code_id=code_id, wrapup_note=note[:500])
        if ready:
            self.agent_after_call_end(agent, A.READY)

    # --- consultation: attended transfer and conference ---

    def agent_consult(self, *, agent_id: int, to: str) -> None:
        agent, call = self._agent_call(agent_id, S.CONNECTED, S.ON_HOLD)
        if call.consult_leg:
            raise Conflict(_("You are already consulting."))
        target = next(
            (a for a in self.agents.values() if a.number == to and a.id != agent.id), None
        )
        if target is not None and target.state != A.READY:
            raise Conflict(_("Agent %(number)s is not ready.") % {"number": to})
        info = None if target else phone_info(to)
        if target is None and info is None:
            message = _("Consult an agent number or a phone number.")
            raise InvalidData(message, details={"to": [message]})
        if call.state == S.CONNECTED:
            self.agent_hold(agent_id=agent_id, hold=True)
        leg_id = f"c{call.id}-k{len(call.timeline)}"
        number = target.extension if target else info.e164
        kind = CallLeg.Kind.AGENT if target else CallLeg.Kind.EXTERNAL
        self.leg_add(call, leg_id, kind, number=number, agent_id=target.id if target else None)
        call.consult_leg, call.consult_to, call.consult_up = leg_id, to, False
        call.consult_agent_id = target.id if target else None
        if target is not None:
            target.call_id, target.leg_id = call.id, leg_id
            self.agent_to(target, A.RINGING, call_id=call.id)
        self.call_note(call, f"consult:{to}")
        self.switch.originate(leg_id=leg_id, to=number, caller_id=agent.extension)
        self.announce_updated(call)

    def consult_answered(self, call: CallRun, leg) -> None:
        self.leg_answered(leg)
        leg.enter_phase(TALK, self.clock.now_ms)
        call.consult_up = True
        self.switch.bridge(call.agent_leg, leg.switch_id)
        consulted = self.agents.get(call.consult_agent_id) if call.consult_agent_id else None
        if consulted is not None:
            self.agent_to(consulted, A.TALKING, call_id=call.id)
        self.announce_updated(call)

    def consult_gone(self, call: CallRun, leg, cause: str) -> None:
        """The consulted party hung up: back to the caller (still on hold)."""
        self.leg_end(leg, side="agent", cause=cause, hang_up=False)
        self._consult_release(call)

    def _consult_release(self, call: CallRun) -> None:
        consulted = self.agents.get(call.consult_agent_id) if call.consult_agent_id else None
        was_up, call.consult_leg, call.consult_agent_id, call.consult_up = (
            call.consult_up,
            None,
            None,
            False,
        )
        call.conference = False
        if consulted is not None:
            consulted.call_id = consulted.leg_id = None
            if was_up:
                self.agent_call_over(consulted, call, talked=True, leg=None)
            else:
                self.agent_to(consulted, A.READY)
                self.agent_idle(consulted)
        self.announce_updated(call)

    def agent_consult_cancel(self, *, agent_id: int) -> None:
        _agent, call = self._agent_call(agent_id, S.CONNECTED, S.ON_HOLD)
        leg = self.legs.get(call.consult_leg) if call.consult_leg else None
        if leg is None:
            raise Conflict(_("You are not consulting anyone."))
        self.leg_end(leg, side="agent", cause="cancelled", hang_up=True)
        self._consult_release(call)

    def _consult_required(self, agent_id: int):
        agent, call = self._agent_call(agent_id, S.CONNECTED, S.ON_HOLD)
        if not call.consult_leg or not call.consult_up:
            raise Conflict(_("The consulted party has not answered."))
        return agent, call

    def agent_consult_complete(self, *, agent_id: int) -> None:
        """Attended transfer: the caller joins the consulted party, the agent leaves."""
        agent, call = self._consult_required(agent_id)
        self._hand_over(agent, call)

    def _hand_over(self, agent, call: CallRun) -> None:
        self.recording_finish_and_save(call)
        self.leg_end(self.legs[call.agent_leg], side="agent", cause="transferred", hang_up=True)
        self.agent_call_over(agent, call, talked=True)
        consult_leg, consulted_id = call.consult_leg, call.consult_agent_id
        call.agent_leg, call.agent_id = consult_leg, consulted_id
        call.consult_leg, call.consult_agent_id, call.consult_up, call.conference = (
            None,
            None,
            False,
            False,
        )
        call.transferred_out = consulted_id is None
        self.switch.unhold(call.customer_leg)
        self.switch.bridge(call.customer_leg, consult_leg)
        self.leg_phase(call.customer_leg, TALK)
        if call.state == S.ON_HOLD:
            self.call_to(call, S.CONNECTED, "transfer", agent_id=consulted_id)
        else:
            self.writes.call_update(call.id, agent_id=consulted_id)
        self.call_note(call, f"transferred:{agent.number}")
        self.announce_updated(call)

    def transfer_out(self, call: CallRun, number: str) -> None:
        """Blind transfer to an outside number (an agent's, or an IVR
        transfer node's): the caller waits with music while the number rings
        and talks with it once it answers; whoever hangs up ends the call
        (disposition "transferred"). The engine places and tracks the leg
        like any other."""
        info = phone_info(number)
        number = info.e164 if info else number
        leg_id = f"c{call.id}-x{len(call.timeline)}"
        self.leg_add(call, leg_id, CallLeg.Kind.EXTERNAL, number=number)
        call.transfer_leg = leg_id
        self.call_to(call, S.TRANSFERRED, number)
        self.leg_phase(call.customer_leg, WAIT)
        self.switch.hold(call.customer_leg)
        self.switch.originate(leg_id=leg_id, to=number, caller_id=call.caller)

    def transfer_answered(self, call: CallRun, leg) -> None:
        self.leg_answered(leg)
        leg.enter_phase(TALK, self.clock.now_ms)
        self.switch.unhold(call.customer_leg)
        self.switch.bridge(call.customer_leg, leg.switch_id)
        self.leg_phase(call.customer_leg, TALK)

    def agent_conference(self, *, agent_id: int) -> None:
        agent, call = self._consult_required(agent_id)
        self.switch.conference([call.customer_leg, call.agent_leg, call.consult_leg])
        for leg_id in (call.customer_leg, call.agent_leg, call.consult_leg):
            self.leg_phase(leg_id, TALK)
        call.conference = True
        if call.state == S.ON_HOLD:
            self.call_to(call, S.CONNECTED, "conference")
            self.agent_to(agent, A.TALKING, call_id=call.id)
        else:
            self.call_note(call, "conference")
        self.announce_updated(call)

    # --- supervisors ---

    def monitor_start(self, *, call_id: int, extension: str, mode: str) -> None:
        if mode not in MONITOR_MODES:
            message = _("Choose listen, whisper or barge.")
            raise InvalidData(message, details={"mode": [message]})
        call = self.calls.get(call_id)
        if call is None or call.state not in (S.CONNECTED, S.ON_HOLD):
            raise Conflict(_("That call is not connected now."))
        current = next((leg for leg, (ext, _m) in call.monitors.items() if ext == extension), None)
        if current is not None:
            call.monitors[current] = (extension, mode)
            if self.legs[current].answered_ms is not None:
                self.switch.monitor(
                    call.agent_leg or call.customer_leg, supervisor_leg_id=current, mode=mode
                )
            self.call_note(call, f"monitor:{mode}")
            return
        leg_id = f"c{call.id}-m{len(call.timeline)}"
        self.leg_add(call, leg_id, CallLeg.Kind.MONITOR, number=extension)
        call.monitors[leg_id] = (extension, mode)
        self.call_note(call, f"monitor:{mode}")
        self.switch.originate(leg_id=leg_id, to=extension, caller_id=call.caller)

    def monitor_answered(self, call: CallRun, leg) -> None:
        self.leg_answered(leg)
        leg.enter_phase(TALK, self.clock.now_ms)
        _extension, mode = call.monitors[leg.switch_id]
        self.switch.monitor(
            call.agent_leg or call.customer_leg, supervisor_leg_id=leg.switch_id, mode=mode
        )

    def monitor_gone(self, call: CallRun, leg, cause: str) -> None:
        call.monitors.pop(leg.switch_id, None)
        self.leg_end(leg, side="agent", cause=cause, hang_up=False)
