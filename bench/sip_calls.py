#!/usr/bin/env python
"""Real telephony, concurrency: how many bridged and recorded calls one
Hotline process pinned to one core carries on the `sip` driver, with RTP
loss under 0.1 % and added jitter (p99) under 20 ms.

    python bench/sip_calls.py [--steps 50,100,150,200,250,300] [--hold 30]
                              [--rate 30] [--probes 2] [--churn 0] [--keep-going]
                              [--no-realtime] [--no-gc-freeze]

Hotline (the engine's runner thread and the SIP/RTP loop, as `make run`
starts them) lives in a child process pinned to core 0; SIPp and the probe
run on core 1 (`taskset -c 1`). For each step SIPp calls the hotline number
as many times, each call goes through a queue to an agent whose phone
(another SIPp) answers, both sides stream G.711 A-law all along, and every
call is recorded. Once every call is connected the hold period is measured;
then the agents hang up from the desktop. The probe makes a few of the
calls itself and timestamps its frames: it measures loss and delay through
Hotline end to end. See bench/README.md, "Real telephony (sip driver)".

sip_cps.py shares the set-up below (Hotline, SIPp, ports).
"""

import argparse
import gc
import json
import os
import resource
import selectors
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import benchlib

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = Path(__file__).resolve().parent / "scenarios"
HOTLINE_CORE, PEERS_CORE = 0, 1
REALTIME_PRIORITY = 10  # SCHED_RR, for Hotline only
LOCAL = "127.0.0.1"  # Hotline and the agents' phones
CARRIER = "127.0.0.2"  # the customers' side: the bench trunk's address
HOTLINE_NUMBER, PROBE_NUMBER, IVR_NUMBER = "4008000001", "4008000002", "4008000003"
PROMPT = "您好。"  # the IVR's prompt: about 1.1 s
BYE_WAIT_S = 30  # how long caller_ivr.xml waits for Hotline's BYE
TARGET_CALLS = 100
MAX_LOSS_PERCENT = 0.1
MAX_JITTER_MS = 20.0
HANGUPS_PER_STEP = 20  # agents hanging up in one engine step when a step ends
SIPP_GUARD_S = 1800  # no SIPp outlives this, whatever becomes of the bench
DAY_S = 86_400
PEER_TOOLS = ("sipp", "sox", "espeak-ng", "taskset", "chrt")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", default="50,100,150,200,250,300", help="simultaneous calls")
    parser.add_argument("--hold", type=float, default=30.0, help="seconds measured per step")
    parser.add_argument("--rate", type=float, default=30.0, help="calls set up per second")
    parser.add_argument("--probes", type=int, default=2, help="calls per step made by the probe")
    parser.add_argument(
        "--churn", type=float, default=0.0, help="IVR calls a second arriving during the hold"
    )
    parser.add_argument("--keep-going", action="store_true", help="run every step")
    parser.add_argument("--no-realtime", action="store_true", help="Hotline at normal priority")
    parser.add_argument(
        "--no-gc-freeze",
        dest="gc_freeze",
        action="store_false",
        help="what if: no gc.freeze() once set up (the live process calls it)",
    )
    parser.add_argument("--worker", choices=["sqlite"], help=argparse.SUPPRESS)
    parser.add_argument("--probe", metavar="SPEC", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.steps = sorted({int(step) for step in args.steps.split(",") if step.strip()})
    if args.probes < 1 or not args.steps or min(args.steps) < args.probes:
        parser.error("--probes must be at least 1 and at most the smallest step")
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.probe:
        probe_main(Path(args.probe))
        return
    if args.worker:
        worker(args)
        return
    if not peers_available():
        return
    options = ["--steps", ",".join(map(str, args.steps)), "--hold", str(args.hold)]
    options += ["--rate", str(args.rate), "--probes", str(args.probes), "--churn", str(args.churn)]
    options += ["--keep-going"] * args.keep_going + ["--no-realtime"] * args.no_realtime
    options += ["--no-gc-freeze"] * (not args.gc_freeze)
    result = run_hotline_child(__file__, options, prefix="hotline-bench-sip-calls-")
    if result is None:
        raise SystemExit("The Hotline process ended without a result (see above).")
    print_table(result)


# --- the parent ------------------------------------------------------------------


def peers_available() -> bool:
    """SIPp, sox, espeak-ng, taskset, chrt and two cores are needed;
    without them the bench is skipped with a note."""
    missing = [tool for tool in PEER_TOOLS if shutil.which(tool) is None]
    if missing:
        print(
            f"Skipped: {', '.join(missing)} not found "
            "(Debian packages sip-tester, sox, espeak-ng, util-linux)."
        )
        return False
    if not {HOTLINE_CORE, PEERS_CORE} <= os.sched_getaffinity(0):
        print(f"Skipped: needs cores {HOTLINE_CORE} and {PEERS_CORE} (Hotline and SIPp apart).")
        return False
    return True


def run_hotline_child(script: str, options: list[str], *, prefix: str) -> dict | None:
    """Run ``script --worker sqlite`` on a fresh SQLite database in a
    temporary data folder, which is removed afterwards (also when this
    process is told to terminate: the child then stops by itself)."""
    signal.signal(signal.SIGTERM, raise_interrupt)
    data_dir = tempfile.mkdtemp(prefix=prefix)
    os.environ.update({"LOG_LEVEL": "WARNING", "TELEPHONY_AUTOSTART": "0"})
    os.environ["TELEPHONY_DRIVER"] = "sip"
    os.environ["TMPDIR"] = str(Path(data_dir) / "tmp")  # the switch's recordings, among others
    (Path(data_dir) / "tmp").mkdir()
    try:
        url = f"sqlite:///{Path(data_dir) / 'bench.sqlite3'}"
        return benchlib.run_child(script, "sqlite", options, url, data_dir)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def print_engine_errors(result: dict) -> None:
    for error in result["engine_errors"]:
        print(f"The engine's runner failed: {error}")


def step_verdict(step: dict) -> bool:
    """Every call connected and ended without a failure, within both limits."""
    return (
        step["established"] == step["calls"]
        and step["sipp_failed"] == step["churn"]["sipp_failed"] == 0
        and step["loss_percent"] < MAX_LOSS_PERCENT
        and step["jitter_p99_ms"] < MAX_JITTER_MS
    )


def print_table(result: dict) -> None:
    print()
    print(
        f"Bridged and recorded G.711 calls; Hotline on core {HOTLINE_CORE} "
        f"({result['scheduling']}{', gc.freeze()' if result['gc_freeze'] else ''}), "
        f"SIPp and the probe on core {PEERS_CORE}; "
        f"{result['hold_s']:g} s measured per step"
        + (f", IVR calls arriving at {result['churn']:g}/s meanwhile." if result["churn"] else ".")
    )
    header = (
        f"{'calls':>6} {'up':>5} {'rec':>5} {'loss %':>7} {'probe loss %':>12} "
        f"{'jitter p99 ms':>13} {'probe p99':>9} {'relay p99':>9} {'CPU %':>6}  limits"
    )
    print(header)
    print("-" * len(header))
    for step in result["steps"]:
        print(
            f"{step['calls']:>6} {step['established']:>5} {step['recorded']:>5} "
            f"{step['loss_percent']:>7.3f} {step['probe']['loss_percent']:>12.3f} "
            f"{step['jitter_p99_ms']:>13.2f} {step['probe_jitter_p99_ms']:>9.2f} "
            f"{step['relay_p99_ms']:>9.2f} {step['cpu_percent']:>6.1f}  "
            f"{'ok' if step_verdict(step) else 'MISSED'}"
        )
    best = max((step["calls"] for step in result["steps"] if step_verdict(step)), default=0)
    print()
    print(
        f"Largest count within both limits (loss < {MAX_LOSS_PERCENT} %, added jitter p99 < "
        f"{MAX_JITTER_MS:g} ms): {best} simultaneous calls; target ≥ {TARGET_CALLS}: "
        f"{best / TARGET_CALLS:.2f}× the target ({'ok' if best >= TARGET_CALLS else 'MISSED'})"
    )
    print_engine_errors(result)


# --- peers: SIPp and the probe on the other core --------------------------------


def free_port(*, even: bool = False, block: int = 1, host: str = LOCAL) -> int:
    """A UDP port of ``host`` that is free now, and the ``block - 1`` after it."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((host, 0))
            port = sock.getsockname()[1]
        if (even and port % 2) or port + block > 65535:
            continue
        if all(udp_port_free(host, port + offset) for offset in range(1, block)):
            return port


def udp_port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def voice_file(workdir: Path) -> Path:
    """voice.al: ten seconds of two tones in raw G.711 A-law, what SIPp's
    rtp_stream plays in a loop."""
    path = workdir / "voice.al"
    synth = ["synth", "10", "sine", "440", "sine", "660", "remix", "-", "vol", "0.3"]
    subprocess.run(
        ["sox", "-n", "-r", "8000", "-c", "1", "-t", "al", str(path), *synth],
        check=True,
        capture_output=True,
    )
    return path


class PeerProcess:
    """A program on the peers' core at normal priority (Hotline may run at
    real-time priority, which children would inherit), its errors in
    ``workdir/<name>.log``."""

    def __init__(self, name: str, command: list[str], workdir: Path):
        self.name = name
        prefix = ["chrt", "--other", "0", "taskset", "-c", str(PEERS_CORE)]
        with open(workdir / f"{name}.log", "w") as log:
            self.process = subprocess.Popen(
                [*prefix, *command],
                cwd=workdir,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )

    def wait(self, timeout: float) -> int | None:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            if self.wait(5) is None:
                self.process.kill()
                self.process.wait(5)

    def cpu_seconds(self) -> float:
        """User + system time so far, from /proc (0 once it has exited)."""
        try:
            stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        except OSError:
            return 0.0
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sipp(
    name: str,
    scenario: str,
    workdir: Path,
    *,
    local_ip: str,
    port: int,
    remote: str | None = None,
    service: str = "",
    calls: int = 0,
    rate: float = 10,
    extra: tuple[str, ...] = (),
) -> PeerProcess:
    """SIPp running bench/scenarios/``scenario`` from ``local_ip:port``: a
    client placing ``calls`` at ``rate`` a second to ``remote`` (host:port),
    or a server when ``remote`` is None. Statistics go to ``<name>-stat.csv``
    (one line a second, cumulative counters), errors to ``<name>-errors.log``."""
    media_port = free_port(even=True, block=8, host=local_ip)
    command = ["sipp", *([remote] if remote else [])]
    command += ["-sf", str(SCENARIOS / scenario), "-i", local_ip, "-p", str(port)]
    command += ["-mi", local_ip, "-mp", str(media_port), "-t", "u1", "-nostdin"]
    command += ["-timeout", f"{SIPP_GUARD_S}s", "-trace_err", "-error_file", f"{name}-errors.log"]
    command += ["-trace_stat", "-stf", f"{name}-stat.csv", "-fd", "1"]
    if remote:
        command += ["-s", service, "-m", str(calls), "-r", f"{rate:g}", "-l", str(calls)]
    return PeerProcess(name, [*command, *extra], workdir)


def sipp_totals(workdir: Path, name: str) -> dict[str, int]:
    """SIPp's cumulative counters at its end: {"SuccessfulCall": …, …}."""
    try:
        lines = [line for line in (workdir / f"{name}-stat.csv").read_text().splitlines() if line]
    except OSError:
        return {}
    if len(lines) < 2:
        return {}
    totals = {}
    for key, value in zip(lines[0].split(";"), lines[-1].split(";"), strict=False):
        if key.endswith("(C)") and value.strip().isdigit():
            totals[key[: -len("(C)")]] = int(value)
    return totals


