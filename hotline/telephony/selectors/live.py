"""Initial state of the live screens (DESIGN rule 4): what the agent's
desktop and the supervisors' boards fetch before applying events. Read from
the database, which the engine writes before it announces anything, so a
fresh fetch equals the state after the events."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Min, Q

from hotline.core.permissions import require_perm
from hotline.telephony.models import (
    Agent,
    AgentState,
    Call,
    PauseReason,
    Queue,
    QueueMember,
    WrapUpCode,
)

CONTROL = "telephony.control_agent"
VIEW_AGENT = "telephony.view_agent"
SUPERVISE = "telephony.supervise_agent"


def day_start(at: datetime) -> datetime:
    local = at.astimezone(ZoneInfo(settings.TIME_ZONE))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def queue_counts(queue_ids, since: datetime) -> dict[int, dict]:
    """Per queue since ``since``: offered, answered, answered within the
    service level, abandoned."""
    counts = {
        qid: {"offered": 0, "answered": 0, "answered_in_time": 0, "abandoned": 0}
        for qid in queue_ids
    }
    rows = (
        Call.objects.filter(queue_id__in=list(queue_ids), started_at__gte=since)
        .values("queue_id")
        .annotate(
            offered=Count("id"),
            answered=Count("id", filter=Q(answered_at__isnull=False)),
            abandoned=Count("id", filter=Q(disposition=Call.Disposition.ABANDONED)),
        )
    )
    for row in rows:
        counts[row["queue_id"]].update({k: row[k] for k in ("offered", "answered", "abandoned")})
    levels = dict(
        Queue.objects.filter(pk__in=list(queue_ids)).values_list("pk", "service_level_seconds")
    )
    answered = Call.objects.filter(
        queue_id__in=list(queue_ids), started_at__gte=since, answered_at__isnull=False
    )
    for queue_id, queued_at, answered_at in answered.values_list(
        "queue_id", "queued_at", "answered_at"
    ):
        if queued_at and answered_at - queued_at <= timedelta(seconds=levels[queue_id]):
            counts[queue_id]["answered_in_time"] += 1
    return counts


def queue_stats(*, actor, now: datetime) -> list[dict]:
    require_perm(actor, SUPERVISE)
    queues = list(Queue.objects.filter(active=True).order_by("code"))
    counts = queue_counts([q.pk for q in queues], day_start(now))
    queued = list(
        Call.objects.filter(state=Call.State.QUEUED, queue__in=queues)
        .values("queue_id")
        .annotate(n=Count("id"), oldest=Min("queued_at"))
    )
    waiting = {row["queue_id"]: row["n"] for row in queued}
    oldest = {row["queue_id"]: row["oldest"] for row in queued}
    members = QueueMember.objects.filter(logged_in=True, queue__in=queues)
    logged = dict(members.values("queue_id").annotate(n=Count("id")).values_list("queue_id", "n"))
    ready = dict(
        members.filter(agent__state=AgentState.READY)
        .values("queue_id")
        .annotate(n=Count("id"))
        .values_list("queue_id", "n")
    )
    result = []
    for queue in queues:
        c = counts[queue.pk]
        result.append(
            {
                "queue_id": queue.pk,
                "code": queue.code,
                "name": queue.name,
                "waiting": waiting.get(queue.pk, 0),
                "oldest_waiting_since": oldest[queue.pk].isoformat()
                if oldest.get(queue.pk)
                else None,
                "agents_logged_in": logged.get(queue.pk, 0),
                "agents_ready": ready.get(queue.pk, 0),
                "offered": c["offered"],
                "answered": c["answered"],
                "abandoned": c["abandoned"],
                "service_level_percent": round(100 * c["answered_in_time"] / c["answered"], 1)
                if c["answered"]
                else None,
            }
        )
    return result


def agent_row(agent: Agent) -> dict:
    return {
        "agent_id": agent.pk,
        "user_id": agent.user_id,
        "number": agent.number,
        "name": agent.user.display_name,
        "state": agent.state,
        "reason": agent.state_reason.code if agent.state_reason else "",
        "since": agent.state_since.isoformat() if agent.state_since else None,
        "extension": agent.extension.number if agent.extension else None,
        "extension_kind": agent.extension.kind if agent.extension else None,
        "call_id": agent.current_call_id,
    }


def _live_call(call: Call) -> dict:
    from hotline.telephony.engine.runtime import running_engine

    engine = running_engine()
    run = engine.calls.get(call.pk) if engine is not None else None
    consult = None
    if run is not None and run.consult_leg:
        consult = {"to": run.consult_to, "state": "connected" if run.consult_up else "ringing"}
    return {
        "call_id": call.pk,
        "state": call.state,
        "caller": call.caller,
        "called": call.called,
        "direction": call.direction,
        "customer_id": call.customer_id,
        "blacklisted": call.blacklisted,
        "queue": call.queue.code if call.queue else None,
        "started_at": call.started_at.isoformat(),
        "answered_at": call.answered_at.isoformat() if call.answered_at else None,
        "muted": bool(run and run.muted),
        "recording": bool(run and run.recording),
        "consult": consult,
        "conference": bool(run and run.conference),
    }


def _after_call(agent: Agent) -> dict | None:
    """The call whose after-call work runs now, and when it ends by itself."""
    from hotline.telephony.engine.runtime import running_engine

    engine = running_engine()
    run = engine.agents.get(agent.pk) if engine is not None else None
    if agent.state != AgentState.AFTER_CALL or run is None or not run.acw_call_id:
        return None
    call = Call.objects.filter(pk=run.acw_call_id).select_related("wrapup_code").first()
    until = engine.clock.at(run.timer.due).isoformat() if run.timer is not None else None
    return {
        "call_id": run.acw_call_id,
        "until": until,
        "wrapup_code": call.wrapup_code.code if call and call.wrapup_code else "",
        "wrapup_note": call.wrapup_note if call else "",
    }


def agent_me(*, actor) -> dict:
    """The desktop's initial state: my agent state, my queues, my current
    call, my after-call work, and the codes I choose from."""
    require_perm(actor, CONTROL)
    agent = (
        Agent.objects.select_related("user", "state_reason", "extension", "current_call__queue")
        .filter(user=actor)
        .first()
    )
    reasons = list(
        PauseReason.objects.filter(active=True)
        .exclude(code__startswith="system-")
        .values("code", "name")
    )
    codes = list(WrapUpCode.objects.filter(active=True).values("code", "name"))
    if agent is None:
        return {
            "agent": None,
            "queues": [],
            "call": None,
            "after_call": None,
            "reasons": reasons,
            "wrapup_codes": codes,
        }
    queues = QueueMember.objects.filter(agent=agent).select_related("queue").order_by("queue__code")
    call = agent.current_call
    return {
        "agent": agent_row(agent),
        "queues": [
            {"code": m.queue.code, "name": m.queue.name, "logged_in": m.logged_in} for m in queues
        ],
        "call": None if call is None or call.state == Call.State.ENDED else _live_call(call),
        "after_call": _after_call(agent),
        "reasons": reasons,
        "wrapup_codes": codes,
    }


def calls_live(*, actor) -> list[dict]:
    """Calls in progress within the supervisor's scope (wallboard, TEL-8)."""
    require_perm(actor, SUPERVISE)
    calls = (
        Call.objects.restrict(actor, "view")
        .exclude(state=Call.State.ENDED)
        .select_related("queue", "agent")
        .order_by("started_at")[:500]
    )
    return [
        {
            "call_id": c.pk,
            "state": c.state,
            "caller": c.caller,
            "customer_id": c.customer_id,
            "queue": c.queue.code if c.queue else None,
            "agent_id": c.agent_id,
            "agent_number": c.agent.number if c.agent else None,
            "since": (c.answered_at or c.started_at).isoformat(),
        }
        for c in calls
    ]


