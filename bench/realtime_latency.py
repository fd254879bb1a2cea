#!/usr/bin/env python
"""Realtime benchmark (issue 6, "Performance"): how long a call-engine event
takes from the engine to the browser, with 200 agents and a supervisor
connected to ``/ws/events/`` while the simulated switch drives 20 calls a
second, on the in-memory and on the Redis channel layer.

    python bench/realtime_latency.py [--agents 200] [--rate 20] [--warmup 5] [--seconds 30]
                                     [--layers memory,redis] [--redis URL]
                                     [--client-processes 2] [--keep]

For each channel layer: a fresh SQLite database in a temporary data folder
(``migrate``, ``setup_roles``, then the floor: one queue, one number, the
agents at simulated phones that answer by themselves, logged in and ready,
a team lead who watches them, an API token each), uvicorn serving
``config.asgi`` with the engine started in the process
(``TELEPHONY_AUTOSTART=1``) and ``SIM_CALLS_PER_HOUR`` = rate × 3,600, and
client processes holding the WebSocket connections. Latency is the time of
receipt at the client minus the envelope's ``at`` (the server time at which
the engine's step published the event), for every ``telephony.*`` event.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
HOTLINE = "4008009999"
SEED = 20261124
TARGET_P99_MS = 150.0
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0, help="simulated calls per second")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds before measuring")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured window")
    parser.add_argument("--layers", default="memory,redis")
    parser.add_argument("--redis", default=DEFAULT_REDIS, metavar="URL")
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument(
        "--connect-concurrency",
        type=int,
        default=10,
        help="WebSocket handshakes under way at once per client process",
    )
    parser.add_argument("--keep", action="store_true", help="keep the data folders")
    parser.add_argument("--worker", choices=["setup", "clients", "count"], help=argparse.SUPPRESS)
    parser.add_argument("--tokens", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--part", default="0/1", help=argparse.SUPPRESS)
    parser.add_argument("--start-at", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--window", default="", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def log(message: str) -> None:
    print(message, flush=True)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# --- parent --------------------------------------------------------------------


def django_env(data_dir: str, extra: dict | None = None) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "HOTLINE_DATA_DIR": data_dir,
        "DATABASE_URL": f"sqlite:///{Path(data_dir) / 'bench.sqlite3'}",
        # Persistent connections, as a deployment runs them.
        "DATABASE_CONN_MAX_AGE": "600",
        "DEBUG": "0",
    }
    env.pop("REDIS_URL", None)
    env.pop("CHANNEL_LAYER_PREFIX", None)
    if extra:
        env.update(extra)
    return env


def run_self(args_list: list[str], env: dict, label: str) -> dict | None:
    """Run this script as a worker; echo its output, return its RESULT line."""
    command = [sys.executable, str(Path(__file__).resolve()), *args_list]
    result = None
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True, cwd=ROOT) as child:
        for line in child.stdout:
            if line.startswith("RESULT "):
                result = json.loads(line[len("RESULT ") :])
            else:
                print(f"[{label}] {line}", end="", flush=True)
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, server: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"uvicorn exited with {server.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"uvicorn did not listen on {port} within {timeout:.0f} s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def redis_reachable(url: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def redis_clean(url: str, prefix: str) -> int:
    """Delete the run's keys; returns how many groups still had members
    after every client had gone (discards that failed)."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        stale = sum(1 for key in keys if b":group:" in key and client.zcard(key))
        if keys:
            client.delete(*keys)
        return stale
    finally:
        client.close()


