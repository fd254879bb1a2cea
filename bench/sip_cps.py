#!/usr/bin/env python
"""Real telephony, call setup rate: how many calls a second one Hotline
process pinned to one core takes through the IVR to the hang-up on the `sip`
driver, with no call failing (target ≥ 30 a second).

    python bench/sip_cps.py [--rates 10,20,30,40,50,60,100,200,300,400,500]
                            [--seconds 10] [--keep-going] [--no-realtime]

SIPp (on core 1) calls the IVR number at each rate for ``--seconds``; the
flow answers, says a short prompt (espeak-ng, made before the first call)
and hangs up, and SIPp answers the BYE. Every call leaves its CDR (the call
and its leg) in SQLite as in production. A rate is sustained when no call
failed and Hotline took the calls as fast as they came (95 % of the rate or
more, no SIP retransmission); the rates after the first one that is not are
skipped unless --keep-going. Hotline runs as in sip_calls.py, whose set-up
this script shares. See bench/README.md, "Real telephony (sip driver)".
"""

import argparse
import gc
import json
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from sip_calls import (
    BYE_WAIT_S,
    CARRIER,
    IVR_NUMBER,
    PROMPT,
    Hotline,
    carrier_trunk,
    free_port,
    ivr_number,
    log,
    peers_available,
    percentile,
    print_engine_errors,
    process_usage,
    run_hotline_child,
    setup_django,
    sipp,
    sipp_totals,
    stop_with_parent,
    take_core,
    wait_until,
)

