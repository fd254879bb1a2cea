"""Reads of the blacklist (CUS-6).

``blacklist_status`` is what the telephony engine asks at the switch (TEL-12)
and what the screen pop shows: a plain function of the number and the time,
with no user, so that it can run where no one is signed in.
"""

from datetime import datetime

from django.db import connection
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from hotline.core.permissions import require_perm
from hotline.core.phones import phone_info
from hotline.customers.models import BlacklistEntry, BlacklistReport, BlacklistWindow


def window_as_dict(window) -> dict:
    return {
        "weekdays": list(window.weekdays or []),
        "start": window.start.strftime("%H:%M"),
        "end": window.end.strftime("%H:%M"),
    }


def local_time(at: datetime | None = None) -> datetime:
    """``at`` (default now) in the configured TIME_ZONE, whatever the user's
    own time zone: refusal windows are set in the call centre's time."""
    return timezone.localtime(at or timezone.now(), timezone.get_default_timezone())


# The tables of BlacklistReport and BlacklistEntry.
STATUS_SQL = (
    "SELECT (SELECT COUNT(*) FROM customers_blacklistreport WHERE number = %s),"
    " e.id, e.active, e.reason, e.source"
    " FROM (SELECT 1 AS one) AS one"
    " LEFT JOIN customers_blacklistentry AS e ON e.number = %s"
)


def refuses(active: bool, windows, at: datetime | None = None) -> bool:
    """Whether an entry refuses a call at ``at``: an active entry without
    windows refuses at all times, with windows only during them."""
    if not active:
        return False
    if not windows:
        return True
    local = local_time(at)
    return any(window.covers(local) for window in windows)


def _status_row(e164: str) -> tuple:
    """(reports, entry id, active, reason, source) in one indexed statement:
    this runs on every incoming call."""
    with connection.cursor() as cursor:
        cursor.execute(STATUS_SQL, [e164, e164])
        return cursor.fetchone()


def status_for_e164(e164: str, at: datetime | None = None) -> dict:
    """The blacklist status of a number already in E.164: one query, and one
    more for the windows of a listed number."""
    reports, entry_id, active, reason, source = _status_row(e164)
    listed = bool(active)
    windows = list(BlacklistWindow.objects.filter(entry_id=entry_id)) if listed else []
    return {
        "number": e164,
        "listed": listed,
        "refused_now": refuses(listed, windows, at),
        "reports": reports,
        "reason": reason if listed else "",
        "source": source if listed else "",
        "entry_id": entry_id,
        "windows": [window_as_dict(w) for w in windows],
    }


def blacklist_status(number: str, at: datetime | None = None) -> dict:
    """Whether ``number`` (as dialled or presented) is blacklisted, and
    whether it is refused at ``at`` (default now). A number that is not valid
    is never listed: entries are kept in E.164."""
    info = phone_info(number)
    if info is None:
        return {
            "number": str(number or ""),
            "valid": False,
            "listed": False,
            "refused_now": False,
            "reports": 0,
            "reason": "",
            "source": "",
            "entry_id": None,
            "windows": [],
        }
    return {**status_for_e164(info.e164, at), "valid": True}


def _report_counts():
    counted = (
        BlacklistReport.objects.filter(number=OuterRef("number"))
        .order_by()
        .values("number")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def blacklist_entries(*, actor, active: bool | None = None):
    """Blacklisted numbers the actor may see, each with ``report_count`` and
    its windows; ``active`` None lists removed entries too (NotAllowed
    without customers.view_blacklistentry)."""
    require_perm(actor, "customers.view_blacklistentry")
    entries = BlacklistEntry.objects.restrict(actor, "view")
    if active is not None:
        entries = entries.filter(active=active)
    return entries.annotate(report_count=_report_counts()).prefetch_related("windows")


def blacklist_entry_get(*, actor, pk: int) -> BlacklistEntry:
    """The entry, or BlacklistEntry.DoesNotExist."""
    return blacklist_entries(actor=actor).get(pk=pk)


def blacklist_reports(*, actor, number: str):
    """Every report of ``number`` (E.164), newest first, for those who may see reports."""
    return (
        BlacklistReport.objects.restrict(actor, "view")
        .filter(number=number)
        .select_related("reported_by")
    )
