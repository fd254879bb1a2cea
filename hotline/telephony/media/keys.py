"""A caller's ear and keypad on the `sip` switch: the prompts the engine
plays (``PlaybackDone`` when one ends by itself) and the digits it collects,
with barge-in (a key press stops the prompt), an inter-digit timeout that
starts once the prompt has ended, a terminator key, and type-ahead (keys
pressed shortly before a collection count for it). Keys pressed outside a
collection reach the engine as ``DtmfReceived``. Runs on the media core's
loop; key presses come from RFC 4733 (the media core) or SIP INFO (the
B2BUA)."""

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from hotline.telephony.switch import DigitsCollected, DtmfReceived, PlaybackDone

logger = logging.getLogger(__name__)
TYPE_AHEAD_SECONDS = 10
TYPE_AHEAD_KEPT = 20


@dataclass
class Collect:
    max_digits: int
    timeout: float
    terminator: str
    digits: str = ""
    timer: asyncio.TimerHandle | None = None
    prompt_id: str = ""


@dataclass
class _Keypad:
    collect: Collect | None = None
    typed: list[tuple[float, str]] = field(default_factory=list)


class PromptsAndKeys:
    def __init__(self, media, emit: Callable[[object], None]):
        self.media, self.emit = media, emit
        self.keypads: dict[str, _Keypad] = {}
        self._tasks: set[asyncio.Task] = set()

    def forget(self, leg_id: str) -> None:
        """The leg is gone: its collection ends without a word."""
        keypad = self.keypads.pop(leg_id, None)
        if keypad is not None and keypad.collect is not None and keypad.collect.timer:
            keypad.collect.timer.cancel()

    # --- prompts ---

    def play(self, leg_id: str, *, playback_id: str, text: str = "", audio: str = "", loop=False):
        if not self.media.has_leg(leg_id):
            return
        task = asyncio.ensure_future(self._play(leg_id, playback_id, text, audio, loop))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _play(self, leg_id, playback_id, text, audio, loop) -> None:
        try:
            await self.media.play(
                leg_id, playback_id=playback_id, text=text, audio=audio, loop=loop
            )
        except Exception:
            logger.exception("Prompt %r / %r could not be played on %s", text, audio, leg_id)
            if not loop and self.media.has_leg(leg_id):
                self.on_playback_done(leg_id, playback_id)

    def on_playback_done(self, leg_id: str, playback_id: str) -> None:
        collect = self._keypad(leg_id).collect
        if collect is not None and playback_id == collect.prompt_id:
            self._wait(leg_id, collect)
            return
        self.emit(PlaybackDone(leg_id, playback_id))

    # --- digits ---

    def collect(self, leg_id, *, text="", audio="", max_digits=1, timeout_ms=5000, terminator=""):
        if not self.media.has_leg(leg_id):
            return
        keypad = self._keypad(leg_id)
        collect = Collect(max_digits=max_digits, timeout=timeout_ms / 1000, terminator=terminator)
        keypad.collect = collect
        typed, keypad.typed = keypad.typed, []
        now = time.monotonic()
        for at, digit in typed:
            if now - at < TYPE_AHEAD_SECONDS and self._add_digit(leg_id, collect, digit):
                return
        if text or audio:
            collect.prompt_id = f"collect-{secrets.token_hex(4)}"
            self.play(leg_id, playback_id=collect.prompt_id, text=text, audio=audio)
        else:
            self._wait(leg_id, collect)

    def on_dtmf(self, leg_id: str, digit: str) -> None:
        if not self.media.has_leg(leg_id):
            return
        keypad = self._keypad(leg_id)
        if keypad.collect is not None:
            self._add_digit(leg_id, keypad.collect, digit)
            return
        keypad.typed.append((time.monotonic(), digit))
        del keypad.typed[:-TYPE_AHEAD_KEPT]
        self.emit(DtmfReceived(leg_id, digit=digit))

    def _keypad(self, leg_id: str) -> _Keypad:
        return self.keypads.setdefault(leg_id, _Keypad())

    def _wait(self, leg_id: str, collect: Collect) -> None:
        if collect.timer is not None:
            collect.timer.cancel()
        collect.timer = asyncio.get_running_loop().call_later(
            collect.timeout, self._done, leg_id, "timeout"
        )

    def _done(self, leg_id: str, reason: str) -> None:
        keypad = self.keypads.get(leg_id)
        if keypad is None or keypad.collect is None:
            return
        collect, keypad.collect = keypad.collect, None
        if collect.timer is not None:
            collect.timer.cancel()
        self.emit(DigitsCollected(leg_id, digits=collect.digits, reason=reason))

    def _add_digit(self, leg_id: str, collect: Collect, digit: str) -> bool:
        """Adds a key press to the running collection; True when it is complete."""
        if collect.prompt_id and not collect.digits:
            self.media.stop_playback(leg_id)  # barge-in
        if collect.terminator and digit == collect.terminator:
            self._done(leg_id, "terminator")
            return True
        collect.digits += digit
        if len(collect.digits) >= collect.max_digits:
            self._done(leg_id, "max")
            return True
        self._wait(leg_id, collect)
        return False
