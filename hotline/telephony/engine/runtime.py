"""The engine of this process: built once, installed, and driven.

With the `sim` driver, ``start_in_background`` (called by the ASGI
application when ``TELEPHONY["AUTOSTART"]`` is on) runs the engine on a clock
that follows the wall clock, in a thread of its own, and starts a stream of
simulated inbound calls at ``SIM_CALLS_PER_HOUR`` against the demo numbers.
One process runs the engine; it is the single writer of live call state and
recovers what a previous run left open when it starts.
"""

import gc
import logging
import threading
import time
from datetime import UTC, datetime

from django.conf import settings
from django.db import close_old_connections
from django.utils.translation import gettext as _

from hotline.core.exceptions import Conflict

logger = logging.getLogger(__name__)
TICK_SECONDS = 0.2
RELOAD_SECONDS = 30
DEMO_CALL_DELAY_MS = 3_000
_engine = None
_lock = threading.Lock()
_lock_file = None


def current_engine():
    if _engine is None:
        raise Conflict(_("The call engine is not running."))
    return _engine


def running_engine():
    """The engine of this process, or None."""
    return _engine


def engine_install(engine) -> None:
    global _engine
    _engine = engine


def engine_uninstall() -> None:
    global _engine
    _engine = None


def sim_register_phones(switch) -> None:
    """Every extension is a phone of the sim switch: simulated ones marked so
    answer by themselves; the others (browser, SIP) ring until the person
    answers through the API."""
    from hotline.telephony.models import Extension
    from hotline.telephony.switch.sim import PhoneProfile

    for number, kind, auto in Extension.objects.filter(active=True).values_list(
        "number", "kind", "auto_answer"
    ):
        switch.register_phone(number, PhoneProfile(auto_answer=auto and kind == Extension.Kind.SIM))


def sim_engine(*, seed: int = 1, epoch: datetime | None = None, traffic=None, run: str = ""):
    """An engine on the `sim` switch and a virtual clock (not yet started)."""
    from hotline.telephony.engine.core import Engine
    from hotline.telephony.switch.clock import VirtualClock
    from hotline.telephony.switch.sim import SimSwitch

    clock = VirtualClock(epoch)
    switch = SimSwitch(clock=clock, seed=seed, traffic=traffic, run=run)
    return Engine(switch=switch, clock=clock)


def sip_switch_from_settings(**overrides):
    """A `sip` switch set up from ``settings.TELEPHONY`` (not yet started)."""
    from hotline.telephony.sip.digest import AuthGuard
    from hotline.telephony.switch.sip import SipSwitch

    config = settings.TELEPHONY
    options = {
        "host": config["SIP_HOST"],
        "port": config["SIP_PORT"],
        "public_host": config["SIP_PUBLIC_HOST"],
        "realm": config["SIP_REALM"],
        "rtp_ports": (config["RTP_PORT_MIN"], config["RTP_PORT_MAX"]),
        "prompts_dir": config["PROMPTS_DIR"],
        "voice": config["TTS_VOICE"],
        "webrtc_hosts": [host.strip() for host in config["WEBRTC_HOSTS"].split(",") if host.strip()]
        or None,
        "guard": AuthGuard(
            max_failures=config["SIP_AUTH_MAX_FAILURES"], ban_s=config["SIP_AUTH_BAN_SECONDS"]
        ),
    }
    options.update(overrides)
    return SipSwitch(**options)


def sip_engine(switch, *, epoch: datetime | None = None):
    """An engine on a started `sip` switch, its clock following the wall
    clock, with the switch's view of the configuration loaded."""
    from hotline.telephony.engine.core import Engine, engine_start
    from hotline.telephony.sip.directory import load_directory
    from hotline.telephony.switch.clock import VirtualClock

    engine = Engine(switch=switch, clock=VirtualClock(epoch or datetime.now(UTC)))
    engine.wall = lambda: _wall_ms(engine)
    engine_start(engine)
    switch.set_directory(load_directory())
    return engine


def sip_reload(engine) -> None:
    from hotline.telephony.sip.directory import load_directory

    with engine.step():
        engine.reload_config()
    engine.switch.set_directory(load_directory())


def sip_turn(engine, wait_s: float = TICK_SECONDS) -> None:
    """Wait for the switch's next events (at most ``wait_s``), then run one
    step: timers due by the wall clock, and the events."""
    engine.switch.wake.wait(wait_s)
    with engine.step():
        engine.switch.deliver()


def demo_callers(limit: int = 200) -> list[str]:
    """Known customers' numbers, so simulated calls pop real records."""
    from hotline.customers.models import CustomerPhone

    return list(CustomerPhone.objects.order_by("id").values_list("number", flat=True)[:limit])


def _hold_engine_lock() -> bool:
    """Only one process of a machine runs the engine: the first to lock
    ``engine.lock`` in the data folder (held until the process exits)."""
    import fcntl

    global _lock_file
    path = settings.DATA_DIR / "engine.lock"
    handle = open(path, "a")  # noqa: SIM115 - kept open for the life of the process
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return False
    _lock_file = handle
    return True