def agents_board(*, actor) -> list[dict]:
    """Agents' states for supervisors, within their data scope."""
    require_perm(actor, VIEW_AGENT)
    agents = Agent.objects.restrict(actor, "view").select_related(
        "user", "state_reason", "extension"
    )
    return [agent_row(a) for a in agents.order_by("number")]


def agent_state_durations(
    *, actor, agent_id: int, start: datetime, end: datetime
) -> dict[str, float]:
    """Seconds an agent spent in each state between ``start`` and ``end``
    (TEL-1): each state lasts until the agent's next change."""
    from hotline.telephony.models import AgentStateChange

    own = Agent.objects.filter(pk=agent_id, user=actor).exists()
    if not own:
        require_perm(actor, "telephony.view_agentstatechange")
    changes = (
        AgentStateChange.objects.filter(agent_id=agent_id)
        if own
        else (AgentStateChange.objects.restrict(actor, "view").filter(agent_id=agent_id))
    )
    before = changes.filter(at__lt=start).order_by("-at", "-id").values_list("state", "at").first()
    rows = list(
        changes.filter(at__gte=start, at__lt=end).order_by("at", "id").values_list("state", "at")
    )
    if before is not None:
        rows.insert(0, (before[0], start))
    totals: dict[str, float] = {}
    for (state, at), following in zip(rows, [*rows[1:], (None, end)], strict=True):
        totals[state] = totals.get(state, 0.0) + (following[1] - at).total_seconds()
    return totals
