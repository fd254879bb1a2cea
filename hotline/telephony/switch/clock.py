"""The engine's clock: milliseconds since an epoch, and timers on it.

A simulation advances it by hand (tests, benchmarks: a whole day in
seconds); the live runner advances it with the wall clock. Timers due at the
same millisecond run in the order they were set, so a run is repeatable.
"""

import heapq
import itertools
from datetime import UTC, datetime, timedelta


class Timer:
    __slots__ = ("args", "callback", "cancelled", "due", "seq")

    def __init__(self, due: int, seq: int, callback, args):
        self.due, self.seq, self.callback, self.args = due, seq, callback, args
        self.cancelled = False

    def __lt__(self, other: "Timer") -> bool:
        return (self.due, self.seq) < (other.due, other.seq)

    def cancel(self) -> None:
        self.cancelled = True


class VirtualClock:
    def __init__(self, epoch: datetime | None = None):
        self.epoch = epoch or datetime(2026, 1, 5, 1, 0, tzinfo=UTC)  # a Monday, 09:00 in Shanghai
        self.now_ms = 0
        self._heap: list[Timer] = []
        self._seq = itertools.count()

    def now(self) -> datetime:
        return self.at(self.now_ms)

    def at(self, ms: int) -> datetime:
        return self.epoch + timedelta(milliseconds=ms)

    def call_later(self, delay_ms: int, callback, *args) -> Timer:
        timer = Timer(self.now_ms + max(0, int(delay_ms)), next(self._seq), callback, args)
        heapq.heappush(self._heap, timer)
        return timer

    def next_due(self) -> int | None:
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0].due if self._heap else None

    def run_until(self, until_ms: int) -> int:
        """Run every timer due up to ``until_ms``; returns how many ran."""
        ran = 0
        while True:
            due = self.next_due()
            if due is None or due > until_ms:
                break
            timer = heapq.heappop(self._heap)
            self.now_ms = max(self.now_ms, timer.due)
            timer.callback(*timer.args)
            ran += 1
        self.now_ms = max(self.now_ms, until_ms)
        return ran

    def advance(self, ms: int) -> int:
        return self.run_until(self.now_ms + int(ms))

    def advance_seconds(self, seconds: float) -> int:
        return self.advance(round(seconds * 1000))
