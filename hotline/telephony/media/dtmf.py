"""Telephone events (RFC 4733) for DTMF keys: the payload format, a receiver
that turns a stream of event packets into key presses, each reported once,
and a sender that spreads the packets of each key over 20 ms ticks."""

import struct
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from hotline.telephony.media.g711 import FRAME_SAMPLES

EVENTS = "0123456789*#ABCD"
_EVENT = struct.Struct("!BBH")
# Keys are sent for about 100 ms (five 20 ms packets), then the end packet
# three times, then about 60 ms of nothing before the next key.
PRESS_PACKETS = 5
END_PACKETS = 3
GAP_TICKS = 3
DEFAULT_VOLUME = 10  # -10 dBm0
# An event whose end packets never arrive is reported after this long.
END_TIMEOUT_SECONDS = 1.0


def parse_event(payload: bytes) -> tuple[str, bool, int, int]:
    """(digit, end, volume, duration) of a telephone-event payload."""
    if len(payload) < _EVENT.size:
        raise ValueError("telephone-event payload shorter than 4 bytes")
    event, flags, duration = _EVENT.unpack_from(payload)
    if event >= len(EVENTS):
        raise ValueError(f"telephone event {event} is not a DTMF key")
    return EVENTS[event], bool(flags & 0x80), flags & 0x3F, duration


def encode_event(digit: str, end: bool, volume: int = DEFAULT_VOLUME, duration: int = 0) -> bytes:
    """A telephone-event payload; ``duration`` in timestamp units (8 kHz)."""
    event = EVENTS.find(digit.upper()) if len(digit) == 1 else -1
    if event < 0:
        raise ValueError(f"{digit!r} is not a DTMF key")
    return _EVENT.pack(event, (0x80 if end else 0) | (volume & 0x3F), duration & 0xFFFF)


def check_digits(digits: str) -> str:
    """The digits upper-cased; ValueError when one is not a DTMF key."""
    digits = digits.upper()
    for digit in digits:
        if digit not in EVENTS:
            raise ValueError(f"{digit!r} is not a DTMF key")
    return digits


class DtmfReceiver:
    """Reports each key press once. An event is one RTP timestamp: it is
    reported on its first end packet, or when its packets stopped coming for
    END_TIMEOUT_SECONDS without one (see ``poll``), or when the next event
    starts before either happened."""

    def __init__(self, on_digit: Callable[[str], None]) -> None:
        self.on_digit = on_digit
        self._timestamp: int | None = None
        self._digit = ""
        self._reported = True
        self._last_seen = 0.0
        self._finished: deque[int] = deque(maxlen=4)  # late packets of these are ignored

    def packet(self, payload: bytes, timestamp: int, now: float) -> None:
        """Feed one event packet; raises ValueError for a malformed payload."""
        digit, end, _volume, _duration = parse_event(payload)
        if timestamp != self._timestamp:
            if timestamp in self._finished:
                return
            self._report_unended()
            self._timestamp, self._digit, self._reported = timestamp, digit, False
        self._last_seen = now
        if end and not self._reported:
            self._report()

    def poll(self, now: float) -> None:
        """Report an event whose end never came; call it now and then."""
        if not self._reported and now - self._last_seen >= END_TIMEOUT_SECONDS:
            self._report()

    def _report_unended(self) -> None:
        if not self._reported:
            self._report()

    def _report(self) -> None:
        self._reported = True
        if self._timestamp is not None:
            self._finished.append(self._timestamp)
        self.on_digit(self._digit)


@dataclass(frozen=True, slots=True)
class EventPacket:
    payload: bytes
    marker: bool
    starts_event: bool  # the first packet of a key: its timestamp becomes the event's


class DtmfSender:
    """The packets of queued keys, one step per 20 ms tick. While ``active``
    the leg's normal audio pauses; a step of None is part of the gap between
    two keys (nothing is sent)."""

    def __init__(self, volume: int = DEFAULT_VOLUME) -> None:
        self.volume = volume
        self._steps: deque[EventPacket | None] = deque()

    @property
    def active(self) -> bool:
        return bool(self._steps)

    def queue(self, digits: str) -> None:
        for digit in check_digits(digits):
            self._steps.extend(self._key_steps(digit))

    def clear(self) -> None:
        self._steps.clear()

    def tick(self) -> EventPacket | None:
        return self._steps.popleft() if self._steps else None

    def _key_steps(self, digit: str) -> list[EventPacket | None]:
        steps: list[EventPacket | None] = []
        for number in range(1, PRESS_PACKETS + 1):
            payload = encode_event(digit, False, self.volume, number * FRAME_SAMPLES)
            steps.append(EventPacket(payload, marker=number == 1, starts_event=number == 1))
        last = encode_event(digit, True, self.volume, PRESS_PACKETS * FRAME_SAMPLES)
        steps += [EventPacket(last, marker=False, starts_event=False)] * END_PACKETS
        steps += [None] * GAP_TICKS
        return steps
