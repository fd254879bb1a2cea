"""Prompts as 8 kHz mono 16-bit WAV files, ready for the media core: text
spoken by espeak-ng, uploaded audio converted by sox, and music on hold
synthesised by sox. Every result is made once and kept on disk; the tools
run as asyncio subprocesses with their arguments passed directly (never
through a shell), so the event loop stays responsive while they work."""

import asyncio
import contextlib
import hashlib
import logging
import os
import shutil
import tempfile
import wave
from collections.abc import Awaitable, Callable
from pathlib import Path

from hotline.telephony.media.g711 import SAMPLE_RATE, SAMPLE_WIDTH

logger = logging.getLogger(__name__)

MOH_NAME = "music-on-hold"  # the engine plays audio=MOH_NAME while a caller waits
TOOL_TIMEOUT_SECONDS = 60
PARALLEL_TOOLS = 4
SOX_CORE_FORMAT = ("-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", "-e", "signed-integer")
# Music on hold: I–vi–IV–V (C, Am, F, G), each chord two seconds of soft sines
# over the root an octave down, faded in and out, with a little reverb: an
# eight-second loop. Bump the version when the recipe changes.
MOH_VERSION = 1
MOH_CHORDS = (
    (261.63, 329.63, 392.00),
    (220.00, 261.63, 329.63),
    (174.61, 220.00, 261.63),
    (196.00, 246.94, 293.66),
)
MOH_CHORD_SECONDS = 2


class PromptError(RuntimeError):
    """A tool that makes prompts failed."""


def _is_core_format(path: Path) -> bool:
    try:
        with wave.open(str(path), "rb") as source:
            return (source.getnchannels(), source.getsampwidth(), source.getframerate()) == (
                1,
                SAMPLE_WIDTH,
                SAMPLE_RATE,
            )
    except (wave.Error, EOFError):
        return False


def _check_upload_name(name: str) -> None:
    if not name or "/" in name or "\\" in name or ".." in name or "\0" in name:
        raise ValueError(f"{name!r} is not a plain file name")


async def run_tool(*args: str) -> None:
    """Run a program with these arguments; PromptError when it cannot start,
    fails or takes longer than TOOL_TIMEOUT_SECONDS."""
    try:
        process = await asyncio.create_subprocess_exec(
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
    except OSError as error:
        raise PromptError(f"{args[0]} could not be started: {error}") from error
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), TOOL_TIMEOUT_SECONDS)
    except BaseException:  # a timeout or a cancellation: the tool must not outlive us
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        raise
    if process.returncode != 0:
        detail = stderr.decode(errors="replace").strip()[-300:]
        raise PromptError(f"{args[0]} exited with {process.returncode}: {detail}")


class PromptStore:
    """Where prompts come from: ``directory`` holds uploaded audio, and the
    ``tts/`` and ``cache/`` folders below it what was made from text, from
    uploads in another format, and the music on hold."""

    def __init__(self, directory: Path, *, voice: str = "cmn") -> None:
        self.directory = Path(directory)
        self.voice = voice
        self._pending: dict[Path, asyncio.Future] = {}
        self._tools = asyncio.Semaphore(PARALLEL_TOOLS)

    async def tts(self, text: str) -> Path:
        """``text`` spoken by espeak-ng in ``voice``, as a WAV in the core's format."""
        if not text.strip():
            raise ValueError("nothing to say")
        digest = hashlib.sha256(f"{self.voice}\n{text}".encode()).hexdigest()
        target = self.directory / "tts" / f"{digest}.wav"

        async def speak(work: Path, output: Path) -> None:
            spoken = work / "espeak.wav"
            await run_tool("espeak-ng", "-v", self.voice, "-w", str(spoken), "--", text)
            await run_tool("sox", str(spoken), *SOX_CORE_FORMAT, str(output))

        return await self._once(target, speak)

    async def audio(self, name: str) -> Path:
        """The uploaded prompt ``name``, converted once if it is not already
        8 kHz mono 16-bit PCM."""
        _check_upload_name(name)
        source = self.directory / name
        if not source.is_file():
            raise FileNotFoundError(f"no uploaded prompt {name!r}")
        if _is_core_format(source):
            return source
        status = source.stat()
        version = f"{name}\n{status.st_mtime_ns}\n{status.st_size}"
        digest = hashlib.sha256(version.encode()).hexdigest()[:16]
        target = self.directory / "cache" / f"{source.stem}-{digest}.wav"

        async def convert(_work: Path, output: Path) -> None:
            await run_tool("sox", str(source), *SOX_CORE_FORMAT, str(output))

        return await self._once(target, convert)

    async def music_on_hold(self) -> Path:
        """An eight-second loop of soft chords."""
        target = self.directory / "cache" / f"{MOH_NAME}-v{MOH_VERSION}.wav"
        return await self._once(target, self._synthesise_music)

    async def resolve(self, *, text: str = "", audio: str = "") -> Path:
        """The file to play for an engine request: music on hold, an upload or TTS."""
        if audio == MOH_NAME:
            return await self.music_on_hold()
        if audio:
            return await self.audio(audio)
        return await self.tts(text)

    async def _synthesise_music(self, work: Path, output: Path) -> None:
        chords = []
        for number, (root, third, fifth) in enumerate(MOH_CHORDS):
            chord = work / f"chord{number}.wav"
            tones = [f"{frequency:.2f}" for frequency in (root, third, fifth, root / 2)]
            await run_tool(
                "sox", "-n", *SOX_CORE_FORMAT, str(chord),
                "synth", str(MOH_CHORD_SECONDS),
                *[part for tone in tones for part in ("sine", tone)],
                "remix", "-", "fade", "t", "0.25", str(MOH_CHORD_SECONDS), "0.6",
                "gain", "-n", "-14",
            )  # fmt: skip
            chords.append(str(chord))
        await run_tool("sox", *chords, str(output), "reverb", "30")

    async def _once(self, target: Path, make: Callable[[Path, Path], Awaitable[None]]) -> Path:
        """``target``, made by ``make(work_dir, output)`` unless it exists;
        concurrent requests for the same target share one run."""
        if target.exists():
            return target
        pending = self._pending.get(target)
        if pending is None:
            pending = asyncio.ensure_future(self._make(target, make))
            self._pending[target] = pending
            pending.add_done_callback(lambda _done: self._pending.pop(target, None))
        await asyncio.shield(pending)
        return target

    async def _make(self, target: Path, make: Callable[[Path, Path], Awaitable[None]]) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".making-", dir=target.parent))
        try:
            async with self._tools:
                output = work / "output.wav"
                await make(work, output)
            os.replace(output, target)  # atomic: readers see the whole file or none
            logger.info("Prompt %s made", target.name)
        finally:
            shutil.rmtree(work, ignore_errors=True)
