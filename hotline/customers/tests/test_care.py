"""Care lists (CUS-11): birthdays today, in the coming week (across a month
and the year end) and this month, within the data scope; and the phonebook."""

from datetime import date

import pytest

from hotline.core.exceptions import InvalidData, NotAllowed
from hotline.customers.selectors.care import birthday_customers, birthday_window
from hotline.customers.selectors.phonebook import phonebook_entries
from hotline.customers.services.phonebook import (
    phonebook_entry_create,
    phonebook_entry_delete,
    phonebook_entry_update,
)
from hotline.customers.tests.test_services import make_customer

PHONES = iter(f"1380013{n:04d}" for n in range(10000))


def born(actor, name, birthday):
    return make_customer(actor, name=name, phones=[next(PHONES)], birthday=birthday)


def names(actor, period, today):
    return [c.name for c in birthday_customers(actor=actor, period=period, today=today)]


@pytest.fixture
def birthdays(org):
    a1 = org.agent_a1
    born(a1, "元旦", date(1970, 1, 1))
    born(a1, "一月三日", date(1980, 1, 3))
    born(a1, "一月八日", date(1980, 1, 8))
    born(a1, "除夕前", date(1990, 12, 28))
    born(a1, "跨年", date(1990, 12, 31))
    born(a1, "十二月一日", date(1990, 12, 1))
    born(a1, "三月一日", date(1985, 3, 1))
    born(a1, "闰日", date(1988, 2, 29))
    born(org.agent_c1, "别人的", date(1990, 12, 28))
    make_customer(a1, name="无生日", phones=[next(PHONES)])


def test_today(org, birthdays):
    assert names(org.agent_a1, "today", date(2025, 12, 28)) == ["除夕前"]
    assert names(org.agent_c1, "today", date(2025, 12, 28)) == ["别人的"]
    assert names(org.agent_a1, "today", date(2025, 6, 1)) == []


def test_week_across_the_year_end(org, birthdays):
    today = date(2025, 12, 28)
    assert birthday_window("week", today) == (1228, 103)
    assert names(org.agent_a1, "week", today) == ["除夕前", "跨年", "元旦", "一月三日"]


def test_week_across_a_month_end(org, birthdays):
    assert names(org.agent_a1, "week", date(2025, 2, 26)) == ["闰日", "三月一日"]  # on the 28th
    assert names(org.agent_a1, "week", date(2024, 2, 25)) == ["闰日", "三月一日"]
    assert names(org.agent_a1, "week", date(2025, 3, 1)) == ["三月一日"]


def test_leap_day_birthdays_on_the_28th_in_common_years(org, birthdays):
    assert names(org.agent_a1, "today", date(2025, 2, 28)) == ["闰日"]
    assert names(org.agent_a1, "today", date(2024, 2, 28)) == []
    assert names(org.agent_a1, "today", date(2024, 2, 29)) == ["闰日"]


def test_month(org, birthdays):
    assert names(org.agent_a1, "month", date(2025, 12, 15)) == [
        "十二月一日",
        "除夕前",
        "跨年",
    ]
    assert names(org.agent_a1, "month", date(2025, 1, 31)) == ["元旦", "一月三日", "一月八日"]
    assert names(org.agent_a1, "month", date(2025, 2, 1)) == ["闰日"]


# --- phonebook ----------------------------------------------------------------


def test_phonebook_entries(org):
    personal = phonebook_entry_create(actor=org.agent_a1, name="王师傅", mobile="138 0013 8000")
    shared = phonebook_entry_create(
        actor=org.agent_a1, name="顺丰", organisation="顺丰速运", phone="0755-26417308", shared=True
    )
    assert personal.mobile == "+8613800138000" and shared.phone == "+8675526417308"
    assert list(phonebook_entries(actor=org.agent_c1)) == [shared]
    assert list(phonebook_entries(actor=org.agent_a1, q="0755 2641")) == [shared]
    assert list(phonebook_entries(actor=org.agent_a1, q="速运")) == [shared]
    assert list(phonebook_entries(actor=org.agent_a1, shared=False)) == [personal]
    with pytest.raises(InvalidData):
        phonebook_entry_create(actor=org.agent_a1, name="x", phone="123")
    with pytest.raises(InvalidData):
        phonebook_entry_create(actor=org.agent_a1, name="nobody")
    with pytest.raises(NotAllowed):
        phonebook_entry_update(actor=org.agent_c1, entry=shared, name="改")
    with pytest.raises(NotAllowed):
        phonebook_entry_delete(actor=org.agent_c1, entry=shared)
    phonebook_entry_update(actor=org.agent_a1, entry=shared, name="顺丰快递", mobile="")
    assert shared.name == "顺丰快递"
    phonebook_entry_delete(actor=org.agent_a1, entry=personal)
    assert list(phonebook_entries(actor=org.agent_a1)) == [shared]
