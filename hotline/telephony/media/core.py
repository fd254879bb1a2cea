"""The media core of the `sip` driver: every leg's audio on one asyncio loop.

A leg is either plain RTP (a SIP phone or trunk, G.711 over UDP) or an
``Endpoint`` whose media arrives some other way (a WebRTC browser). Who hears
whom is declared with ``bridge``, ``conference``, ``monitor``, ``hold`` and
``mute``; from that the core works out, after every change, how each leg is
fed:

- relayed: an RTP leg that hears exactly one RTP leg and nothing else gets
  that leg's packets the moment they arrive, rewritten into its own stream
  (transcoded only when the two codecs differ);
- ticked: every other leg gets a frame every 20 ms from the ticker, mixed
  from what it hears, prompts and music on hold, or the packets of an
  RFC 4733 key press.

Incoming audio is decoded only when something needs it: a ticked listener or
a recording. Every method must be called on the loop that ran ``start``.
"""

import asyncio
import contextlib
import errno
import ipaddress
import logging
import secrets
import socket
import time
from collections.abc import Callable
from pathlib import Path

from hotline.telephony.media import g711
from hotline.telephony.media.dtmf import check_digits
from hotline.telephony.media.g711 import (
    CODEC_OF_PAYLOAD_TYPE,
    FRAME_BYTES,
    FRAME_MS,
    PAYLOAD_TYPES,
    SAMPLE_RATE,
    SILENCE,
)
from hotline.telephony.media.legs import (
    Datagrams,
    Endpoint,
    EndpointLeg,
    EndpointSink,
    Leg,
    LegStats,
    Playback,
    RtpLeg,
    mix,
)
from hotline.telephony.media.prompts import PromptStore
from hotline.telephony.media.rtp import RtpPacket, build_rtcp
from hotline.telephony.media.rtp import parse_rtcp as parse_rtcp_packet
from hotline.telephony.media.wav import StereoWavWriter, read_pcm

logger = logging.getLogger(__name__)

__all__ = ["FRAME_BYTES", "FRAME_MS", "Endpoint", "EndpointSink", "LegStats", "MediaCore"]

TICK_SECONDS = FRAME_MS / 1000
HOUSEKEEPING_TICKS = 10  # DTMF end timeouts and RTCP are looked at every 200 ms
LATE_RESYNC_SECONDS = 0.2  # a ticker this late skips ahead instead of bursting
RTCP_INTERVAL_SECONDS = 5.0
NAT_SWITCH_PACKETS = 3
MONITOR_MODES = ("listen", "whisper", "barge")
DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
PCM_CACHE_ENTRIES = 64
FINISHED_RECORDINGS_KEPT = 1000


class EndpointLegSink:
    """The ``EndpointSink`` handed to an endpoint; inert once its leg is gone."""

    def __init__(self, core: "MediaCore", leg: EndpointLeg) -> None:
        self._core, self._leg = core, leg

    def frame(self, pcm: bytes) -> None:
        leg = self._leg
        if leg.closed:
            return
        if len(pcm) % 2:
            pcm = pcm[:-1]  # half a sample is no sample
        leg.frames_in += 1
        leg.bytes_in += len(pcm)
        self._core._refresh()
        if leg.decode:
            leg.inbound.push(pcm, self._core.now())

    def dtmf(self, digit: str) -> None:
        if not self._leg.closed:
            self._core._report_dtmf(self._leg.id, digit)