TARGET_CPS = 30
WARM_UP_CALLS = 5
KEPT_UP = 0.95  # share of the offered rate Hotline must take


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rates", default="10,20,30,40,50,60,100,200,300,400,500", help="calls a second"
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each step")
    parser.add_argument("--keep-going", action="store_true", help="run every rate")
    parser.add_argument("--no-realtime", action="store_true", help="Hotline at normal priority")
    parser.add_argument("--worker", choices=["sqlite"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.rates = [float(rate) for rate in args.rates.split(",") if rate.strip()]
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.worker:
        worker(args)
        return
    if not peers_available():
        return
    options = ["--rates", ",".join(f"{rate:g}" for rate in args.rates)]
    options += ["--seconds", str(args.seconds)] + ["--no-realtime"] * args.no_realtime
    options += ["--keep-going"] * args.keep_going
    result = run_hotline_child(__file__, options, prefix="hotline-bench-sip-cps-")
    if result is None:
        raise SystemExit("The Hotline process ended without a result (see above).")
    print_table(result)


def clean(step: dict) -> bool:
    """Every call attempted went through: none failed, each left its CDR,
    ended by the IVR."""
    attempted = step["attempted"]
    return (
        attempted > 0
        and step["failed"] == 0
        and step["successful"] == step["records"] == step["ivr_hangups"] == attempted
    )


def sustained(step: dict) -> bool:
    """Clean, and Hotline kept up: it took the calls at the offered rate and
    answered every INVITE before SIPp had to send it again."""
    return (
        clean(step)
        and step["achieved_cps"] >= KEPT_UP * step["rate"]
        and step["retransmissions"] == 0
    )


def print_table(result: dict) -> None:
    print()
    print(
        f"Calls through the IVR (answer, prompt, hang-up); Hotline on core 0 "
        f"({result['scheduling']}), SIPp on core 1; {result['seconds']:g} s per rate."
    )
    header = (
        f"{'rate':>5} {'attempted':>9} {'ok':>6} {'failed':>6} {'taken/s':>7} "
        f"{'INVITE→200 p99 ms':>17} {'retrans':>7} {'CPU %':>6}  sustained"
    )
    print(header)
    print("-" * len(header))
    for step in result["steps"]:
        print(
            f"{step['rate']:>5g} {step['attempted']:>9} {step['successful']:>6} "
            f"{step['failed']:>6} {step['achieved_cps']:>7.1f} {step['setup_p99_ms']:>17.0f} "
            f"{step['retransmissions']:>7} {step['cpu_percent']:>6.1f}  "
            f"{'yes' if sustained(step) else 'no'}"
        )
    steps = result["steps"]
    clean_best = max((step["rate"] for step in steps if clean(step)), default=0)
    best = max((step["rate"] for step in steps if sustained(step)), default=0)
    print()
    print(f"Largest rate with no failed call: {clean_best:g} calls a second.")
    print(
        f"Largest rate sustained (no failed call, kept up): {best:g} calls a second; target ≥ "
        f"{TARGET_CPS}: {best / TARGET_CPS:.2f}× the target "
        f"({'ok' if best >= TARGET_CPS else 'MISSED'})"
    )
    print_engine_errors(result)


# --- the child ---------------------------------------------------------------------


def setup_times_ms(workdir: Path, pid: int) -> list[float]:
    """INVITE → 200 OK of every call, from SIPp's -trace_rtt file (lines of
    "date_ms;response_time_ms;rtd_no", whole milliseconds)."""
    path = workdir / f"caller_ivr_{pid}_rtt.csv"
    lines = path.read_text().splitlines()[1:] if path.exists() else []
    return sorted(float(line.split(";")[1]) for line in lines if line.count(";") >= 2)


def call_records(first_id: int) -> dict:
    """The CDRs of the calls after ``first_id``: how many, how they ended, and
    the rate at which Hotline took them (first to last start)."""
    from hotline.telephony.models import Call

    calls = list(Call.objects.filter(id__gt=first_id).values_list("started_at", "disposition"))
    starts = sorted(started for started, _disposition in calls)
    span = (starts[-1] - starts[0]).total_seconds() if len(starts) > 1 else 0.0
    return {
        "records": len(calls),
        "ivr_hangups": sum(1 for _started, disposition in calls if disposition == "ivr_hangup"),
        "achieved_cps": (len(starts) - 1) / span if span else 0.0,
    }


def last_call_id() -> int:
    from hotline.telephony.models import Call

    return Call.objects.order_by("-id").values_list("id", flat=True).first() or 0


def run_rate(hotline: Hotline, workdir: Path, rate: float, calls: int, name: str) -> dict:
    """``calls`` calls at ``rate`` a second, until every one has ended."""
    first_id = last_call_id()
    cpu, _preempted = process_usage()
    started = time.monotonic()
    caller = sipp(
        name,
        "caller_ivr.xml",
        workdir,
        local_ip=CARRIER,
        port=free_port(host=CARRIER),
        remote=hotline.address,
        service=IVR_NUMBER,
        calls=calls,
        rate=rate,
        extra=("-trace_rtt", "-rtt_freq", "1"),
    )
    try:
        exit_code = caller.wait(calls / rate + BYE_WAIT_S + 30)
        wall = time.monotonic() - started
        cpu_after, _preempted = process_usage()
        drained = wait_until(lambda: hotline.live_calls() == 0, 30)
    finally:
        caller.stop()
    totals = sipp_totals(workdir, name)
    setup = setup_times_ms(workdir, caller.process.pid) or [0.0]
    return {
        "rate": rate,
        "attempted": totals.get("OutgoingCall", 0),
        "successful": totals.get("SuccessfulCall", 0),
        "failed": totals.get("FailedCall", 0),
        "retransmissions": totals.get("Retransmissions", 0),
        "sipp_exit": exit_code,
        "setup_p50_ms": statistics.median(setup),
        "setup_p99_ms": percentile(setup, 0.99),
        "setup_max_ms": setup[-1],
        "cpu_percent": 100.0 * (cpu_after - cpu) / wall,
        "wall_s": wall,
        "drained": drained,
        **call_records(first_id),
    }


def step_line(step: dict) -> str:
    return (
        f"{step['rate']:g} calls/s: {step['attempted']} attempted, {step['successful']} ok, "
        f"{step['failed']} failed (SIPp exit {step['sipp_exit']}, {step['retransmissions']} "
        f"retransmissions); {step['records']} CDRs ({step['ivr_hangups']} ended by the IVR), "
        f"taken at {step['achieved_cps']:.1f}/s; INVITE → 200 OK p50 {step['setup_p50_ms']:.1f} / "
        f"p99 {step['setup_p99_ms']:.1f} / max {step['setup_max_ms']:.1f} ms; CPU "
        f"{step['cpu_percent']:.1f} % over {step['wall_s']:.1f} s; drained {step['drained']}"
    )


def worker(args) -> None:
    scheduling = take_core(realtime=not args.no_realtime)
    stop_with_parent()
    setup_django()
    from django.conf import settings

    carrier_trunk()
    ivr_number()
    workdir = Path(tempfile.mkdtemp(prefix="sipp-", dir=settings.DATA_DIR))
    steps = []
    with ExitStack() as stack:
        hotline = Hotline(settings.DATA_DIR / "prompts")
        stack.callback(hotline.stop)
        hotline.prepare_prompt(text=PROMPT)
        gc.freeze()  # as _run_live_sip does
        warm_up = run_rate(hotline, workdir, 5, WARM_UP_CALLS, "warm-up")
        log("warm-up: " + step_line(warm_up))
        for number, rate in enumerate(args.rates, 1):
            step = run_rate(hotline, workdir, rate, round(rate * args.seconds), f"rate{number}")
            log(step_line(step))
            steps.append(step)
            if not sustained(step) and not args.keep_going:
                log("Not sustained: the higher rates are not run (--keep-going runs them).")
                break
        errors = list(hotline.errors)
    result = {
        "scheduling": scheduling,
        "seconds": args.seconds,
        "steps": steps,
        "engine_errors": errors,
    }
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
