"""What the default roles may do with telephony (merged into the role catalogue).
Agents take calls and hear their own recordings; leads and department heads
supervise their teams; QA hears recordings of every team; administrators
configure queues, flows, numbers and agents."""

_AGENT = [
    "telephony.control_agent",
    "telephony.view_call",
    "telephony.view_recording",
    "telephony.view_voicemail",
    "telephony.view_queue",
]
_SUPERVISOR = [
    *_AGENT,
    "telephony.supervise_agent",
    "telephony.view_agent",
    "telephony.view_agentstatechange",
]

GRANTS = {
    "agent": _AGENT,
    "lead": _SUPERVISOR,
    "department_head": _SUPERVISOR,
    "qa": ["telephony.view_call", "telephony.view_recording", "telephony.view_agent"],
    "admin": ["telephony.*"],
}