def injection_file(path: Path, rows: list) -> Path:
    path.write_text("SEQUENTIAL\n" + "".join(f"{row};\n" for row in rows))
    return path


# --- Hotline (in the child process) ----------------------------------------------


def log(message: str) -> None:
    print(message, flush=True)


def raise_interrupt(*_args) -> None:
    raise KeyboardInterrupt


def stop_with_parent() -> None:
    """Stop as on Ctrl-C (so that every peer is stopped) when told to
    terminate, or when the bench's own process has gone."""

    def watch(parent: int) -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, raise_interrupt)
    threading.Thread(target=watch, args=(os.getppid(),), name="parent-watch", daemon=True).start()


def take_core(realtime: bool) -> str:
    """Pin this process to Hotline's core and, when allowed, give it
    real-time priority, before any thread starts (threads inherit both)."""
    os.sched_setaffinity(0, {HOTLINE_CORE})
    if not realtime:
        return "normal priority"
    try:
        os.sched_setscheduler(0, os.SCHED_RR, os.sched_param(REALTIME_PRIORITY))
    except PermissionError:
        return "normal priority: real-time not permitted"
    return f"SCHED_RR {REALTIME_PRIORITY}"


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def on_loop(switch, coroutine, timeout: float = 30):
    """Run a coroutine on the switch's SIP/RTP loop and wait for its result."""
    import asyncio

    return asyncio.run_coroutine_threadsafe(coroutine, switch.loop).result(timeout)


