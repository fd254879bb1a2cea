"""Browser softphones (media/webrtc.py): an aiortc client in the test plays
the browser, on 127.0.0.1 only, and audio is proven to cross both ways."""

import asyncio
import re
from array import array
from fractions import Fraction
from itertools import pairwise

import aioice.ice
import av
import pytest
from aiortc import (
    RTCConfiguration,
    RTCPeerConnection,
)
from aiortc.mediastreams import MediaStreamError

from hotline.telephony.media.webrtc import (
    FRAME_BYTES,
    FRAME_SAMPLES,
    SILENCE,
    BrowserEndpoint,
    PacedPcmTrack,
    PcmChunker,
    WebRtcPhone,
    pcm_frame,
    restrict_ice_hosts,
)
from hotline.telephony.tests.browser_peer import LOOPBACK, LOUD, Browser, rms, samples_of, tone

TEST_SECONDS = 15


# --- signal helpers -------------------------------------------------------------


def frequency(samples: array, rate: int) -> float:
    crossings = sum(1 for a, b in pairwise(samples) if (a < 0) != (b < 0))
    return crossings / 2 / (len(samples) / rate)


def mean_frequency(frames: list[array], rate: int) -> float:
    return sum(frequency(f, rate) for f in frames) / len(frames)


async def wait_until(condition, *, seconds: float = 8.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.02)


class Sink:
    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.digits: list[str] = []

    def frame(self, pcm: bytes) -> None:
        self.frames.append(pcm)

    def dtmf(self, digit: str) -> None:
        self.digits.append(digit)


@pytest.fixture
async def pair():
    async with asyncio.timeout(TEST_SECONDS):
        browser = Browser()
        phone = WebRtcPhone(extension="8001", hosts=LOOPBACK)
        yield browser, phone
        await phone.close()
        await browser.close()


def candidate_addresses(sdp: str) -> set[str]:
    return {line.split()[4] for line in sdp.splitlines() if line.startswith("a=candidate:")}


def audio_payload_types(sdp: str) -> list[str]:
    line = next(line for line in sdp.splitlines() if line.startswith("m=audio"))
    return line.split()[3:]


def rtpmap(sdp: str) -> dict[str, str]:
    return dict(re.findall(r"a=rtpmap:(\d+) (\S+)", sdp))


# --- end to end -----------------------------------------------------------------


async def test_audio_crosses_both_ways_and_close_ends_both(pair):
    browser, phone = pair
    closed = []
    phone.on_closed = lambda: closed.append(True)
    sink = Sink()
    phone.endpoint.attach(sink)

    await browser.answer(await phone.accept(await browser.offer()))
    await wait_until(lambda: phone.connected and browser.pc.connectionState == "connected")

    # The browser's 440 Hz reaches the sink as 8 kHz mono 20 ms frames.
    await wait_until(lambda: sum(rms(samples_of(f)) > LOUD for f in sink.frames) >= 25)
    assert {len(f) for f in sink.frames} == {FRAME_BYTES}
    loud = [samples_of(f) for f in sink.frames if rms(samples_of(f)) > LOUD]
    assert 400 < mean_frequency(loud[5:], 8000) < 480

    # One second of 1 kHz from the core, paced like the core, reaches the browser.
    before = len(browser.heard)
    for index in range(50):
        phone.endpoint.send(tone(1000, rate=8000, start=index * FRAME_SAMPLES, count=160))
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.2)
    loud_heard = [(s, rate) for s, rate in browser.heard[before:] if rms(s) > LOUD]
    assert len(loud_heard) >= 35
    assert 900 < mean_frequency([s for s, _ in loud_heard[3:-3]], loud_heard[0][1]) < 1100

    # Nothing sent: the browser hears silence, not the last tone again.
    await asyncio.sleep(0.3)
    assert max(rms(s) for s, _ in browser.heard[-5:]) < LOUD

    await phone.close()
    assert closed == [True] and not phone.connected
    await wait_until(lambda: browser.pc.connectionState == "closed")


async def test_answer_uses_only_allowed_hosts_and_prefers_opus(pair):
    browser, phone = pair
    answer = await phone.accept(await browser.offer())
    assert candidate_addresses(answer) == {"127.0.0.1"}
    codecs = rtpmap(answer)
    names = [codecs[pt].split("/")[0].lower() for pt in audio_payload_types(answer)]
    assert names[0] == "opus" and "pcmu" in names and "pcma" in names
    assert "g722" not in names and "m=video" not in answer


async def test_a_g711_only_browser_is_answered_with_g711():
    async with asyncio.timeout(TEST_SECONDS):
        browser = Browser(codecs=("audio/PCMU",))
        phone = WebRtcPhone(extension="8002", hosts=LOOPBACK)
        try:
            answer = await phone.accept(await browser.offer())
            assert [rtpmap(answer)[pt] for pt in audio_payload_types(answer)] == ["PCMU/8000"]
        finally:
            await phone.close()
            await browser.close()


async def test_the_phone_closes_when_the_browser_goes_away(pair):
    browser, phone = pair
    closed = []
    phone.on_closed = lambda: closed.append(True)
    await browser.answer(await phone.accept(await browser.offer()))
    await wait_until(lambda: phone.connected)
    await browser.close()
    await wait_until(lambda: closed == [True])
    assert not phone.connected


