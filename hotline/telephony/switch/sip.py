"""The `sip` driver: real calls through the B2BUA and the media core.

SIP signalling and RTP run on one asyncio loop in a thread of their own, so a
slow database step of the engine never delays a packet. The engine's
commands (made on the engine's thread, inside a step) are handed to that loop;
what happens on the wire comes back as switch events in a queue that the
engine's runner drains, one step per batch.
"""

import asyncio
import logging
import queue
import shutil
import tempfile
import threading
from pathlib import Path

from hotline.telephony.switch import LegHungUp, RecordedAudio

logger = logging.getLogger(__name__)
COMMAND_TIMEOUT_S = 10


class SipSwitch:
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 5060,
        public_host: str = "",
        realm: str = "hotline",
        rtp_ports: tuple[int, int] = (20000, 30000),
        prompts_dir: Path,
        voice: str = "cmn",
        webrtc_hosts: list[str] | None = None,
        guard=None,
    ):
        self.host, self.requested_port, self.public_host = host, port, public_host or host
        self.realm, self.rtp_ports, self.guard = realm, rtp_ports, guard
        self.prompts_dir, self.voice, self.webrtc_hosts = Path(prompts_dir), voice, webrtc_hosts
        self.events: queue.SimpleQueue = queue.SimpleQueue()
        self.wake = threading.Event()
        self._listener = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.b2bua = None
        self.media = None
        self.keys = None
        self._thread: threading.Thread | None = None
        self._recordings = Path(tempfile.mkdtemp(prefix="hotline-rec-"))

    # --- life ---

    def start(self) -> None:
        ready = threading.Event()
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._run_loop, args=(ready,), name="sip-switch", daemon=True
        )
        self._thread.start()
        ready.wait()
        self._await(self._start())

    def _run_loop(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(ready.set)
        self.loop.run_forever()

    async def _start(self) -> None:
        from hotline.telephony.media.core import MediaCore
        from hotline.telephony.media.keys import PromptsAndKeys
        from hotline.telephony.media.prompts import PromptStore
        from hotline.telephony.sip.b2bua import B2BUA

        self.media = MediaCore(
            host=self.host if self.host not in ("0.0.0.0", "::") else self.public_host,  # noqa: S104
            port_min=self.rtp_ports[0],
            port_max=self.rtp_ports[1],
            prompts=PromptStore(self.prompts_dir, voice=self.voice),
            on_dtmf=self._on_dtmf,
            on_playback_done=self._on_playback_done,
        )
        await self.media.start()
        self.keys = PromptsAndKeys(self.media, self._emit)
        self.b2bua = B2BUA(
            host=self.host,
            port=self.requested_port,
            public_host=self.public_host,
            realm=self.realm,
            media=self.media,
            emit=self._emit,
            on_dtmf=self.keys.on_dtmf,
            guard=self.guard,
        )
        self.b2bua.webrtc_hosts = self.webrtc_hosts
        await self.b2bua.start()

    def stop(self) -> None:
        if self.loop is None:
            return
        try:
            self._await(self._stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=5)
            self.loop.close()
            self.loop = None
            shutil.rmtree(self._recordings, ignore_errors=True)  # calls cut short

    async def _stop(self) -> None:
        await self.b2bua.close()
        await self.media.close()

    @property
    def port(self) -> int:
        return self.b2bua.port

    def set_directory(self, directory) -> None:
        self._soon(self.b2bua.set_directory, directory)

    def registered(self) -> dict[str, str]:
        """Extensions with a live registration, and where they are."""
        return self._await(self._registered())

    async def _registered(self) -> dict[str, str]:
        return {number: str(reg.peer) for number, reg in self.b2bua.registrations.items()}

    def open_legs(self) -> list[str]:
        return self._await(self._open_legs())

    async def _open_legs(self) -> list[str]:
        return self.b2bua.leg_ids()

    def finished_legs(self) -> dict:
        """The media statistics of the legs that ended lately, by leg id."""
        return self._await(self._finished_legs())

    async def _finished_legs(self) -> dict:
        return dict(self.b2bua.finished)

    # --- events to the engine ---

    def set_listener(self, listener) -> None:
        self._listener = listener

    def _emit(self, event) -> None:
        if isinstance(event, LegHungUp):
            self.keys.forget(event.leg_id)
        self.events.put(event)
        self.wake.set()

    def _on_dtmf(self, leg_id: str, digit: str) -> None:
        self.keys.on_dtmf(leg_id, digit)

    def _on_playback_done(self, leg_id: str, playback_id: str) -> None:
        self.keys.on_playback_done(leg_id, playback_id)

    def deliver(self) -> int:
        """Hand the events waiting in the queue to the engine (the caller
        holds the engine's step); returns how many."""
        self.wake.clear()
        count = 0
        while True:
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                return count
            count += 1
            if self._listener is not None:
                self._listener(event)

    # --- the Switch protocol (called on the engine's thread) ---

    def _soon(self, function, *args, **kwargs) -> None:
        self.loop.call_soon_threadsafe(lambda: function(*args, **kwargs))

    def _await(self, coroutine, timeout: float = COMMAND_TIMEOUT_S):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def originate(self, *, leg_id: str, to: str, caller_id: str) -> None:
        self._soon(self.b2bua.originate, leg_id=leg_id, to=to, caller_id=caller_id)

    def answer(self, leg_id: str) -> None:
        self._soon(self.b2bua.answer, leg_id)

    def play(self, leg_id, *, playback_id, text="", audio="", loop=False) -> None:
        self._soon(
            self.keys.play, leg_id, playback_id=playback_id, text=text, audio=audio, loop=loop
        )

    def stop_playback(self, leg_id: str) -> None:
        self._soon(self._media_call, "stop_playback", leg_id)

    def collect(
        self, leg_id, *, text="", audio="", max_digits=1, timeout_ms=5000, terminator="", choices=()
    ) -> None:
        self._soon(
            self.keys.collect,
            leg_id,
            text=text,
            audio=audio,
            max_digits=max_digits,
            timeout_ms=timeout_ms,
            terminator=terminator,
        )

    def record_start(self, leg_id: str) -> None:
        path = self._recordings / f"{leg_id}.wav"
        self._soon(self._media_call, "record_start", leg_id, path)

    def record_stop(self, leg_id: str) -> RecordedAudio | None:
        result = self._await(self._record_stop(leg_id))
        if result is None:
            return None
        path, duration_ms = result
        return RecordedAudio(path=path, duration_ms=duration_ms)

    async def _record_stop(self, leg_id: str):
        return self.media.record_stop(leg_id)

    def bridge(self, leg_a: str, leg_b: str) -> None:
        self._soon(self._media_call, "bridge", leg_a, leg_b)

    def hold(self, leg_id: str) -> None:
        self._soon(self._media_call, "hold", leg_id, True)

    def unhold(self, leg_id: str) -> None:
        self._soon(self._media_call, "hold", leg_id, False)

    def monitor(self, leg_id: str, *, supervisor_leg_id: str, mode: str) -> None:
        self._soon(self._media_call, "monitor", leg_id, supervisor_leg_id, mode)

    def conference(self, leg_ids: list[str]) -> None:
        self._soon(self._media_call, "conference", list(leg_ids))

    def mute(self, leg_id: str, *, on: bool) -> None:
        self._soon(self._media_call, "mute", leg_id, on)

    def send_dtmf(self, leg_id: str, *, digits: str) -> None:
        self._soon(self._media_call, "send_dtmf", leg_id, digits)

    def hangup(self, leg_id: str, *, cause: str = "normal") -> None:
        self._soon(self.b2bua.hangup, leg_id, cause=cause)

    def _media_call(self, name: str, leg_id, *args) -> None:
        legs = leg_id if isinstance(leg_id, list) else [leg_id]
        if not all(self.media.has_leg(leg) for leg in legs):
            return  # the leg went meanwhile
        try:
            getattr(self.media, name)(leg_id, *args)
        except Exception:
            logger.exception("Media %s on %s failed", name, leg_id)

    # --- browser softphones ---

    def webrtc_answer(self, *, extension: str, offer_sdp: str) -> str:
        return self._await(self.b2bua.webrtc_accept(extension, offer_sdp), timeout=20)
