"""WAV files of the media core: prompts are read as 8 kHz mono 16-bit PCM,
recordings are written as stereo frame by frame (buffered, so a hundred
calls recording at once cost a few writes a second each), and the header's
sizes are fixed when the recording ends."""

import struct
import wave
from pathlib import Path

from hotline.telephony.media.g711 import SAMPLE_RATE, SAMPLE_WIDTH, audioop

WRITE_BUFFER_BYTES = 64 * 1024
_WAV_HEADER = struct.Struct("<4sI4s4sIHHIIHH4sI")
_RIFF_SIZE_OFFSET = 4
_DATA_SIZE_OFFSET = 40
_WAVE_FORMAT_PCM = 1


def rms(pcm: bytes) -> int:
    """Root mean square of 16-bit PCM (0 for silence, 32767 at most)."""
    return audioop.rms(pcm, SAMPLE_WIDTH)


def read_pcm(path: Path) -> bytes:
    """The samples of an 8 kHz mono 16-bit PCM WAV; ValueError for any other."""
    try:
        with wave.open(str(path), "rb") as source:
            params = source.getparams()
            if (params.nchannels, params.sampwidth, params.framerate) != (
                1,
                SAMPLE_WIDTH,
                SAMPLE_RATE,
            ):
                raise ValueError(f"{path} is not 8 kHz mono 16-bit PCM")
            return source.readframes(params.nframes)
    except (wave.Error, EOFError) as error:
        raise ValueError(f"{path} is not a PCM WAV file: {error}") from error


def write_pcm(path: Path, pcm: bytes) -> None:
    """Write 8 kHz mono 16-bit PCM as a WAV file."""
    with wave.open(str(path), "wb") as target:
        target.setnchannels(1)
        target.setsampwidth(SAMPLE_WIDTH)
        target.setframerate(SAMPLE_RATE)
        target.writeframes(pcm)


def _header(channels: int, data_bytes: int) -> bytes:
    block_align = channels * SAMPLE_WIDTH
    return _WAV_HEADER.pack(
        b"RIFF",
        36 + data_bytes,
        b"WAVE",
        b"fmt ",
        16,
        _WAVE_FORMAT_PCM,
        channels,
        SAMPLE_RATE,
        SAMPLE_RATE * block_align,
        block_align,
        SAMPLE_WIDTH * 8,
        b"data",
        data_bytes,
    )


class StereoWavWriter:
    """An 8 kHz 16-bit stereo WAV written incrementally: ``write`` appends
    left and right samples interleaved, ``close`` fixes the RIFF sizes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "wb", buffering=WRITE_BUFFER_BYTES)  # noqa: SIM115
        self._file.write(_header(2, 0))
        self._data_bytes = 0
        self.duration_ms = 0

    @property
    def closed(self) -> bool:
        return self._file.closed

    def write(self, left_pcm: bytes, right_pcm: bytes) -> None:
        """Append one stretch of audio; the shorter channel is padded with silence."""
        if len(left_pcm) != len(right_pcm):
            size = max(len(left_pcm), len(right_pcm))
            left_pcm, right_pcm = left_pcm.ljust(size, b"\0"), right_pcm.ljust(size, b"\0")
        left = audioop.tostereo(left_pcm, SAMPLE_WIDTH, 1, 0)
        right = audioop.tostereo(right_pcm, SAMPLE_WIDTH, 0, 1)
        frames = audioop.add(left, right, SAMPLE_WIDTH)
        self._file.write(frames)
        self._data_bytes += len(frames)

    def close(self) -> int:
        """Finalise the file; returns its duration in milliseconds."""
        if self._file.closed:
            return self.duration_ms
        self.duration_ms = self._data_bytes * 1000 // (SAMPLE_RATE * 2 * SAMPLE_WIDTH)
        try:
            self._file.seek(_RIFF_SIZE_OFFSET)
            self._file.write(struct.pack("<I", 36 + self._data_bytes))
            self._file.seek(_DATA_SIZE_OFFSET)
            self._file.write(struct.pack("<I", self._data_bytes))
        finally:
            self._file.close()
        return self.duration_ms