def wait_until(predicate, timeout: float, interval: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


class Hotline:
    """The engine on a started `sip` switch, driven by a thread of its own
    as the live runner drives it (``sip_turn``: one step per batch of switch
    events, at least every 0.2 s)."""

    def __init__(self, prompts_dir: Path):
        from hotline.telephony.engine.runtime import (
            engine_install,
            sip_engine,
            sip_switch_from_settings,
        )

        self.switch = sip_switch_from_settings(
            host=LOCAL, port=free_port(), public_host=LOCAL, prompts_dir=prompts_dir
        )
        self.switch.start()
        self.engine = sip_engine(self.switch)
        engine_install(self.engine)
        self.errors: list[str] = []
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="engine-runner", daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        return f"{LOCAL}:{self.switch.port}"

    def _run(self) -> None:
        from django.db import close_old_connections, connections

        from hotline.telephony.engine.runtime import sip_turn

        try:
            while not self._stopped.is_set():
                try:
                    sip_turn(self.engine)
                except Exception as exc:
                    self.errors.append(f"{exc.__class__.__name__}: {exc}")
                finally:
                    close_old_connections()
        finally:
            connections.close_all()

    def stop(self) -> None:
        from hotline.telephony.engine.runtime import engine_uninstall

        self._stopped.set()
        self._thread.join(5)
        engine_uninstall()
        self.switch.stop()

    def step(self, function) -> None:
        """Run ``function(engine)`` in one engine step (its lock, its transaction)."""
        with self.engine.step():
            function(self.engine)

    def login(self, agents, queue) -> None:
        def log_in(engine):
            for agent in agents:
                engine.agent_login(
                    agent=agent, extension=agent.default_extension, queue_ids=[queue.pk]
                )

        self.step(log_in)

    def register(self, extensions: list[str], port: int) -> None:
        """Bind the extensions to the phone at ``LOCAL:port``, as its REGISTER would."""
        from hotline.telephony.sip.b2bua import Registration
        from hotline.telephony.sip.message import Uri
        from hotline.telephony.sip.transport import Peer

        async def bind():
            expires = time.monotonic() + DAY_S
            for number in extensions:
                contact = Uri(scheme="sip", user=number, host=LOCAL, port=port)
                self.switch.b2bua.registrations[number] = Registration(
                    number, contact, Peer("UDP", LOCAL, port), expires
                )

        on_loop(self.switch, bind())

    def prepare_prompt(self, *, text: str = "", audio: str = "") -> None:
        """Make a prompt (speech, music on hold) before the first call needs it."""
        on_loop(self.switch, self.switch.media.prompts.resolve(text=text, audio=audio), 120)

    def calls_in(self, state: str) -> list:
        with self.engine.lock:
            return [call for call in self.engine.calls.values() if call.state == state]

    def live_calls(self) -> int:
        with self.engine.lock:
            return len(self.engine.calls)

    def media_stats(self) -> dict:
        """The media core's LegStats of every leg now, by leg id."""

        async def collect():
            media = self.switch.media
            legs = self.switch.b2bua.leg_ids()
            return {leg: media.stats(leg) for leg in legs if media.has_leg(leg)}

        return on_loop(self.switch, collect())

    def hang_up_agents(self, agent_ids: list[int]) -> None:
        """The agents end their calls from the desktop, a few per engine step."""
        for start in range(0, len(agent_ids), HANGUPS_PER_STEP):
            batch = agent_ids[start : start + HANGUPS_PER_STEP]

            def hang_up(engine, batch=batch):
                for agent_id in batch:
                    engine.agent_hangup(agent_id=agent_id)

            self.step(hang_up)


def carrier_trunk() -> None:
    from hotline.telephony.models import SipTrunk

    SipTrunk.objects.create(name="bench carrier", inbound_addresses=CARRIER)


def ivr_number() -> None:
    """The IVR number: its flow says the prompt, then hangs up."""
    from hotline.telephony.models import DialledNumber, IvrFlow

    flow = IvrFlow.objects.create(
        name="hello and goodbye",
        start="hello",
        nodes={
            "hello": {"type": "play", "text": PROMPT, "next": "bye"},
            "bye": {"type": "hangup"},
        },
    )
    DialledNumber.objects.create(number=IVR_NUMBER, flow=flow)


def recorded_queue(code: str, number: str):
    """A queue that records every call and whose agents are ready again at
    once, behind a dialled number whose flow goes straight to it."""
    from hotline.telephony.models import DialledNumber, IvrFlow, Queue

    queue = Queue.objects.create(
        code=code,
        name=code.title(),
        after_call_seconds=0,
        ring_seconds=30,
        max_wait_seconds=600,
        overflow_action="hangup",
        no_agent_action="hangup",
        recording="always",
    )
    flow = IvrFlow.objects.create(
        name=code, start="queue", nodes={"queue": {"type": "queue", "queue": code}}
    )
    DialledNumber.objects.create(number=number, flow=flow)
    return queue


def queue_agents(queue, count: int, first_extension: int) -> list:
    """``count`` agents of ``queue``, each at a SIP phone of their own that always records."""
    from django.contrib.auth import get_user_model

    from hotline.telephony.models import Agent, Extension, QueueMember

    agents = []
    for n in range(count):
        number = str(first_extension + n)
        user = get_user_model().objects.create(username=f"bench-{queue.code}-{n}")
        extension = Extension.objects.create(
            number=number, kind=Extension.Kind.SIP, recording="always"
        )
        agent = Agent.objects.create(user=user, number=f"9{number}", default_extension=extension)
        QueueMember.objects.create(queue=queue, agent=agent, position=n)
        agents.append(agent)
    return agents


class FullCollections:
    """The full (generation 2) garbage collections of this process: when each
    ended and how long it held the interpreter, so every thread."""

    def __init__(self):
        self.pauses: list[tuple[int, float]] = []  # (end, ns; length, ms)
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append((time.time_ns(), (time.perf_counter() - self._started) * 1000))

    def between(self, start_ns: int, end_ns: int) -> list[float]:
        return [ms for at, ms in self.pauses if start_ns <= at < end_ns]


# --- the probe: end-to-end loss and delay of a few calls -------------------------

PROBE_MAGIC = b"HLPB"
PROBE_STAMP = struct.Struct("!4sBQI")  # magic, sending side, send time (ns, realtime), sequence
RTP_HEADER = struct.Struct("!BBHII")
PCMA, FRAME_S, FRAME_BYTES = 8, 0.02, 160
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
TIMESPEC = struct.Struct("qq")
PROBE_LATE_S = 0.05  # the probe's own loop this late: the machine itself stalled


class ProbeSide:
    """One end of a probe call: a timestamped A-law frame every 20 ms to
    where Hotline's audio for this leg comes from, and the kernel's receive
    time of each frame of the other end."""

    def __init__(self, number: int, host: str):
        self.number = number
        self.sock, self._rtcp = rtp_socket_pair(host)  # RTCP is taken, and ignored
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]
        self.remote = None  # learnt from the first packet (music on hold, or relayed audio)
        self.sequence = 0
        self.ssrc = int.from_bytes(os.urandom(4), "big")
        self.sent: list[tuple[int, int]] = []  # (sequence, send ns)
        self.received: list[tuple[int, int, int, int]] = []  # (side, sequence, sent, arrival)

    def send(self) -> None:
        self.sequence += 1
        sequence = self.sequence
        header = RTP_HEADER.pack(
            0x80, PCMA, sequence & 0xFFFF, (sequence * FRAME_BYTES) & 0xFFFFFFFF, self.ssrc
        )
        sent_ns = time.time_ns()
        stamp = PROBE_STAMP.pack(PROBE_MAGIC, self.number, sent_ns, sequence)
        payload = stamp.ljust(FRAME_BYTES, b"\xd5")
        try:
            self.sock.sendto(header + payload, self.remote)
        except OSError:
            return
        self.sent.append((sequence, sent_ns))

    def receive(self) -> None:
        while True:
            try:
                data, ancillary, _flags, source = self.sock.recvmsg(2048, socket.CMSG_SPACE(16))
            except (BlockingIOError, InterruptedError):
                return
            arrival = time.time_ns()
            for level, kind, value in ancillary:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    seconds, nanoseconds = TIMESPEC.unpack(value[: TIMESPEC.size])
                    arrival = seconds * 1_000_000_000 + nanoseconds
            self.remote = self.remote or source
            payload = data[RTP_HEADER.size :]
            if payload.startswith(PROBE_MAGIC) and len(payload) >= PROBE_STAMP.size:
                _magic, side, sent_ns, sequence = PROBE_STAMP.unpack_from(payload)
                self.received.append((side, sequence, sent_ns, arrival))


