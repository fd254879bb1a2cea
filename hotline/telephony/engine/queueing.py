"""Callers in queues (TEL-3): entering, routing to an agent, ring timeout and
re-queue, overflow, abandon, and connecting the caller to the agent."""

from hotline.telephony import events as ev
from hotline.telephony.engine.acd import choose_agent, waiting_insert
from hotline.telephony.engine.state import TALK, CallRun, QueueRun
from hotline.telephony.models import AgentState, Call, CallLeg, OverflowAction

S = Call.State
D = Call.Disposition
MAX_OVERFLOWS = 3
MOH = "music-on-hold"


class QueueingMixin:
    def enqueue(self, call: CallRun, queue_id: int | None, note: str = "") -> None:
        queue = self.queues.get(queue_id)
        if queue is None:
            self.say_then_end(call, "", D.IVR_HANGUP, cause="no_queue")
            return
        now = self.clock.now_ms
        first = call.first_queued_ms is None
        call.first_queued_ms = now if first else call.first_queued_ms
        call.queue_id, call.queued_ms = queue.id, now
        call.sticky_until_ms = now + queue.sticky_ms
        if queue.strategy == "sticky":
            self.last_agent(call)
        fields = {"queue_id": queue.id, "flow_path": call.path}
        if first:
            fields["queued_at"] = self.clock.at(now)
        self.call_to(call, S.QUEUED, note or queue.code, **fields)
        queue.offered += 1
        self.dirty_queues.add(queue.id)
        if not self.members.get(queue.id):
            self.overflow(call, queue, queue.no_agent_action, waiting=False)
            return
        self.queue_wait(call, queue)

    def queue_wait(self, call: CallRun, queue: QueueRun) -> None:
        waiting_insert(queue, call)
        self.switch.play(call.customer_leg, playback_id=MOH, audio=MOH, loop=True)
        if queue.overflow_action != OverflowAction.WAIT:
            remaining = queue.max_wait_ms - (self.clock.now_ms - call.queued_ms)
            call.wait_timer = self.clock.call_later(remaining, self._wait_limit, call.id, queue.id)
        if queue.strategy == "sticky" and call.last_agent_id in self.members[queue.id]:
            self.clock.call_later(queue.sticky_ms, self._route_by_id, queue.id)
        self.route(queue)

    def queue_leave(self, call: CallRun) -> None:
        queue = self.queues.get(call.queue_id) if call.queue_id else None
        if queue is not None and call in queue.waiting:
            queue.waiting.remove(call)
            call.queue_ms += self.clock.now_ms - call.queued_ms
            self.dirty_queues.add(queue.id)

    def _route_by_id(self, queue_id: int) -> None:
        if queue_id in self.queues:
            self.route(self.queues[queue_id])

    def route(self, queue: QueueRun) -> None:
        """Give waiting callers, best first, to the agents the strategy picks."""
        members = self.members.get(queue.id, set())
        for call in list(queue.waiting):
            if not any(self.agents[a].state == AgentState.READY for a in members):
                return
            agent = choose_agent(queue, call, members, self.agents, self.clock.now_ms)
            if agent is not None:
                self.offer(call, queue, agent)

    def route_for_agent(self, agent) -> None:
        """An agent became ready: serve the queue whose best caller has waited longest."""
        queues = [
            self.queues[q] for q in agent.queue_ids if q in self.queues and self.queues[q].waiting
        ]
        queues.sort(
            key=lambda q: (-q.waiting[0].priority, q.waiting[0].first_queued_ms, q.waiting[0].seq)
        )
        for queue in queues:
            if agent.state != AgentState.READY:
                return
            self.route(queue)

    def offer(self, call: CallRun, queue: QueueRun, agent) -> None:
        self.queue_leave(call)
        leg_id = f"c{call.id}-a{agent.id}-{len(call.timeline)}"
        self.leg_add(call, leg_id, CallLeg.Kind.AGENT, number=agent.extension, agent_id=agent.id)
        call.agent_leg, call.agent_id = leg_id, agent.id
        queue.last_agent_id = agent.id
        self.agent_to(agent, AgentState.RINGING, call_id=call.id)
        agent.call_id, agent.leg_id = call.id, leg_id
        fields = {"agent_id": agent.id}
        if call.state == S.QUEUED and not call.rang_unanswered and call.timeline[-1][0] == S.QUEUED:
            fields["ringing_at"] = self.clock.now()
        self.call_to(call, S.RINGING, agent.number, **fields)
        self.switch.originate(leg_id=leg_id, to=agent.extension, caller_id=call.caller)
        call.ring_timer = self.clock.call_later(queue.ring_ms, self._ring_timeout, call.id, leg_id)
        waited = (self.clock.now_ms - call.started_ms) / 1000
        self.announce(
            self.call_event(
                ev.CallOffered, call, agent, priority=call.priority, waited_seconds=waited
            )
        )

    def _ring_timeout(self, call_id: int, leg_id: str) -> None:
        call = self.calls.get(call_id)
        if call is None or call.state != S.RINGING or call.agent_leg != leg_id:
            return
        self.ring_unanswered(call, cause="no_answer")

    def ring_unanswered(self, call: CallRun, *, cause: str) -> None:
        """The agent did not pick up: they pause, the caller goes back to their place."""
        call.ring_timer = None
        agent = self.agents.get(call.agent_id)
        leg = self.legs.get(call.agent_leg)
        if leg is not None:
            self.leg_end(leg, side="system", cause=cause, hang_up=True)
        call.agent_leg, call.agent_id, call.rang_unanswered = None, None, True
        if agent is not None:
            agent.call_id = agent.leg_id = None
            self.agent_to(agent, AgentState.NOT_READY, reason_id=self.reasons["no_answer"])
        queue = self.queues[call.queue_id]
        self.call_to(call, S.QUEUED, "ring_no_answer", agent_id=None)
        call.queued_ms = self.clock.now_ms
        if (
            self.clock.now_ms - (call.first_queued_ms or 0) >= queue.max_wait_ms
            and queue.overflow_action != "wait"
        ):
            self.overflow(call, queue, queue.overflow_action, waiting=False)
            return
        waiting_insert(queue, call)
        self.dirty_queues.add(queue.id)
        self.route(queue)

    def _wait_limit(self, call_id: int, queue_id: int) -> None:
        call = self.calls.get(call_id)
        if call is None or call.queue_id != queue_id:
            return
        call.wait_timer = None
        if call.state == S.QUEUED:
            self.overflow(call, self.queues[queue_id], self.queues[queue_id].overflow_action)

    def overflow(
        self, call: CallRun, queue: QueueRun, action: str, *, waiting: bool = True
    ) -> None:
        self.queue_leave(call)
        if call.wait_timer is not None:
            call.wait_timer.cancel()
            call.wait_timer = None
        call.overflows += 1
        target = self.queues.get(queue.overflow_queue_id) if queue.overflow_queue_id else None
        if (
            action == OverflowAction.QUEUE
            and target is not None
            and call.overflows <= MAX_OVERFLOWS
        ):
            queue.offered -= 1  # counted where the call goes on
            self.enqueue(call, target.id, f"overflow:{queue.code}")
        elif action == OverflowAction.WAIT:
            self.queue_wait(call, queue)
        elif action == OverflowAction.HANGUP:
            text = "All our agents are busy. Please call again later. Goodbye."
            self.say_then_end(call, text, D.OVERFLOW_HANGUP, cause="overflow")
        else:
            self.voicemail_start(call, queue_id=queue.id)

    def abandon(self, call: CallRun, *, cause: str) -> None:
        """The caller hung up while waiting or while an agent's phone rang."""
        agent = self.agents.get(call.agent_id) if call.state == S.RINGING else None
        if agent is not None:
            self.leg_end(
                self.legs[call.agent_leg], side="system", cause="caller_abandoned", hang_up=True
            )
            agent.call_id = agent.leg_id = None
            self.agent_to(agent, AgentState.READY)
        self.call_end(call, D.ABANDONED, side="caller", cause=cause)
        if agent is not None:
            self.route_for_agent(agent)

    def agent_leg_answered(self, call: CallRun, leg) -> None:
        if call.state == S.DIALING:
            self.dial_agent_answered(call, leg)
            return
        if call.state != S.RINGING or leg.switch_id != call.agent_leg:
            self.leg_end(leg, side="system", cause="not_needed", hang_up=True)
            return
        self.cancel_call_timers(call)
        now = self.clock.now_ms
        agent = self.agents[leg.agent_id]
        self.leg_answered(leg)
        leg.enter_phase(TALK, now)
        customer = self.legs[call.customer_leg]
        customer.enter_phase(TALK, now)
        self.switch.stop_playback(call.customer_leg)
        self.switch.bridge(call.customer_leg, leg.switch_id)
        call.answered = True
        self.leg_answered_customer(customer)
        self.call_to(call, S.CONNECTED, agent.number, answered_at=self.clock.at(now))
        agent.calls_taken += 1
        self.agent_to(agent, AgentState.TALKING, call_id=call.id)
        queue = self.queues.get(call.queue_id)
        if queue is not None:
            queue.answered += 1
            queue.answered_in_time += (now - call.first_queued_ms) <= queue.service_level_ms
            self.dirty_queues.add(queue.id)
        self.recording_by_policy(call, agent, queue)
        self.announce(self.call_event(ev.CallAnswered, call, agent))

    def leg_answered_customer(self, customer) -> None:
        if customer.answered_ms is None:
            self.leg_answered(customer)

    def agent_leg_gone(self, call: CallRun, leg, cause: str) -> None:
        """The agent's phone hung up (or refused) on its own."""
        if call.state == S.RINGING and leg.switch_id == call.agent_leg:
            self.ring_unanswered(call, cause=cause or "rejected")
        elif call.state in (S.CONNECTED, S.ON_HOLD) and leg.switch_id == call.agent_leg:
            self.call_end(call, D.ANSWERED, side="agent", cause=cause)
        elif call.state == S.DIALING:
            self.call_end(call, D.NOT_ANSWERED, side="agent", cause=cause)
        else:
            self.leg_end(leg, side="agent", cause=cause, hang_up=False)