class MediaCore:
    """All legs of one switch: RTP ports in ``port_min``-``port_max`` on
    ``host``, prompts from ``prompts``. ``on_dtmf(leg_id, digit)`` reports a
    key press, ``on_playback_done(leg_id, playback_id)`` the natural end of a
    prompt that does not loop. Callbacks run on the loop; what they raise is
    logged."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port_min: int = 20000,
        port_max: int = 30000,
        prompts: PromptStore,
        on_dtmf: Callable[[str, str], None],
        on_playback_done: Callable[[str, str], None],
    ) -> None:
        self.host, self.port_min, self.port_max = host, port_min, port_max
        self.prompts = prompts
        self.on_dtmf, self.on_playback_done = on_dtmf, on_playback_done
        self.cname = f"hotline-{secrets.token_hex(6)}"
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ticker: asyncio.Task | None = None
        self._legs: dict[str, Leg] = {}
        self._bridges: dict[str, str] = {}  # both directions
        self._conferences: list[set[str]] = []
        self._monitors: dict[str, tuple[str, str]] = {}  # supervisor → (target, mode)
        self._ticked: list[Leg] = []
        self._decoding: list[Leg] = []
        self._dirty = False
        self._music: bytes | None = None
        self._pcm_cache: dict[tuple[Path, int], bytes] = {}
        self._finished_recordings: dict[str, tuple[Path, int]] = {}
        self._port_cursor = secrets.randbelow(1 << 16)  # ports hard to guess

    def now(self) -> float:
        assert self._loop is not None
        return self._loop.time()

    # --- life ---

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        try:
            self._music = await self._load_pcm(await self.prompts.music_on_hold())
        except Exception:
            logger.exception("No music on hold: held legs will hear silence")
        self._ticker = asyncio.create_task(self._run_ticker(), name="media-ticker")

    async def close(self) -> None:
        for leg_id in list(self._legs):
            self.remove_leg(leg_id)
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None

    # --- legs ---

    async def add_rtp_leg(self, leg_id: str) -> int:
        """Bind an even RTP port and the RTCP port above it; returns the RTP port."""
        if leg_id in self._legs:
            raise ValueError(f"leg {leg_id} exists")
        rtp_socket, rtcp_socket = self._bind_pair()
        leg = RtpLeg(leg_id, rtp_socket.getsockname()[1], lambda d: self._report_dtmf(leg_id, d))
        leg.sockets = [rtp_socket, rtcp_socket]
        leg.next_rtcp = self.now() + RTCP_INTERVAL_SECONDS * (0.5 + secrets.randbelow(500) / 1000)
        self._legs[leg_id] = leg
        try:
            await self._open(leg, rtp_socket, self._rtp_received)
            await self._open(leg, rtcp_socket, self._rtcp_received)
        except BaseException:
            self.remove_leg(leg_id)
            raise
        self._rewire()
        return leg.port

    def set_rtp_remote(
        self,
        leg_id: str,
        *,
        host: str,
        port: int,
        codec: str,
        payload_type: int,
        dtmf_payload_type: int | None,
        direction: str = "sendrecv",
    ) -> None:
        """Where and how to send, from the peer's SDP (``direction`` as the
        peer wrote it: sendonly/inactive mean it will not receive from us)."""
        leg = self._rtp_leg(leg_id)
        if codec not in PAYLOAD_TYPES or direction not in DIRECTIONS:
            raise ValueError(f"unsupported media {codec}/{direction}")
        if (host, port) != leg.sdp_remote:  # a re-INVITE to the same address keeps a NAT latch
            leg.sdp_remote = leg.remote = (host, port)
            leg.rtcp_remote, leg.nat_candidate, leg.nat_count = None, None, 0
        leg.codec, leg.payload_type, leg.direction = codec, payload_type, direction
        leg.dtmf_payload_type = dtmf_payload_type
        self._rewire()

    def add_endpoint_leg(self, leg_id: str, endpoint: Endpoint) -> None:
        if leg_id in self._legs:
            raise ValueError(f"leg {leg_id} exists")
        leg = EndpointLeg(leg_id, endpoint)
        self._legs[leg_id] = leg
        self._rewire()
        endpoint.attach(EndpointLegSink(self, leg))

    def has_leg(self, leg_id: str) -> bool:
        return leg_id in self._legs

    def remove_leg(self, leg_id: str) -> None:
        leg = self._legs.pop(leg_id, None)
        if leg is None:
            return
        leg.closed = True
        leg.playback = leg.playback_request = None
        if leg.recorder is not None:
            self._keep_finished(leg_id, leg.recorder)
            leg.recorder = None
        self._detach(leg_id)
        self._monitors = {s: m for s, m in self._monitors.items() if m[0] != leg_id}
        try:
            leg.close()
        except Exception:
            logger.exception("Closing leg %s failed", leg_id)
        self._rewire()

    def stats(self, leg_id: str) -> LegStats:
        return self._legs[leg_id].stats()

    # --- prompts ---

    async def play(
        self, leg_id: str, *, playback_id: str, text: str = "", audio: str = "", loop: bool = False
    ) -> None:
        """Play a prompt (TTS, an upload or music on hold), replacing the
        current one. Raises what resolving the prompt raised (PromptError,
        FileNotFoundError, ValueError); returns once it has started."""
        leg = self._legs[leg_id]
        request = leg.playback_request = object()
        self._set_playback(leg, None)
        pcm = await self._load_pcm(await self.prompts.resolve(text=text, audio=audio))
        if leg.closed or leg.playback_request is not request:
            return  # stopped, replaced or hung up while the prompt was made
        self._set_playback(leg, Playback(pcm, loop=loop, playback_id=playback_id))

    def stop_playback(self, leg_id: str) -> None:
        leg = self._legs[leg_id]
        leg.playback_request = None
        self._set_playback(leg, None)

    # --- who hears whom ---

    def bridge(self, a: str, b: str) -> None:
        self._require(a, b)
        if a == b:
            raise ValueError("a leg cannot be bridged to itself")
        self._detach(a)
        self._detach(b)
        self._bridges[a], self._bridges[b] = b, a
        self._rewire()

    def unbridge(self, leg_id: str) -> None:
        self._detach(leg_id)
        self._rewire()

    def conference(self, leg_ids: list[str]) -> None:
        members = set(leg_ids)
        self._require(*members)
        for leg_id in members:
            self._detach(leg_id)
        if len(members) > 1:
            self._conferences.append(members)
        self._rewire()

    def monitor(self, target: str, supervisor: str, mode: str) -> None:
        if mode not in MONITOR_MODES:
            raise ValueError(f"unknown monitor mode {mode!r}")
        self._require(target, supervisor)
        if target == supervisor:
            raise ValueError("a leg cannot monitor itself")
        self._detach(supervisor)
        self._monitors[supervisor] = (target, mode)
        self._rewire()

    def hold(self, leg_id: str, on: bool) -> None:
        leg = self._legs[leg_id]
        if on != leg.held:
            leg.held = on
            leg.hold_music = Playback(self._music, loop=True) if on and self._music else None
            self._rewire()

    def mute(self, leg_id: str, on: bool) -> None:
        self._legs[leg_id].muted = on
        self._rewire()

    # --- recording and keys ---

    def record_start(self, leg_id: str, path: Path) -> None:
        leg = self._legs[leg_id]
        if leg.recorder is not None:
            logger.warning("Leg %s was already recording to %s", leg_id, leg.recorder.path)
            leg.recorder.close()
        leg.recorder = StereoWavWriter(path)
        self._finished_recordings.pop(leg_id, None)
        self._rewire()

    def record_stop(self, leg_id: str) -> tuple[Path, int] | None:
        leg = self._legs.get(leg_id)
        if leg is None or leg.recorder is None:
            return self._finished_recordings.pop(leg_id, None)
        recorder, leg.recorder = leg.recorder, None
        self._rewire()
        return recorder.path, recorder.close()

    def send_dtmf(self, leg_id: str, digits: str) -> None:
        digits = check_digits(digits)
        leg = self._legs[leg_id]
        if not isinstance(leg, RtpLeg) or leg.dtmf_payload_type is None or not leg.can_send:
            logger.info("No telephone-event negotiated on %s: keys %s not sent", leg_id, digits)
            return
        leg.dtmf_out.queue(digits)
        self._rewire()

    # --- internals: topology ---

    def _require(self, *leg_ids: str) -> None:
        for leg_id in leg_ids:
            if leg_id not in self._legs:
                raise KeyError(leg_id)

    def _rtp_leg(self, leg_id: str) -> RtpLeg:
        leg = self._legs[leg_id]
        if not isinstance(leg, RtpLeg):
            raise TypeError(f"leg {leg_id} is not an RTP leg")
        return leg

    def _detach(self, leg_id: str) -> None:
        """Out of its bridge, its conference, and its place as a supervisor."""
        partner = self._bridges.pop(leg_id, None)
        if partner is not None:
            self._bridges.pop(partner, None)
        for members in self._conferences:
            members.discard(leg_id)
        self._conferences = [members for members in self._conferences if len(members) > 1]
        self._monitors.pop(leg_id, None)

    def _listen_map(self) -> dict[str, set[str]]:
        listens: dict[str, set[str]] = {leg_id: set() for leg_id in self._legs}
        for leg_id, partner in self._bridges.items():
            listens[leg_id].add(partner)
        for members in self._conferences:
            for leg_id in members:
                listens[leg_id] |= members - {leg_id}
        partners = {leg_id: set(heard) for leg_id, heard in listens.items()}
        for supervisor, (target, mode) in self._monitors.items():
            listens[supervisor] |= {target} | partners[target]
            if mode != "listen":
                listens[target].add(supervisor)
            if mode == "barge":
                for partner in partners[target]:
                    listens[partner].add(supervisor)
        return listens

    def _rewire(self) -> None:
        """Note a change of who hears whom; ``_refresh`` applies it before the
        next packet or tick, so a burst of changes costs one pass."""
        self._dirty = True

    def _refresh(self) -> None:
        """Work out which legs are relayed, ticked and decoded."""
        if not self._dirty:
            return
        self._dirty = False
        legs = self._legs
        for leg_id, heard in self._listen_map().items():
            legs[leg_id].listens = tuple(legs[other] for other in sorted(heard))
        for leg in legs.values():
            leg.relay_to, leg.relay_fed = None, False
        for leg in legs.values():
            source = self._relay_source(leg)
            if source is not None and source.relay_to is None:
                source.relay_to, leg.relay_fed = leg, True
        self._ticked = [leg for leg in legs.values() if not leg.relay_fed or leg.recorder]
        mixed = {source for leg in self._ticked if not leg.relay_fed for source in leg.listens}
        decoding = mixed | {leg for leg in legs.values() if leg.recorder}
        for leg in self._ticked:
            decoding.update(leg.listens)  # a recorded relayed leg: what it hears
        for leg in legs.values():
            leg.decode, leg.mixed = leg in decoding, leg in mixed
            if not leg.decode:
                leg.inbound.clear()
        self._decoding = list(decoding)

    @staticmethod
    def _relay_source(leg: Leg) -> "RtpLeg | None":
        if not isinstance(leg, RtpLeg) or not leg.can_send or len(leg.listens) != 1:
            return None
        if leg.playback or leg.held or leg.dtmf_out.active:
            return None
        source = leg.listens[0]
        if not isinstance(source, RtpLeg) or source.muted or source.held:
            return None
        return source

    def _set_playback(self, leg: Leg, playback: Playback | None) -> None:
        changed = (leg.playback is None) != (playback is None)
        leg.playback = playback
        if changed:
            self._rewire()

    # --- internals: packets ---

    def _rtp_received(self, leg: RtpLeg, data: bytes, addr: tuple) -> None:
        try:
            self._handle_rtp(leg, data, addr)
        except Exception:
            logger.exception("RTP packet on %s not handled", leg.id)

    def _handle_rtp(self, leg: RtpLeg, data: bytes, addr: tuple) -> None:
        self._refresh()
        remote = leg.remote
        if leg.closed or remote is None:
            return
        if addr[0] != remote[0] or addr[1] != remote[1]:
            if not self._latch(leg, addr):
                return
        elif leg.nat_count:
            leg.nat_candidate, leg.nat_count = None, 0
        try:
            packet = RtpPacket.parse(data)
        except ValueError:
            return
        now = self._loop.time()
        leg.packets_in += 1
        leg.bytes_in += len(packet.payload)
        payload_type = packet.payload_type
        if payload_type == leg.dtmf_payload_type:
            leg.jitter.update(packet.sequence, now, ssrc=packet.ssrc)
            with contextlib.suppress(ValueError):  # an event that is not a key
                leg.dtmf_in.packet(packet.payload, packet.timestamp, now)
            return
        leg.jitter.update(packet.sequence, now, packet.timestamp, packet.ssrc)
        if payload_type == leg.payload_type:
            codec = leg.codec
        else:
            codec = CODEC_OF_PAYLOAD_TYPE.get(payload_type)
            if codec is None:
                return  # comfort noise or a payload we never offered
        destination = leg.relay_to
        if destination is not None:
            self._relay(leg, destination, packet, codec, now)
        if leg.decode:
            leg.inbound.push(g711.decode(packet.payload, codec), now)

    def _relay(
        self, source: RtpLeg, destination: RtpLeg, packet: RtpPacket, codec: str, now: float
    ) -> None:
        payload = packet.payload
        if codec != destination.codec:
            payload = g711.encode(g711.decode(payload, codec), destination.codec)
        out = destination.out
        timestamp, marker = out.relay_timestamp(now, (source.id, packet.ssrc), packet.timestamp)
        marker = marker or packet.marker
        destination.transmit(out.packet(destination.payload_type, payload, timestamp, marker))
        source.delays.append(self._loop.time() - now)

    def _latch(self, leg: RtpLeg, addr: tuple) -> bool:
        """Symmetric RTP: after a few packets from another address, send there."""
        if addr != leg.nat_candidate:
            leg.nat_candidate, leg.nat_count = addr, 0
        leg.nat_count += 1
        if leg.nat_count < NAT_SWITCH_PACKETS:
            return False
        logger.info("Leg %s: media comes from %s, sending there", leg.id, addr)
        leg.remote, leg.rtcp_remote = (addr[0], addr[1]), None
        leg.nat_candidate, leg.nat_count = None, 0
        return True

    def _rtcp_received(self, leg: RtpLeg, data: bytes, addr: tuple) -> None:
        try:
            reports = parse_rtcp_packet(data)
        except ValueError:
            return  # malformed RTCP is ignored
        for report in reports:
            if report.ntp_middle is not None:
                leg.peer_sr = (report.ntp_middle, self.now())
            for block in report.blocks:
                if block.ssrc == leg.out.ssrc:
                    leg.peer_fraction_lost = block.fraction
                    leg.peer_jitter_ms = block.jitter * 1000 / SAMPLE_RATE
        if reports and leg.remote is not None and addr[0] == leg.remote[0]:
            leg.rtcp_remote = addr

    def _send_rtcp(self, leg: RtpLeg, now: float) -> None:
        leg.next_rtcp = now + RTCP_INTERVAL_SECONDS
        if leg.remote is None or not (leg.out.packets or leg.jitter.received):
            return
        block = None
        if leg.jitter.received:
            last_sr, delay = 0, 0
            if leg.peer_sr is not None:
                last_sr, delay = leg.peer_sr[0], int((now - leg.peer_sr[1]) * 65536)
            block = leg.jitter.report_block(last_sr=last_sr, delay_since_last_sr=delay)
        packet = build_rtcp(
            ssrc=leg.out.ssrc,
            cname=self.cname,
            wall_clock=time.time(),
            rtp_timestamp=leg.out.timestamp_at(now),
            packets=leg.out.packets,
            octets=leg.out.octets,
            block=block,
        )
        destination = leg.rtcp_remote or (leg.remote[0], leg.remote[1] + 1)
        leg.transports[1].sendto(packet, destination)

    def _report_dtmf(self, leg_id: str, digit: str) -> None:
        try:
            self.on_dtmf(leg_id, digit)
        except Exception:
            logger.exception("on_dtmf(%s, %s) failed", leg_id, digit)

    # --- internals: the ticker ---

    async def _run_ticker(self) -> None:
        loop = self._loop
        next_tick, count = loop.time(), 0
        while True:
            next_tick += TICK_SECONDS
            delay = next_tick - loop.time()
            if delay < -LATE_RESYNC_SECONDS:
                next_tick = loop.time()  # stalled: skip the lost ticks instead of bursting
            await asyncio.sleep(max(0.0, delay))
            try:
                self._tick(next_tick)
            except Exception:
                logger.exception("Media tick failed")
            count += 1
            if count % HOUSEKEEPING_TICKS == 0:
                self._housekeeping(loop.time())

    def _tick(self, now: float) -> None:
        self._refresh()
        said: dict[Leg, bytes] = {}
        for leg in self._decoding:
            frame, waited = leg.inbound.take(now)
            if frame is not None and leg.mixed:
                leg.delays.append(waited)
            said[leg] = SILENCE if frame is None or leg.muted or leg.held else frame
        finished: list[Leg] = []
        rewire = False
        for leg in self._ticked:
            heard = self._hearing(leg, said)
            if not leg.relay_fed and leg.can_send:
                rewire |= self._send(leg, heard, now)
            if leg.recorder is not None:
                self._record(leg, said.get(leg, SILENCE), heard)
            if leg.playback is not None and leg.playback.finished:
                finished.append(leg)
        for leg in finished:
            if not leg.closed:  # an earlier callback may have removed it
                self._playback_finished(leg)
        if rewire:
            self._rewire()

    def _hearing(self, leg: Leg, said: dict[Leg, bytes]) -> bytes:
        if leg.held:
            return leg.hold_music.next_frame() if leg.hold_music else SILENCE
        frames = [said[source] for source in leg.listens]
        if leg.playback is not None:
            frames.append(leg.playback.next_frame())
        return mix(frames)

    def _send(self, leg: Leg, pcm: bytes, now: float) -> bool:
        """Send one frame; True when a key press just ended (the leg may be relayed again)."""
        sending_keys = isinstance(leg, RtpLeg) and leg.dtmf_out.active
        try:
            leg.send_frame(pcm, now)
        except Exception:
            logger.exception("Sending to leg %s failed", leg.id)
        return sending_keys and not leg.dtmf_out.active

    def _record(self, leg: Leg, said: bytes, heard: bytes) -> None:
        try:
            leg.recorder.write(said, heard)
        except OSError:  # a full disk ends this recording, not everyone's audio
            logger.exception("Recording of leg %s failed; it ends here", leg.id)
            self._keep_finished(leg.id, leg.recorder)
            leg.recorder = None
            self._rewire()

    def _playback_finished(self, leg: Leg) -> None:
        playback = leg.playback
        leg.playback_request = None
        self._set_playback(leg, None)
        try:
            self.on_playback_done(leg.id, playback.playback_id)
        except Exception:
            logger.exception("on_playback_done(%s) failed", leg.id)

    def _housekeeping(self, now: float) -> None:
        for leg in list(self._legs.values()):
            if not isinstance(leg, RtpLeg):
                continue
            try:
                leg.dtmf_in.poll(now)
                if not leg.closed and now >= leg.next_rtcp:
                    self._send_rtcp(leg, now)
            except Exception:
                logger.exception("Housekeeping of leg %s failed", leg.id)

    # --- internals: sockets and files ---

    def _bind_pair(self) -> tuple[socket.socket, socket.socket]:
        first = self.port_min + self.port_min % 2
        pairs = max(0, (self.port_max - 1 - first) // 2 + 1)
        for _ in range(pairs):
            port = first + 2 * (self._port_cursor % pairs)
            self._port_cursor += 1
            rtp = self._bind(port)
            if rtp is None:
                continue
            rtcp = self._bind(port + 1)
            if rtcp is not None:
                return rtp, rtcp
            rtp.close()
        raise OSError(errno.EADDRINUSE, f"no free RTP port pair in {self.port_min}-{self.port_max}")

    def _bind(self, port: int) -> socket.socket | None:
        try:
            family = (
                socket.AF_INET6 if ipaddress.ip_address(self.host).version == 6 else socket.AF_INET
            )
        except ValueError:
            family = socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.bind((self.host, port))
        except OSError:
            sock.close()
            return None
        sock.setblocking(False)
        return sock

    async def _open(self, leg: RtpLeg, sock: socket.socket, handler: Callable) -> None:
        def received(data: bytes, addr: tuple) -> None:
            handler(leg, data, addr)

        transport, _ = await self._loop.create_datagram_endpoint(
            lambda: Datagrams(received), sock=sock
        )
        leg.transports.append(transport)

    async def _load_pcm(self, path: Path) -> bytes:
        key = (path, path.stat().st_mtime_ns)
        pcm = self._pcm_cache.get(key)
        if pcm is None:
            pcm = await self._loop.run_in_executor(None, read_pcm, path)
            if len(self._pcm_cache) >= PCM_CACHE_ENTRIES:
                self._pcm_cache.pop(next(iter(self._pcm_cache)))
            self._pcm_cache[key] = pcm
        return pcm

    def _keep_finished(self, leg_id: str, recorder: StereoWavWriter) -> None:
        try:
            duration_ms = recorder.close()
        except OSError:
            logger.exception("Recording %s could not be finalised", recorder.path)
            duration_ms = recorder.duration_ms
        self._finished_recordings[leg_id] = (recorder.path, duration_ms)
        if len(self._finished_recordings) > FINISHED_RECORDINGS_KEPT:
            self._finished_recordings.pop(next(iter(self._finished_recordings)))
