"""Reads of the call records (TEL-11), the recording catalogue (TEL-6) and
the voicemail inbox (TEL-5), always through the reader's data scope.

Calls, legs and recordings belong to the agent's user
(``scope_owner_field = "agent__user"``): an agent sees their own, a lead the
team's, a department head the department's, QA and administrators all.
Voicemails are one shared inbox: whoever holds ``telephony.view_voicemail``
sees all of them, and may play their recordings, which belong to no agent.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db.models import OuterRef, Prefetch, Q, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from hotline.core.permissions import require_perm
from hotline.telephony.models import Agent, Call, CallLeg, Queue, Recording, Voicemail

VIEW_CALL = "telephony.view_call"
VIEW_RECORDING = "telephony.view_recording"
VIEW_VOICEMAIL = "telephony.view_voicemail"


def format_ms(ms: int | None) -> str:
    """Milliseconds as ``m:ss`` (``75500`` → ``"1:16"``); ``None`` → ``"—"``."""
    if ms is None:
        return "—"
    minutes, seconds = divmod(round(ms / 1000), 60)
    return f"{minutes}:{seconds:02d}"


def _day_range(queryset, field: str, date_from: date | None, date_to: date | None):
    if date_from:
        queryset = queryset.filter(**{f"{field}__date__gte": date_from})
    if date_to:
        queryset = queryset.filter(**{f"{field}__date__lte": date_to})
    return queryset


def _numbers(prefix: str, number: str) -> Q:
    number = number.strip()
    return Q(**{f"{prefix}caller__contains": number}) | Q(**{f"{prefix}called__contains": number})


# --- recordings ------------------------------------------------------------


def recordings_accessible(actor):
    """The recordings ``actor`` may play: those in the scope of
    ``telephony.view_recording``, and with ``telephony.view_voicemail`` the
    recordings of the voicemails they may see."""
    visible = Recording.objects.restrict(actor, "view")
    if actor is not None and actor.is_authenticated and actor.has_perm(VIEW_VOICEMAIL):
        voicemails = Voicemail.objects.restrict(actor, "view").exclude(recording=None)
        visible = visible | Recording.objects.filter(pk__in=voicemails.values("recording_id"))
    return visible


def require_recording_access(actor) -> None:
    """Refuse (403) who may play no recording at all."""
    if actor is not None and actor.is_authenticated and actor.has_perm(VIEW_VOICEMAIL):
        return
    require_perm(actor, VIEW_RECORDING)


def recording_get(*, actor, pk: int) -> Recording:
    """One recording ``actor`` may play (``Recording.DoesNotExist`` when it is
    outside their scope: the page answers 404, so ids do not leak)."""
    require_recording_access(actor)
    return recordings_accessible(actor).select_related("call", "agent__user", "customer").get(pk=pk)


def recording_list(
    *,
    actor,
    date_from: date | None = None,
    date_to: date | None = None,
    number: str = "",
    agent_id: int | None = None,
    customer: str = "",
    customer_id: int | None = None,
    kind: str = "",
):
    """Recordings by time, caller or called number, agent and customer (name
    or id), newest first."""
    require_perm(actor, VIEW_RECORDING)
    recordings = recordings_accessible(actor).select_related(
        "call", "call__queue", "agent__user", "customer"
    )
    recordings = _day_range(recordings, "started_at", date_from, date_to)
    if number and number.strip():
        recordings = recordings.filter(_numbers("call__", number))
    if agent_id:
        recordings = recordings.filter(agent_id=agent_id)
    if customer_id:
        recordings = recordings.filter(customer_id=customer_id)
    if customer and customer.strip():
        recordings = recordings.filter(customer__name__icontains=customer.strip())
    if kind in Recording.Kind.values:
        recordings = recordings.filter(kind=kind)
    return recordings.order_by("-started_at", "-id")


# --- calls (CDR) -----------------------------------------------------------


def calls_visible(actor):
    return Call.objects.restrict(actor, "view").select_related("customer", "queue", "agent__user")


def _with_first_recording(calls, actor):
    """Annotate ``first_recording_id``: the call's first recording ``actor`` may play."""
    first = (
        recordings_accessible(actor)
        .filter(call_id=OuterRef("pk"))
        .order_by("started_at", "id")
        .values("pk")[:1]
    )
    return calls.annotate(first_recording_id=Subquery(first))


def call_list(
    *,
    actor,
    date_from: date | None = None,
    date_to: date | None = None,
    number: str = "",
    agent_id: int | None = None,
    queue_id: int | None = None,
    direction: str = "",
    disposition: str = "",
    customer_id: int | None = None,
):
    """The CDR: calls by start date, number (caller or called contains),
    agent, queue, direction, disposition and customer, newest first."""
    require_perm(actor, VIEW_CALL)
    calls = _day_range(calls_visible(actor), "started_at", date_from, date_to)
    if number and number.strip():
        calls = calls.filter(_numbers("", number))
    if agent_id:
        calls = calls.filter(agent_id=agent_id)
    if queue_id:
        calls = calls.filter(queue_id=queue_id)
    if direction in Call.Direction.values:
        calls = calls.filter(direction=direction)
    if disposition and disposition in Call.Disposition.values:
        calls = calls.filter(disposition=disposition)
    if customer_id:
        calls = calls.filter(customer_id=customer_id)
    return _with_first_recording(calls, actor).order_by("-started_at", "-id")


