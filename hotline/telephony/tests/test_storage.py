"""The recording storage: dated names, store / open / delete from bytes or a
file, and the simulated WAV of the sim switch (valid PCM that says it is
simulated in its RIFF INFO chunk)."""

import array
import io
import re
import struct
import wave
from datetime import UTC, datetime

import pytest
from django.core.files.storage import InMemoryStorage

from hotline.telephony.storage import (
    SAMPLE_RATE,
    recording_delete,
    recording_open,
    recording_store,
    recordings_storage,
    simulated_wav,
    wav_info,
)


def _info_texts(data: bytes) -> dict[str, str]:
    """An independent reading of the LIST/INFO chunk: walk the RIFF chunks."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    assert struct.unpack("<I", data[4:8])[0] == len(data) - 8
    texts, pos = {}, 12
    while pos < len(data):
        kind, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        if kind == b"LIST" and data[pos + 8 : pos + 12] == b"INFO":
            sub, end = pos + 12, pos + 8 + size
            while sub < end:
                key = data[sub : sub + 4].decode()
                length = struct.unpack("<I", data[sub + 4 : sub + 8])[0]
                texts[key] = data[sub + 8 : sub + 8 + length].split(b"\0")[0].decode()
                sub += 8 + length + length % 2
        pos += 8 + size + size % 2
    return texts


def test_the_storage_is_the_one_configured():
    assert isinstance(recordings_storage(), InMemoryStorage)


def test_store_content_under_a_dated_name_and_read_it_back():
    at = datetime(2026, 1, 5, 17, 30, tzinfo=UTC)  # 01:30 on the 6th in Shanghai
    name, size = recording_store(content=b"RIFF-bytes", name_hint="12-leg a/1", at=at)
    assert re.fullmatch(r"2026/01/06/12-leg_a_1-[0-9a-f]{32}\.wav", name), name
    assert size == len(b"RIFF-bytes")
    with recording_open(name) as stored:
        assert stored.read() == b"RIFF-bytes"
    other, _size = recording_store(content=b"x", name_hint="12-leg a/1", at=at)
    assert other != name
    recording_delete(name)
    with pytest.raises(FileNotFoundError):
        recording_open(name)
    recording_delete(name)  # already gone: no error
    with recording_open(other) as stored:
        assert stored.read() == b"x"


def test_store_from_a_file_on_disk(tmp_path):
    source = tmp_path / "leg.wav"
    source.write_bytes(simulated_wav(0.5, label="from disk"))
    name, size = recording_store(source_path=source, name_hint="7-b")
    assert size == source.stat().st_size
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/7-b-[0-9a-f]{32}\.wav", name)
    with recording_open(name) as stored:
        assert stored.read() == source.read_bytes()


def test_store_wants_exactly_one_source(tmp_path):
    with pytest.raises(ValueError):
        recording_store(name_hint="1-a")
    with pytest.raises(ValueError):
        recording_store(content=b"x", source_path=tmp_path / "x", name_hint="1-a")
    with pytest.raises(FileNotFoundError):
        recording_open("")


def test_simulated_wav_is_valid_pcm_and_says_it_is_simulated():
    data = simulated_wav(2.5, label="call 12 leg a")
    with wave.open(io.BytesIO(data)) as reader:
        assert reader.getnchannels() == 1
        assert reader.getsampwidth() == 2
        assert reader.getframerate() == SAMPLE_RATE == 8000
        assert reader.getcomptype() == "NONE"
        assert reader.getnframes() == 20000
        frames = reader.readframes(reader.getnframes())
    texts = _info_texts(data)
    assert texts["INAM"] == "Hotline simulated recording: call 12 leg a"
    assert texts["ICMT"].startswith("Hotline simulated recording: call 12 leg a")
    assert wav_info(data)["INAM"] == texts["INAM"]

    samples = array.array("h", frames)
    # A beep at the start of every second, silence at its end: a pattern, not noise.
    for second in (0, 1):
        start = second * SAMPLE_RATE
        assert max(abs(s) for s in samples[start : start + 1000]) > 5000
        assert set(samples[start + 4000 : start + 8000]) == {0}


def test_simulated_wav_label_may_be_chinese_and_length_zero():
    data = simulated_wav(0, label="王伟 留言")
    with wave.open(io.BytesIO(data)) as reader:
        assert reader.getnframes() == 0
    assert _info_texts(data)["INAM"] == "Hotline simulated recording: 王伟 留言"
    with pytest.raises(ValueError):
        simulated_wav(-1, label="x")
