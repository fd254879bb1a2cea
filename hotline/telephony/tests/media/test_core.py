"""The media core against fake phones: plain UDP sockets on 127.0.0.1 that
send tones as G.711 RTP and keep every packet they receive."""

import array
import asyncio
import contextlib
import itertools
import math
import socket
import wave
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hotline.telephony.media import core as core_module
from hotline.telephony.media import g711
from hotline.telephony.media.core import MediaCore
from hotline.telephony.media.dtmf import encode_event, parse_event
from hotline.telephony.media.prompts import PromptStore
from hotline.telephony.media.rtp import JitterStats, RtpPacket, build_rtcp, parse_rtcp
from hotline.telephony.media.wav import rms, write_pcm

DTMF_PT = 101
SILENT = 60  # RMS of what counts as silence (A-law's zero is 8)
AUDIBLE = 1000


def tone(frequency: float, seconds: float, amplitude: int = 8000) -> bytes:
    count = int(seconds * 8000)
    return array.array(
        "h", (int(amplitude * math.sin(2 * math.pi * frequency * n / 8000)) for n in range(count))
    ).tobytes()


def tone_share(pcm: bytes, frequency: float) -> float:
    """About 1 for a pure tone at ``frequency``, 0 when it is absent (Goertzel)."""
    samples = array.array("h", pcm)
    if not samples or rms(pcm) == 0:
        return 0.0
    coefficient = 2 * math.cos(2 * math.pi * frequency / 8000)
    previous = before = 0.0
    for sample in samples:
        previous, before = sample + coefficient * previous - before, previous
    power = previous**2 + before**2 - coefficient * previous * before
    mean_square = sum(s * s for s in samples) / len(samples)
    return 2 * power / len(samples) ** 2 / mean_square