def start_in_background() -> bool:
    """Start the live engine once per machine; False when it is off here
    (or another process of this machine runs it)."""
    config = settings.TELEPHONY
    if not config["AUTOSTART"] or config["DRIVER"] not in ("sim", "sip"):
        return False
    with _lock:
        if _engine is not None:
            return True
        if not _hold_engine_lock():
            logger.info("Another process runs the call engine; this one does not")
            return False
        target = _run_live_sip if config["DRIVER"] == "sip" else _run_live
        thread = threading.Thread(target=target, name="telephony-engine", daemon=True)
        thread.start()
    return True


def _build_live():
    from hotline.telephony.engine.core import engine_start
    from hotline.telephony.models import DialledNumber
    from hotline.telephony.switch.sim import SimTraffic

    config = settings.TELEPHONY
    started = datetime.now(UTC)
    engine = sim_engine(
        seed=config["SIM_SEED"], epoch=started, run=f"{int(started.timestamp() * 1000):x}"
    )
    sim_register_phones(engine.switch)
    engine.wall = lambda: _wall_ms(engine)
    engine_start(engine)
    called = DialledNumber.objects.order_by("number").values_list("number", flat=True).first()
    if called and config["SIM_CALLS_PER_HOUR"] > 0:
        traffic = SimTraffic(
            switch=engine.switch,
            called=called,
            callers=demo_callers(),
            per_hour=config["SIM_CALLS_PER_HOUR"],
            seed=config["SIM_SEED"],
        )
        traffic.start()
        _calls_for_people_who_get_ready(engine, traffic, direct_line(engine) or called)
    engine_install(engine)
    return engine


def direct_line(engine) -> str | None:
    """A dialled number whose flow goes straight to a queue (no menu, no
    business hours), if there is one."""
    from hotline.telephony.models import DialledNumber

    for number, flow_id in DialledNumber.objects.order_by("number").values_list(
        "number", "flow_id"
    ):
        flow = engine.flows.get(flow_id) or {}
        if flow.get("nodes", {}).get(flow.get("start"), {}).get("type") == "queue":
            return number
    return None


def _calls_for_people_who_get_ready(engine, traffic, called: str) -> None:
    """In the demo, a person who goes ready in the browser gets a simulated
    call within seconds instead of waiting for the next random one."""
    from hotline.core.events import subscribe
    from hotline.telephony.events import AgentStateChanged

    @subscribe(AgentStateChanged)
    def on_state(event) -> None:
        agent = engine.agents.get(event.agent_id)
        phone = engine.switch.phones.get(agent.extension) if agent is not None else None
        if event.state != "ready" or agent is None or (phone is not None and phone.auto_answer):
            return  # not ready, or a simulated agent
        with engine.lock:
            if not any(queue.waiting for queue in engine.queues.values()):
                traffic.soon(DEMO_CALL_DELAY_MS, called=called)


def _wall_ms(engine) -> int:
    return int((datetime.now(UTC) - engine.clock.epoch).total_seconds() * 1000)


def _run_live() -> None:
    try:
        engine = _build_live()
    except Exception:
        logger.exception("The call engine could not start")
        return
    logger.info("Call engine running on the sim switch")
    last_reload = time.monotonic()
    while True:
        time.sleep(TICK_SECONDS)
        try:
            _tick(engine)
            if time.monotonic() - last_reload > RELOAD_SECONDS:
                last_reload = time.monotonic()
                with engine.step():
                    engine.reload_config()
                    sim_register_phones(engine.switch)
                callbacks_round()
        except Exception:
            logger.exception("Call engine tick failed")
        finally:
            close_old_connections()


def _run_live_sip() -> None:
    try:
        switch = sip_switch_from_settings()
        switch.start()
        engine = sip_engine(switch)
        engine_install(engine)
        # What exists now lives as long as the process: keeping it out of the
        # collector's full passes keeps them short, and every call's audio
        # stops while one runs (bench/README.md, "Real telephony").
        gc.freeze()
    except Exception:
        logger.exception("The call engine could not start on the sip switch")
        return
    logger.info("Call engine running on the sip switch, SIP on %s:%s", switch.host, switch.port)
    last_reload = time.monotonic()
    while True:
        try:
            sip_turn(engine)
            if time.monotonic() - last_reload > RELOAD_SECONDS:
                last_reload = time.monotonic()
                sip_reload(engine)
                callbacks_round()
        except Exception:
            logger.exception("Call engine step failed")
        finally:
            close_old_connections()


def callbacks_round() -> None:
    """Allocate pending callbacks and announce overdue ones, in this process
    so the alarms reach the browsers of the in-memory channel layer too
    (``manage.py callbacks_worker`` does the same as a process of its own)."""
    from hotline.callbacks.services.allocation import callbacks_allocate
    from hotline.callbacks.services.callbacks import callbacks_overdue_alarm
    from hotline.callbacks.services.pending import pending_items_alarm

    callbacks_allocate()
    callbacks_overdue_alarm()
    pending_items_alarm()


def _tick(engine) -> None:
    with engine.lock:
        due = engine.clock.next_due()
        if due is None or due > _wall_ms(engine):
            return
        with engine.step():
            pass  # the step runs the clock up to the wall clock