def run_layer(layer: str, args) -> dict | None:
    data_dir = tempfile.mkdtemp(prefix=f"hotline-bench-realtime-{layer}-")
    (Path(data_dir) / "static").mkdir()
    extra = {}
    if layer == "redis":
        extra = {
            "REDIS_URL": args.redis,
            "CHANNEL_LAYER_PREFIX": f"hotline-bench-{uuid.uuid4().hex[:8]}",
        }
    env = django_env(data_dir, extra)
    server = None
    try:
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "-v", "0"], env=env, cwd=ROOT, check=True)
        subprocess.run(
            [*manage, "setup_roles", "-v", "0"],
            env=env,
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        tokens = str(Path(data_dir) / "tokens.json")
        run_self(
            ["--worker", "setup", "--agents", str(args.agents), "--tokens", tokens], env, layer
        )

        port = free_port()
        server_env = {
            **env,
            "TELEPHONY_AUTOSTART": "1",
            "TELEPHONY_DRIVER": "sim",
            "SIM_CALLS_PER_HOUR": str(round(args.rate * 3600)),
            "SIM_SEED": str(SEED),
        }
        server = subprocess.Popen(
            [
                str(VENV_BIN / "uvicorn"),
                "config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--lifespan",
                "off",
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env=server_env,
            cwd=ROOT,
        )
        wait_for_port(port, server)
        server_started = time.time()
        log(f"[{layer}] uvicorn pid {server.pid} on port {port}")

        # Clients connect first; the warm-up starts when all parts are in.
        parts = max(1, args.client_processes)
        start_at = time.time() + 3.0 + args.agents / 50
        children = []
        for part in range(parts):
            command = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--worker",
                "clients",
                "--tokens",
                tokens,
                "--port",
                str(port),
                "--part",
                f"{part}/{parts}",
                "--start-at",
                str(start_at),
                "--warmup",
                str(args.warmup),
                "--seconds",
                str(args.seconds),
                "--connect-concurrency",
                str(args.connect_concurrency),
            ]
            children.append(
                subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True, cwd=ROOT)
            )
        measure_from = start_at + args.warmup
        time.sleep(max(0.0, measure_from - time.time()))
        server_cpu0 = cpu_seconds(server.pid)
        time.sleep(args.seconds)
        server_cpu = cpu_seconds(server.pid) - server_cpu0
        part_results = []
        for child in children:
            out, _err = child.communicate()
            for line in out.splitlines():
                if line.startswith("RESULT "):
                    part_results.append(json.loads(line[len("RESULT ") :]))
                elif line.strip():
                    log(f"[{layer} clients] {line}")
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                log(f"[{layer}] uvicorn did not stop within 10 s of SIGINT; killed")
                server.kill()
                server.wait()
    try:
        window = f"{server_started},{measure_from},{measure_from + args.seconds}"
        counts = run_self(["--worker", "count", "--window", window], env, layer)
        if layer == "redis":
            counts["stale_groups"] = redis_clean(args.redis, extra["CHANNEL_LAYER_PREFIX"])
    finally:
        if args.keep:
            log(f"Kept {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    return summarise(layer, args, part_results, counts, server_cpu)


def summarise(layer, args, parts, counts, server_cpu) -> dict:
    latencies = [ms for part in parts for ms in part["latencies_ms"]]
    by_type: dict[str, int] = {}
    for part in parts:
        for kind, n in part["by_type"].items():
            by_type[kind] = by_type.get(kind, 0) + n
    connected = sum(part["connected"] for part in parts)
    supervisor = [ms for part in parts for ms in part["supervisor_ms"]]
    return {
        "layer": layer,
        "clients": connected,
        "expected_clients": args.agents + 1,
        "events": len(latencies),
        "events_per_s": len(latencies) / args.seconds,
        "p50_ms": statistics.median(latencies) if latencies else None,
        "p99_ms": percentile(latencies, 0.99) if latencies else None,
        "max_ms": max(latencies) if latencies else None,
        "supervisor_events": len(supervisor),
        "supervisor_p99_ms": percentile(supervisor, 0.99) if supervisor else None,
        "by_type": by_type,
        "client_cpu": [part["cpu_share"] for part in parts],
        "server_cpu": server_cpu / args.seconds,
        "counts": counts or {},
        "errors": sum(part["errors"] for part in parts),
    }


def print_table(results: list[dict], args) -> None:
    print()
    header = (
        f"{'layer':<8}{'clients':>8}{'events':>8}{'events/s':>10}{'p50 ms':>9}"
        f"{'p99 ms':>9}{'max ms':>9}  target"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        if r["p99_ms"] is None:
            print(f"{r['layer']:<8}{r['clients']:>8}{0:>8}   no events received")
            continue
        ok = "ok" if r["p99_ms"] <= TARGET_P99_MS else "MISSED"
        print(
            f"{r['layer']:<8}{r['clients']:>8}{r['events']:>8,}{r['events_per_s']:>10.1f}"
            f"{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}{r['max_ms']:>9.1f}"
            f"  p99 ≤ {TARGET_P99_MS:g} {ok}"
        )
    print()
    for r in results:
        c = r["counts"]
        print(f"{r['layer']}:")
        if c:
            print(
                f"  calls in the window ({args.seconds:g} s): placed {c['window_placed']:,}, "
                f"answered {c['window_answered']:,}; from the server's start to the "
                f"window's end ({c['run_s']:.0f} s): "
                f"placed {c['placed']:,}, answered {c['answered']:,}, "
                f"not ended {c['open']:,}, ended as {c['dispositions']}"
            )
        if "stale_groups" in c:
            print(
                f"  Redis groups still holding members after all clients left: "
                f"{c['stale_groups']:,} (removed with the run's keys)"
            )
        kinds = ", ".join(f"{k.split('.', 1)[1]} {n:,}" for k, n in sorted(r["by_type"].items()))
        print(f"  events by type: {kinds}")
        if r["supervisor_p99_ms"] is not None:
            print(
                f"  supervisor: {r['supervisor_events']:,} events, "
                f"p99 {r['supervisor_p99_ms']:.1f} ms"
            )
        cpu = " + ".join(f"{share:.0%}" for share in r["client_cpu"])
        print(
            f"  CPU in the window: server {r['server_cpu']:.0%} of a core, "
            f"client processes {cpu}; errors {r['errors']}"
        )


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.worker == "setup":
        worker_setup(args)
        return
    if args.worker == "clients":
        worker_clients(args)
        return
    if args.worker == "count":
        worker_count(args)
        return
    results = []
    for layer in [name.strip() for name in args.layers.split(",") if name.strip()]:
        if layer == "redis" and not redis_reachable(args.redis):
            log(f"Redis not reachable at {args.redis}; skipped.")
            continue
        if layer not in ("memory", "redis"):
            raise SystemExit(f"Unknown layer {layer!r} (memory, redis)")
        log(f"--- {layer} channel layer ---")
        result = run_layer(layer, args)
        if result:
            results.append(result)
    if results:
        print_table(results, args)


# --- children ------------------------------------------------------------------


def django_setup() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def worker_setup(args) -> None:
    """The floor: a queue on the only number, agents logged in and ready at
    simulated phones that answer by themselves (as the demo's simulated
    agents), a team lead watching them; an API token each."""
    django_setup()
    from django.db import transaction
    from django.utils import timezone

    from hotline.accounts.models import ApiToken, Department, Role, Team, User
    from hotline.accounts.services import _refresh_subtree_paths, api_token_create
    from hotline.telephony.models import (
        Agent,
        AgentState,
        AgentStateChange,
        DialledNumber,
        Extension,
        IvrFlow,
        Queue,
        QueueMember,
    )

    roles = {role.code: role for role in Role.objects.all()}
    tokens = {"agents": [], "supervisor": None}
    with transaction.atomic():
        department = Department.objects.create(name="Bench")
        _refresh_subtree_paths(department)
        lead = User(username="bench-lead", department=department)
        lead.set_unusable_password()
        lead.save()
        team = Team.objects.create(name="Bench floor", department=department, lead=lead)
        User.objects.filter(pk=lead.pk).update(team=team)
        lead.refresh_from_db()
        lead.roles.add(roles["lead"])
        queue = Queue.objects.create(
            code="bench", name="Bench", after_call_seconds=2, recording="never"
        )
        flow = IvrFlow.objects.create(
            name="Bench", start="q", nodes={"q": {"type": "queue", "queue": "bench"}}
        )
        DialledNumber.objects.create(number=HOTLINE, label="Bench", flow=flow)
        now = timezone.now()
        for n in range(args.agents):
            user = User(username=f"bench-agent-{n}", department=department, team=team)
            user.set_unusable_password()
            user.save()
            user.roles.add(roles["agent"])
            ext = Extension.objects.create(
                number=f"7{n:04d}", kind=Extension.Kind.SIM, auto_answer=True, recording="never"
            )
            agent = Agent.objects.create(
                user=user, number=f"5{n:04d}", default_extension=ext, after_call_seconds=None
            )
            QueueMember.objects.create(queue=queue, agent=agent, position=n, logged_in=True)
            Agent.objects.filter(pk=agent.pk).update(
                state=AgentState.READY, state_since=now, extension=ext
            )
            AgentStateChange.objects.create(agent=agent, state=AgentState.READY, at=now)
            # Agents may not create API tokens (accounts.add_apitoken); the
            # bench writes theirs as api_token_create does.
            key_id, raw_key = ApiToken.generate_key()
            ApiToken.objects.create(
                user=user, name="bench", key_id=key_id, key_hash=ApiToken.hash_key(raw_key)
            )
            tokens["agents"].append(raw_key)
        _token, tokens["supervisor"] = api_token_create(user=lead, name="bench")
    Path(args.tokens).write_text(json.dumps(tokens))
    log(f"floor: {args.agents} agents ready in queue 'bench' on {HOTLINE}, lead 'bench-lead'")


def worker_clients(args) -> None:
    import asyncio

    asyncio.run(clients_main(args))


async def clients_main(args) -> None:
    import asyncio
    import resource
    from datetime import datetime

    import websockets

    tokens = json.loads(Path(args.tokens).read_text())
    part, parts = (int(x) for x in args.part.split("/"))
    keys = [(False, key) for key in tokens["agents"][part::parts]]
    if part == parts - 1:
        keys.append((True, tokens["supervisor"]))
    url = f"ws://127.0.0.1:{args.port}/ws/events/"
    origin = f"http://127.0.0.1:{args.port}"
    measure_from = args.start_at + args.warmup
    measure_to = measure_from + args.seconds
    latencies: list[float] = []
    supervisor_ms: list[float] = []
    by_type: dict[str, int] = {}
    state = {"connected": 0, "errors": 0}
    gate = asyncio.Semaphore(max(1, args.connect_concurrency))
    at_cache: dict[str, float] = {}

    def at_seconds(text: str) -> float:
        value = at_cache.get(text)
        if value is None:
            if len(at_cache) > 10_000:
                at_cache.clear()
            value = at_cache[text] = datetime.fromisoformat(text).timestamp()
        return value

    async def client(is_supervisor: bool, key: str) -> None:
        try:
            async with gate:
                ws = await websockets.connect(
                    url,
                    origin=origin,
                    additional_headers={"Authorization": f"Bearer {key}"},
                    open_timeout=60,
                    max_queue=None,
                )
                hello = json.loads(await ws.recv())
                if hello.get("type") != "hello":
                    raise RuntimeError(f"no hello: {hello}")
            state["connected"] += 1
            async with ws:
                while True:
                    remaining = measure_to - time.time()
                    if remaining <= 0:
                        break
                    try:
                        raw = await asyncio.wait_for(ws.recv(), remaining)
                    except TimeoutError:
                        break
                    received = time.time()
                    if received < measure_from or received > measure_to:
                        continue
                    envelope = json.loads(raw)
                    kind = envelope.get("type", "")
                    if not kind.startswith("telephony."):
                        continue
                    ms = (received - at_seconds(envelope["at"])) * 1000
                    latencies.append(ms)
                    by_type[kind] = by_type.get(kind, 0) + 1
                    if is_supervisor:
                        supervisor_ms.append(ms)
        except Exception as exc:
            state["errors"] += 1
            when = time.time() - measure_from
            print(
                f"client error {when:+.1f} s from the window's start: "
                f"{exc.__class__.__name__}: {exc}",
                flush=True,
            )

    tasks = [asyncio.create_task(client(sup, key)) for sup, key in keys]
    while time.time() < measure_from:
        await asyncio.sleep(0.05)
    if state["connected"] < len(keys):
        print(
            f"only {state['connected']} of {len(keys)} connected when the window opened",
            flush=True,
        )
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    await asyncio.gather(*tasks)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (usage.ru_utime - usage0.ru_utime) + (usage.ru_stime - usage0.ru_stime)
    result = {
        "connected": state["connected"],
        "errors": state["errors"],
        "latencies_ms": latencies,
        "supervisor_ms": supervisor_ms,
        "by_type": by_type,
        "cpu_share": cpu / args.seconds,
    }
    print("RESULT " + json.dumps(result), flush=True)


def worker_count(args) -> None:
    """Calls placed and answered, in the whole run and in the measured window."""
    django_setup()
    from datetime import UTC, datetime

    from django.db.models import Count

    from hotline.telephony.models import Call

    started, window_from, window_to = (
        datetime.fromtimestamp(float(x), UTC) for x in args.window.split(",")
    )
    # Until the window's end: the server runs on a little while it stops.
    calls = Call.objects.filter(started_at__lt=window_to)
    window = calls.filter(started_at__gte=window_from)
    ended = calls.filter(ended_at__lt=window_to)
    dispositions = dict(
        ended.values_list("disposition").annotate(n=Count("id")).values_list("disposition", "n")
    )
    result = {
        "run_s": (window_to - started).total_seconds(),
        "placed": calls.count(),
        "answered": calls.filter(answered_at__lt=window_to).count(),
        "open": calls.count() - ended.count(),
        "dispositions": dispositions,
        "window_placed": window.count(),
        "window_answered": calls.filter(
            answered_at__gte=window_from, answered_at__lt=window_to
        ).count(),
    }
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
