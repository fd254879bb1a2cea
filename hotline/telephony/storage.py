"""Where recordings and voicemails are kept (TEL-5, TEL-6).

Files live in the storage named ``"recordings"`` of ``settings.STORAGES``
(a folder under ``var/recordings`` by default, memory in the tests); a
``Recording`` row keeps only the name the storage gave. Names are dated so
that a folder holds one day: ``2026/01/05/<call id>-<leg>-<uuid>.wav``.

``simulated_wav`` makes the audio of the ``sim`` switch: there is no real
voice in a simulation, so the file is a recognisable tone pattern whose RIFF
INFO chunk says that it is simulated.
"""

import array
import io
import math
import re
import struct
import sys
import uuid
import wave
from datetime import datetime
from pathlib import Path

from django.core.files.base import ContentFile, File
from django.core.files.storage import storages
from django.utils import timezone

STORAGE_ALIAS = "recordings"
SAMPLE_RATE = 8000
SAMPLE_WIDTH = 2  # bytes: 16-bit PCM
SIMULATED_PREFIX = "Hotline simulated recording: "
_HINT_MAX = 80


def recordings_storage():
    """The storage that holds recordings and voicemails."""
    return storages[STORAGE_ALIAS]


def _clean_hint(name_hint: str) -> str:
    """``"12-leg/a b"`` → ``"12-leg_a_b"``: only letters, digits, ``-`` and ``_``."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "_", str(name_hint or "")).strip("_-")
    return cleaned[:_HINT_MAX] or "recording"


def recording_name(*, name_hint: str, at: datetime | None = None, suffix: str = "wav") -> str:
    """A fresh dated name: ``YYYY/MM/DD/<hint>-<uuid>.<suffix>`` (local date of ``at``)."""
    day = timezone.localtime(at or timezone.now())
    return f"{day:%Y/%m/%d}/{_clean_hint(name_hint)}-{uuid.uuid4().hex}.{suffix}"


def recording_store(
    *,
    name_hint: str,
    content: bytes | None = None,
    source_path: str | Path | None = None,
    at: datetime | None = None,
    suffix: str = "wav",
) -> tuple[str, int]:
    """Store a recording given as ``content`` bytes or as a file at
    ``source_path`` (exactly one of them) and return ``(name, size)``: the
    name to keep in ``Recording.file`` and the size in bytes.

    ``name_hint`` is ``"<call id>-<leg>"``; ``at`` (the engine's clock, which
    is virtual in a simulation) dates the folder, now when omitted.
    """
    if (content is None) == (source_path is None):
        raise ValueError("Give either content or source_path.")
    storage = recordings_storage()
    name = recording_name(name_hint=name_hint, at=at, suffix=suffix)
    if content is not None:
        saved = storage.save(name, ContentFile(bytes(content)))
    else:
        with open(source_path, "rb") as source:
            saved = storage.save(name, File(source))
    return saved, storage.size(saved)


def recording_open(name: str):
    """The stored file, open for reading in binary (close it when done).
    Raises ``FileNotFoundError`` when the storage has no such file."""
    if not name:
        raise FileNotFoundError("The recording has no file.")
    storage = recordings_storage()
    if not storage.exists(name):
        raise FileNotFoundError(name)
    return storage.open(name, "rb")


def recording_delete(name: str) -> None:
    """Remove the stored file; a name already gone is not an error."""
    if name:
        recordings_storage().delete(name)


# --- simulated audio -------------------------------------------------------

# One second of the pattern: two short beeps (440 Hz, 660 Hz), then silence.
_PATTERN = ((440, 0.15), (0, 0.1), (660, 0.15), (0, 0.6))
_AMPLITUDE = 0.3 * 32767


def _pattern_second() -> array.array:
    samples = array.array("h")
    for frequency, length in _PATTERN:
        count = round(length * SAMPLE_RATE)
        if not frequency:
            samples.extend([0] * count)
            continue
        step = 2 * math.pi * frequency / SAMPLE_RATE
        samples.extend(round(_AMPLITUDE * math.sin(step * i)) for i in range(count))
    return samples


def _info_chunk(fields: dict[str, str]) -> bytes:
    """A RIFF ``LIST`` chunk of type ``INFO`` with NUL-terminated UTF-8 texts."""
    body = b"INFO"
    for key, text in fields.items():
        value = text.encode("utf-8") + b"\0"
        if len(value) % 2:
            value += b"\0"
        body += key.encode("ascii") + struct.pack("<I", len(value)) + value
    return b"LIST" + struct.pack("<I", len(body)) + body


def simulated_wav(seconds: float, *, label: str) -> bytes:
    """A valid WAV file (8 kHz, 16-bit, mono PCM) of ``seconds`` of a beep
    pattern, with an INFO chunk whose title (INAM) and comment (ICMT) read
    ``"Hotline simulated recording: <label>"``."""
    if seconds < 0:
        raise ValueError("seconds must not be negative")
    frames = round(seconds * SAMPLE_RATE)
    second = _pattern_second()
    samples = second * (frames // len(second) + 1)
    del samples[frames:]
    if sys.byteorder != "little":
        samples.byteswap()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(SAMPLE_WIDTH)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(samples.tobytes())
    data = buffer.getvalue()
    text = SIMULATED_PREFIX + str(label)
    info = _info_chunk({"INAM": text, "ICMT": text, "ISFT": "Hotline sim switch"})
    # Put the INFO list before the "data" chunk (after "fmt "), so a reader
    # that looks only at the head of the file sees it too.
    at = _chunk_offset(data, b"data")
    riff = data[8:at] + info + data[at:]
    return b"RIFF" + struct.pack("<I", len(riff)) + riff


def _chunks(data: bytes):
    """``(kind, offset, body)`` of each chunk after the RIFF/WAVE header."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a WAV file")
    pos = 12
    while pos + 8 <= len(data):
        kind, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        yield kind, pos, data[pos + 8 : pos + 8 + size]
        pos += 8 + size + (size % 2)


def _chunk_offset(data: bytes, wanted: bytes) -> int:
    for kind, offset, _body in _chunks(data):
        if kind == wanted:
            return offset
    raise ValueError(f"no {wanted!r} chunk")


def wav_info(data: bytes) -> dict[str, str]:
    """The texts of a WAV file's RIFF INFO chunk (``{"INAM": …, "ICMT": …}``)."""
    found: dict[str, str] = {}
    for kind, _offset, body in _chunks(data):
        if kind != b"LIST" or body[:4] != b"INFO":
            continue
        sub = 4
        while sub + 8 <= len(body):
            key = body[sub : sub + 4].decode("ascii", "replace")
            length = struct.unpack("<I", body[sub + 4 : sub + 8])[0]
            found[key] = body[sub + 8 : sub + 8 + length].rstrip(b"\0").decode("utf-8")
            sub += 8 + length + (length % 2)
    return found
