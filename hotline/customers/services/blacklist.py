"""Writes of the blacklist (CUS-6): agents report nuisance numbers, and the
report that reaches the threshold blacklists the number; leads add and
remove numbers by hand and set the weekly windows during which a number is
refused. Every report is kept, also after a removal."""

from datetime import time

from django.db import transaction
from django.utils.translation import gettext as _

from hotline.core.events import publish
from hotline.core.exceptions import Conflict, InvalidData
from hotline.core.permissions import require_perm
from hotline.core.phones import phone_require
from hotline.core.runtime_settings import setting_get
from hotline.customers.events import BlacklistChanged
from hotline.customers.models import BlacklistEntry, BlacklistReport, BlacklistWindow
from hotline.customers.settings import BLACKLIST_REPORT_THRESHOLD

REASON_MAX = 200


def _reason(raw, *, required: bool) -> str:
    reason = (raw or "").strip()
    if required and not reason:
        raise InvalidData(_("Give a reason."), details={"reason": [_("Required.")]})
    if len(reason) > REASON_MAX:
        raise InvalidData(
            _("The reason may be at most %(n)d characters.") % {"n": REASON_MAX},
            details={"reason": [_("Too long.")]},
        )
    return reason


def _time(raw, key: str, index: int) -> time:
    try:
        hours, minutes = str(raw).strip().split(":")[:2]
        return time(int(hours), int(minutes))
    except (TypeError, ValueError):
        raise InvalidData(
            _("Window %(n)d: “%(value)s” is not a time like 08:30.") % {"n": index, "value": raw},
            details={"windows": {str(index - 1): {key: [_("Not a time.")]}}},
        ) from None


def _weekdays(raw, index: int) -> list[int]:
    try:
        days = sorted({int(day) for day in (raw or [])})
    except (TypeError, ValueError):
        days = [-1]
    if any(day < 0 or day > 6 for day in days):
        raise InvalidData(
            _("Window %(n)d: weekdays are 0 (Monday) to 6 (Sunday).") % {"n": index},
            details={"windows": {str(index - 1): {"weekdays": [_("Not a weekday.")]}}},
        )
    return days


def windows_clean(windows) -> list[dict]:
    """``[{weekdays: [0..6], start: "HH:MM", end: "HH:MM"}]`` checked; an end
    before the start spans midnight; no weekdays means every day."""
    if not isinstance(windows, list | tuple):
        raise InvalidData(_("Windows must be a list."), details={"windows": [_("Not a list.")]})
    cleaned = []
    for index, window in enumerate(windows, start=1):
        if not isinstance(window, dict):
            raise InvalidData(
                _("Window %(n)d is not valid.") % {"n": index},
                details={"windows": {str(index - 1): [_("Not valid.")]}},
            )
        start = _time(window.get("start"), "start", index)
        end = _time(window.get("end"), "end", index)
        if start == end:
            raise InvalidData(
                _("Window %(n)d: the start and the end are the same time.") % {"n": index},
                details={"windows": {str(index - 1): {"end": [_("Same as the start.")]}}},
            )
        cleaned.append(
            {"weekdays": _weekdays(window.get("weekdays"), index), "start": start, "end": end}
        )
    return cleaned


def _announce(entry: BlacklistEntry) -> None:
    publish(
        BlacklistChanged(
            number=entry.number,
            active=entry.active,
            reports=BlacklistReport.objects.filter(number=entry.number).count(),
        )
    )


def _replace_windows(entry: BlacklistEntry, windows: list[dict]) -> None:
    before = [str(w) for w in entry.windows.all()]
    entry.windows.all().delete()
    created = BlacklistWindow.objects.bulk_create(
        BlacklistWindow(entry=entry, **window) for window in windows
    )
    after = [str(w) for w in created]
    if before != after:
        entry.record_change({"windows": [before, after]})


def _reports_counted(entry: BlacklistEntry | None, number: str) -> int:
    """Reports that count toward listing: all of them, or, once a lead has
    removed the number, only those made since the removal."""
    reports = BlacklistReport.objects.filter(number=number)
    if entry is not None and not entry.active:
        reports = reports.filter(at__gt=entry.updated_at)
    return reports.count()


@transaction.atomic
def blacklist_report(*, actor, number: str, reason: str) -> BlacklistReport:
    """Record an agent's report; the report that brings the number to the
    threshold (runtime setting) blacklists it."""
    require_perm(actor, "customers.add_blacklistreport")
    info = phone_require(number, field="number")
    report = BlacklistReport.objects.create(
        number=info.e164, reason=_reason(reason, required=True), reported_by=actor
    )
    entry = BlacklistEntry.objects.select_for_update().filter(number=info.e164).first()
    if entry is not None and entry.active:
        return report
    threshold = setting_get(BLACKLIST_REPORT_THRESHOLD.key)
    if _reports_counted(entry, info.e164) < threshold:
        return report
    if entry is None:
        entry = BlacklistEntry(number=info.e164)
    entry.active = True
    entry.source = BlacklistEntry.Source.REPORTS
    entry.reason = report.reason
    entry.save()
    _announce(entry)
    return report


@transaction.atomic
def blacklist_add(*, actor, number: str, reason: str, windows=()) -> BlacklistEntry:
    """A lead blacklists a number by hand (again, if it was removed)."""
    require_perm(actor, "customers.add_blacklistentry")
    info = phone_require(number, field="number")
    reason = _reason(reason, required=False)
    cleaned = windows_clean(list(windows or []))
    entry = BlacklistEntry.objects.select_for_update().filter(number=info.e164).first()
    if entry is not None and entry.active:
        raise Conflict(
            _("%(number)s is already on the blacklist.") % {"number": info.e164},
            details={"number": [_("Already blacklisted.")]},
        )
    if entry is None:
        entry = BlacklistEntry(number=info.e164)
    entry.active = True
    entry.source = BlacklistEntry.Source.MANUAL
    entry.reason = reason
    entry.save()
    _replace_windows(entry, cleaned)
    _announce(entry)
    return entry


@transaction.atomic
def blacklist_remove(*, actor, entry: BlacklistEntry) -> BlacklistEntry:
    """Take a number off the blacklist. The entry and its reports stay as
    history; new reports may list the number again."""
    require_perm(actor, "customers.change_blacklistentry")
    entry = BlacklistEntry.objects.select_for_update().get(pk=entry.pk)
    if not entry.active:
        raise Conflict(_("%(number)s is not on the blacklist.") % {"number": entry.number})
    entry.active = False
    entry.save()
    _announce(entry)
    return entry


@transaction.atomic
def blacklist_set_windows(*, actor, entry: BlacklistEntry, windows) -> BlacklistEntry:
    """Replace the entry's refusal windows; an empty list refuses at all times."""
    require_perm(actor, "customers.change_blacklistentry")
    cleaned = windows_clean(windows)
    entry = BlacklistEntry.objects.select_for_update().get(pk=entry.pk)
    _replace_windows(entry, cleaned)
    _announce(entry)
    return entry
