"""Prompts made by espeak-ng and sox, and the WAV files they live in."""

import array
import asyncio
import math
import wave

import pytest

from hotline.telephony.media import prompts as prompts_module
from hotline.telephony.media.prompts import MOH_NAME, PromptStore
from hotline.telephony.media.wav import StereoWavWriter, read_pcm, rms, write_pcm

SILENCE_RMS = 100


def tone(frequency: float, seconds: float, rate: int = 8000, amplitude: int = 8000) -> bytes:
    count = int(seconds * rate)
    return array.array(
        "h", (int(amplitude * math.sin(2 * math.pi * frequency * n / rate)) for n in range(count))
    ).tobytes()


@pytest.fixture
def counted_tools(monkeypatch):
    """Every run of an external tool, by program name."""
    runs = []
    real = prompts_module.run_tool

    async def counting(*args):
        runs.append(args[0])
        await real(*args)

    monkeypatch.setattr(prompts_module, "run_tool", counting)
    return runs


@pytest.mark.asyncio
async def test_tts_speaks_mandarin_at_8_khz_and_is_cached(tmp_path, counted_tools):
    store = PromptStore(tmp_path)
    path = await store.tts("您好，欢迎致电")
    pcm = read_pcm(path)  # raises unless 8 kHz mono 16-bit
    assert path.parent == tmp_path / "tts"
    assert len(pcm) / 16000 > 0.5
    assert rms(pcm) > SILENCE_RMS
    assert counted_tools == ["espeak-ng", "sox"]
    made = path.stat().st_mtime_ns

    again = await store.tts("您好，欢迎致电")
    assert again == path and path.stat().st_mtime_ns == made
    assert counted_tools == ["espeak-ng", "sox"]  # the cache answered
    assert await PromptStore(tmp_path, voice="en").tts("您好，欢迎致电") != path


@pytest.mark.asyncio
async def test_concurrent_requests_for_one_text_run_the_tools_once(tmp_path, counted_tools):
    store = PromptStore(tmp_path)
    paths = await asyncio.gather(*[store.tts("请稍候") for _ in range(5)])
    assert len(set(paths)) == 1
    assert counted_tools == ["espeak-ng", "sox"]
    assert not [p for p in (tmp_path / "tts").iterdir() if p.name.startswith(".making")]


@pytest.mark.asyncio
async def test_text_that_looks_like_an_option_is_spoken_not_obeyed(tmp_path):
    path = await PromptStore(tmp_path).tts("--version")
    assert rms(read_pcm(path)) > SILENCE_RMS


@pytest.mark.asyncio
async def test_empty_text_is_refused(tmp_path):
    with pytest.raises(ValueError):
        await PromptStore(tmp_path).tts("  ")


@pytest.mark.asyncio
@pytest.mark.parametrize("name", ["../x", "a/b", "..", ""])
async def test_audio_accepts_plain_file_names_only(tmp_path, name):
    with pytest.raises(ValueError):
        await PromptStore(tmp_path).audio(name)


@pytest.mark.asyncio
async def test_missing_upload(tmp_path):
    with pytest.raises(FileNotFoundError):
        await PromptStore(tmp_path).audio("nothing.wav")


@pytest.mark.asyncio
async def test_upload_in_core_format_is_used_as_it_is(tmp_path, counted_tools):
    write_pcm(tmp_path / "welcome.wav", tone(440, 0.5))
    assert await PromptStore(tmp_path).audio("welcome.wav") == tmp_path / "welcome.wav"
    assert counted_tools == []


@pytest.mark.asyncio
async def test_upload_in_another_format_is_converted_once(tmp_path, counted_tools):
    with wave.open(str(tmp_path / "hd.wav"), "wb") as target:
        target.setnchannels(2)
        target.setsampwidth(2)
        target.setframerate(16000)
        mono = array.array("h", tone(440, 1.0, rate=16000))
        stereo = array.array("h", (s for sample in mono for s in (sample, sample)))
        target.writeframes(stereo.tobytes())
    store = PromptStore(tmp_path)
    converted = await store.audio("hd.wav")
    assert converted.parent == tmp_path / "cache"
    pcm = read_pcm(converted)
    assert abs(len(pcm) / 16000 - 1.0) < 0.05
    assert rms(pcm) > SILENCE_RMS
    assert await store.audio("hd.wav") == converted
    assert counted_tools == ["sox"]


@pytest.mark.asyncio
async def test_music_on_hold_is_an_audible_loop_made_once(tmp_path, counted_tools):
    store = PromptStore(tmp_path)
    path = await store.music_on_hold()
    pcm = read_pcm(path)
    assert 7.5 < len(pcm) / 16000 < 9
    assert rms(pcm) > SILENCE_RMS
    runs = len(counted_tools)
    assert await store.resolve(audio=MOH_NAME) == path
    assert len(counted_tools) == runs


@pytest.mark.asyncio
async def test_resolve_picks_upload_or_speech(tmp_path):
    write_pcm(tmp_path / "menu.wav", tone(300, 0.2))
    store = PromptStore(tmp_path)
    assert await store.resolve(audio="menu.wav", text="ignored") == tmp_path / "menu.wav"
    assert (await store.resolve(text="你好")).parent == tmp_path / "tts"


@pytest.mark.asyncio
async def test_a_failing_tool_raises_and_leaves_no_file(tmp_path, monkeypatch):
    tools = tmp_path / "bin"
    tools.mkdir()
    broken = tools / "espeak-ng"
    broken.write_text("#!/bin/sh\necho 'no voice here' >&2\nexit 3\n")
    broken.chmod(0o755)
    monkeypatch.setenv("PATH", str(tools))
    store = PromptStore(tmp_path / "prompts")
    with pytest.raises(prompts_module.PromptError, match="no voice here"):
        await store.tts("hello")
    broken.unlink()
    with pytest.raises(prompts_module.PromptError, match="could not be started"):
        await store.tts("hello")
    assert list((tmp_path / "prompts" / "tts").iterdir()) == []


def test_read_pcm_rejects_other_formats(tmp_path):
    with wave.open(str(tmp_path / "cd.wav"), "wb") as target:
        target.setnchannels(1)
        target.setsampwidth(2)
        target.setframerate(44100)
        target.writeframes(b"\0\0" * 100)
    (tmp_path / "text.wav").write_text("not a wav")
    for name in ("cd.wav", "text.wav"):
        with pytest.raises(ValueError):
            read_pcm(tmp_path / name)


def test_stereo_writer_interleaves_and_fixes_the_sizes(tmp_path):
    path = tmp_path / "rec" / "call.wav"
    writer = StereoWavWriter(path)
    left, right = tone(440, 0.02), tone(1000, 0.02)
    for _ in range(50):
        writer.write(left, right)
    assert writer.close() == 1000
    with wave.open(str(path), "rb") as source:
        assert (source.getnchannels(), source.getframerate(), source.getnframes()) == (
            2,
            8000,
            8000,
        )
        frames = array.array("h", source.readframes(160))
    assert frames[0::2] == array.array("h", left)
    assert frames[1::2] == array.array("h", right)


def test_stereo_writer_pads_the_shorter_channel(tmp_path):
    writer = StereoWavWriter(tmp_path / "short.wav")
    writer.write(tone(440, 0.02), b"")
    assert writer.close() == 20