def rtp_socket_pair(host: str) -> tuple[socket.socket, socket.socket]:
    """A UDP socket on an even port of ``host`` and one on the port above."""
    while True:
        rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rtp.bind((host, 0))
        port = rtp.getsockname()[1]
        if port % 2 == 0 and port < 65535:
            rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                rtcp.bind((host, port + 1))
            except OSError:
                rtcp.close()
            else:
                return rtp, rtcp
        rtp.close()


def probe_main(spec_path: Path) -> None:
    """The probe process: a side on each host of ``spec``, whose ports it
    writes to the spec's ``ports`` file once bound; it runs until SIGTERM
    (or ``seconds``) and then writes what it saw to ``output``."""
    spec = json.loads(spec_path.read_text())
    sides = [ProbeSide(number, host) for number, host in enumerate(spec["hosts"])]
    ports = Path(spec["ports"])
    ports.with_suffix(".tmp").write_text(json.dumps([side.port for side in sides]))
    ports.with_suffix(".tmp").rename(ports)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    selector = selectors.DefaultSelector()
    for side in sides:
        selector.register(side.sock, selectors.EVENT_READ, side)
    deadline = time.monotonic() + spec["seconds"]
    next_frame = time.monotonic()
    late = []  # (ns, ms)
    while not stopping and time.monotonic() < deadline:
        for key, _events in selector.select(max(0.0, next_frame - time.monotonic())):
            key.data.receive()
        now = time.monotonic()
        if now < next_frame:
            continue
        if now - next_frame > PROBE_LATE_S:
            late.append((time.time_ns(), (now - next_frame) * 1000))
        for side in sides:
            if side.remote is not None:
                side.send()
        next_frame = max(next_frame + FRAME_S, now - 0.1)
    report = [{"sent": side.sent, "received": side.received} for side in sides]
    Path(spec["output"]).write_text(json.dumps({"sides": report, "late": late}))


