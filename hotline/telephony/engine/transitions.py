"""The state machines of calls and agents (DESIGN rule 3): what may follow
what. The engine applies a change only through these tables."""

from django.utils.translation import gettext as _

from hotline.core.exceptions import Conflict
from hotline.telephony.models import AgentState, Call

S = Call.State
CALL_TRANSITIONS = {
    S.NEW: {S.IVR, S.QUEUED, S.DIALING, S.ENDED},
    S.IVR: {S.QUEUED, S.VOICEMAIL, S.TRANSFERRED, S.ENDED},
    S.QUEUED: {S.QUEUED, S.RINGING, S.VOICEMAIL, S.ENDED},
    S.RINGING: {S.QUEUED, S.CONNECTED, S.VOICEMAIL, S.ENDED},
    S.DIALING: {S.CONNECTED, S.ENDED},
    S.CONNECTED: {S.ON_HOLD, S.QUEUED, S.TRANSFERRED, S.ENDED},
    S.ON_HOLD: {S.CONNECTED, S.QUEUED, S.TRANSFERRED, S.ENDED},
    S.VOICEMAIL: {S.ENDED},
    S.TRANSFERRED: {S.ENDED},
    S.ENDED: set(),
}

A = AgentState
AGENT_TRANSITIONS = {
    A.LOGGED_OUT: {A.READY, A.NOT_READY},
    A.READY: {A.NOT_READY, A.RINGING, A.LOGGED_OUT},
    A.NOT_READY: {A.READY, A.NOT_READY, A.RINGING, A.LOGGED_OUT},
    A.RINGING: {A.TALKING, A.READY, A.NOT_READY},
    A.TALKING: {A.ON_HOLD, A.AFTER_CALL},
    A.ON_HOLD: {A.TALKING, A.AFTER_CALL},
    A.AFTER_CALL: {A.READY, A.NOT_READY, A.LOGGED_OUT},
}
BUSY_STATES = {A.RINGING, A.TALKING, A.ON_HOLD}


class IllegalTransition(Conflict):
    pass


def check_call(current: str, new: str) -> None:
    if new not in CALL_TRANSITIONS[current]:
        raise IllegalTransition(
            _("A call that is “%(current)s” cannot become “%(new)s”.")
            % {"current": S(current).label, "new": S(new).label},
            details={"from": current, "to": new},
        )


def check_agent(current: str, new: str) -> None:
    if new not in AGENT_TRANSITIONS[current]:
        raise IllegalTransition(
            _("An agent who is “%(current)s” cannot become “%(new)s”.")
            % {"current": A(current).label, "new": A(new).label},
            details={"from": current, "to": new},
        )
