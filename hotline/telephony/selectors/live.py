"""Initial state of the live screens (DESIGN rule 4): what the agent's
desktop and the supervisors' boards fetch before applying events. Read from
the database, which the engine writes before it announces anything, so a
fresh fetch equals the state after the events."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Min, Q

from hotline.core.permissions import require_perm
from hotline.telephony.models import Agent, AgentState, Call, Queue, QueueMember

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
    waiting = dict(
        Call.objects.filter(state=Call.State.QUEUED, queue__in=queues)
        .values("queue_id")
        .annotate(n=Count("id"), oldest=Min("queued_at"))
        .values_list("queue_id", "n")
    )
    oldest = dict(
        Call.objects.filter(state=Call.State.QUEUED, queue__in=queues)
        .values("queue_id")
        .annotate(oldest=Min("queued_at"))
        .values_list("queue_id", "oldest")
    )
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
        "name": agent.user.get_full_name() or agent.user.username,
        "state": agent.state,
        "reason": agent.state_reason.code if agent.state_reason else "",
        "since": agent.state_since.isoformat() if agent.state_since else None,
        "extension": agent.extension.number if agent.extension else None,
        "call_id": agent.current_call_id,
    }


def agent_me(*, actor) -> dict:
    """The desktop's initial state: my agent state, my queues, my current call."""
    require_perm(actor, CONTROL)
    agent = (
        Agent.objects.select_related("user", "state_reason", "extension", "current_call")
        .filter(user=actor)
        .first()
    )
    if agent is None:
        return {"agent": None, "queues": [], "call": None}
    queues = QueueMember.objects.filter(agent=agent).select_related("queue").order_by("queue__code")
    call = agent.current_call
    return {
        "agent": agent_row(agent),
        "queues": [
            {"code": m.queue.code, "name": m.queue.name, "logged_in": m.logged_in} for m in queues
        ],
        "call": None
        if call is None
        else {
            "call_id": call.pk,
            "state": call.state,
            "caller": call.caller,
            "called": call.called,
            "direction": call.direction,
            "customer_id": call.customer_id,
            "blacklisted": call.blacklisted,
        },
    }


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