class Probe:
    """The probe process and its SIPp pair for one step: ``calls`` calls to
    the probe's own queue, each with a customer side and an agent side."""

    def __init__(self, workdir: Path, name: str, calls: int, *, hotline: str, phone_port: int):
        self.output, ports = workdir / f"{name}.json", workdir / f"{name}-ports.json"
        spec = workdir / f"{name}-spec.json"
        hosts = [CARRIER] * calls + [LOCAL] * calls  # customers' sides, then agents'
        options = {"hosts": hosts, "ports": str(ports), "seconds": DAY_S}
        spec.write_text(json.dumps({**options, "output": str(self.output)}))
        command = [sys.executable, str(Path(__file__).resolve()), "--probe", str(spec)]
        self.process = PeerProcess(name, command, workdir)
        if not wait_until(lambda: ports.exists() or self.process.process.poll() is not None, 20):
            self.process.stop()
        if not ports.exists():
            raise RuntimeError(f"The probe did not start: see {name}.log")
        bound = json.loads(ports.read_text())
        customer_ports, agent_ports = bound[:calls], bound[calls:]
        agents_inf = injection_file(workdir / f"{name}-agents.csv", agent_ports)
        customers_inf = injection_file(workdir / f"{name}-customers.csv", customer_ports)
        self.phone = sipp(
            f"{name}-agents",
            "agent_probe.xml",
            workdir,
            local_ip=LOCAL,
            port=phone_port,
            extra=("-inf", str(agents_inf)),
        )
        self.customers = sipp(
            f"{name}-customers",
            "customer_probe.xml",
            workdir,
            local_ip=CARRIER,
            port=free_port(host=CARRIER),
            remote=hotline,
            service=PROBE_NUMBER,
            calls=calls,
            rate=calls,
            extra=("-inf", str(customers_inf)),
        )

    def finish(self) -> dict:
        """What the probe saw, once its calls have ended."""
        self.customers.wait(30)
        self.process.process.send_signal(signal.SIGTERM)
        self.process.wait(10)
        self.stop()
        try:
            return json.loads(self.output.read_text())
        except (OSError, ValueError):
            return {"sides": [], "late": []}

    def stop(self) -> None:
        for peer in (self.customers, self.phone, self.process):
            peer.stop()


