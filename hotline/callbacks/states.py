"""The callback state machine (CB-1 … CB-4): kinds, statuses, attempt results
and the one table of allowed transitions. ``hotline.callbacks.services.
transitions.callback_transition`` is the only code that changes a status.

::

    pending ──► suggested ──► assigned ──► done
       │  ▲         │  (reject)   │  ▲ │
       │  └─────────┘             │  │ └──► failed (attempts exhausted, wrong number)
       └──────────────────────────┘  │
       (manual or automatic)  reassign / release to pending
    pending, suggested, assigned ──► cancelled

* ``pending``: in the pool, nobody has it. Allocation (manual, automatic by
  rule, or semi-automatic) moves it on.
* ``suggested``: a semi-automatic rule proposes an agent; a lead confirms
  (→ assigned) or rejects (→ pending).
* ``assigned``: an agent owns it; another owner may be given (assigned →
  assigned) or it is released to the pool (→ pending).
* ``done``, ``failed``, ``cancelled`` are final.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CallbackKind(models.TextChoices):
    ABANDONED = "abandoned", _("Abandoned in the queue")
    NO_ANSWER = "no_answer", _("Not answered by an agent")
    OFF_HOURS = "off_hours", _("Outside business hours")
    VOICEMAIL = "voicemail", _("Voicemail")
    LOST = "lost", _("Lost call")
    SCHEDULED = "scheduled", _("Follow-up")


class CallbackStatus(models.TextChoices):
    PENDING = "pending", _("Unassigned")
    SUGGESTED = "suggested", _("Suggested")
    ASSIGNED = "assigned", _("Assigned")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class AttemptResult(models.TextChoices):
    REACHED = "reached", _("Reached")
    NO_ANSWER = "no_answer", _("No answer")
    BUSY = "busy", _("Busy")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    CALL_LATER = "call_later", _("Call again later")


class AllocationMode(models.TextChoices):
    AUTO = "auto", _("Automatic")
    SEMI = "semi", _("Suggest, a lead confirms")


S = CallbackStatus

TRANSITIONS: dict[CallbackStatus, frozenset[CallbackStatus]] = {
    S.PENDING: frozenset({S.SUGGESTED, S.ASSIGNED, S.CANCELLED}),
    S.SUGGESTED: frozenset({S.ASSIGNED, S.PENDING, S.CANCELLED}),
    S.ASSIGNED: frozenset({S.ASSIGNED, S.PENDING, S.DONE, S.FAILED, S.CANCELLED}),
    S.DONE: frozenset(),
    S.FAILED: frozenset(),
    S.CANCELLED: frozenset(),
}

OPEN = frozenset({S.PENDING, S.SUGGESTED, S.ASSIGNED})
FINAL = frozenset(status for status, targets in TRANSITIONS.items() if not targets)

# Results that mean "try again later" and count towards the attempt limit.
RETRY_RESULTS = frozenset({AttemptResult.NO_ANSWER, AttemptResult.BUSY})


def transition_allowed(from_status: str, to_status: str) -> bool:
    try:
        return CallbackStatus(to_status) in TRANSITIONS[CallbackStatus(from_status)]
    except ValueError:
        return False
