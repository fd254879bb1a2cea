"""The legs of the media core: what each one holds (its RTP socket and
streams, or its endpoint; decoded audio waiting for the ticker; a prompt
playing; a recording) and how it sends a frame. Who hears whom is the core's
business (core.py); a leg only knows where its own audio goes."""

import asyncio
import logging
import socket
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from hotline.telephony.media import g711
from hotline.telephony.media.dtmf import DtmfReceiver, DtmfSender
from hotline.telephony.media.g711 import FRAME_BYTES, SAMPLE_RATE, SILENCE, audioop
from hotline.telephony.media.rtp import JitterStats, OutboundStream
from hotline.telephony.media.wav import StereoWavWriter

logger = logging.getLogger(__name__)

INBOUND_CAP_BYTES = 6 * FRAME_BYTES  # drop the oldest audio beyond 120 ms
PREBUFFER_BYTES = 2 * FRAME_BYTES  # after running dry, wait for 40 ms of audio
DELAY_SAMPLES = 1000
PEER_RECEIVES = ("sendrecv", "recvonly")  # the peer's SDP direction lets us send
BYTES_PER_SECOND = SAMPLE_RATE * 2


class EndpointSink(Protocol):
    """Where an endpoint delivers what its user says (on the core's loop)."""

    def frame(self, pcm: bytes) -> None: ...

    def dtmf(self, digit: str) -> None: ...


class Endpoint(Protocol):
    """A leg whose media does not come over plain RTP (a WebRTC browser)."""

    def attach(self, sink: EndpointSink) -> None: ...

    def send(self, pcm: bytes) -> None: ...  # every 20 ms: what the leg hears

    def close(self) -> None: ...


@dataclass
class LegStats:
    packets_in: int = 0
    packets_out: int = 0
    bytes_in: int = 0  # payload octets (PCM bytes for an endpoint)
    bytes_out: int = 0
    lost: int = 0
    jitter_ms: float = 0.0
    peer_fraction_lost: float = 0.0  # from the peer's RTCP reports, 0..1
    peer_jitter_ms: float = 0.0
    relay_delay_p99_ms: float = 0.0  # receiving a packet → relaying it (or its frame)


class InboundAudio:
    """Decoded audio a leg said, waiting for the ticker: a few frames at most."""

    __slots__ = ("last_push", "pcm", "primed")

    def __init__(self) -> None:
        self.pcm = bytearray()
        self.primed = False
        self.last_push = 0.0

    def push(self, pcm: bytes, now: float) -> None:
        self.pcm += pcm
        if len(self.pcm) > INBOUND_CAP_BYTES:
            del self.pcm[: len(self.pcm) - INBOUND_CAP_BYTES]
        self.last_push = now

    def take(self, now: float) -> tuple[bytes | None, float]:
        """The next frame (or None) and about how long it waited here."""
        size = len(self.pcm)
        if not self.primed and size < PREBUFFER_BYTES:
            return None, 0.0
        if size == 0:
            self.primed = False
            return None, 0.0
        frame = bytes(self.pcm[:FRAME_BYTES]).ljust(FRAME_BYTES, b"\0")
        del self.pcm[:FRAME_BYTES]
        self.primed = size > FRAME_BYTES
        return frame, max(0.0, now - self.last_push + len(self.pcm) / BYTES_PER_SECOND)

    def clear(self) -> None:
        self.pcm.clear()
        self.primed = False


class Playback:
    __slots__ = ("loop", "pcm", "playback_id", "position")

    def __init__(self, pcm: bytes, *, loop: bool, playback_id: str = "") -> None:
        self.pcm, self.loop, self.playback_id, self.position = pcm, loop, playback_id, 0

    @property
    def finished(self) -> bool:
        return not self.loop and self.position >= len(self.pcm)

    def next_frame(self) -> bytes:
        end = self.position + FRAME_BYTES
        frame = self.pcm[self.position : end]
        self.position = end
        if len(frame) < FRAME_BYTES and self.loop and self.pcm:
            self.position = FRAME_BYTES - len(frame)
            frame += self.pcm[: self.position]
        return frame.ljust(FRAME_BYTES, b"\0")


class Leg:
    """What every leg has, whatever carries its media."""

    def __init__(self, leg_id: str) -> None:
        self.id = leg_id
        self.closed = False
        self.inbound = InboundAudio()
        self.delays: deque[float] = deque(maxlen=DELAY_SAMPLES)
        self.muted = self.held = False
        self.playback: Playback | None = None
        self.playback_request: object = None  # the play() call that may still start
        self.hold_music: Playback | None = None
        self.recorder: StereoWavWriter | None = None
        self.listens: tuple[Leg, ...] = ()
        self.relay_to: RtpLeg | None = None
        self.relay_fed = False
        self.decode = False
        self.mixed = False  # heard by a ticked leg: its frames are relayed by the ticker

    @property
    def can_send(self) -> bool:
        return True

    def send_frame(self, pcm: bytes, now: float) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def stats(self) -> LegStats:
        stats = LegStats()
        if self.delays:
            ordered = sorted(self.delays)
            stats.relay_delay_p99_ms = ordered[int(0.99 * (len(ordered) - 1))] * 1000
        return stats


