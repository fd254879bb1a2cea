"""Call records, recordings and voicemail over the API (TEL-5, TEL-6,
TEL-11), mounted under /api/telephony/: the CDR list and one call with its
legs, the recording catalogue (each with the URL that plays it), the shared
voicemail inbox and marking a voicemail heard. Everything is read through
the caller's data scope; a record outside it answers 404."""

from datetime import date, datetime

from django.http import Http404
from django.urls import reverse
from ninja import Router, Schema

from hotline.telephony.models import Call, Recording, Voicemail
from hotline.telephony.selectors import records as selectors
from hotline.telephony.services import records as services

router = Router(tags=["telephony"])

MAX_LIMIT = 500


def _page(queryset, limit: int, offset: int) -> list:
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    return list(queryset[offset : offset + limit])


class RecordingOut(Schema):
    id: int
    call_id: int
    leg_id: int | None
    kind: str
    agent_id: int | None
    customer_id: int | None
    content_type: str
    size: int
    started_at: datetime
    duration_ms: int
    caller: str
    called: str
    audio_url: str

    @staticmethod
    def resolve_caller(obj):
        return obj.call.caller

    @staticmethod
    def resolve_called(obj):
        return obj.call.called

    @staticmethod
    def resolve_audio_url(obj):
        return reverse("telephony:recording_audio", args=[obj.pk])


class CallBrief(Schema):
    id: int
    direction: str
    state: str
    caller: str
    called: str
    customer_id: int | None
    queue_id: int | None
    agent_id: int | None
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    queue_ms: int
    wait_ms: int
    talk_ms: int
    hold_ms: int
    acw_ms: int
    disposition: str
    hangup_side: str
    hangup_cause: str
    recording_id: int | None = None

    @staticmethod
    def resolve_recording_id(obj):
        return getattr(obj, "first_recording_id", None)


class LegOut(Schema):
    id: int
    switch_id: str
    kind: str
    state: str
    number: str
    agent_id: int | None
    created_at: datetime
    ringing_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    wait_ms: int
    talk_ms: int
    hold_ms: int
    acw_ms: int
    hangup_side: str
    hangup_cause: str


def _call_recordings(call, context) -> list:
    """The call's recordings the caller may play (read once per call)."""
    if not hasattr(call, "_api_recordings"):
        call._api_recordings = selectors.call_recordings(actor=context["request"].auth, call=call)
    return call._api_recordings


class TimelineOut(Schema):
    state: str
    at: datetime | None
    note: str


class CallOut(CallBrief):
    flow_id: int | None
    flow_path: list
    priority: int
    blacklisted: bool
    queued_at: datetime | None
    ringing_at: datetime | None
    survey_score: int | None
    timeline: list[TimelineOut]
    legs: list[LegOut]
    recordings: list[RecordingOut]
    voicemail_id: int | None = None

    @staticmethod
    def resolve_timeline(obj):
        return [
            {"state": entry.state, "at": entry.at, "note": entry.note}
            for entry in selectors.call_timeline(obj)
        ]

    @staticmethod
    def resolve_legs(obj):
        return list(obj.legs.all())

    @staticmethod
    def resolve_recordings(obj, context):
        return _call_recordings(obj, context)

    @staticmethod
    def resolve_recording_id(obj, context):
        recordings = _call_recordings(obj, context)
        return recordings[0].pk if recordings else None

    @staticmethod
    def resolve_voicemail_id(obj, context):
        voicemail = selectors.call_voicemail(actor=context["request"].auth, call=obj)
        return voicemail.pk if voicemail else None


class VoicemailOut(Schema):
    id: int
    call_id: int
    caller: str
    customer_id: int | None
    queue_id: int | None
    recording_id: int | None
    audio_url: str | None
    created_at: datetime
    heard_by_id: int | None
    heard_at: datetime | None

    @staticmethod
    def resolve_audio_url(obj):
        if obj.recording_id is None:
            return None
        return reverse("telephony:recording_audio", args=[obj.recording_id])


@router.get("/calls", response=list[CallBrief], summary="Call detail records (CDR)")
def call_list(
    request,
    date_from: date | None = None,
    date_to: date | None = None,
    number: str = "",
    agent_id: int | None = None,
    queue_id: int | None = None,
    direction: str = "",
    disposition: str = "",
    customer_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
):
    calls = selectors.call_list(
        actor=request.auth,
        date_from=date_from,
        date_to=date_to,
        number=number,
        agent_id=agent_id,
        queue_id=queue_id,
        direction=direction,
        disposition=disposition,
        customer_id=customer_id,
    )
    return _page(calls, limit, offset)


@router.get("/calls/{int:call_id}", response=CallOut, summary="One call with its legs")
def call_detail(request, call_id: int):
    try:
        return selectors.call_detail(actor=request.auth, pk=call_id)
    except Call.DoesNotExist:
        raise Http404 from None


@router.get("/recordings", response=list[RecordingOut], summary="Search recordings")
def recording_list(
    request,
    date_from: date | None = None,
    date_to: date | None = None,
    number: str = "",
    agent_id: int | None = None,
    customer: str = "",
    customer_id: int | None = None,
    kind: str = "",
    limit: int = 100,
    offset: int = 0,
):
    recordings = selectors.recording_list(
        actor=request.auth,
        date_from=date_from,
        date_to=date_to,
        number=number,
        agent_id=agent_id,
        customer=customer,
        customer_id=customer_id,
        kind=kind,
    )
    return _page(recordings, limit, offset)


@router.get("/recordings/{int:recording_id}", response=RecordingOut)
def recording_detail(request, recording_id: int):
    try:
        return selectors.recording_get(actor=request.auth, pk=recording_id)
    except Recording.DoesNotExist:
        raise Http404 from None


@router.get("/voicemails", response=list[VoicemailOut], summary="The voicemail inbox")
def voicemail_list(
    request,
    unheard: bool = False,
    queue_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int = 100,
    offset: int = 0,
):
    voicemails = selectors.voicemail_list(
        actor=request.auth,
        unheard=unheard,
        queue_id=queue_id,
        date_from=date_from,
        date_to=date_to,
    )
    return _page(voicemails, limit, offset)


@router.post("/voicemails/{int:voicemail_id}/heard", response=VoicemailOut)
def voicemail_heard(request, voicemail_id: int):
    try:
        voicemail = selectors.voicemail_get(actor=request.auth, pk=voicemail_id)
    except Voicemail.DoesNotExist:
        raise Http404 from None
    return services.voicemail_mark_heard(actor=request.auth, voicemail=voicemail)