def call_detail(*, actor, pk: int) -> Call:
    """One call in ``actor``'s scope with its legs (``Call.DoesNotExist`` otherwise)."""
    require_perm(actor, VIEW_CALL)
    legs = CallLeg.objects.select_related("agent__user").order_by("created_at", "id")
    return (
        calls_visible(actor)
        .select_related("flow")
        .prefetch_related(Prefetch("legs", queryset=legs))
        .get(pk=pk)
    )


def call_recordings(*, actor, call: Call) -> list[Recording]:
    """The call's recordings that ``actor`` may play, in order."""
    if not (actor.has_perm(VIEW_RECORDING) or actor.has_perm(VIEW_VOICEMAIL)):
        return []
    recordings = recordings_accessible(actor).filter(call=call).select_related("agent__user")
    return list(recordings.order_by("started_at", "id"))


def call_voicemail(*, actor, call: Call) -> Voicemail | None:
    if not actor.has_perm(VIEW_VOICEMAIL):
        return None
    return (
        Voicemail.objects.restrict(actor, "view")
        .select_related("queue", "heard_by", "recording")
        .filter(call=call)
        .first()
    )


@dataclass(frozen=True)
class TimelineEntry:
    state: str
    label: str
    at: datetime | None
    note: str


def call_timeline(call: Call) -> list[TimelineEntry]:
    """``Call.timeline`` (``[[state, ISO time, note], …]``) with state labels
    and times parsed; malformed entries are shown as they are."""
    labels = dict(Call.State.choices)
    entries = []
    for raw in call.timeline or []:
        items = list(raw) if isinstance(raw, list | tuple) else [raw]
        state, at, note = [*items, "", "", ""][:3]
        try:
            moment = parse_datetime(at) if isinstance(at, str) and at else None
        except ValueError:
            moment = None
        if moment is not None and timezone.is_naive(moment):
            moment = moment.replace(tzinfo=UTC)
        entries.append(
            TimelineEntry(
                state=str(state),
                label=str(labels.get(state, state)),
                at=moment,
                note="" if note is None else str(note),
            )
        )
    return entries


def flow_path_steps(call: Call) -> list[str]:
    """``Call.flow_path`` as texts, one per node passed."""
    steps = []
    for step in call.flow_path or []:
        if isinstance(step, list | tuple):
            steps.append(" ".join(str(part) for part in step if part not in (None, "")))
        elif isinstance(step, dict):
            steps.append(" ".join(f"{key}={value}" for key, value in step.items()))
        else:
            steps.append(str(step))
    return steps


def customer_calls(*, actor, customer_ids, limit: int = 20) -> list[Call]:
    """The latest calls of these customers in ``actor``'s scope, each with
    ``visible_recordings``: those ``actor`` may play."""
    if not actor.has_perm(VIEW_CALL):
        return []
    calls = calls_visible(actor).filter(customer_id__in=list(customer_ids))
    if actor.has_perm(VIEW_RECORDING) or actor.has_perm(VIEW_VOICEMAIL):
        recordings = recordings_accessible(actor).order_by("started_at", "id")
    else:
        recordings = Recording.objects.none()
    calls = calls.prefetch_related(
        Prefetch("recordings", queryset=recordings, to_attr="visible_recordings")
    )
    return list(calls.order_by("-started_at", "-id")[:limit])


# --- choices of the filters ------------------------------------------------


def agent_choices(actor):
    """Agents whose calls ``actor`` may see (the scope of ``telephony.view_call``)."""
    return Agent.objects.restrict(actor, VIEW_CALL).select_related("user").order_by("number")


def queue_choices(actor):
    return Queue.objects.restrict(actor, VIEW_CALL).order_by("code")


# --- voicemail -------------------------------------------------------------


def voicemails_visible(actor):
    return Voicemail.objects.restrict(actor, "view").select_related(
        "customer", "queue", "recording", "heard_by", "call"
    )


def voicemail_list(
    *,
    actor,
    unheard: bool = False,
    queue_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
):
    """The shared voicemail inbox, newest first (only the unheard ones with ``unheard``)."""
    require_perm(actor, VIEW_VOICEMAIL)
    voicemails = _day_range(voicemails_visible(actor), "created_at", date_from, date_to)
    if unheard:
        voicemails = voicemails.filter(heard_at__isnull=True)
    if queue_id:
        voicemails = voicemails.filter(queue_id=queue_id)
    return voicemails.order_by("-created_at", "-id")


def voicemail_get(*, actor, pk: int) -> Voicemail:
    require_perm(actor, VIEW_VOICEMAIL)
    return voicemails_visible(actor).get(pk=pk)


def voicemail_unheard_count(*, actor) -> int:
    if not actor.has_perm(VIEW_VOICEMAIL):
        return 0
    return voicemails_visible(actor).filter(heard_at__isnull=True).count()


def call_orders(*, actor, call: Call) -> list:
    """Orders taken in the call (ORD-1), those the user may see."""
    from hotline.orders.models import Order

    if not actor.has_perm("orders.view_order"):
        return []
    return list(Order.objects.restrict(actor, "view").filter(call_id=str(call.pk)).order_by("id"))
