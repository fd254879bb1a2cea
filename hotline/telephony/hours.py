"""Business hours (TEL-4): is a BusinessHours open at a moment, checks of
its weekly windows and holidays, and the one-row-per-line text the
administrator edits them as.

``weekly``: ``[{"weekday": 0-6 (Monday 0), "start": "09:00", "end": "18:00"}]``
(the end is exclusive; ``"24:00"`` ends at midnight; a window never crosses
midnight, write two). ``holidays``: ``[{"date": "2026-10-01", "open": false}]``
closes the whole day; ``[{"date": "2026-10-08", "start": "10:00", "end":
"16:00"}]`` replaces that day's weekly hours (several windows allowed).

As text, one row per line::

    Mon 09:00-18:00           Mon-Fri 09:00-18:00     周六 10:00-16:00
    2026-10-01 closed         2026-10-01..2026-10-07 closed
    2026-10-08 10:00-16:00
"""

import datetime
import itertools
import logging
import re
import zoneinfo

from django.conf import settings
from django.utils.translation import gettext as _

from hotline.core.exceptions import InvalidData

logger = logging.getLogger(__name__)

TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})$")
DAY_MINUTES = 24 * 60
WEEKDAY_CODES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WEEKDAY_NAMES = {
    **{code.lower(): i for i, code in enumerate(WEEKDAY_CODES)},
    **{
        name: i
        for i, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
    **{f"周{ch}": i for i, ch in enumerate("一二三四五六日")},
    **{f"星期{ch}": i for i, ch in enumerate("一二三四五六日")},
    "周天": 6,
    "星期天": 6,
}
CLOSED_WORDS = {"closed", "close", "休息", "关闭", "不营业"}
MAX_ROWS = 500


# --- times ----------------------------------------------------------------


def _minutes(text, *, end: bool = False) -> int | None:
    """``"09:30"`` → 570; ``"24:00"`` only as an end; None when not a time."""
    match = TIME_RE.match(text) if isinstance(text, str) else None
    if not match:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not end)):
        return None
    return hours * 60 + minutes


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        logger.error("Unknown time zone %r in business hours; using %s", name, settings.TIME_ZONE)
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def time_zone_valid(name: str) -> bool:
    if not isinstance(name, str) or not name.strip():
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _in_windows(rows, minute: int) -> bool:
    return any(
        _minutes(row.get("start")) is not None
        and _minutes(row.get("start")) <= minute < (_minutes(row.get("end"), end=True) or 0)
        for row in rows
    )


def hours_open(hours, at: datetime.datetime) -> bool:
    """Whether ``hours`` (a BusinessHours) is open at the aware moment ``at``,
    in the hours' own time zone. A holiday row for the day wins over the
    weekly windows: closed, or its own windows."""
    local = at.astimezone(_zone(hours.time_zone))
    day, minute = local.date().isoformat(), local.hour * 60 + local.minute
    special = [row for row in hours.holidays or [] if row.get("date") == day]
    if special:
        if any(row.get("open") is False for row in special):
            return False
        return _in_windows(special, minute)
    weekly = [row for row in hours.weekly or [] if row.get("weekday") == local.weekday()]
    return _in_windows(weekly, minute)


# --- checks ---------------------------------------------------------------


def _window(row: dict, prefix: str) -> tuple[tuple[int, int] | None, list[str]]:
    start = _minutes(row.get("start"))
    end = _minutes(row.get("end"), end=True)
    problems = []
    if start is None:
        problems.append(prefix + _("the start must be a time like 09:00."))
    if end is None:
        problems.append(prefix + _("the end must be a time like 18:00 (24:00 for midnight)."))
    if start is not None and end is not None and start >= end:
        problems.append(
            prefix + _("the end must come after the start (write two rows past midnight).")
        )
    return ((start, end) if not problems else None), problems


def _overlaps(windows: dict, describe) -> list[str]:
    """Messages for windows of one key (a weekday, a date) that overlap."""
    problems = []
    for key, spans in windows.items():
        spans = sorted(spans)
        for (start_a, end_a), (start_b, end_b) in itertools.pairwise(spans):
            if start_b < end_a:
                problems.append(
                    _("%(day)s: %(first)s overlaps %(second)s.")
                    % {
                        "day": describe(key),
                        "first": f"{_hhmm(start_a)}-{_hhmm(end_a)}",
                        "second": f"{_hhmm(start_b)}-{_hhmm(end_b)}",
                    }
                )
    return problems


