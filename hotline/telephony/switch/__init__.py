"""The narrow interface between the call engine and a switch (DESIGN.md
"Telephony"). Only driver modules (``sim``, later ``sip`` …) talk to a switch;
the engine calls the methods of ``Switch`` and receives ``SwitchEvent``s.

Leg ids of calls the engine places are chosen by the engine, so the leg is on
record before the switch knows it; inbound legs get their id from the switch
and are announced with ``LegCreated``.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class SwitchEvent:
    leg_id: str


@dataclass(frozen=True)
class LegCreated(SwitchEvent):
    caller: str
    called: str


@dataclass(frozen=True)
class LegRinging(SwitchEvent):
    pass


@dataclass(frozen=True)
class LegAnswered(SwitchEvent):
    # "human" or "machine" (answering-machine detection on outbound legs).
    answered_by: str = "human"


@dataclass(frozen=True)
class DtmfReceived(SwitchEvent):
    digit: str


@dataclass(frozen=True)
class DigitsCollected(SwitchEvent):
    digits: str
    # "max" (enough digits), "terminator", or "timeout" (may be empty)
    reason: str


@dataclass(frozen=True)
class PlaybackDone(SwitchEvent):
    playback_id: str


@dataclass(frozen=True)
class LegHungUp(SwitchEvent):
    cause: str  # normal, no_answer, busy, rejected, transferred, failed …
    # "remote" when the far end hung up, "local" when the engine asked for it.
    side: str = "remote"


@dataclass(frozen=True)
class RecordedAudio:
    """A finished recording: its bytes, or (a real switch, for long calls) a
    file whose ownership passes to the receiver, which stores and removes it."""

    duration_ms: int
    content: bytes = b""
    path: Path | None = None
    content_type: str = "audio/wav"


class Switch(Protocol):
    """What the engine may ask of a switch. Every method returns at once;
    outcomes come back as events through the listener."""

    def set_listener(self, listener) -> None: ...

    def originate(self, *, leg_id: str, to: str, caller_id: str) -> None: ...

    def answer(self, leg_id: str) -> None: ...

    def play(
        self, leg_id: str, *, playback_id: str, text: str = "", audio: str = "", loop: bool = False
    ) -> None: ...

    def stop_playback(self, leg_id: str) -> None: ...

    def collect(
        self,
        leg_id: str,
        *,
        text: str = "",
        audio: str = "",
        max_digits: int = 1,
        timeout_ms: int = 5000,
        terminator: str = "",
        choices: tuple[str, ...] = (),
    ) -> None: ...

    def record_start(self, leg_id: str) -> None: ...

    def record_stop(self, leg_id: str) -> RecordedAudio | None: ...

    def bridge(self, leg_a: str, leg_b: str) -> None: ...

    def hold(self, leg_id: str) -> None: ...

    def unhold(self, leg_id: str) -> None: ...

    def monitor(self, leg_id: str, *, supervisor_leg_id: str, mode: str) -> None: ...

    def conference(self, leg_ids: list[str]) -> None: ...

    def mute(self, leg_id: str, *, on: bool) -> None: ...

    def send_dtmf(self, leg_id: str, *, digits: str) -> None: ...

    def hangup(self, leg_id: str, *, cause: str = "normal") -> None: ...
