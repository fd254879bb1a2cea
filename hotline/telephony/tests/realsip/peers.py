"""Real SIP peers for the tests, on 127.0.0.1: SIPp (Debian's `sip-tester`)
as the customer and baresip as an agent's phone. Every process a test starts
is stopped when it ends."""

import shutil
import socket
import subprocess
import time
import wave
from pathlib import Path

SCENARIOS = Path(__file__).parent / "scenarios"
SIPP_PCAPS = Path("/usr/share/sip-tester")
BARESIP_MODULES = Path("/usr/lib/baresip/modules")
# The address SIPp calls from: the carrier of the tests' trunk.
CARRIER_ADDRESS = "127.0.0.2"


def free_port(kind=socket.SOCK_DGRAM, *, even: bool = False) -> int:
    while True:
        with socket.socket(socket.AF_INET, kind) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if not even or port % 2 == 0:
            return port


def tone_wav(path: Path, *, frequency: int = 440, seconds: float = 30, amplitude: float = 0.3):
    """An 8 kHz mono 16-bit WAV of a sine tone (made with sox)."""
    subprocess.run(
        [
            "sox",
            "-n",
            "-r",
            "8000",
            "-c",
            "1",
            "-b",
            "16",
            str(path),
            "synth",
            str(seconds),
            "sine",
            str(frequency),
            "vol",
            str(amplitude),
        ],
        check=True,
        capture_output=True,
    )
    return path


def sipp_command(
    scenario: str,
    *,
    port: int | None,
    workdir: Path,
    service: str = "hotline",
    calls: int = 1,
    rate: float = 1,
    limit: int | None = None,
    transport: str = "u1",
    timeout_s: int = 60,
    extra: list[str] = (),
    address: str = CARRIER_ADDRESS,
    local_port: int | None = None,
) -> list[str]:
    """SIPp running ``scenario`` from ``address`` towards 127.0.0.1:``port``
    (none: a UAS that waits for calls on ``local_port``)."""
    pcap = workdir / "pcap"
    if not pcap.exists():
        pcap.mkdir(parents=True)
        for file in SIPP_PCAPS.glob("*.pcap"):
            shutil.copy(file, pcap / file.name)
    path = SCENARIOS / scenario if not Path(scenario).is_absolute() else Path(scenario)
    remote = [f"127.0.0.1:{port}"] if port is not None else []
    name = Path(scenario).stem
    return [
        "sipp",
        *remote,
        "-sf",
        str(path),
        "-s",
        service,
        "-i",
        address,
        "-p",
        str(local_port or free_port()),
        "-mp",
        str(free_port(even=True)),
        "-m",
        str(calls),
        "-r",
        str(rate),
        "-l",
        str(limit or calls),
        "-t",
        transport,
        "-nostdin",
        "-timeout",
        f"{timeout_s}s",
        "-timeout_error",
        "-trace_err",
        "-error_file",
        str(workdir / f"{name}-errors.log"),
        "-trace_stat",
        "-stf",
        str(workdir / f"{name}-stat.csv"),
        *extra,
    ]


def run_sipp(scenario: str, *, workdir: Path, timeout_s: int = 60, **options):
    """Run a SIPp scenario until its calls end (see ``sipp_command``)."""
    command = sipp_command(scenario, workdir=workdir, timeout_s=timeout_s, **options)
    return subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, timeout=timeout_s + 30
    )


