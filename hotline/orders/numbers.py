"""Order numbers (ORD-2): ``YYYYMMDD-NNNNNN``, the local date of entry and a
per-day sequence (at least six digits; it just grows longer past 999999).

The sequence lives in ``OrderNumberCounter``, one row per day, incremented
with ``UPDATE … SET value = value + 1`` inside the order's own transaction.
The UPDATE takes the row's write lock (PostgreSQL: a row lock; SQLite: the
database write lock that the IMMEDIATE transaction holds anyway) until the
order commits, so no two orders can read the same value: numbers are unique
with any number of concurrent writers. The first order of a day creates the
row; two writers racing to create it are settled by the primary key (the
loser's INSERT fails inside a savepoint and it increments instead).

Numbers are never reused, but they are not gapless: an order whose
transaction rolls back (a refused entry, a crash) rolls its increment back
too, but a number that was committed and whose order was later voided stays
taken. A rollback after a concurrent writer took the next value can leave a
gap; that is by design (gapless numbering would serialise every writer for
the whole entry and buys nothing here).
"""

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from hotline.orders.models import OrderNumberCounter

SEQUENCE_DIGITS = 6


def _increment(day: date) -> bool:
    return OrderNumberCounter.objects.filter(day=day).update(value=F("value") + 1) == 1


def order_number_next(*, day: date | None = None) -> str:
    """The next order number of ``day`` (today, local time). Call it inside the
    transaction that saves the order: the counter stays locked until commit."""
    day = day or timezone.localdate()
    with transaction.atomic():
        if not _increment(day):
            try:
                with transaction.atomic():
                    OrderNumberCounter.objects.create(day=day, value=1)
            except IntegrityError:
                _increment(day)
        value = OrderNumberCounter.objects.values_list("value", flat=True).get(day=day)
    return f"{day:%Y%m%d}-{value:0{SEQUENCE_DIGITS}d}"
