"""/api/telephony/: agent control — one path for the desktop, SIP phones and
outside systems (TEL-1) — the initial state of live screens, and (from
``api_records``) call records, recordings and voicemail."""

from datetime import UTC, datetime
from typing import Literal

from django.utils.translation import gettext as _
from ninja import Router, Schema
from pydantic import ConfigDict, Field

from hotline.core.exceptions import Conflict, InvalidData
from hotline.telephony.api_records import router as records_router
from hotline.telephony.engine.runtime import current_engine, running_engine
from hotline.telephony.models import Extension
from hotline.telephony.selectors import live
from hotline.telephony.services import control

router = Router(tags=["telephony"])
router.add_router("", records_router)


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class LoginIn(Strict):
    extension: str = ""
    queues: list[str] | None = None
    ready: bool = True


class StateIn(Strict):
    state: str
    reason: str = ""


class TransferIn(Strict):
    to: str


class DialIn(Strict):
    number: str


class RecordIn(Strict):
    on: bool


class ForceStateIn(Strict):
    state: str
    reason: str = ""


@router.get(
    "/agent", summary="My agent state, queues and current call (initial state of the desktop)"
)
def agent_me(request):
    return live.agent_me(actor=request.auth)


@router.post("/agent/login", summary="Log in to queues with an extension")
def agent_login(request, payload: LoginIn):
    return control.agent_login(actor=request.auth, **payload.dict())


@router.post("/agent/logout", summary="Log out of all queues")
def agent_logout(request):
    return control.agent_logout(actor=request.auth)


@router.post("/agent/state", summary="Ready, or not ready with a reason")
def agent_state(request, payload: StateIn):
    return control.agent_state_set(actor=request.auth, state=payload.state, reason=payload.reason)


@router.post("/agent/answer", summary="Answer the call that rings")
def call_answer(request):
    return control.call_answer(actor=request.auth)


@router.post("/agent/hangup", summary="Hang up (or decline a ringing call)")
def call_hangup(request):
    return control.call_hangup(actor=request.auth)


@router.post("/agent/hold", summary="Put the caller on hold")
def call_hold(request):
    return control.call_hold(actor=request.auth, hold=True)


@router.post("/agent/unhold", summary="Take the caller off hold")
def call_unhold(request):
    return control.call_hold(actor=request.auth, hold=False)


@router.post("/agent/transfer", summary="Blind transfer to a queue code or a phone number")
def call_transfer(request, payload: TransferIn):
    return control.call_transfer(actor=request.auth, to=payload.to)


@router.post("/agent/dial", summary="Call a number: the agent's phone rings first, then the number")
def call_dial(request, payload: DialIn):
    return control.call_dial(actor=request.auth, number=payload.number)


@router.post("/agent/record", summary="Start or stop recording (on-demand policy)")
def call_record(request, payload: RecordIn):
    return control.call_record(actor=request.auth, on=payload.on)


@router.get(
    "/agents", summary="Agents' states within your scope (initial state of the supervisor board)"
)
def agents_board(request):
    return live.agents_board(actor=request.auth)


@router.post(
    "/agents/{agent_id}/state", summary="Supervisor: set an agent ready, not ready or logged out"
)
def agent_force_state(request, agent_id: int, payload: ForceStateIn):
    control.agent_force_state(
        actor=request.auth, agent_id=agent_id, state=payload.state, reason=payload.reason
    )
    return live.agents_board(actor=request.auth)


@router.get("/agents/{agent_id}/states", summary="Seconds an agent spent in each state in a period")
def agent_states(request, agent_id: int, start: datetime, end: datetime):
    return live.agent_state_durations(actor=request.auth, agent_id=agent_id, start=start, end=end)


@router.get("/queues/stats", summary="Queue figures today (initial state of the wallboard)")
def queue_stats(request):
    return live.queue_stats(actor=request.auth, now=_now())


def _now() -> datetime:
    engine = running_engine()
    return engine.clock.now() if engine is not None else datetime.now(UTC)


class MuteIn(Strict):
    on: bool


class DigitsIn(Strict):
    digits: str


class ConsultIn(Strict):
    to: str


class WrapUpIn(Strict):
    code: str = ""
    note: str = ""
    ready: bool = False


class MonitorIn(Strict):
    mode: str
    extension: str = ""


@router.post("/agent/mute", summary="Mute or unmute my side of the call")
def call_mute(request, payload: MuteIn):
    return control.call_mute(actor=request.auth, on=payload.on)


@router.post("/agent/dtmf", summary="Send DTMF digits to the other party")
def call_dtmf(request, payload: DigitsIn):
    return control.call_dtmf(actor=request.auth, digits=payload.digits)


@router.post("/agent/consult", summary="Consult an agent or a number; the caller waits on hold")
def call_consult(request, payload: ConsultIn):
    return control.call_consult(actor=request.auth, to=payload.to)


@router.post(
    "/agent/consult/complete", summary="Attended transfer: the caller joins the consulted party"
)
def call_consult_complete(request):
    return control.call_consult_complete(actor=request.auth)


@router.post("/agent/consult/cancel", summary="Drop the consulted party and go back to the caller")
def call_consult_cancel(request):
    return control.call_consult_cancel(actor=request.auth)


@router.post("/agent/conference", summary="Three-way call: the caller, me and the consulted party")
def call_conference(request):
    return control.call_conference(actor=request.auth)


@router.post(
    "/agent/wrapup", summary="Record the wrap-up code and note; end after-call work with ready"
)
def call_wrapup(request, payload: WrapUpIn):
    return control.call_wrapup(actor=request.auth, **payload.dict())


@router.get("/live-calls", summary="Calls in progress within your scope (supervisors)")
def calls_live(request):
    return live.calls_live(actor=request.auth)


@router.post(
    "/live-calls/{call_id}/monitor", summary="Supervisor: listen, whisper or barge on a live call"
)
def call_monitor(request, call_id: int, payload: MonitorIn):
    control.call_monitor(
        actor=request.auth, call_id=call_id, mode=payload.mode, extension=payload.extension
    )
    return live.calls_live(actor=request.auth)


class WebRtcOfferIn(Strict):
    sdp: str = Field(max_length=20000)
    type: Literal["offer"]


@router.post(
    "/agent/webrtc",
    summary="Browser audio: answer the desktop's WebRTC offer for my browser softphone",
)
def agent_webrtc(request, payload: WebRtcOfferIn):
    extension = _webrtc_extension(control._agent_of(request.auth))
    # Blocking (up to the switch's timeout): never inside engine.step(), which
    # would hold the engine while the answer's ICE candidates are gathered.
    answer = getattr(current_engine().switch, "webrtc_answer", None)
    if answer is None:
        raise Conflict(_("Browser audio needs the sip telephony driver."))
    try:
        sdp = answer(extension=extension, offer_sdp=payload.sdp)
    except ValueError as error:
        raise InvalidData(
            _("The browser audio connection was refused."), details={"sdp": [str(error)]}
        ) from error
    return {"sdp": sdp, "type": "answer"}


def _webrtc_extension(agent) -> str:
    """The number of the agent's browser softphone: the extension logged in
    with, else the default one."""
    extension = agent.extension or agent.default_extension
    if extension is None:
        raise InvalidData(
            _("You have no extension; browser audio needs a browser softphone extension."),
            details={"extension": [_("No extension.")]},
        )
    if extension.kind != Extension.Kind.WEBRTC:
        message = _("Extension %(number)s is not a browser softphone.") % {
            "number": extension.number
        }
        raise InvalidData(message, details={"extension": [message]})
    return extension.number
