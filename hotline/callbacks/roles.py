"""What the default roles may do with callbacks and pending items (merged
into the role catalogue). Agents work on their own callbacks and pending
items and schedule follow-ups; leads and department heads also see those of
their scope, allocate callbacks and confirm suggestions; administrators keep
the allocation rules."""

_AGENT = [
    "callbacks.view_callbacktask",
    "callbacks.add_callbacktask",
    "callbacks.change_callbacktask",
    "callbacks.view_pendingitem",
    "callbacks.add_pendingitem",
    "callbacks.change_pendingitem",
]
_SUPERVISOR = [*_AGENT, "callbacks.assign_callbacktask", "callbacks.view_allocationrule"]

GRANTS = {
    "agent": _AGENT,
    "lead": _SUPERVISOR,
    "department_head": _SUPERVISOR,
    "admin": ["callbacks.*"],
}
