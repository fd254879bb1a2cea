"""Business hours (TEL-4): open or closed at a moment in the hours' own time
zone, holidays closing a day or replacing its hours, the checks of the rows
and their one-line-per-row text form."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from hotline.core.exceptions import InvalidData, NotAllowed
from hotline.telephony.hours import (
    hours_clean,
    hours_holidays_parse,
    hours_holidays_text,
    hours_open,
    hours_weekly_parse,
    hours_weekly_text,
)
from hotline.telephony.models import BusinessHours
from hotline.telephony.services.config import business_hours_save

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = datetime.UTC


def hours(weekly=(), holidays=(), time_zone="Asia/Shanghai") -> BusinessHours:
    return BusinessHours(
        name="h", time_zone=time_zone, weekly=list(weekly), holidays=list(holidays)
    )


def at(text: str, zone=SHANGHAI) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=zone)


OFFICE = [{"weekday": d, "start": "09:00", "end": "18:00"} for d in range(5)]


# --- open or closed -------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-03-02 09:00", True),  # Monday, the window opens
        ("2026-03-02 08:59", False),
        ("2026-03-02 17:59", True),
        ("2026-03-02 18:00", False),  # the end is exclusive
        ("2026-03-06 12:00", True),  # Friday
        ("2026-03-07 12:00", False),  # Saturday: no window
    ],
)
def test_weekday_windows(moment, expected):
    assert hours_open(hours(OFFICE), at(moment)) is expected


def test_two_windows_a_day_and_a_window_to_midnight():
    h = hours(
        [
            {"weekday": 5, "start": "09:00", "end": "12:00"},
            {"weekday": 5, "start": "20:00", "end": "24:00"},
        ]
    )
    assert hours_open(h, at("2026-03-07 11:00"))
    assert not hours_open(h, at("2026-03-07 15:00"))
    assert hours_open(h, at("2026-03-07 23:59"))
    assert not hours_open(h, at("2026-03-08 00:00"))  # Sunday


def test_a_closed_holiday_closes_the_whole_day():
    h = hours(OFFICE, [{"date": "2026-10-01", "open": False}])
    assert not hours_open(h, at("2026-10-01 10:00"))  # a Thursday
    assert hours_open(h, at("2026-10-02 10:00"))


def test_special_hours_replace_the_weekly_ones():
    h = hours(
        OFFICE,
        [
            {"date": "2026-10-08", "start": "10:00", "end": "16:00"},  # a Thursday
            {"date": "2026-10-10", "start": "09:00", "end": "12:00"},  # a Saturday, worked
        ],
    )
    assert not hours_open(h, at("2026-10-08 09:30"))
    assert hours_open(h, at("2026-10-08 10:00"))
    assert not hours_open(h, at("2026-10-08 16:30"))
    assert hours_open(h, at("2026-10-10 11:00"))


def test_the_hours_time_zone_decides_the_day():
    h = hours(OFFICE)
    # Sunday 2026-03-01 at 23:30 UTC is Monday 07:30 in Shanghai: closed …
    assert not hours_open(h, at("2026-03-01 23:30", UTC))
    # … and Monday 01:30 UTC is Monday 09:30 in Shanghai: open, although
    # in UTC it is the middle of the night.
    assert hours_open(h, at("2026-03-02 01:30", UTC))
    # Friday 10:30 UTC is 18:30 in Shanghai: closed.
    assert not hours_open(h, at("2026-03-06 10:30", UTC))


def test_a_holiday_is_the_local_date_not_the_utc_date():
    all_day = [{"weekday": d, "start": "00:00", "end": "24:00"} for d in (2, 3)]
    h = hours(all_day, [{"date": "2026-10-01", "open": False}])  # a Thursday
    # 2026-09-30 15:30 UTC is Wednesday 23:30 in Shanghai: open …
    assert hours_open(h, at("2026-09-30 15:30", UTC))
    # … an hour later it is the holiday in Shanghai, still 30 September in UTC.
    assert not hours_open(h, at("2026-09-30 16:30", UTC))


def test_daylight_saving_shifts_the_opening_in_utc():
    berlin = hours(OFFICE, time_zone="Europe/Berlin")
    # 09:00 in Berlin is 08:00 UTC in winter and 07:00 UTC in summer.
    assert hours_open(berlin, at("2026-03-27 08:00", UTC))  # Friday, winter time
    assert not hours_open(berlin, at("2026-03-27 07:30", UTC))
    assert hours_open(berlin, at("2026-03-30 07:30", UTC))  # Monday, summer time


# --- checks ---------------------------------------------------------------


def test_clean_normalises_and_sorts():
    weekly, holidays = hours_clean(
        [
            {"weekday": 2, "start": "13:00", "end": "18:00"},
            {"weekday": 2, "start": "9:00", "end": "12:00"},
        ],
        [
            {"date": "2026-10-08", "start": "10:00", "end": "16:00"},
            {"date": "2026-10-01", "open": False},
        ],
    )
    assert weekly == [
        {"weekday": 2, "start": "09:00", "end": "12:00"},
        {"weekday": 2, "start": "13:00", "end": "18:00"},
    ]
    assert holidays == [
        {"date": "2026-10-01", "open": False},
        {"date": "2026-10-08", "start": "10:00", "end": "16:00"},
    ]


@pytest.mark.parametrize(
    ("weekly", "expected"),
    [
        ([{"weekday": 7, "start": "09:00", "end": "18:00"}], "Weekly row 1: the weekday must be 0"),
        ([{"weekday": 1, "start": "9", "end": "18:00"}], "Weekly row 1: the start must be a time"),
        (
            [{"weekday": 1, "start": "09:00", "end": "24:30"}],
            "Weekly row 1: the end must be a time",
        ),
        ([{"weekday": 1, "start": "24:00", "end": "24:00"}], "the start must be a time"),
        ([{"weekday": 1, "start": "18:00", "end": "09:00"}], "the end must come after the start"),
        ([{"weekday": 1, "start": "09:00", "end": "18:00", "x": 1}], "nothing else"),
        (
            [
                {"weekday": 1, "start": "09:00", "end": "18:00"},
                {"weekday": 1, "start": "12:00", "end": "20:00"},
            ],
            "Tue: 09:00-18:00 overlaps 12:00-20:00",
        ),
        ("Mon 09:00-18:00", "must be a list"),
    ],
)
def test_bad_weekly_rows(weekly, expected):
    with pytest.raises(InvalidData) as caught:
        hours_clean(weekly, [])
    assert expected in " ".join(caught.value.details["weekly"])
    assert "holidays" not in caught.value.details


@pytest.mark.parametrize(
    ("holidays", "expected"),
    [
        ([{"date": "2026-02-30", "open": False}], "Holiday row 1: the date must look like"),
        ([{"date": "2026-10-01"}], "give the day's hours or mark it closed"),
        ([{"date": "2026-10-01", "open": False, "start": "09:00"}], "a closed day has no hours"),
        (
            [
                {"date": "2026-10-01", "open": False},
                {"date": "2026-10-01", "start": "09:00", "end": "12:00"},
            ],
            "2026-10-01 is marked closed and has hours too",
        ),
    ],
)
def test_bad_holiday_rows(holidays, expected):
    with pytest.raises(InvalidData) as caught:
        hours_clean([], holidays)
    assert expected in " ".join(caught.value.details["holidays"])


# --- text form ------------------------------------------------------------


def test_weekly_text_with_ranges_several_windows_and_chinese_days():
    rows, problems = hours_weekly_parse(
        "Mon-Fri 09:00-12:00, 13:00-18:00\n\n周六 10:00-16:00\nsunday 10:00 - 12:00\n"
    )
    assert problems == []
    assert len(rows) == 12
    assert rows[0] == {"weekday": 0, "start": "09:00", "end": "12:00"}
    assert {"weekday": 5, "start": "10:00", "end": "16:00"} in rows
    assert {"weekday": 6, "start": "10:00", "end": "12:00"} in rows


def test_weekly_text_names_the_bad_line():
    rows, problems = hours_weekly_parse("Mon 09:00-18:00\nMonday morning\nXyz 09:00-10:00")
    assert len(rows) == 1
    assert problems[0].startswith("Line 2: “Monday morning”")
    assert problems[1].startswith("Line 3:")


def test_holiday_text_with_a_range_and_special_hours():
    rows, problems = hours_holidays_parse(
        "2026-10-01..2026-10-03 closed\n2026-10-10 09:00-12:00\n2026-10-11 休息"
    )
    assert problems == []
    assert rows == [
        {"date": "2026-10-01", "open": False},
        {"date": "2026-10-02", "open": False},
        {"date": "2026-10-03", "open": False},
        {"date": "2026-10-10", "start": "09:00", "end": "12:00"},
        {"date": "2026-10-11", "open": False},
    ]
    _rows, problems = hours_holidays_parse("2026-13-01 closed\n2026-10-05")
    assert problems[0].startswith("Line 1:") and problems[1].startswith("Line 2:")


def test_text_round_trip():
    weekly, holidays = hours_clean(
        hours_weekly_parse("Mon-Tue 09:00-18:00")[0],
        hours_holidays_parse("2026-10-01 closed\n2026-10-08 10:00-16:00")[0],
    )
    assert hours_weekly_text(weekly) == "Mon-Tue 09:00-18:00"
    split = hours_weekly_parse("Mon-Wed 09:00-12:00, 13:00-18:00\nThu 09:00-12:00\nSat 10:00-12:00")
    assert hours_weekly_text(split[0]) == (
        "Mon-Wed 09:00-12:00, 13:00-18:00\nThu 09:00-12:00\nSat 10:00-12:00"
    )
    assert hours_holidays_text(holidays) == "2026-10-01 closed\n2026-10-08 10:00-16:00"
    assert hours_weekly_parse(hours_weekly_text(weekly))[0] == weekly
    assert hours_holidays_parse(hours_holidays_text(holidays))[0] == holidays


# --- the service ----------------------------------------------------------


def test_business_hours_save(org):
    saved = business_hours_save(
        actor=org.admin,
        name="客服",
        time_zone="Asia/Shanghai",
        weekly=[{"weekday": 0, "start": "9:00", "end": "18:00"}],
        holidays=[],
    )
    saved.refresh_from_db()
    assert saved.weekly == [{"weekday": 0, "start": "09:00", "end": "18:00"}]


def test_business_hours_save_refuses_bad_rows_and_zones(org):
    with pytest.raises(InvalidData) as caught:
        business_hours_save(
            actor=org.admin,
            name="客服",
            time_zone="Mars/Olympus",
            weekly=[{"weekday": 0, "start": "18:00", "end": "09:00"}],
            holidays=[],
        )
    assert set(caught.value.details) == {"time_zone", "weekly"}
    assert not BusinessHours.objects.exists()
    with pytest.raises(NotAllowed):
        business_hours_save(
            actor=org.lead_a, name="x", time_zone="Asia/Shanghai", weekly=[], holidays=[]
        )