def probe_figures(report: dict, start_ns: int, end_ns: int) -> dict:
    """Loss and one-way delay through Hotline of the probe frames sent in
    [start, end) by every side (customer → agent, agent → customer), and
    how often the probe itself ran late then."""
    late = [ms for at, ms in report["late"] if start_ns <= at < end_ns]
    arrived = {
        (source, sequence): at
        for side in report["sides"]
        for source, sequence, _sent, at in side["received"]
    }
    delays, sent = [], 0
    for number, side in enumerate(report["sides"]):
        for sequence, sent_ns in side["sent"]:
            if start_ns <= sent_ns < end_ns:
                sent += 1
                if (number, sequence) in arrived:
                    delays.append((arrived[number, sequence] - sent_ns) / 1e6)
    ordered = sorted(delays) or [0.0]
    return {
        "frames": sent,
        "loss_percent": 100.0 * (sent - len(delays)) / sent if sent else 100.0,
        "delay_min_ms": ordered[0],
        "delay_p50_ms": statistics.median(ordered),
        "delay_p99_ms": percentile(ordered, 0.99),
        "delay_max_ms": ordered[-1],
        "late": len(late),
        "late_max_ms": max(late, default=0.0),
    }


def percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# --- one step ----------------------------------------------------------------------


def hotline_figures(before: dict, after: dict) -> dict:
    """RTP that Hotline received between two snapshots of its legs: packets
    and losses (sequence gaps), and the receive → relay delay of each leg's
    last 1,000 relayed packets (the worst leg's p99, the median leg's)."""
    packets = lost = 0
    for leg, stats in after.items():
        if leg in before:
            packets += stats.packets_in - before[leg].packets_in
            lost += stats.lost - before[leg].lost
    relay = sorted(stats.relay_delay_p99_ms for stats in after.values()) or [0.0]
    return {
        "packets_in": packets,
        "lost": lost,
        "hotline_loss_percent": 100.0 * lost / (packets + lost) if packets + lost else 100.0,
        "relay_p99_ms": relay[-1],
        "relay_p99_median_leg_ms": statistics.median(relay),
    }


def core_ticks(core: int) -> tuple[int, int]:
    """(busy, all) jiffies of one core since boot, from /proc/stat."""
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith(f"cpu{core} "):
            values = [int(value) for value in line.split()[1:]]
            return sum(values) - values[3] - values[4], sum(values)  # less idle and iowait
    return 0, 0


def busy_percent(before: tuple[int, int], after: tuple[int, int]) -> float:
    return 100.0 * (after[0] - before[0]) / max(1, after[1] - before[1])


def process_usage() -> tuple[float, int]:
    """This process's CPU seconds (all threads) and involuntary context switches."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime, usage.ru_nivcsw


def measure_hold(hotline: Hotline, hold_s: float, peers: list) -> dict:
    """The hold period: Hotline's legs before and after it, its CPU time,
    how busy each core was (with whatever else runs on the machine) and the
    peers' share."""
    peers = [peer for peer in peers if peer is not None]
    before = hotline.media_stats()
    (cpu, preempted), peers_cpu = process_usage(), sum(peer.cpu_seconds() for peer in peers)
    cores = [core_ticks(HOTLINE_CORE), core_ticks(PEERS_CORE)]
    start, start_ns = time.monotonic(), time.time_ns()
    time.sleep(hold_s)
    wall, end_ns = time.monotonic() - start, time.time_ns()
    cpu_after, preempted_after = process_usage()
    peers_cpu = sum(peer.cpu_seconds() for peer in peers) - peers_cpu
    cores_after = [core_ticks(HOTLINE_CORE), core_ticks(PEERS_CORE)]
    after = hotline.media_stats()
    return {
        "window_ns": (start_ns, end_ns),
        "cpu_percent": 100.0 * (cpu_after - cpu) / wall,
        "preempted": preempted_after - preempted,
        "core0_percent": busy_percent(cores[0], cores_after[0]),
        "core1_percent": busy_percent(cores[1], cores_after[1]),
        "peers_cpu_percent": 100.0 * peers_cpu / wall,
        **hotline_figures(before, after),
    }


def recordings_count() -> int:
    from hotline.telephony.models import Recording

    return Recording.objects.count()


