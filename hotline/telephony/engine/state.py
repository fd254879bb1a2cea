"""What the engine holds in memory while calls run. Every field that matters
after a restart is also written to the database before it is announced;
``recovery`` rebuilds agents from there and closes calls that were cut off."""

from dataclasses import dataclass, field

# Phases of a leg whose durations the CDR sums: wait + talk + hold = span.
WAIT, TALK, HOLD = "wait", "talk", "hold"


@dataclass
class LegRun:
    switch_id: str
    call_id: int
    kind: str
    created_ms: int
    agent_id: int | None = None
    answered_ms: int | None = None
    ended: bool = False
    phase: str = WAIT
    phase_since: int = 0
    spent: dict = field(default_factory=lambda: {WAIT: 0, TALK: 0, HOLD: 0})

    def enter_phase(self, phase: str, now_ms: int) -> None:
        self.spent[self.phase] += now_ms - self.phase_since
        self.phase, self.phase_since = phase, now_ms


@dataclass
class QueueRun:
    id: int
    code: str
    name: str
    strategy: str
    skill_id: int | None
    min_skill_level: int
    ring_ms: int
    sticky_ms: int
    max_wait_ms: int
    overflow_action: str
    no_agent_action: str
    overflow_queue_id: int | None
    after_call_ms: int
    service_level_ms: int
    recording: str
    waiting: list = field(default_factory=list)  # CallRun, best first
    last_agent_id: int | None = None  # round robin: the agent served last
    offered: int = 0
    answered: int = 0
    answered_in_time: int = 0
    abandoned: int = 0


@dataclass
class AgentRun:
    id: int
    user_id: int
    number: str
    extension: str
    recording: str
    after_call_ms: int | None
    skills: dict  # skill id → level
    queue_ids: set
    positions: dict  # queue id → position (round robin order)
    state: str
    reason_id: int | None = None
    since_ms: int = 0
    idle_since_ms: int = 0
    calls_taken: int = 0
    call_id: int | None = None
    leg_id: str | None = None
    timer: object = None  # the after-call-work timer
    after_state: str = "ready"  # where after-call work leads
    after_reason_id: int | None = None
    acw_call_id: int | None = None
    acw_leg: str | None = None


@dataclass
class CallRun:
    id: int
    direction: str
    caller: str
    called: str
    started_ms: int
    seq: int
    customer_id: int | None = None
    priority: int = 0
    blacklisted: bool = False
    last_agent_id: int | None = None
    last_agent_known: bool = False  # looked up when a sticky queue or a callback needs it
    state: str = "new"
    customer_leg: str | None = None
    agent_leg: str | None = None
    flow: dict | None = None  # {"id", "start", "nodes"}
    node_id: str | None = None
    tries: int = 0
    vars: dict = field(default_factory=dict)
    path: list = field(default_factory=list)
    closed_hours: bool = False
    queue_id: int | None = None
    queued_ms: int | None = None
    first_queued_ms: int | None = None
    agent_id: int | None = None
    rang_unanswered: bool = False
    wait_timer: object = None
    ring_timer: object = None
    sticky_until_ms: int = 0
    recording: bool = False
    recording_ms: int | None = None
    playback: str = ""
    on_played: object = None  # what to do when the current prompt ends
    timeline: list = field(default_factory=list)
    refused: bool = False
    on_digits: object = None
    answered: bool = False
    queue_ms: int = 0
    limit_timer: object = None
    overflows: int = 0
    muted: bool = False
    consult_leg: str | None = None
    consult_agent_id: int | None = None
    consult_to: str = ""
    consult_up: bool = False
    conference: bool = False
    transferred_out: bool = False
    transfer_leg: str | None = None  # the outside number of a blind transfer
    monitors: dict = field(default_factory=dict)  # monitor leg → mode
