"""Care lists (CUS-11): customers whose birthday falls today, in the coming
week or in this month, and saved searches used as care lists; always within
the reader's data scope."""

import calendar
from datetime import date, timedelta

from django.db.models import Case, IntegerField, Q, Value, When

from hotline.customers.selectors.customers import customers_visible
from hotline.customers.services.customers import birthday_key

PERIODS = ("today", "week", "month")
WEEK_DAYS = 7


def _is_leap(year: int) -> bool:
    return calendar.isleap(year)


def birthday_window(period: str, today: date) -> tuple[int, int]:
    """The first and last month*100+day of ``period`` starting from ``today``
    (the week: today and the six days after it; the month: the calendar month).
    The first may be greater than the last when the week crosses the year end."""
    if period == "today":
        key = birthday_key(today)
        return key, key
    if period == "week":
        return birthday_key(today), birthday_key(today + timedelta(days=WEEK_DAYS - 1))
    if period == "month":
        return today.month * 100 + 1, today.month * 100 + 31
    raise ValueError(period)


def _window_condition(first: int, last: int, today: date) -> Q:
    if first <= last:
        condition = Q(birthday_md__gte=first, birthday_md__lte=last)
    else:  # across the year end: late December, then early January
        condition = Q(birthday_md__gte=first) | Q(birthday_md__lte=last)
    # People born on 29 February are greeted on the 28th in common years.
    if not _is_leap(today.year) and first <= 228 <= last:
        condition |= Q(birthday_md=229)
    return condition


def birthday_customers(*, actor, period: str, today: date):
    """Customers with a birthday in ``period``, in calendar order from ``today``."""
    first, last = birthday_window(period, today)
    wrapped = Case(
        When(birthday_md__lt=first, then=Value(1)), default=Value(0), output_field=IntegerField()
    )
    return (
        customers_visible(actor)
        .filter(birthday_md__isnull=False)
        .filter(_window_condition(first, last, today))
        .select_related("level", "owner")
        .prefetch_related("phones")
        .order_by(wrapped, "birthday_md", "name", "pk")
    )


def birthday_counts(*, actor, today: date) -> dict[str, int]:
    return {
        period: birthday_customers(actor=actor, period=period, today=today).count()
        for period in PERIODS
    }