class World:
    """What the steps share: the working folder of SIPp and the probe, the
    agents' phone (one SIPp for every agent), the probe phone's port."""

    def __init__(self, workdir: Path, phones: PeerProcess, probe_phone_port: int):
        self.workdir, self.phones, self.probe_phone_port = workdir, phones, probe_phone_port
        self.collections = FullCollections()
        self.runs = 0


def run_step(hotline: Hotline, world: World, calls: int, args) -> dict:
    """``calls`` simultaneous calls: set up at ``args.rate`` a second,
    measured for ``args.hold`` seconds once all are connected (with IVR
    calls arriving meanwhile at ``args.churn`` a second), then hung up by
    their agents."""
    world.runs += 1
    name = f"step{world.runs}-{calls}"
    started_ns, recorded = time.time_ns(), recordings_count()
    probe = Probe(
        world.workdir,
        f"{name}-probe",
        args.probes,
        hotline=hotline.address,
        phone_port=world.probe_phone_port,
    )
    bulk = calls - args.probes
    customers = callers(hotline, world, f"{name}-customers", HOTLINE_NUMBER, bulk, args.rate)
    churn = None
    try:
        connected = wait_connected(hotline, calls, timeout=bulk / args.rate * 2 + 20)
        if args.churn:
            churn_calls = round(args.churn * args.hold)
            churn = callers(hotline, world, f"{name}-churn", IVR_NUMBER, churn_calls, args.churn)
        window = measure_hold(hotline, args.hold, [customers, world.phones, probe.process, churn])
        ended = end_calls(hotline, customers, churn)
        report = probe.finish()
    finally:
        for peer in (customers, churn, probe):
            if peer is not None:
                peer.stop()
    step = {
        "calls": calls,
        **connected,
        "recorded": recordings_count() - recorded,
        **ended,
        **sipp_outcome(world.workdir, [f"{name}-customers", f"{name}-probe-customers"]),
        "churn": {"rate": args.churn, **sipp_outcome(world.workdir, [f"{name}-churn"])},
    }
    return step | media_figures(window, report, world.collections, started_ns)


def callers(hotline: Hotline, world: World, name: str, number: str, calls: int, rate: float):
    """SIPp calling ``number`` from the carrier's address, ``calls`` calls at
    ``rate`` a second: customers who talk until their agent hangs up, or IVR
    callers."""
    return sipp(
        name,
        "caller_ivr.xml" if number == IVR_NUMBER else "customer_bridged.xml",
        world.workdir,
        local_ip=CARRIER,
        port=free_port(host=CARRIER),
        remote=hotline.address,
        service=number,
        calls=calls,
        rate=rate,
    )


def wait_connected(hotline: Hotline, calls: int, timeout: float) -> dict:
    """How many calls are connected, and recording, once ``calls`` are (or
    when ``timeout`` is up)."""
    from hotline.telephony.models import Call

    wait_until(lambda: len(hotline.calls_in(Call.State.CONNECTED)) >= calls, timeout)
    connected = hotline.calls_in(Call.State.CONNECTED)
    return {
        "established": len(connected),
        "recording": sum(1 for call in connected if call.recording),
    }


def end_calls(hotline: Hotline, customers: PeerProcess, churn: PeerProcess | None) -> dict:
    """The agents hang up; every call is over once SIPp has ended and the
    engine holds no call any more."""
    from hotline.telephony.models import Call

    still = hotline.calls_in(Call.State.CONNECTED)
    hotline.hang_up_agents([call.agent_id for call in still])
    customers_exit = customers.wait(60)
    if churn is not None:
        churn.wait(BYE_WAIT_S + 10)
    return {
        "still_connected": len(still),
        "sipp_exit": customers_exit,
        "drained": wait_until(lambda: hotline.live_calls() == 0, 60),
    }


def sipp_outcome(workdir: Path, names: list[str]) -> dict:
    totals = [sipp_totals(workdir, name) for name in names]
    return {
        "sipp_successful": sum(total.get("SuccessfulCall", 0) for total in totals),
        "sipp_failed": sum(total.get("FailedCall", 0) for total in totals),
    }


def media_figures(window: dict, report: dict, collections, started_ns: int) -> dict:
    """The hold period's figures: Hotline's, the probe's over the same
    window, the limits' measures (the worse of the two), full collections."""
    window = dict(window)
    window_ns = window.pop("window_ns")
    probe = probe_figures(report, *window_ns)
    probe_jitter = probe["delay_p99_ms"] - probe["delay_min_ms"]
    gc_window = collections.between(*window_ns)
    gc_step = collections.between(started_ns, time.time_ns())
    return {
        **window,
        "probe": probe,
        "probe_jitter_p99_ms": probe_jitter,
        "jitter_p99_ms": max(probe_jitter, window["relay_p99_ms"]),
        "loss_percent": max(window["hotline_loss_percent"], probe["loss_percent"]),
        "full_gc_window": len(gc_window),
        "full_gc_window_max_ms": max(gc_window, default=0.0),
        "full_gc_step": len(gc_step),
        "full_gc_step_max_ms": max(gc_step, default=0.0),
    }


