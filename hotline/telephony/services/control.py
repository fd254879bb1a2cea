"""Agent control (TEL-1): the one path by which the desktop, SIP phones and
outside systems log agents in, change their state and handle calls. Each
function checks the actor, then gives the engine one command in one step."""

from django.utils.translation import gettext as _

from hotline.core.exceptions import Conflict, InvalidData, NotAllowed
from hotline.core.permissions import require_perm
from hotline.telephony.engine.runtime import current_engine
from hotline.telephony.models import (
    Agent,
    AgentState,
    Call,
    Extension,
    PauseReason,
    QueueMember,
    WrapUpCode,
)
from hotline.telephony.selectors.live import agent_me

CONTROL = "telephony.control_agent"
SUPERVISE = "telephony.supervise_agent"


def _agent_of(actor) -> Agent:
    require_perm(actor, CONTROL)
    agent = Agent.objects.filter(user=actor).first()
    if agent is None:
        raise NotAllowed(_("You are not set up as an agent."), details={"permission": CONTROL})
    return agent


def _reason(code: str) -> int | None:
    if not code:
        return None
    reason = PauseReason.objects.filter(code=code, active=True).first()
    if reason is None:
        raise InvalidData(
            _("There is no not-ready reason “%(code)s”.") % {"code": code},
            details={"reason": [_("Unknown reason.")]},
        )
    return reason.pk


def _queue_ids(agent: Agent, codes: list[str] | None) -> list[int]:
    allowed = dict(
        QueueMember.objects.filter(agent=agent, queue__active=True).values_list(
            "queue__code", "queue_id"
        )
    )
    if not allowed:
        raise InvalidData(
            _("You are not a member of any queue."), details={"queues": [_("No queues.")]}
        )
    if not codes:
        return list(allowed.values())
    unknown = [code for code in codes if code not in allowed]
    if unknown:
        message = _("You are not a member of: %(codes)s.") % {"codes": ", ".join(unknown)}
        raise InvalidData(message, details={"queues": [message]})
    return [allowed[code] for code in codes]


def agent_login(
    *, actor, extension: str = "", queues: list[str] | None = None, ready: bool = True
) -> dict:
    agent = _agent_of(actor)
    number = extension or (agent.default_extension.number if agent.default_extension else "")
    ext = Extension.objects.filter(number=number, active=True).first()
    if ext is None:
        raise InvalidData(
            _("There is no extension “%(number)s”.") % {"number": number},
            details={"extension": [_("Unknown extension.")]},
        )
    taken = (
        Agent.objects.filter(extension=ext)
        .exclude(pk=agent.pk)
        .exclude(state=AgentState.LOGGED_OUT)
    )
    if taken.exists():
        raise Conflict(_("Extension %(number)s is in use by another agent.") % {"number": number})
    queue_ids = _queue_ids(agent, queues)
    engine = current_engine()
    with engine.step():
        engine.agent_login(agent=agent, extension=ext, queue_ids=queue_ids, ready=ready)
    return agent_me(actor=actor)


def _command(actor, method: str, **kwargs) -> dict:
    agent = _agent_of(actor)
    engine = current_engine()
    with engine.step():
        getattr(engine, method)(agent_id=agent.pk, **kwargs)
    return agent_me(actor=actor)


def agent_logout(*, actor) -> dict:
    return _command(actor, "agent_logout")


def agent_state_set(*, actor, state: str, reason: str = "") -> dict:
    return _command(actor, "agent_set_state", state=state, reason_id=_reason(reason))


def call_answer(*, actor) -> dict:
    return _command(actor, "agent_answer")


def call_hangup(*, actor) -> dict:
    return _command(actor, "agent_hangup")


def call_hold(*, actor, hold: bool) -> dict:
    return _command(actor, "agent_hold", hold=hold)


def call_transfer(*, actor, to: str) -> dict:
    return _command(actor, "agent_transfer", to=(to or "").strip())


def call_dial(*, actor, number: str) -> dict:
    return _command(actor, "agent_dial", number=number)


def call_record(*, actor, on: bool) -> dict:
    return _command(actor, "agent_record", on=on)


def agent_force_state(*, actor, agent_id: int, state: str, reason: str = "") -> None:
    """A supervisor sets an agent ready, not ready or logged out (TEL-8)."""
    require_perm(actor, SUPERVISE)
    if not Agent.objects.restrict(actor, SUPERVISE).filter(pk=agent_id).exists():
        raise NotAllowed(
            _("That agent is outside your data scope."), details={"permission": SUPERVISE}
        )
    engine = current_engine()
    with engine.step():
        if state == AgentState.LOGGED_OUT:
            engine.agent_logout(agent_id=agent_id)
        else:
            engine.agent_set_state(agent_id=agent_id, state=state, reason_id=_reason(reason))


def call_mute(*, actor, on: bool) -> dict:
    return _command(actor, "agent_mute", on=on)


def call_dtmf(*, actor, digits: str) -> dict:
    return _command(actor, "agent_dtmf", digits=(digits or "").strip())


def call_consult(*, actor, to: str) -> dict:
    return _command(actor, "agent_consult", to=(to or "").strip())


def call_consult_complete(*, actor) -> dict:
    return _command(actor, "agent_consult_complete")


def call_consult_cancel(*, actor) -> dict:
    return _command(actor, "agent_consult_cancel")


def call_conference(*, actor) -> dict:
    return _command(actor, "agent_conference")


def _wrapup_code(code: str) -> int | None:
    if not code:
        return None
    found = WrapUpCode.objects.filter(code=code, active=True).first()
    if found is None:
        message = _("There is no wrap-up code “%(code)s”.") % {"code": code}
        raise InvalidData(message, details={"code": [message]})
    return found.pk


def call_wrapup(*, actor, code: str = "", note: str = "", ready: bool = False) -> dict:
    """The agent records what came of the call, and may end after-call work now."""
    return _command(actor, "agent_wrapup", code_id=_wrapup_code(code), note=note or "", ready=ready)


def call_monitor(*, actor, call_id: int, mode: str, extension: str = "") -> None:
    """A supervisor listens to, whispers to (the agent only) or barges into a
    live call within their scope (TEL-8); their extension rings first."""
    require_perm(actor, SUPERVISE)
    if not Call.objects.restrict(actor, "view").filter(pk=call_id).exists():
        raise NotAllowed(
            _("That call is outside your data scope."), details={"permission": SUPERVISE}
        )
    own = Agent.objects.filter(user=actor).select_related("default_extension").first()
    number = extension or (own.default_extension.number if own and own.default_extension else "")
    if not Extension.objects.filter(number=number, active=True).exists():
        message = _("Give the extension that should ring for you.")
        raise InvalidData(message, details={"extension": [message]})
    engine = current_engine()
    with engine.step():
        engine.monitor_start(call_id=call_id, extension=number, mode=mode)
