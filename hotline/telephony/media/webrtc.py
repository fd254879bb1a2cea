"""Browser softphones of the `sip` driver: one aiortc peer connection per
agent desktop, made when the desktop connects and reused for every call.

The media core speaks 8 kHz mono s16le in 20 ms frames; a browser speaks Opus
(or G.711) over DTLS-SRTP. ``WebRtcPhone.endpoint`` is the bridge: what the
microphone sends is resampled and cut into 20 ms frames for the core's sink,
and what the core sends is played to the browser from a paced track that
fills gaps with silence.

Only host candidates are offered (no STUN or TURN), on the addresses of
``TELEPHONY["WEBRTC_HOSTS"]`` when that is set; see ``restrict_ice_hosts``.
Everything here runs on the one asyncio loop of the SIP and media side.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from fractions import Fraction
from typing import TYPE_CHECKING

import aioice.ice
import av
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.exceptions import InternalError, InvalidStateError, OperationError
from aiortc.mediastreams import MediaStreamError
from aiortc.sdp import SessionDescription

if TYPE_CHECKING:
    from hotline.telephony.media.legs import EndpointSink

logger = logging.getLogger(__name__)

SAMPLE_RATE = 8000
FRAME_SAMPLES = 160  # 20 ms
FRAME_BYTES = FRAME_SAMPLES * 2
FRAME_SECONDS = FRAME_SAMPLES / SAMPLE_RATE
# What the core sent but the browser has not heard yet is capped, so a clock
# drift between the two can never grow the delay past this.
MAX_QUEUED_BYTES = 10 * FRAME_BYTES
PREFERRED_CODECS = ("audio/opus", "audio/PCMU", "audio/PCMA")
ENDED_STATES = ("failed", "closed")
SILENCE = bytes(FRAME_BYTES)


# --- which addresses become ICE host candidates -------------------------------
#
# aioice gathers a host candidate on every address of every interface except
# loopback, and aiortc has no setting to change that. The function it calls,
# ``aioice.ice.get_host_addresses``, is replaced once by one that keeps to the
# addresses set in a context variable, and behaves exactly like the original
# where none are set. aiortc gathers in tasks started from the caller's task,
# so the restriction reaches exactly the gathering done inside the ``with``.

_allowed_hosts: ContextVar[frozenset[str] | None] = ContextVar(
    "hotline_webrtc_allowed_hosts", default=None
)
_aioice_get_host_addresses: Callable[..., list[str]] | None = None
LOOPBACK = {"ipv4": "127.0.0.1", "ipv6": "::1"}


def _normalised(address: str) -> str:
    return ipaddress.ip_address(address.strip()).compressed


def _host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    assert _aioice_get_host_addresses is not None
    addresses = _aioice_get_host_addresses(use_ipv4=use_ipv4, use_ipv6=use_ipv6)
    allowed = _allowed_hosts.get()
    if allowed is None:
        return addresses
    # aioice leaves loopback out; it is a valid choice when asked for by name.
    if use_ipv4:
        addresses = [*addresses, LOOPBACK["ipv4"]]
    if use_ipv6:
        addresses = [*addresses, LOOPBACK["ipv6"]]
    chosen = [address for address in addresses if _normalised(address) in allowed]
    if not chosen:
        logger.error(
            "None of the WebRTC hosts %s is an address of this machine (it has %s)",
            sorted(allowed),
            addresses,
        )
    return chosen


def _install_host_filter() -> None:
    global _aioice_get_host_addresses
    if _aioice_get_host_addresses is None:
        _aioice_get_host_addresses = aioice.ice.get_host_addresses
        aioice.ice.get_host_addresses = _host_addresses


@contextlib.contextmanager
def restrict_ice_hosts(hosts: Iterable[str] | None) -> Iterator[None]:
    """Within the block, ICE gathering of this task offers host candidates on
    ``hosts`` only (loopback included if listed). Empty or None: every
    address but loopback, as aioice does by itself."""
    allowed = frozenset(_normalised(host) for host in hosts or ())
    if not allowed:
        yield
        return
    _install_host_filter()
    token = _allowed_hosts.set(allowed)
    try:
        yield
    finally:
        _allowed_hosts.reset(token)


# --- audio between the browser and the media core -------------------------------


class PacedPcmTrack(MediaStreamTrack):
    """The audio the browser hears: 20 ms frames of 8 kHz mono s16, one every
    20 ms, taken from what was pushed, or silence when nothing came in time."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._queued = bytearray()
        self._start: float | None = None
        self._pts = 0

    def push(self, pcm: bytes) -> None:
        self._queued += pcm
        overflow = len(self._queued) - MAX_QUEUED_BYTES
        if overflow > 0:
            del self._queued[: overflow + (-overflow % 2)]

    def clear(self) -> None:
        self._queued.clear()

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        await self._wait_for_next_frame()
        return pcm_frame(self._take(), pts=self._pts)

    async def _wait_for_next_frame(self) -> None:
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
            return
        self._pts += FRAME_SAMPLES
        delay = self._start + self._pts / SAMPLE_RATE - loop.time()
        await asyncio.sleep(max(0.0, delay))

    def _take(self) -> bytes:
        if len(self._queued) < FRAME_BYTES:
            return SILENCE
        chunk = bytes(self._queued[:FRAME_BYTES])
        del self._queued[:FRAME_BYTES]
        return chunk