def step_line(step: dict) -> str:
    probe = step["probe"]
    return (
        f"{step['calls']} calls: {step['established']} connected, {step['recording']} recording, "
        f"{step['recorded']} recordings saved; SIPp {step['sipp_successful']} ok / "
        f"{step['sipp_failed']} failed (exit {step['sipp_exit']}), drained {step['drained']}"
        f"{churn_note(step['churn'])}. "
        f"Hotline received {step['packets_in']:,} RTP packets, {step['lost']} lost; relay p99 "
        f"worst leg {step['relay_p99_ms']:.2f} ms, median leg "
        f"{step['relay_p99_median_leg_ms']:.2f} ms. Probe: {probe['frames']:,} frames, loss "
        f"{probe['loss_percent']:.3f} %, delay min {probe['delay_min_ms']:.2f} / p50 "
        f"{probe['delay_p50_ms']:.2f} / p99 {probe['delay_p99_ms']:.2f} / max "
        f"{probe['delay_max_ms']:.2f} ms, ran late {probe['late']} times (longest "
        f"{probe['late_max_ms']:.0f} ms). CPU {step['cpu_percent']:.1f} % of a core, preempted "
        f"{step['preempted']} times; core 0 {step['core0_percent']:.0f} % busy, core 1 "
        f"{step['core1_percent']:.0f} % (peers {step['peers_cpu_percent']:.0f} %). Full GCs: "
        f"{step['full_gc_window']} in the window (longest {step['full_gc_window_max_ms']:.0f} "
        f"ms), {step['full_gc_step']} in the step (longest {step['full_gc_step_max_ms']:.0f} ms)."
    )


def churn_note(churn: dict) -> str:
    if not churn["rate"]:
        return ""
    return f"; IVR calls meanwhile {churn['sipp_successful']} ok / {churn['sipp_failed']} failed"


def run_steps(hotline: Hotline, world: World, args) -> list[dict]:
    """Every step in turn, until one misses a limit (unless --keep-going) or
    leaves calls behind. A step whose calls all went through but whose audio
    missed a limit while the probe on the other core was itself held up (the
    whole machine stalled), or during which the probe sent nothing, is run
    once more."""
    steps = []
    for calls in args.steps:
        step = run_step(hotline, world, calls, args)
        log(step_line(step))
        if probe_silent(step) or machine_stalled(step):
            why = "the probe sent nothing" if probe_silent(step) else "the machine stalled"
            log(f"{calls} calls: {why} during the window; once more.")
            step = run_step(hotline, world, calls, args)
            step["repeated"] = True
            log(step_line(step))
        steps.append(step)
        if not step["drained"]:
            log("Calls were left when the step ended: no further step.")
            break
        if not step_verdict(step) and not args.keep_going:
            log("A limit was missed: the larger steps are not run (--keep-going runs them).")
            break
    return steps


def probe_silent(step: dict) -> bool:
    """The probe sent no frame in the window (it never heard Hotline's
    audio, or failed: its log is in the step's working folder)."""
    return step["probe"]["frames"] == 0


def machine_stalled(step: dict) -> bool:
    calls_fine = step["established"] == step["calls"] and step["drained"]
    return calls_fine and not step_verdict(step) and step["probe"]["late"] > 0


def worker(args) -> None:
    scheduling = take_core(realtime=not args.no_realtime)
    stop_with_parent()
    setup_django()
    from django.conf import settings

    carrier_trunk()
    ivr_number()
    bench_queue = recorded_queue("bench", HOTLINE_NUMBER)
    probe_queue = recorded_queue("probe", PROBE_NUMBER)
    agents = queue_agents(bench_queue, max(args.steps), 10_000)
    probe_agents = queue_agents(probe_queue, args.probes, 70_000)
    workdir = Path(tempfile.mkdtemp(prefix="sipp-", dir=settings.DATA_DIR))
    voice_file(workdir)
    with ExitStack() as stack:
        hotline = Hotline(settings.DATA_DIR / "prompts")
        stack.callback(hotline.stop)
        hotline.prepare_prompt(audio="music-on-hold")
        hotline.prepare_prompt(text=PROMPT)
        phones_port, probe_phone_port = free_port(), free_port()
        phones = sipp("phones", "agent_bridged.xml", workdir, local_ip=LOCAL, port=phones_port)
        stack.callback(phones.stop)
        for queue, members, port in (
            (bench_queue, agents, phones_port),
            (probe_queue, probe_agents, probe_phone_port),
        ):
            hotline.login(members, queue)
            hotline.register([agent.default_extension.number for agent in members], port)
        if args.gc_freeze:
            gc.freeze()  # as _run_live_sip does: full GCs stay short
        steps = run_steps(hotline, World(workdir, phones, probe_phone_port), args)
        errors = list(hotline.errors)
    result = {
        "scheduling": scheduling,
        "hold_s": args.hold,
        "rate": args.rate,
        "churn": args.churn,
        "gc_freeze": args.gc_freeze,
        "steps": steps,
        "engine_errors": errors,
    }
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
