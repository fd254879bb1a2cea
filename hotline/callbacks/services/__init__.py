"""Writes of callbacks, by sub-domain: ``transitions`` (the one way to change
a status), ``callbacks`` (missed calls, follow-ups, attempts, overdue alarms),
``allocation`` (manual, automatic and semi-automatic, CB-3), ``rules``
(allocation rules) and ``pending`` (pending items, CB-5)."""