async def test_offers_that_are_not_audio_only_are_refused():
    async with asyncio.timeout(TEST_SECONDS):
        video = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        video.addTransceiver("video")
        with restrict_ice_hosts(LOOPBACK):
            await video.setLocalDescription(await video.createOffer())
        try:
            for offer in (video.localDescription.sdp, "not sdp at all", ""):
                phone = WebRtcPhone(extension="8003", hosts=LOOPBACK)
                with pytest.raises(ValueError):
                    await phone.accept(offer)
                await phone.close()
        finally:
            await video.close()


async def test_one_phone_answers_one_offer(pair):
    browser, phone = pair
    await phone.accept(await browser.offer())
    with pytest.raises(RuntimeError):
        await phone.accept(browser.pc.localDescription.sdp)


# --- the parts ------------------------------------------------------------------


def test_restricted_hosts_apply_inside_the_block_only():
    # The phone installs the filter; outside a restriction aioice's own list stands.
    with restrict_ice_hosts(LOOPBACK):
        assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=True) == ["127.0.0.1"]
        assert aioice.ice.get_host_addresses(use_ipv4=False, use_ipv6=True) == []
    outside = aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=True)
    assert "127.0.0.1" not in outside
    with restrict_ice_hosts(["203.0.113.7"]):  # not an address of this machine
        assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False) == []


def test_hosts_must_be_ip_addresses():
    with pytest.raises(ValueError):
        WebRtcPhone(extension="8001", hosts=["example.com"])


async def test_playout_is_paced_and_fills_gaps_with_silence():
    track = PacedPcmTrack()
    first = tone(1000, rate=8000, start=0, count=160)
    track.push(first)
    loop = asyncio.get_running_loop()
    started = loop.time()
    frames = [await track.recv() for _ in range(11)]
    elapsed = loop.time() - started
    assert 0.18 <= elapsed < 0.4  # ten 20 ms steps after the first frame
    assert [f.pts for f in frames] == [i * 160 for i in range(11)]
    assert {(f.sample_rate, f.samples, f.format.name, f.layout.name) for f in frames} == {
        (8000, 160, "s16", "mono")
    }
    assert frames[0].time_base == Fraction(1, 8000)
    assert bytes(frames[0].planes[0])[:FRAME_BYTES] == first
    assert all(bytes(f.planes[0])[:FRAME_BYTES] == SILENCE for f in frames[1:])
    track.stop()
    with pytest.raises(MediaStreamError):
        await track.recv()


async def test_playout_keeps_at_most_200_ms_and_drops_the_oldest():
    track = PacedPcmTrack()
    frames = [bytes([index]) * FRAME_BYTES for index in range(15)]
    for pcm in frames:
        track.push(pcm)
    played = [bytes((await track.recv()).planes[0])[:FRAME_BYTES] for _ in range(11)]
    assert played[:10] == frames[5:] and played[10] == SILENCE
    track.push(frames[0])
    track.clear()
    assert bytes((await track.recv()).planes[0])[:FRAME_BYTES] == SILENCE


def test_chunker_makes_20_ms_of_8_khz_mono_from_48_khz_stereo():
    chunker = PcmChunker()
    chunks = []
    for index in range(10):  # 30 ms frames: 300 ms in all
        frame = av.AudioFrame(format="s16", layout="stereo", samples=1440)
        mono = samples_of(tone(440, rate=48000, start=index * 1440, count=1440))
        stereo = array("h", (s for sample in mono for s in (sample, sample)))
        frame.planes[0].update(stereo.tobytes())
        frame.sample_rate, frame.pts, frame.time_base = 48000, index * 1440, Fraction(1, 48000)
        chunks += chunker.feed(frame)
    assert {len(c) for c in chunks} == {FRAME_BYTES}
    assert 13 <= len(chunks) <= 15  # the resampler holds back a few samples
    steady = [samples_of(c) for c in chunks[2:]]
    assert 420 < mean_frequency(steady, 8000) < 460
    assert all(rms(s) > LOUD for s in steady)


def test_endpoint_delivers_to_the_attached_sink_until_closed():
    track = PacedPcmTrack()
    endpoint = BrowserEndpoint(track)
    sink = Sink()
    endpoint.deliver(SILENCE)  # nothing attached: dropped
    endpoint.attach(sink)
    endpoint.deliver(b"\1" * FRAME_BYTES)
    endpoint.close()
    endpoint.deliver(b"\2" * FRAME_BYTES)
    assert sink.frames == [b"\1" * FRAME_BYTES]
    later = Sink()
    endpoint.attach(later)  # the next call on the same connection
    endpoint.deliver(b"\3" * FRAME_BYTES)
    assert later.frames == [b"\3" * FRAME_BYTES]


def test_pcm_frame_round_trips():
    pcm = tone(1000, rate=8000, start=0, count=160)
    frame = pcm_frame(pcm, pts=320)
    assert bytes(frame.planes[0])[:FRAME_BYTES] == pcm and frame.pts == 320