def pcm_frame(pcm: bytes, *, pts: int) -> av.AudioFrame:
    """A 20 ms av frame of 8 kHz mono s16 from ``FRAME_BYTES`` of PCM."""
    frame = av.AudioFrame(format="s16", layout="mono", samples=FRAME_SAMPLES)
    frame.planes[0].update(pcm)
    frame.sample_rate = SAMPLE_RATE
    frame.pts = pts
    frame.time_base = Fraction(1, SAMPLE_RATE)
    return frame


class PcmChunker:
    """Turns av frames of any rate and layout into 20 ms of 8 kHz mono s16."""

    def __init__(self) -> None:
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        self._pending = bytearray()

    def feed(self, frame: av.AudioFrame) -> list[bytes]:
        for resampled in self._resampler.resample(frame):
            # Planes may be padded past the samples they hold.
            self._pending += bytes(resampled.planes[0])[: resampled.samples * 2]
        chunks = []
        while len(self._pending) >= FRAME_BYTES:
            chunks.append(bytes(self._pending[:FRAME_BYTES]))
            del self._pending[:FRAME_BYTES]
        return chunks


class BrowserEndpoint:
    """The ``Endpoint`` of the media core for one browser. The connection
    outlives calls: ``close`` ends one call's use of it (the sink is let go,
    unplayed audio dropped) and a later ``attach`` serves the next call."""

    def __init__(self, track: PacedPcmTrack) -> None:
        self._track = track
        self._sink: EndpointSink | None = None

    def attach(self, sink: EndpointSink) -> None:
        self._sink = sink

    def send(self, pcm: bytes) -> None:
        self._track.push(pcm)

    def close(self) -> None:
        self._sink = None
        self._track.clear()

    def deliver(self, pcm: bytes) -> None:
        """A 20 ms frame from the microphone, for the attached sink if any."""
        sink = self._sink
        if sink is None:
            return
        try:
            sink.frame(pcm)
        except Exception:
            logger.exception("The sink of a browser endpoint failed on a frame")


# --- the softphone ----------------------------------------------------------------


class WebRtcPhone:
    """The browser softphone of one extension: one peer connection, answered
    once with ``accept`` and kept for every call until ``close`` or until the
    browser goes away. ``on_closed`` (no arguments) is called once when the
    connection ends, for whatever reason, ``close`` included."""

    def __init__(self, *, extension: str, hosts: list[str] | None = None) -> None:
        self.extension = extension
        self.hosts = [_normalised(host) for host in hosts or []]
        self.on_closed: Callable[[], None] | None = None
        self._playout = PacedPcmTrack()
        self.endpoint = BrowserEndpoint(self._playout)
        self._pc: RTCPeerConnection | None = None
        self._reader: asyncio.Task | None = None
        self._closing: asyncio.Task | None = None
        self._closed = False

    @property
    def connected(self) -> bool:
        return not self._closed and self._pc is not None and self._pc.connectionState == "connected"

    async def accept(self, offer_sdp: str) -> str:
        """Answer the browser's offer; returns the answer SDP with every
        candidate in it (gathering is complete). ValueError: the offer is not
        one this phone can answer (not SDP, not audio only, no common codec)."""
        if self._pc is not None:
            raise RuntimeError(f"The softphone of {self.extension} has already answered an offer")
        _check_audio_offer(offer_sdp)
        self._pc = pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pc.on("track", self._on_track)
        pc.on("connectionstatechange", self._on_connection_state)
        transceiver = pc.addTransceiver(self._playout, direction="sendrecv")
        transceiver.setCodecPreferences(_preferred_codecs())
        try:
            with restrict_ice_hosts(self.hosts):
                await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
                await pc.setLocalDescription(await pc.createAnswer())
        except (OperationError, InternalError, InvalidStateError, ValueError) as error:
            await self.close()
            raise ValueError(f"The browser's offer cannot be answered: {error}") from error
        except BaseException:
            await self.close()
            raise
        return pc.localDescription.sdp

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.endpoint.close()
        self._playout.stop()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._pc is not None:
            await self._pc.close()
        self._notify_closed()

    def _notify_closed(self) -> None:
        if self.on_closed is None:
            return
        try:
            self.on_closed()
        except Exception:
            logger.exception("on_closed of the softphone of %s failed", self.extension)

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind == "audio" and self._reader is None:
            self._reader = asyncio.ensure_future(self._read_microphone(track))

    def _on_connection_state(self) -> None:
        state = self._pc.connectionState if self._pc is not None else "closed"
        logger.info("Softphone of %s: connection %s", self.extension, state)
        if state in ENDED_STATES and self._closing is None:
            self._closing = asyncio.ensure_future(self.close())

    async def _read_microphone(self, track: MediaStreamTrack) -> None:
        chunker = PcmChunker()
        try:
            while True:
                frame = await track.recv()
                for pcm in chunker.feed(frame):
                    self.endpoint.deliver(pcm)
        except MediaStreamError:
            return  # the browser's track ended with the connection
        except Exception:
            logger.exception("The microphone of the softphone of %s failed", self.extension)


def _preferred_codecs() -> list:
    codecs = RTCRtpSender.getCapabilities("audio").codecs
    return [
        codec
        for mime in PREFERRED_CODECS
        for codec in codecs
        if codec.mimeType.lower() == mime.lower()
    ]


def _check_audio_offer(offer_sdp: str) -> None:
    try:
        kinds = [media.kind for media in SessionDescription.parse(offer_sdp).media]
    except Exception as error:
        raise ValueError(f"The browser's offer is not valid SDP: {error}") from error
    if "audio" not in kinds or set(kinds) != {"audio"}:
        raise ValueError(f"The browser's offer must have audio only, not {kinds or 'nothing'}")
