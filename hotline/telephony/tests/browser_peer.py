"""The browser of the softphone tests, played by aiortc on 127.0.0.1 only:
a microphone that hears a steady tone and a peer connection that keeps what
it hears."""

import asyncio
import math
from array import array
from fractions import Fraction

import av
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError

from hotline.telephony.media.webrtc import restrict_ice_hosts

LOOPBACK = ["127.0.0.1"]
LOUD = 1000  # RMS; silence is 0 and Opus noise far below this


def tone(freq: float, *, rate: int, start: int, count: int, amplitude: int = 8000) -> bytes:
    samples = array(
        "h",
        (int(amplitude * math.sin(2 * math.pi * freq * (start + i) / rate)) for i in range(count)),
    )
    return samples.tobytes()


def samples_of(pcm: bytes) -> array:
    samples = array("h")
    samples.frombytes(pcm)
    return samples


def rms(samples: array) -> float:
    return math.sqrt(sum(s * s for s in samples) / len(samples)) if samples else 0.0


class ToneTrack(MediaStreamTrack):
    """A microphone that hears a steady tone: 20 ms of 48 kHz mono per frame."""

    kind = "audio"
    rate = 48000

    def __init__(self, freq: float) -> None:
        super().__init__()
        self.freq, self.sent, self.started = freq, 0, None

    async def recv(self):
        loop = asyncio.get_running_loop()
        if self.started is None:
            self.started = loop.time()
        await asyncio.sleep(max(0.0, self.started + self.sent / self.rate - loop.time()))
        count = self.rate // 50
        frame = av.AudioFrame(format="s16", layout="mono", samples=count)
        frame.planes[0].update(tone(self.freq, rate=self.rate, start=self.sent, count=count))
        frame.sample_rate, frame.pts = self.rate, self.sent
        frame.time_base = Fraction(1, self.rate)
        self.sent += count
        return frame


class Browser:
    """The client side: a peer connection that offers a tone and keeps every
    frame it hears (left channel of what the decoder gives, with its rate)."""

    def __init__(self, *, codecs: tuple[str, ...] = ()) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.heard: list[tuple[array, int]] = []
        transceiver = self.pc.addTransceiver(ToneTrack(440), direction="sendrecv")
        if codecs:
            capabilities = RTCRtpSender.getCapabilities("audio").codecs
            transceiver.setCodecPreferences([c for c in capabilities if c.mimeType in codecs])
        self.pc.on("track", self._on_track)
        self.reader = None

    def _on_track(self, track) -> None:
        self.reader = asyncio.ensure_future(self._listen(track))

    async def _listen(self, track) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            channels = len(frame.layout.channels)
            samples = samples_of(bytes(frame.planes[0])[: frame.samples * 2 * channels])
            self.heard.append((samples[::channels], frame.sample_rate))

    async def offer(self) -> str:
        with restrict_ice_hosts(LOOPBACK):
            await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def answer(self, sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    async def close(self) -> None:
        await self.pc.close()
        if self.reader is not None:
            self.reader.cancel()