class SippProcess:
    """SIPp in the background (a UAS waiting for the call under test)."""

    def __init__(self, scenario: str, *, workdir: Path, timeout_s: int = 60, **options):
        self.timeout_s = timeout_s
        self.errors = workdir / f"{Path(scenario).stem}-errors.log"
        self.process = subprocess.Popen(
            sipp_command(scenario, workdir=workdir, timeout_s=timeout_s, **options),
            cwd=workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def wait(self) -> tuple[int, str]:
        """SIPp's exit code (0: every call succeeded), and what went wrong."""
        try:
            output, _ = self.process.communicate(timeout=self.timeout_s + 30)
        finally:
            self.stop()
        errors = self.errors.read_text(errors="replace") if self.errors.exists() else ""
        return self.process.returncode, output[-3000:] + errors[-3000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)


class Baresip:
    """A headless baresip phone registered as an extension, its microphone a
    WAV file of a ``tone``; it answers by itself (``answer="auto"``) or rings
    until the call is cancelled (``"manual"``). With ``record`` it keeps what
    it hears (``heard()``)."""

    def __init__(
        self,
        *,
        workdir: Path,
        extension: str,
        password: str,
        registrar_port: int,
        answer: str = "auto",
        tone: int = 1000,
        record: bool = False,
    ):
        self.dir = workdir / f"baresip-{extension}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.extension = extension
        self.source = tone_wav(self.dir / "voice.wav", frequency=tone, seconds=60)
        recorder = ["module sndfile.so", f"snd_path {self.dir}"] if record else []
        self.port = free_port()
        (self.dir / "config").write_text(
            "\n".join(
                [
                    "poll_method epoll",
                    f"sip_listen 127.0.0.1:{self.port}",
                    "net_interface 127.0.0.1",
                    "dns_server 127.0.0.1:53",
                    f"module_path {BARESIP_MODULES}",
                    "module g711.so",
                    "module aufile.so",
                    "module alsa.so",
                    "module_app account.so",
                    "module_app menu.so",
                    f"audio_source aufile,{self.source}",
                    "audio_player alsa,null",
                    "audio_alert alsa,null",
                    "rtp_ports 40000-40999",
                    *recorder,
                    "",
                ]
            )
        )
        (self.dir / "accounts").write_text(
            f"<sip:{extension}@127.0.0.1:{registrar_port};transport=udp>"
            f";auth_pass={password};answermode={answer};regint=60;audio_codecs=PCMA,PCMU\n"
        )
        (self.dir / "contacts").write_text("")
        self.process: subprocess.Popen | None = None
        self.log = self.dir / "baresip.log"

    def start(self) -> "Baresip":
        self._log = open(self.log, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            ["baresip", "-f", str(self.dir)],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process is not None:
            self._log.close()

    def heard(self) -> bytes:
        """The WAV of what the phone played (its decoded audio), when recording;
        complete once the phone has stopped."""
        files = sorted(self.dir.glob("dump-*-dec.wav"))
        return files[-1].read_bytes() if files else b""

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def wait_until(predicate, *, timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def tone_levels(content: bytes, frequency: float, *, block_s: float = 0.1) -> list[float]:
    """How strongly each block of a 16-bit mono WAV held in memory carries
    ``frequency``: the Goertzel amplitude relative to full scale (a
    full-scale sine gives about 1)."""
    import array
    import io
    import math

    with wave.open(io.BytesIO(content)) as wav:
        rate, samples = wav.getframerate(), array.array("h", wav.readframes(wav.getnframes()))
    size = int(rate * block_s)
    coefficient = 2 * math.cos(2 * math.pi * frequency / rate)
    levels = []
    for start in range(0, len(samples) - size + 1, size):
        previous = before = 0.0
        for sample in samples[start : start + size]:
            previous, before = sample + coefficient * previous - before, previous
        power = previous * previous + before * before - coefficient * previous * before
        levels.append(2 * math.sqrt(max(power, 0.0)) / size / 32768)
    return levels


def channel_rms(content: bytes) -> tuple[int, ...]:
    """RMS of each channel of a 16-bit WAV held in memory."""
    import audioop
    import io

    with wave.open(io.BytesIO(content)) as wav:
        channels, frames = wav.getnchannels(), wav.readframes(wav.getnframes())
    if channels == 1:
        return (audioop.rms(frames, 2),)
    left = audioop.tomono(frames, 2, 1, 0)
    right = audioop.tomono(frames, 2, 0, 1)
    return audioop.rms(left, 2), audioop.rms(right, 2)