def _clean_weekly(weekly) -> tuple[list[dict], list[str]]:
    if not isinstance(weekly, list):
        return [], [_("The weekly hours must be a list of rows.")]
    rows, problems, spans = [], [], {}
    for number, row in enumerate(weekly, start=1):
        prefix = _("Weekly row %(row)s: ") % {"row": number}
        if not isinstance(row, dict) or set(row) - {"weekday", "start", "end"}:
            problems.append(prefix + _("a row has a weekday, a start and an end, nothing else."))
            continue
        weekday = row.get("weekday")
        if not isinstance(weekday, int) or isinstance(weekday, bool) or not 0 <= weekday <= 6:
            problems.append(prefix + _("the weekday must be 0 (Monday) to 6 (Sunday)."))
            continue
        window, found = _window(row, prefix)
        problems += found
        if window:
            spans.setdefault(weekday, []).append(window)
            rows.append({"weekday": weekday, "start": _hhmm(window[0]), "end": _hhmm(window[1])})
    problems += _overlaps(spans, lambda weekday: WEEKDAY_CODES[weekday])
    rows.sort(key=lambda r: (r["weekday"], r["start"]))
    return rows, problems


def _holiday_row(row, prefix) -> tuple[dict | None, list[str]]:
    if not isinstance(row, dict) or set(row) - {"date", "open", "start", "end"}:
        return None, [prefix + _("a row has a date and either “open”: false or a start and end.")]
    try:
        day = datetime.date.fromisoformat(str(row.get("date", "")))
    except ValueError:
        return None, [prefix + _("the date must look like 2026-10-01.")]
    has_times = "start" in row or "end" in row
    if row.get("open") is False:
        if has_times:
            return None, [prefix + _("a closed day has no hours.")]
        return {"date": day.isoformat(), "open": False}, []
    if row.get("open") not in (None, True) or not has_times:
        return None, [prefix + _("give the day's hours or mark it closed.")]
    window, problems = _window(row, prefix)
    if window is None:
        return None, problems
    return {"date": day.isoformat(), "start": _hhmm(window[0]), "end": _hhmm(window[1])}, []


def _clean_holidays(holidays) -> tuple[list[dict], list[str]]:
    if not isinstance(holidays, list):
        return [], [_("The holidays must be a list of rows.")]
    rows, problems, spans = [], [], {}
    for number, row in enumerate(holidays, start=1):
        prefix = _("Holiday row %(row)s: ") % {"row": number}
        cleaned, found = _holiday_row(row, prefix)
        problems += found
        if cleaned:
            rows.append(cleaned)
            if "start" in cleaned:
                span = (_minutes(cleaned["start"]), _minutes(cleaned["end"], end=True))
                spans.setdefault(cleaned["date"], []).append(span)
    closed = {row["date"] for row in rows if row.get("open") is False}
    for day in sorted(closed & set(spans)):
        problems.append(_("%(date)s is marked closed and has hours too.") % {"date": day})
    problems += _overlaps(spans, str)
    rows.sort(key=lambda r: (r["date"], r.get("start", "")))
    return rows, problems


def hours_clean(weekly, holidays) -> tuple[list[dict], list[dict]]:
    """The weekly windows and holidays checked and normalised (times as
    ``HH:MM``, rows sorted), or ``InvalidData`` with one message per bad row
    under ``weekly`` and ``holidays``."""
    weekly_rows, weekly_problems = _clean_weekly(weekly)
    holiday_rows, holiday_problems = _clean_holidays(holidays)
    details = {
        key: found
        for key, found in (("weekly", weekly_problems), ("holidays", holiday_problems))
        if found
    }
    if details:
        first = (weekly_problems or holiday_problems)[0]
        raise InvalidData(
            _("The business hours have errors: %(first)s") % {"first": first}, details=details
        )
    return weekly_rows, holiday_rows


# --- text form ------------------------------------------------------------


def _lines(text: str):
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if line:
            yield number, line


def _span(text: str) -> tuple[str, str] | None:
    """``"09:00-18:00"`` → ("09:00", "18:00") (also with – or ~)."""
    parts = re.split(r"\s*[-–~]\s*", text.strip())
    return (parts[0], parts[1]) if len(parts) == 2 else None