class EndpointLeg(Leg):
    def __init__(self, leg_id: str, endpoint: Endpoint) -> None:
        super().__init__(leg_id)
        self.endpoint = endpoint
        self.frames_in = self.frames_out = self.bytes_in = self.bytes_out = 0

    def send_frame(self, pcm: bytes, now: float) -> None:
        self.frames_out += 1
        self.bytes_out += len(pcm)
        self.endpoint.send(pcm)

    def close(self) -> None:
        self.endpoint.close()

    def stats(self) -> LegStats:
        stats = super().stats()
        stats.packets_in, stats.bytes_in = self.frames_in, self.bytes_in
        stats.packets_out, stats.bytes_out = self.frames_out, self.bytes_out
        return stats


class Datagrams(asyncio.DatagramProtocol):
    def __init__(self, received: Callable[[bytes, tuple], None]) -> None:
        self.received = received

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        self.received(data, addr)

    def error_received(self, exc: Exception) -> None:
        logger.debug("RTP socket error: %s", exc)  # ICMP unreachable from a gone peer


class RtpLeg(Leg):
    def __init__(self, leg_id: str, port: int, on_digit: Callable[[str], None]) -> None:
        super().__init__(leg_id)
        self.port = port
        self.sockets: list[socket.socket] = []
        self.transports: list[asyncio.DatagramTransport] = []
        self.sdp_remote: tuple[str, int] | None = None
        self.remote: tuple[str, int] | None = None  # where we send: SDP, or latched (NAT)
        self.rtcp_remote: tuple | None = None
        self.codec, self.payload_type = "PCMU", 0
        self.dtmf_payload_type: int | None = None
        self.direction = "sendrecv"
        self.out = OutboundStream()
        self.jitter = JitterStats()
        self.dtmf_in = DtmfReceiver(on_digit)
        self.dtmf_out = DtmfSender()
        self.dtmf_timestamp = 0
        self.nat_candidate: tuple | None = None
        self.nat_count = 0
        self.packets_in = self.bytes_in = 0
        self.peer_fraction_lost = self.peer_jitter_ms = 0.0
        self.peer_sr: tuple[int, float] | None = None  # (NTP middle, when) of its last SR
        self.next_rtcp = 0.0

    @property
    def can_send(self) -> bool:
        return self.remote is not None and self.direction in PEER_RECEIVES

    def transmit(self, data: bytes) -> None:
        self.transports[0].sendto(data, self.remote)

    def send_frame(self, pcm: bytes, now: float) -> None:
        timestamp, marker = self.out.frame_timestamp(now)
        if self.dtmf_out.active:
            self._send_dtmf_step(timestamp)
            return
        payload = g711.encode(pcm, self.codec)
        self.transmit(self.out.packet(self.payload_type, payload, timestamp, marker))

    def _send_dtmf_step(self, timestamp: int) -> None:
        step = self.dtmf_out.tick()
        if step is None or self.dtmf_payload_type is None:
            return  # the gap between two keys
        if step.starts_event:
            self.dtmf_timestamp = timestamp
        packet = self.out.packet(
            self.dtmf_payload_type, step.payload, self.dtmf_timestamp, step.marker
        )
        self.transmit(packet)

    def close(self) -> None:
        for transport in self.transports:
            transport.abort()
        self.transports.clear()  # they point back here (their protocol's handler)
        for sock in self.sockets:  # now, so the ports are free when remove_leg returns
            sock.close()

    def stats(self) -> LegStats:
        stats = super().stats()
        stats.packets_in, stats.bytes_in = self.packets_in, self.bytes_in
        stats.packets_out, stats.bytes_out = self.out.packets, self.out.octets
        stats.lost, stats.jitter_ms = self.jitter.lost, self.jitter.jitter_ms
        stats.peer_fraction_lost, stats.peer_jitter_ms = (
            self.peer_fraction_lost,
            self.peer_jitter_ms,
        )
        return stats


def mix(frames: list[bytes]) -> bytes:
    if not frames:
        return SILENCE
    mixed = frames[0]
    for frame in frames[1:]:
        mixed = audioop.add(mixed, frame, 2)  # saturates rather than wraps
    return mixed
