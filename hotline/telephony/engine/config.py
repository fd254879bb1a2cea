"""What the engine reads from the database and keeps at hand: queues and
their logged-in members, dialled numbers and flows, system reasons, and the
per-call lookups (customer and VIP priority, blacklist, last agent)."""

from hotline.telephony import events as ev
from hotline.telephony.engine.state import QueueRun
from hotline.telephony.engine.store import fetch_one
from hotline.telephony.models import Call, DialledNumber, IvrFlow, PauseReason, Queue

# The caller's customer (not merged away; the primary number first, then the
# newest) and the queue priority of their level.
CUSTOMER_SQL = """
SELECT c.id, l.queue_priority
FROM customers_customerphone p
JOIN customers_customer c ON c.id = p.customer_id
LEFT JOIN customers_memberlevel l ON l.id = c.level_id
WHERE p.number = %s AND c.merged_into_id IS NULL
ORDER BY p.is_primary DESC, c.id DESC
LIMIT 1
"""
SYSTEM_REASONS = {
    "no_answer": "Did not answer a call",
    "restart": "After a restart of the call engine",
}


class ConfigMixin:
    def _init_config(self) -> None:
        self.queues: dict[int, QueueRun] = {}
        self.queue_codes: dict[str, int] = {}
        self.members: dict[int, set[int]] = {}
        self.numbers: dict[str, int] = {}
        self.flows: dict[int, dict] = {}
        self.reasons: dict[str, int] = {}
        self.last_agents: dict[str, int] = {}
        self.counts_day = None

    def reload_config(self) -> None:
        """Queues, flows and numbers as an administrator left them; calls in
        progress keep their place."""
        for row in Queue.objects.filter(active=True):
            self._queue_load(row)
        self.flows = {
            f.pk: {"id": f.pk, "start": f.start, "nodes": f.nodes} for f in IvrFlow.objects.all()
        }
        self.numbers = dict(DialledNumber.objects.values_list("number", "flow_id"))
        for code, name in SYSTEM_REASONS.items():
            reason, _created = PauseReason.objects.get_or_create(
                code=f"system-{code}", defaults={"name": name}
            )
            self.reasons[code] = reason.pk

    def _queue_load(self, row: Queue) -> None:
        fields = {
            "code": row.code,
            "name": row.name,
            "strategy": row.strategy,
            "skill_id": row.skill_id,
            "min_skill_level": row.min_skill_level,
            "ring_ms": row.ring_seconds * 1000,
            "sticky_ms": row.sticky_seconds * 1000,
            "max_wait_ms": row.max_wait_seconds * 1000,
            "overflow_action": row.overflow_action,
            "no_agent_action": row.no_agent_action,
            "overflow_queue_id": row.overflow_queue_id,
            "after_call_ms": row.after_call_seconds * 1000,
            "service_level_ms": row.service_level_seconds * 1000,
            "recording": row.recording,
        }
        queue = self.queues.get(row.pk)
        if queue is None:
            self.queues[row.pk] = QueueRun(id=row.pk, **fields)
            self.members.setdefault(row.pk, set())
        else:
            for name, value in fields.items():
                setattr(queue, name, value)
        self.queue_codes[row.code] = row.pk

    def load_queue_counts(self) -> None:
        """Today's figures, as the initial-state query computes them."""
        from hotline.telephony.selectors.live import day_start, queue_counts

        self.counts_day = day_start(self.clock.now())
        counts = queue_counts(list(self.queues), self.counts_day)
        for queue_id, figures in counts.items():
            for name, value in figures.items():
                setattr(self.queues[queue_id], name, value)

    def roll_over_day(self) -> None:
        """Queue figures are per local day: at midnight they start again."""
        from hotline.telephony.selectors.live import day_start

        if self.counts_day is not None and day_start(self.clock.now()) != self.counts_day:
            self.load_queue_counts()
            self.dirty_queues.update(self.queues)

    def flow_for_number(self, called: str) -> dict | None:
        flow_id = self.numbers.get(called)
        if flow_id is None:
            digits = "".join(ch for ch in called if ch.isdigit())
            flow_id = next(
                (
                    f
                    for n, f in self.numbers.items()
                    if "".join(c for c in n if c.isdigit()) == digits
                ),
                None,
            )
        return self.flows.get(flow_id) if flow_id else None

    def customer_of(self, e164: str) -> tuple[int | None, int]:
        """(customer id, queue priority of their member level) for a caller:
        one indexed statement, as it runs on every call."""
        row = fetch_one(CUSTOMER_SQL, [e164])
        return (row[0], row[1] or 0) if row else (None, 0)

    def blacklist_check(self, e164: str | None) -> tuple[bool, bool]:
        """(refused by the IVR, listed): the policy decides what a listed number meets."""
        if e164 is None:
            return False, False
        from hotline.core.runtime_settings import setting_get
        from hotline.customers.selectors.blacklist import STATUS_SQL, status_for_e164

        _reports, _entry, active, *_rest = fetch_one(STATUS_SQL, [e164, e164])
        if not active:
            return False, False
        status = status_for_e164(e164, self.clock.now())  # its time windows
        if not status["refused_now"]:
            return False, False
        return setting_get("telephony.blacklist_policy") == "reject", True

    def last_agent(self, call) -> int | None:
        """The agent who last served this caller (memory first, then the CDRs)."""
        if not call.last_agent_known:
            call.last_agent_id, call.last_agent_known = self.last_agent_of(call.caller), True
        return call.last_agent_id

    def last_agent_of(self, caller: str) -> int | None:
        if caller in self.last_agents:
            return self.last_agents[caller]
        return (
            Call.objects.filter(caller=caller, agent__isnull=False, answered_at__isnull=False)
            .order_by("-started_at")
            .values_list("agent_id", flat=True)
            .first()
        )

    def remember_last_agent(self, call) -> None:
        if call.answered and call.agent_id:
            if len(self.last_agents) > 100_000:
                self.last_agents.clear()
            self.last_agents[call.caller] = call.agent_id

    def queue_stats_event(self, queue: QueueRun) -> ev.QueueStatsChanged:
        members = self.members.get(queue.id, set())
        oldest = min((c.first_queued_ms for c in queue.waiting), default=None)
        answered = queue.answered
        return ev.QueueStatsChanged(
            queue_id=queue.id,
            code=queue.code,
            name=queue.name,
            waiting=len(queue.waiting),
            oldest_waiting_since=self.clock.at(oldest).isoformat() if oldest is not None else None,
            agents_logged_in=len(members),
            agents_ready=sum(1 for a in members if self.agents[a].state == "ready"),
            offered=queue.offered,
            answered=answered,
            abandoned=queue.abandoned,
            service_level_percent=round(100 * queue.answered_in_time / answered, 1)
            if answered
            else None,
        )
