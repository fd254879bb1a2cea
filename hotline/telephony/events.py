"""Events of the call engine for the realtime layer: calls for the agent
concerned, agent states and queue figures for supervisors. Each has an
initial-state query (``hotline.telephony.selectors.live``) so a screen that
reconnects fetches the state, then applies events."""

import dataclasses

from hotline.core.events import Audience, Event

SUPERVISE = "telephony.supervise_agent"
VIEW_AGENT = "telephony.view_agent"


class _CallEvent(Event):
    call_id: int
    agent_id: int
    user_id: int
    caller: str
    called: str
    direction: str
    customer_id: int | None
    queue: str | None
    blacklisted: bool

    def audience(self) -> Audience:
        return Audience.users(self.user_id)


class CallOffered(_CallEvent):
    type = "telephony.call_offered"

    priority: int
    waited_seconds: float


class CallRinging(_CallEvent):
    type = "telephony.call_ringing"


class CallAnswered(_CallEvent):
    type = "telephony.call_answered"


class CallUpdated(_CallEvent):
    """Hold, mute, consultation or conference changed."""

    type = "telephony.call_updated"

    state: str
    muted: bool
    consult: dict | None
    conference: bool


class CallEnded(_CallEvent):
    type = "telephony.call_ended"

    disposition: str
    hangup_side: str
    talk_seconds: float


class AgentStateChanged(Event):
    """For the agent and for supervisors whose scope covers the agent."""

    type = "telephony.agent_state"
    permissions = (VIEW_AGENT,)

    agent_id: int
    user_id: int
    number: str
    state: str
    reason: str
    since: str
    call_id: int | None

    def audience(self) -> Audience:
        scoped = Audience.scoped_to_owner_id(VIEW_AGENT, self.user_id)
        return dataclasses.replace(scoped, user_ids=(self.user_id,))


class QueueStatsChanged(Event):
    type = "telephony.queue_stats"
    permissions = (SUPERVISE,)

    queue_id: int
    code: str
    name: str
    waiting: int
    oldest_waiting_since: str | None
    agents_logged_in: int
    agents_ready: int
    offered: int
    answered: int
    abandoned: int
    service_level_percent: float | None

    def audience(self) -> Audience:
        return Audience.holders_of(SUPERVISE)