class Peer(asyncio.DatagramProtocol):
    """A fake phone: sends RTP to a leg's port and keeps what comes back."""

    def __init__(self, codec: str = "PCMU") -> None:
        self.codec = codec
        self.packets: list[RtpPacket] = []
        self.raw: list[tuple[bytes, tuple]] = []
        self.arrivals: list[float] = []
        self.transport: asyncio.DatagramTransport | None = None
        self.sent_payloads: list[bytes] = []
        self.sequence = 1000
        self.timestamp = 50_000
        self.ssrc = 0x1234_0000 + id(self) % 1000

    @classmethod
    async def open(cls, codec: str = "PCMU") -> "Peer":
        peer = cls(codec)
        await asyncio.get_running_loop().create_datagram_endpoint(
            lambda: peer, local_addr=("127.0.0.1", 0)
        )
        return peer

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        self.raw.append((data, addr))
        self.arrivals.append(asyncio.get_running_loop().time())
        with contextlib.suppress(ValueError):  # RTCP or garbage
            self.packets.append(RtpPacket.parse(data))

    @property
    def port(self) -> int:
        return self.transport.get_extra_info("sockname")[1]

    def send(self, port: int, payload: bytes, payload_type: int, *, marker=False, timestamp=None):
        self.sequence = (self.sequence + 1) % 65536
        packet = RtpPacket(
            payload_type,
            self.sequence,
            self.timestamp if timestamp is None else timestamp,
            self.ssrc,
            payload,
            marker,
        )
        self.transport.sendto(packet.encode(), ("127.0.0.1", port))

    async def talk(self, port: int, pcm: bytes) -> None:
        """Send ``pcm`` in 20 ms packets, paced in real time."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        for number, offset in enumerate(range(0, len(pcm), 320)):
            payload = g711.encode(pcm[offset : offset + 320], self.codec)
            self.sent_payloads.append(payload)
            self.send(port, payload, g711.PAYLOAD_TYPES[self.codec])
            self.timestamp += 160
            await asyncio.sleep(max(0.0, start + (number + 1) * 0.02 - loop.time()))

    async def press(self, port: int, digit: str) -> None:
        for number in range(1, 6):
            self.send(port, encode_event(digit, False, duration=number * 160), DTMF_PT)
            await asyncio.sleep(0.02)
        for _ in range(3):
            self.send(port, encode_event(digit, True, duration=800), DTMF_PT)
        self.timestamp += 960

    def mark(self) -> int:
        return len(self.packets)

    def heard(self, since: int = 0, codec: str | None = None) -> bytes:
        """What arrived as audio since packet number ``since``, decoded."""
        codec = codec or self.codec
        audio_type = g711.PAYLOAD_TYPES[codec]
        return b"".join(
            g711.decode(p.payload, codec)
            for p in self.packets[since:]
            if p.payload_type == audio_type
        )

    def close(self) -> None:
        self.transport.close()


@dataclass
class Events:
    dtmf: list[tuple[str, str]] = field(default_factory=list)
    done: list[tuple[str, str]] = field(default_factory=list)


@pytest.fixture(scope="module")
def prompts_dir(tmp_path_factory):
    """Shared by the tests here, so music on hold and TTS are made once."""
    directory = tmp_path_factory.mktemp("prompts")
    write_pcm(directory / "beep.wav", tone(700, 1.0))
    return directory


@pytest.fixture
async def media(prompts_dir):
    events = Events()
    core = MediaCore(
        host="127.0.0.1",
        port_min=31000,
        port_max=39999,
        prompts=PromptStore(prompts_dir),
        on_dtmf=lambda leg, digit: events.dtmf.append((leg, digit)),
        on_playback_done=lambda leg, playback: events.done.append((leg, playback)),
    )
    await core.start()
    peers: list[Peer] = []

    async def leg(leg_id: str, codec: str = "PCMU", dtmf: int | None = DTMF_PT) -> Peer:
        peer = await Peer.open(codec)
        peers.append(peer)
        peer.leg_port = await core.add_rtp_leg(leg_id)
        core.set_rtp_remote(
            leg_id,
            host="127.0.0.1",
            port=peer.port,
            codec=codec,
            payload_type=g711.PAYLOAD_TYPES[codec],
            dtmf_payload_type=dtmf,
        )
        return peer

    yield core, events, leg
    await core.close()
    for peer in peers:
        peer.close()


async def until(condition, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.01)


# --- ports and legs ---


@pytest.mark.asyncio
async def test_rtp_leg_binds_an_even_port_and_rtcp_above(media):
    core, _, _ = media
    port = await core.add_rtp_leg("x")
    assert port % 2 == 0 and 31000 <= port < 39999
    for taken in (port, port + 1):
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        with pytest.raises(OSError):
            probe.bind(("127.0.0.1", taken))
        probe.close()
    assert core.has_leg("x") and not core.has_leg("y")
    with pytest.raises(ValueError):
        await core.add_rtp_leg("x")


@pytest.mark.asyncio
async def test_port_range_exhausted(prompts_dir):
    core = MediaCore(
        port_min=39990,
        port_max=39991,
        prompts=PromptStore(prompts_dir),
        on_dtmf=print,
        on_playback_done=print,
    )
    await core.start()
    try:
        await core.add_rtp_leg("one")
        with pytest.raises(OSError):
            await core.add_rtp_leg("two")
    finally:
        await core.close()


# --- bridges ---


@pytest.mark.asyncio
async def test_bridge_relays_both_ways_without_transcoding(media):
    core, _, leg = media
    a, b = await leg("a"), await leg("b")
    core.bridge("a", "b")
    await asyncio.gather(a.talk(a.leg_port, tone(440, 0.6)), b.talk(b.leg_port, tone(1000, 0.6)))
    await asyncio.sleep(0.1)

    # µ-law has two codes for zero; decoding and encoding again makes 0x7F 0xFF.
    for _ in range(5):
        a.send(a.leg_port, b"\x7f" * 160, 0)
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.1)

    at_b = [p for p in b.packets if p.payload_type == 0]
    assert len(at_b) >= 30
    assert all(p.payload in a.sent_payloads for p in at_b[:-5])  # relayed byte for byte
    assert [p.payload for p in at_b[-5:]] == [b"\x7f" * 160] * 5
    assert {p.ssrc for p in at_b} != {a.ssrc}  # but in b's own stream
    heard_at_b, heard_at_a = b.heard(), a.heard()
    assert rms(heard_at_b) > AUDIBLE and tone_share(heard_at_b, 440) > 0.5
    assert rms(heard_at_a) > AUDIBLE and tone_share(heard_at_a, 1000) > 0.5
    stats = core.stats("a")
    assert stats.packets_in == 35 and stats.lost == 0
    assert stats.packets_out >= 25
    assert stats.relay_delay_p99_ms < 20


@pytest.mark.asyncio
async def test_bridge_of_pcmu_and_pcma_transcodes(media):
    core, _, leg = media
    a, b = await leg("a", "PCMU"), await leg("b", "PCMA")
    core.bridge("a", "b")
    await asyncio.gather(a.talk(a.leg_port, tone(440, 0.5)), b.talk(b.leg_port, tone(1000, 0.5)))
    await asyncio.sleep(0.1)
    assert {p.payload_type for p in b.packets} == {8}
    assert {p.payload_type for p in a.packets} == {0}
    assert tone_share(b.heard(), 440) > 0.5 and rms(b.heard()) > AUDIBLE
    assert tone_share(a.heard(), 1000) > 0.5 and rms(a.heard()) > AUDIBLE


@pytest.mark.asyncio
async def test_rtp_stream_stays_continuous_from_silence_to_relay(media):
    core, _, leg = media
    a, b = await leg("a"), await leg("b")
    await asyncio.sleep(0.2)  # b hears generated silence first
    core.bridge("a", "b")
    await a.talk(a.leg_port, tone(440, 0.3))
    await asyncio.sleep(0.05)
    core.unbridge("a")
    await asyncio.sleep(0.2)  # and silence again
    packets = b.packets
    assert len({p.ssrc for p in packets}) == 1
    steps = [(q.sequence - p.sequence) % 65536 for p, q in itertools.pairwise(packets)]
    assert set(steps) == {1}
    jumps = [(q.timestamp - p.timestamp) % (1 << 32) for p, q in itertools.pairwise(packets)]
    assert all(0 < jump < 8000 for jump in jumps)
    assert sum(p.marker for p in packets) >= 2  # a new source is a new talk spurt


@pytest.mark.asyncio
async def test_ticker_keeps_20_ms_pace(media):
    _, _, leg = media
    a = await leg("a")
    await asyncio.sleep(0.2)
    mark = a.mark()
    await asyncio.sleep(1.0)
    assert 45 <= a.mark() - mark <= 55
    assert rms(a.heard(mark)) == 0  # an idle leg hears silence


@pytest.mark.asyncio
async def test_symmetric_rtp_follows_the_address_media_comes_from(media):
    core, _, leg = media
    a = await leg("a")
    stale = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    stale.bind(("127.0.0.1", 0))
    core.set_rtp_remote(
        "a",
        host="127.0.0.1",
        port=stale.getsockname()[1],  # what the SDP said, behind a NAT
        codec="PCMU",
        payload_type=0,
        dtmf_payload_type=DTMF_PT,
    )
    await asyncio.sleep(0.1)
    first = a.mark()
    await a.talk(a.leg_port, tone(440, 0.1))
    await asyncio.sleep(0.1)
    assert len(a.packets) > first + 3  # after 3 packets the core answers there
    stale.close()


@pytest.mark.asyncio
async def test_a_peer_that_only_sends_gets_nothing(media):
    core, _, leg = media
    a = await leg("a")
    core.set_rtp_remote(
        "a",
        host="127.0.0.1",
        port=a.port,
        codec="PCMU",
        payload_type=0,
        dtmf_payload_type=DTMF_PT,
        direction="sendonly",
    )
    await asyncio.sleep(0.05)
    mark = a.mark()
    await asyncio.sleep(0.2)
    assert a.mark() == mark


# --- prompts ---


@pytest.mark.asyncio
async def test_tts_prompt_reaches_the_peer_and_done_fires_once(media):
    core, events, leg = media
    a = await leg("a")
    await asyncio.sleep(0.1)
    before = len(a.arrivals)
    await core.play("a", playback_id="p1", text="您好")  # espeak-ng and sox run meanwhile
    waiting = a.arrivals[before - 1 :]
    assert max((q - p for p, q in itertools.pairwise(waiting)), default=0) < 0.1  # kept ticking
    await until(lambda: events.done)
    heard = a.heard()
    assert rms(heard) > 300
    await asyncio.sleep(0.3)
    assert events.done == [("a", "p1")]


@pytest.mark.asyncio
async def test_a_new_play_replaces_the_current_one_without_its_callback(media):
    core, events, leg = media
    await leg("a")
    await core.play("a", playback_id="first", audio="beep.wav")
    await asyncio.sleep(0.1)
    await core.play("a", playback_id="second", audio="beep.wav")
    await until(lambda: events.done, timeout=3)
    await asyncio.sleep(0.1)
    assert events.done == [("a", "second")]


@pytest.mark.asyncio
async def test_looping_prompt_never_ends_and_stop_is_silent(media):
    core, events, leg = media
    a = await leg("a")
    await core.play("a", playback_id="moh", audio="music-on-hold", loop=True)
    await asyncio.sleep(0.4)
    assert rms(a.heard()) > 300
    core.stop_playback("a")
    await asyncio.sleep(0.05)
    mark = a.mark()
    await asyncio.sleep(0.2)
    assert rms(a.heard(mark)) < SILENT
    assert events.done == []


@pytest.mark.asyncio
async def test_remove_leg_mid_playback_stops_callbacks_and_frees_the_ports(media):
    core, events, leg = media
    a = await leg("a")
    await core.play("a", playback_id="beep", audio="beep.wav")
    await asyncio.sleep(0.2)
    core.remove_leg("a")
    for port in (a.leg_port, a.leg_port + 1):  # free at once
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        probe.bind(("127.0.0.1", port))
        probe.close()
    mark = a.mark()
    await asyncio.sleep(1.1)  # longer than the prompt
    assert events.done == []
    assert a.mark() == mark
    assert not core.has_leg("a")
    core.remove_leg("a")  # twice is harmless


@pytest.mark.asyncio
async def test_play_of_a_missing_upload_raises(media):
    core, events, leg = media
    await leg("a")
    with pytest.raises(FileNotFoundError):
        await core.play("a", playback_id="x", audio="missing.wav")
    assert events.done == []


# --- keys ---


@pytest.mark.asyncio
async def test_dtmf_from_a_bridged_peer_is_reported_and_not_relayed(media):
    core, events, leg = media
    a, b = await leg("a"), await leg("b")
    core.bridge("a", "b")
    await a.press(a.leg_port, "5")
    await a.press(a.leg_port, "5")
    await asyncio.sleep(0.1)
    assert events.dtmf == [("a", "5"), ("a", "5")]
    assert not [p for p in b.packets if p.payload_type == DTMF_PT]


@pytest.mark.asyncio
async def test_send_dtmf_sends_rfc_4733_events_while_audio_pauses(media):
    core, _, leg = media
    a, b = await leg("a"), await leg("b")
    core.bridge("a", "b")
    talking = asyncio.ensure_future(b.talk(b.leg_port, tone(1000, 1.2)))
    await asyncio.sleep(0.2)
    core.send_dtmf("a", "1#")
    await talking
    events = [(i, p) for i, p in enumerate(a.packets) if p.payload_type == DTMF_PT]
    by_timestamp: dict[int, list[RtpPacket]] = {}
    for _, packet in events:
        by_timestamp.setdefault(packet.timestamp, []).append(packet)
    keys = list(by_timestamp.values())
    assert [parse_event(k[0].payload)[0] for k in keys] == ["1", "#"]
    for key in keys:
        ends = [parse_event(p.payload)[1] for p in key]
        assert ends == [False] * 5 + [True] * 3
        assert [p.marker for p in key] == [True] + [False] * 7
    first, last = events[0][0], events[-1][0]
    between = a.packets[first : last + 1]
    assert all(p.payload_type == DTMF_PT for p in between)  # no audio mixed in
    assert tone_share(a.heard(last + 1), 1000) > 0.5  # the bridge resumes after


@pytest.mark.asyncio
async def test_send_dtmf_without_telephone_event_is_ignored(media):
    core, _, leg = media
    a = await leg("a", dtmf=None)
    core.send_dtmf("a", "1")
    await asyncio.sleep(0.3)
    assert not [p for p in a.packets if p.payload_type == DTMF_PT]
    with pytest.raises(ValueError):
        core.send_dtmf("a", "1x")


# --- recording ---


def read_channels(path) -> tuple[bytes, bytes]:
    with wave.open(str(path), "rb") as source:
        assert (source.getnchannels(), source.getframerate(), source.getsampwidth()) == (2, 8000, 2)
        frames = array.array("h", source.readframes(source.getnframes()))
    return frames[0::2].tobytes(), frames[1::2].tobytes()


@pytest.mark.asyncio
async def test_recording_a_bridged_call_keeps_each_side_on_its_channel(media, tmp_path):
    core, _, leg = media
    a, b = await leg("a"), await leg("b")
    core.bridge("a", "b")
    core.record_start("a", tmp_path / "call.wav")
    await asyncio.gather(a.talk(a.leg_port, tone(440, 1.0)), b.talk(b.leg_port, tone(1000, 1.0)))
    await asyncio.sleep(0.1)
    path, duration_ms = core.record_stop("a")
    assert path == tmp_path / "call.wav"
    assert 900 <= duration_ms <= 1500
    left, right = read_channels(path)
    assert rms(left) > AUDIBLE and rms(right) > AUDIBLE
    assert tone_share(left, 440) > 0.5 and tone_share(left, 1000) < 0.05  # what a said
    assert tone_share(right, 1000) > 0.5 and tone_share(right, 440) < 0.05  # what a heard
    assert all(p.payload in a.sent_payloads for p in b.packets if p.payload_type == 0)
    assert core.record_stop("a") is None


@pytest.mark.asyncio
async def test_removing_a_recorded_leg_finalises_the_file(media, tmp_path):
    core, _, leg = media
    a = await leg("a")
    core.record_start("a", tmp_path / "gone.wav")
    await a.talk(a.leg_port, tone(440, 0.4))
    core.remove_leg("a")
    path, duration_ms = core.record_stop("a")
    assert duration_ms >= 300
    left, _ = read_channels(path)
    assert tone_share(left, 440) > 0.5
    assert core.record_stop("a") is None


@pytest.mark.asyncio
async def test_a_full_disk_ends_one_recording_and_nothing_else(media, tmp_path):
    core, _, leg = media
    a, b = await leg("a"), await leg("b")
    core.bridge("a", "b")
    core.record_start("a", Path("/dev/full"))  # every flush fails with ENOSPC
    core.record_start("b", tmp_path / "b.wav")
    mark = b.mark()
    await a.talk(a.leg_port, tone(440, 2.5))  # more than the write buffer holds
    assert core.record_stop("a")[0] == Path("/dev/full")
    path, duration_ms = core.record_stop("b")
    assert duration_ms >= 2300
    assert tone_share(read_channels(path)[1], 440) > 0.5  # b heard a
    assert tone_share(b.heard(mark), 440) > 0.5


@pytest.mark.asyncio
async def test_mute_silences_what_the_leg_says_in_the_bridge_and_recording(media, tmp_path):
    core, _, leg = media
    a, b = await leg("a"), await leg("b")
    core.bridge("a", "b")
    core.mute("a", True)
    core.record_start("a", tmp_path / "muted.wav")
    await a.talk(a.leg_port, tone(440, 0.4))
    path, _ = core.record_stop("a")
    assert rms(b.heard()) < SILENT
    assert rms(read_channels(path)[0]) < SILENT


# --- hold, conference, monitor ---


@pytest.mark.asyncio
async def test_hold_gives_music_to_the_held_leg_and_silence_to_its_partner(media):
    core, _, leg = media
    a, b = await leg("a"), await leg("b")
    core.bridge("a", "b")
    core.hold("a", True)
    await asyncio.sleep(0.1)
    mark_a, mark_b = a.mark(), b.mark()
    await asyncio.gather(a.talk(a.leg_port, tone(440, 0.6)), b.talk(b.leg_port, tone(1000, 0.6)))
    held_hears, partner_hears = a.heard(mark_a), b.heard(mark_b)
    assert rms(held_hears) > 300 and tone_share(held_hears, 1000) < 0.05  # music, not b
    assert rms(partner_hears) < SILENT
    core.hold("a", False)
    await asyncio.sleep(0.1)
    mark_b = b.mark()
    await a.talk(a.leg_port, tone(440, 0.3))
    assert tone_share(b.heard(mark_b), 440) > 0.5


@pytest.mark.asyncio
async def test_conference_of_three_each_hears_the_others(media):
    core, _, leg = media
    a, b, c = await leg("a"), await leg("b"), await leg("c", "PCMA")
    core.conference(["a", "b", "c"])
    await asyncio.sleep(0.1)
    marks = [peer.mark() for peer in (a, b, c)]
    await asyncio.gather(a.talk(a.leg_port, tone(440, 0.6)), b.talk(b.leg_port, tone(1000, 0.6)))
    at_a, at_b, at_c = (peer.heard(mark) for peer, mark in zip((a, b, c), marks, strict=True))
    assert tone_share(at_c, 440) > 0.2 and tone_share(at_c, 1000) > 0.2
    assert tone_share(at_a, 1000) > 0.5 and tone_share(at_a, 440) < 0.05
    assert tone_share(at_b, 440) > 0.5 and tone_share(at_b, 1000) < 0.05


async def monitored_call(media, mode):
    core, _, leg = media
    customer, agent, supervisor = await leg("customer"), await leg("agent"), await leg("sup")
    core.bridge("customer", "agent")
    core.monitor("agent", "sup", mode)
    await asyncio.sleep(0.1)
    marks = [peer.mark() for peer in (customer, agent, supervisor)]
    await asyncio.gather(
        customer.talk(customer.leg_port, tone(440, 0.6)),
        agent.talk(agent.leg_port, tone(1000, 0.6)),
        supervisor.talk(supervisor.leg_port, tone(1500, 0.6)),
    )
    return [
        peer.heard(mark) for peer, mark in zip((customer, agent, supervisor), marks, strict=True)
    ]


@pytest.mark.asyncio
async def test_monitor_listen_supervisor_hears_both_and_nobody_hears_them(media):
    customer, agent, supervisor = await monitored_call(media, "listen")
    assert tone_share(supervisor, 440) > 0.2 and tone_share(supervisor, 1000) > 0.2
    assert tone_share(agent, 440) > 0.5 and tone_share(agent, 1500) < 0.05
    assert tone_share(customer, 1000) > 0.5 and tone_share(customer, 1500) < 0.05


@pytest.mark.asyncio
async def test_monitor_whisper_only_the_agent_hears_the_supervisor(media):
    customer, agent, supervisor = await monitored_call(media, "whisper")
    assert tone_share(supervisor, 440) > 0.2 and tone_share(supervisor, 1000) > 0.2
    assert tone_share(agent, 440) > 0.2 and tone_share(agent, 1500) > 0.2
    assert tone_share(customer, 1000) > 0.5 and tone_share(customer, 1500) < 0.05


@pytest.mark.asyncio
async def test_monitor_barge_both_hear_the_supervisor(media):
    customer, agent, _ = await monitored_call(media, "barge")
    assert tone_share(agent, 1500) > 0.2 and tone_share(customer, 1500) > 0.2


# --- endpoints (browsers) ---


class FakeEndpoint:
    def __init__(self) -> None:
        self.sink = None
        self.sent: list[bytes] = []
        self.closed = False

    def attach(self, sink) -> None:
        self.sink = sink

    def send(self, pcm: bytes) -> None:
        self.sent.append(pcm)

    def close(self) -> None:
        self.closed = True


@pytest.mark.asyncio
async def test_endpoint_leg_bridged_to_a_phone(media):
    core, events, leg = media
    phone = await leg("phone")
    browser = FakeEndpoint()
    core.add_endpoint_leg("browser", browser)
    core.bridge("phone", "browser")
    voice = tone(1000, 0.6)

    async def speak() -> None:
        for offset in range(0, len(voice), 320):
            browser.sink.frame(voice[offset : offset + 320])
            await asyncio.sleep(0.02)

    await asyncio.gather(speak(), phone.talk(phone.leg_port, tone(440, 0.6)))
    browser.sink.dtmf("8")
    assert all(len(frame) == 320 for frame in browser.sent)
    assert tone_share(b"".join(browser.sent), 440) > 0.5
    assert tone_share(phone.heard(), 1000) > 0.5
    assert events.dtmf == [("browser", "8")]
    assert core.stats("browser").packets_in == 30
    core.remove_leg("browser")
    assert browser.closed
    browser.sink.frame(voice[:320])  # late frames after the leg went are ignored


# --- RTCP ---


@pytest.mark.asyncio
async def test_rtcp_reports_go_both_ways(media, monkeypatch):
    monkeypatch.setattr(core_module, "RTCP_INTERVAL_SECONDS", 0.3)
    core, _, leg = media
    a = await leg("a")
    rtcp = await Peer.open()
    await a.talk(a.leg_port, tone(440, 0.2))
    ours = a.packets[-1].ssrc
    block = JitterStats().report_block()
    report = build_rtcp(
        ssrc=a.ssrc,
        cname="peer",
        wall_clock=0.0,
        rtp_timestamp=0,
        packets=0,
        octets=0,
        block=type(block)(ssrc=ours, fraction_lost=128, cumulative_lost=7, highest_sequence=1,
                          jitter=160),
    )  # fmt: skip
    rtcp.transport.sendto(b"\x80garbage", ("127.0.0.1", a.leg_port + 1))  # ignored
    rtcp.transport.sendto(report, ("127.0.0.1", a.leg_port + 1))
    await until(lambda: rtcp.raw, timeout=2)  # the core answers where RTCP came from
    stats = core.stats("a")
    assert stats.peer_fraction_lost == 0.5 and stats.peer_jitter_ms == 20
    (sender_report,) = parse_rtcp(rtcp.raw[0][0])
    assert sender_report.sender_ssrc == ours and sender_report.ntp_middle is not None
    assert sender_report.blocks[0].ssrc == a.ssrc
    rtcp.close()


# --- robustness ---


@pytest.mark.asyncio
async def test_garbage_and_failing_callbacks_do_not_stop_the_core(prompts_dir):
    def explode(*_args):
        raise RuntimeError("callback bug")

    core = MediaCore(
        port_min=31000,
        port_max=39999,
        prompts=PromptStore(prompts_dir),
        on_dtmf=explode,
        on_playback_done=explode,
    )
    await core.start()
    a, b = await Peer.open(), await Peer.open()
    try:
        for leg_id, peer in (("a", a), ("b", b)):
            peer.leg_port = await core.add_rtp_leg(leg_id)
            core.set_rtp_remote(
                leg_id,
                host="127.0.0.1",
                port=peer.port,
                codec="PCMU",
                payload_type=0,
                dtmf_payload_type=DTMF_PT,
            )
        await core.play("b", playback_id="short", audio="beep.wav")
        await asyncio.sleep(1.2)  # the prompt ended and its callback raised
        core.bridge("a", "b")
        for garbage in (b"", b"\x00" * 3, b"\x40" + b"\x00" * 20, b"\xff" * 40):
            a.transport.sendto(garbage, ("127.0.0.1", a.leg_port))
        a.send(a.leg_port, b"\x01", DTMF_PT)  # a truncated telephone event
        await a.press(a.leg_port, "3")  # on_dtmf raises
        mark = b.mark()
        await a.talk(a.leg_port, tone(440, 0.3))
        assert tone_share(b.heard(mark), 440) > 0.5
    finally:
        await core.close()
        a.close()
        b.close()