def _weekdays(text: str) -> list[int] | None:
    """``"Mon"`` → [0]; ``"Mon-Fri"`` → [0…4]; ``"Sat,Sun"`` → [5, 6]."""
    days: list[int] = []
    for part in re.split(r"\s*[,，、]\s*", text.strip().lower()):
        ends = re.split(r"\s*[-–~至]\s*", part)
        if len(ends) == 1 and ends[0] in WEEKDAY_NAMES:
            days.append(WEEKDAY_NAMES[ends[0]])
        elif len(ends) == 2 and ends[0] in WEEKDAY_NAMES and ends[1] in WEEKDAY_NAMES:
            first, last = WEEKDAY_NAMES[ends[0]], WEEKDAY_NAMES[ends[1]]
            if first > last:
                return None
            days.extend(range(first, last + 1))
        else:
            return None
    return days


def hours_weekly_parse(text: str) -> tuple[list[dict], list[str]]:
    """Lines like ``Mon 09:00-18:00`` or ``Mon-Fri 09:00-12:00, 13:00-18:00``
    → weekly rows, and a message per line that cannot be read."""
    rows, problems = [], []
    for number, line in _lines(text):
        head, _sep, rest = line.partition(" ")
        days = _weekdays(head)
        spans = [_span(piece) for piece in re.split(r"[,，]", rest) if piece.strip()]
        if days is None or not spans or None in spans:
            problems.append(
                _(
                    "Line %(line)s: “%(text)s” is not like “Mon 09:00-18:00” "
                    "or “Mon-Fri 09:00-18:00”."
                )
                % {"line": number, "text": line}
            )
            continue
        rows += [{"weekday": d, "start": s, "end": e} for d in days for s, e in spans]
        if len(rows) > MAX_ROWS:
            problems.append(_("Too many rows (at most %(max)s).") % {"max": MAX_ROWS})
            break
    return rows, problems


def _dates(text: str) -> list[str] | None:
    first, sep, last = text.partition("..")
    try:
        start = datetime.date.fromisoformat(first.strip())
        end = datetime.date.fromisoformat(last.strip()) if sep else start
    except ValueError:
        return None
    if end < start or (end - start).days > 366:
        return None
    return [(start + datetime.timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]


def hours_holidays_parse(text: str) -> tuple[list[dict], list[str]]:
    """Lines like ``2026-10-01 closed``, ``2026-10-01..2026-10-07 closed`` or
    ``2026-10-08 10:00-16:00`` → holiday rows, and a message per bad line."""
    rows, problems = [], []
    for number, line in _lines(text):
        head, _sep, rest = line.partition(" ")
        days = _dates(head)
        rest = rest.strip()
        if days and rest.lower() in CLOSED_WORDS:
            rows += [{"date": day, "open": False} for day in days]
            continue
        spans = [_span(piece) for piece in re.split(r"[,，]", rest) if piece.strip()]
        if days is None or not spans or None in spans:
            problems.append(
                _(
                    "Line %(line)s: “%(text)s” is not like “2026-10-01 closed” "
                    "or “2026-10-08 10:00-16:00”."
                )
                % {"line": number, "text": line}
            )
            continue
        rows += [{"date": day, "start": s, "end": e} for day in days for s, e in spans]
        if len(rows) > MAX_ROWS:
            problems.append(_("Too many rows (at most %(max)s).") % {"max": MAX_ROWS})
            break
    return rows, problems


def hours_weekly_text(weekly) -> str:
    """Weekly rows as lines; consecutive days with the same windows share a
    line (``Mon-Fri 09:00-12:00, 13:00-18:00``)."""
    by_day: dict[int, list[str]] = {}
    for row in weekly or []:
        if isinstance(row.get("weekday"), int) and 0 <= row["weekday"] <= 6:
            by_day.setdefault(row["weekday"], []).append(f"{row['start']}-{row['end']}")
    groups: list[list] = []  # [first day, last day, windows]
    for day in sorted(by_day):
        windows = ", ".join(by_day[day])
        if groups and groups[-1][1] == day - 1 and groups[-1][2] == windows:
            groups[-1][1] = day
        else:
            groups.append([day, day, windows])
    return "\n".join(
        f"{WEEKDAY_CODES[first]}{'-' + WEEKDAY_CODES[last] if last != first else ''} {windows}"
        for first, last, windows in groups
    )


def hours_holidays_text(holidays) -> str:
    """Holiday rows as lines (``2026-10-01 closed`` / ``2026-10-08 10:00-16:00``)."""
    return "\n".join(
        f"{row['date']} closed"
        if row.get("open") is False
        else f"{row['date']} {row['start']}-{row['end']}"
        for row in holidays or []
    )
