#!/usr/bin/env python
"""Telephony benchmark (issue 5, "Performance"): routing decision latency
with 1,000 logged-in agents in 50 queues with skills, and a simulated 8-hour
day of 50 agents and 20,000 inbound calls through IVR → queue → agent → CDR
on the `sim` switch in virtual time, on SQLite and PostgreSQL.

    python bench/telephony.py [--calls 20000] [--agents 50] [--hours 8]
                              [--decisions 100000]
                              [--postgres URL | --no-postgres] [--no-sqlite] [--keep]

Each database runs in a child process of its own (see benchlib). The day's
callers follow the sim's seeded distributions (patience, talk time, menu
keys); queues record nothing (a simulated recording is a file per call), and
abandoned calls leave callbacks as in production. The engine commits one
transaction per simulated minute, as the live runner commits one per tick.
"""

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import benchlib

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/hotline_bench_telephony"
SEED = 20261124
TARGETS = {"route_p99_us": 2000.0, "day_s": 60.0}
HOTLINE = "4008001234"
CHUNK_MS = 300_000  # one transaction per 5 simulated minutes


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--decisions", type=int, default=100_000)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, metavar="URL")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the databases for inspection")
    parser.add_argument("--worker", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def run_child(backend: str, args, database_url: str, data_dir: str) -> dict | None:
    options = [
        "--calls",
        str(args.calls),
        "--agents",
        str(args.agents),
        "--hours",
        str(args.hours),
        "--decisions",
        str(args.decisions),
    ]
    return benchlib.run_child(__file__, backend, options, database_url, data_dir)


def verdict(value: float, target: float) -> str:
    return f"≤ {target:g} {'ok' if value <= target else 'MISSED'}"


def print_table(results: list[dict]) -> None:
    print()
    header = f"{'database':<11}{'measure':<44}{'result':>26}  target"
    print(header)
    print("-" * len(header))
    for r in results:
        db = r["backend"]
        if "route" in r:
            route = r["route"]
            figures = f"p50 {route['p50_us']:.1f} µs  p99 {route['p99_us']:.1f} µs"
            target = verdict(route["p99_us"], TARGETS["route_p99_us"])
            label = "routing decision, 1,000 agents / 50 queues"
            print(f"{db:<11}{label:<44}{figures:>26}  p99 {target} µs")
        day = r["day"]
        label = f"{day['hours']:g} h day, {day['agents']} agents, {day['calls']:,} calls"
        wall = f"{day['wall_s']:.1f} s wall"
        print(f"{db:<11}{label:<44}{wall:>26}  {verdict(day['wall_s'], TARGETS['day_s'])} s")
        outcome = f"{day['answered']} / {day['abandoned']} / {day['voicemail']}"
        print(f"{'':<11}{'  answered / abandoned / voicemail':<44}{outcome:>26}")
        left = f"{day['open_calls']} / {day['open_legs']} / {day['bad_sums']}"
        print(f"{'':<11}{'  open calls / open legs / bad sums after':<44}{left:>26}")
        print(f"{'':<11}{'  calls per wall second':<44}{day['calls'] / day['wall_s']:>26.0f}")


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.worker:
        worker(args)
        return
    results = benchlib.run_on_databases(args, run_child, prefix="hotline-bench-telephony-")
    if results:
        print_table(results)


# --- child ---------------------------------------------------------------------


def log(message: str) -> None:
    print(message, flush=True)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure_routing(decisions: int) -> dict:
    """``choose_agent`` over a floor of 1,000 agents in 50 queues, 40 % ready,
    a third of the queues asking for a skill level, every strategy in use."""
    from hotline.telephony.engine.acd import choose_agent
    from hotline.telephony.engine.state import AgentRun, CallRun, QueueRun

    rng = random.Random(SEED)
    strategies = ["longest_idle", "round_robin", "fewest_calls", "skills", "sticky"]
    queues = [
        QueueRun(
            id=q,
            code=f"q{q}",
            name=f"Q{q}",
            strategy=strategies[q % 5],
            skill_id=(q % 10) if q % 3 == 0 else None,
            min_skill_level=2,
            ring_ms=20_000,
            sticky_ms=30_000,
            max_wait_ms=120_000,
            overflow_action="voicemail",
            no_agent_action="voicemail",
            overflow_queue_id=None,
            after_call_ms=10_000,
            service_level_ms=20_000,
            recording="never",
        )
        for q in range(50)
    ]
    agents, members = {}, {q.id: set() for q in queues}
    for a in range(1000):
        queue_ids = set(rng.sample(range(50), rng.randint(2, 5)))
        agents[a] = AgentRun(
            id=a,
            user_id=a,
            number=f"{a:04d}",
            extension=f"8{a:04d}",
            recording="never",
            after_call_ms=None,
            skills={s: rng.randint(1, 5) for s in rng.sample(range(10), 3)},
            queue_ids=queue_ids,
            positions={q: a for q in queue_ids},
            state="ready" if rng.random() < 0.4 else "talking",
            idle_since_ms=rng.randrange(3_600_000),
            calls_taken=rng.randrange(40),
        )
        for q in queue_ids:
            members[q].add(a)
    calls = [
        CallRun(
            id=n,
            direction="inbound",
            caller="",
            called="",
            started_ms=0,
            seq=n,
            last_agent_id=rng.randrange(1000),
            sticky_until_ms=rng.choice([0, 10**9]),
        )
        for n in range(1000)
    ]
    timings = []
    for n in range(decisions):
        queue = queues[n % 50]
        call = calls[n % 1000]
        started = time.perf_counter_ns()
        choose_agent(queue, call, members[queue.id], agents, 5_000)
        timings.append((time.perf_counter_ns() - started) / 1000)
    return {
        "n": decisions,
        "p50_us": statistics.median(timings),
        "p99_us": percentile(timings, 0.99),
        "members_per_queue": sum(len(m) for m in members.values()) / 50,
    }


def build_floor(n_agents: int):
    from django.contrib.auth import get_user_model

    from hotline.telephony.models import (
        Agent,
        DialledNumber,
        Extension,
        IvrFlow,
        Queue,
        QueueMember,
    )

    sales = Queue.objects.create(
        code="sales",
        name="Sales",
        after_call_seconds=5,
        max_wait_seconds=120,
        overflow_action="voicemail",
        recording="never",
    )
    service = Queue.objects.create(
        code="service",
        name="Service",
        strategy="round_robin",
        after_call_seconds=5,
        max_wait_seconds=120,
        overflow_action="voicemail",
        recording="never",
    )
    flow = IvrFlow.objects.create(
        name="Day",
        start="menu",
        nodes={
            "menu": {
                "type": "menu",
                "text": "欢迎致电。购物请按1，售后请按2。",
                "choices": {"1": "sales", "2": "service"},
                "retries": 1,
                "invalid": "sales",
            },
            "sales": {"type": "queue", "queue": "sales"},
            "service": {"type": "queue", "queue": "service"},
        },
    )
    DialledNumber.objects.create(number=HOTLINE, flow=flow)
    User = get_user_model()
    agents = []
    for n in range(n_agents):
        user = User.objects.create(username=f"bench-agent-{n}")
        ext = Extension.objects.create(
            number=f"8{n:03d}", kind="sim", auto_answer=True, recording="never"
        )
        agent = Agent.objects.create(user=user, number=f"{n:03d}", default_extension=ext)
        QueueMember.objects.create(queue=sales, agent=agent, position=n)
        if n % 3 == 0:
            QueueMember.objects.create(queue=service, agent=agent, position=n)
        agents.append(agent)
    return agents


def measure_day(args) -> dict:
    from hotline.telephony.engine.core import engine_start
    from hotline.telephony.engine.runtime import engine_install, sim_engine, sim_register_phones
    from hotline.telephony.models import Call, CallLeg
    from hotline.telephony.switch.sim import SimTraffic, TrafficProfile

    agents = build_floor(args.agents)
    engine = sim_engine(seed=SEED, traffic=TrafficProfile(mean_talk=50, mean_patience=90))
    sim_register_phones(engine.switch)
    engine_install(engine)
    engine_start(engine)
    with engine.step():
        for agent in agents:
            engine.agent_login(
                agent=agent,
                extension=agent.default_extension,
                queue_ids=list(agent.memberships.values_list("queue_id", flat=True)),
            )
    callers = [f"13{random.Random(n).randrange(10**9):09d}" for n in range(5000)]
    traffic = SimTraffic(
        switch=engine.switch,
        called=HOTLINE,
        callers=callers,
        per_hour=args.calls / args.hours,
        seed=SEED,
    )
    traffic.start(limit=args.calls)
    started = time.perf_counter()
    engine.advance(round(args.hours * 3_600_000), chunk_ms=CHUNK_MS)
    traffic.stop()
    engine.advance(3_600_000, chunk_ms=CHUNK_MS)  # the last callers finish
    wall = time.perf_counter() - started
    calls = Call.objects.all()
    bad_sums = sum(
        1
        for c in calls.only("started_at", "ended_at", "wait_ms", "talk_ms", "hold_ms")
        if c.ended_at is None
        or c.wait_ms + c.talk_ms + c.hold_ms
        != round((c.ended_at - c.started_at).total_seconds() * 1000)
    )
    count = lambda d: calls.filter(disposition=d).count()  # noqa: E731
    return {
        "hours": args.hours,
        "agents": args.agents,
        "calls": calls.count(),
        "wall_s": wall,
        "answered": count("answered"),
        "abandoned": count("abandoned"),
        "voicemail": count("voicemail"),
        "open_calls": calls.exclude(state="ended").count(),
        "open_legs": CallLeg.objects.exclude(state="ended").count(),
        "bad_sums": bad_sums,
    }


def worker(args) -> None:
    import json

    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    result = {"backend": args.worker}
    if args.worker == "sqlite":
        result["route"] = measure_routing(args.decisions)
        route = result["route"]
        log(f"routing: p50 {route['p50_us']:.1f} µs, p99 {route['p99_us']:.1f} µs")
    result["day"] = measure_day(args)
    log(f"day: {result['day']['calls']} calls in {result['day']['wall_s']:.1f} s")
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
