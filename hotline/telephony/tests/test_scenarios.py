"""End-to-end scenarios on the virtual clock: IVR day and night flows,
voicemail, callbacks from missed calls, the blacklist at the switch, a
restart of the engine, and a whole simulated hour with complete CDRs."""

from datetime import UTC, datetime

import pytest

from hotline.callbacks.models import CallbackTask
from hotline.core.runtime_settings import setting_set
from hotline.customers.services.blacklist import blacklist_add
from hotline.telephony import events as ev
from hotline.telephony.engine.core import engine_start
from hotline.telephony.engine.runtime import engine_install, sim_engine
from hotline.telephony.models import (
    Agent,
    AgentState,
    BusinessHours,
    Call,
    CallLeg,
    Recording,
    Voicemail,
)
from hotline.telephony.switch.sim import CallerProfile, PhoneProfile, SimTraffic, TrafficProfile
from hotline.telephony.tests.conftest import HOTLINE

DAY_FLOW = {
    "start": {"type": "hours", "hours": None, "open": "menu", "closed": "night"},
    "menu": {
        "type": "menu",
        "text": "Press 1 for sales, 2 for service.",
        "choices": {"1": "sales", "2": "service"},
        "retries": 1,
        "invalid": "sales",
    },
    "sales": {"type": "queue", "queue": "sales"},
    "service": {"type": "queue", "queue": "service"},
    "night": {"type": "voicemail", "text": "We are closed. Leave a message.", "queue": "sales"},
}


def day_night_flow(world):
    hours = BusinessHours.objects.create(
        name="Office", weekly=[{"weekday": d, "start": "09:00", "end": "18:00"} for d in range(5)]
    )
    nodes = {**DAY_FLOW, "start": {**DAY_FLOW["start"], "hours": hours.pk}}
    return world.flow(nodes)


def test_day_flow_menu_key_1_reaches_sales(world, org):
    sales, service = world.queue("sales"), world.queue("service")
    a = world.agent(org.agent_a1, "100", queues=[sales])
    b = world.agent(org.agent_a2, "101", queues=[service])
    day_night_flow(world)
    world.start()  # the clock starts on a Monday at 09:00 in Shanghai
    world.login(a)
    world.login(b)
    world.call("13800138000", digits=["1"], talk_ms=10_000)
    world.call("13800138001", digits=["2"], talk_ms=10_000)
    world.advance(60)
    calls = {c.caller: c for c in Call.objects.all()}
    assert calls["+8613800138000"].agent == a and calls["+8613800138000"].flow_path == [
        "start",
        "menu",
        "sales",
    ]
    assert calls["+8613800138001"].agent == b


def test_night_flow_sends_callers_to_voicemail_and_a_callback(db, org):
    from hotline.telephony.tests.conftest import World

    world = World()
    world.engine = sim_engine(
        seed=1, epoch=datetime(2026, 1, 5, 13, 0, tzinfo=UTC)
    )  # 21:00 in Shanghai
    world.switch, world.clock = world.engine.switch, world.engine.clock
    engine_install(world.engine)
    world.queue("sales")
    world.queue("service")
    day_night_flow(world)
    world.start()
    world.call("13800138000", voicemail_ms=20_000)
    world.advance(120)
    call = Call.objects.get()
    assert call.flow_path == ["start", "night"]
    assert call.disposition == Call.Disposition.VOICEMAIL
    voicemail = Voicemail.objects.get()
    assert voicemail.caller == "+8613800138000" and voicemail.queue.code == "sales"
    assert (
        voicemail.recording.kind == Recording.Kind.VOICEMAIL
        and voicemail.recording.duration_ms == 20_000
    )
    task = CallbackTask.objects.get()
    assert task.kind == "voicemail" and task.number == "+8613800138000" and task.call == call


def test_an_abandoned_call_becomes_exactly_one_callback(world, org):
    q = world.queue("sales")
    agent = world.agent(org.agent_a1, "100", queues=[q])
    world.queue_flow("sales")
    world.start()
    world.login(agent, ready=False)
    world.call("13800138000", patience_ms=20_000)
    world.advance(30)
    call = Call.objects.get()
    assert call.disposition == Call.Disposition.ABANDONED and call.hangup_side == "caller"
    assert call.queue_ms == 20_000
    task = CallbackTask.objects.get()
    assert task.kind == "abandoned" and task.call == call and task.calls_count == 1
    world.call("13800138000", patience_ms=5_000)  # calls again and gives up again: same callback
    world.advance(30)
    task.refresh_from_db()
    assert CallbackTask.objects.count() == 1 and task.calls_count == 2


def test_ring_no_answer_then_abandon_is_a_no_answer_callback(world, org):
    q = world.queue("sales", ring_seconds=10)
    agent = world.agent(org.agent_a1, "100", queues=[q], auto_answer=False)
    world.queue_flow("sales")
    world.start()
    world.login(agent)
    world.call("13800138000", patience_ms=25_000)
    world.advance(60)
    assert CallbackTask.objects.get().kind == "no_answer"


@pytest.mark.parametrize("policy", ["reject", "warn"])
def test_blacklisted_caller_is_handled_by_policy(
    world, org, policy, django_capture_on_commit_callbacks
):
    q = world.queue("sales")
    agent = world.agent(org.agent_a1, "100", queues=[q])
    world.queue_flow("sales")
    blacklist_add(actor=org.admin, number="13800138666", reason="abusive")
    setting_set(actor=org.admin, key="telephony.blacklist_policy", value=policy)
    world.start()
    world.login(agent)
    seen = []
    from hotline.core.events import subscribe, unsubscribe

    handler = subscribe(ev.CallOffered)(seen.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            world.call("13800138666", talk_ms=5_000)
            world.advance(60)
    finally:
        unsubscribe(ev.CallOffered, handler)
    call = Call.objects.get()
    assert call.blacklisted
    if policy == "reject":
        assert call.disposition == Call.Disposition.REJECTED and call.agent is None and not seen
    else:
        assert call.disposition == Call.Disposition.ANSWERED and call.agent == agent
        assert [e.blacklisted for e in seen] == [True]


def test_restart_closes_calls_in_progress_and_frees_agents(world, org):
    q = world.queue("sales")
    a = world.agent(org.agent_a1, "100", queues=[q])
    b = world.agent(org.agent_a2, "101", queues=[q])
    world.queue_flow("sales")
    world.start()
    world.login(a)
    world.call("13800138000", talk_ms=600_000)
    world.call("13800138001", patience_ms=600_000)
    world.advance(30)
    assert Call.objects.filter(state=Call.State.CONNECTED).count() == 1
    assert Call.objects.filter(state=Call.State.QUEUED).count() == 1
    # The process dies; a new engine starts on the same database.
    fresh = sim_engine(seed=2, epoch=world.clock.now())
    engine_install(fresh)
    engine_start(fresh)
    assert not Call.objects.exclude(state=Call.State.ENDED).exists()
    assert not CallLeg.objects.exclude(state=CallLeg.State.ENDED).exists()
    for call in Call.objects.all():
        assert call.disposition == Call.Disposition.LOST and call.hangup_cause == "engine_restart"
        for leg in call.legs.all():
            assert leg.wait_ms + leg.talk_ms + leg.hold_ms == leg.span_ms
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.state == AgentState.NOT_READY and a.current_call is None
    assert a.state_reason.code == "system-restart"
    assert b.state == AgentState.LOGGED_OUT
    assert CallbackTask.objects.get().kind == "lost"  # the caller who was waiting
    assert fresh.agents[a.pk].state == AgentState.NOT_READY  # still logged in, in the new engine


def test_a_restarted_switch_does_not_reuse_leg_ids(world, org):
    q = world.queue("sales")
    agent = world.agent(org.agent_a1, "100", queues=[q])
    world.queue_flow("sales")
    world.start()
    world.login(agent)
    world.call("13800138000", talk_ms=5_000)
    world.advance(30)
    fresh = sim_engine(seed=1, epoch=world.clock.now(), run="second")
    fresh.switch.register_phone("8100", PhoneProfile(answer_ms=1_000))
    engine_install(fresh)
    engine_start(fresh)
    assert fresh.agents[agent.pk].state == AgentState.READY  # was ready, stays ready
    fresh.switch.inbound(caller="13800138001", called=HOTLINE, profile=CallerProfile(talk_ms=5_000))
    fresh.advance(30_000)
    assert Call.objects.filter(disposition="answered").count() == 2
    assert (
        len(set(CallLeg.objects.values_list("switch_id", flat=True)))
        == CallLeg.objects.count()
        == 4
    )


def simulated_hour(seed: int) -> list[tuple]:
    """An hour of random traffic through IVR → queues → agents; then the
    signature of every CDR, ids left out."""
    from hotline.telephony.tests.conftest import World

    world = World(seed=seed)
    world.engine.switch.traffic = TrafficProfile(mean_talk=120, mean_patience=60)
    sales = world.queue(
        "sales",
        after_call_seconds=5,
        max_wait_seconds=90,
        overflow_action="voicemail",
        recording="never",
    )
    service = world.queue(
        "service", after_call_seconds=5, strategy="round_robin", recording="never"
    )
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.order_by("id")[:6]
    agents = [
        world.agent(
            u, f"2{n:02d}", queues=[sales, service] if n % 2 else [sales], recording="never"
        )
        for n, u in enumerate(users)
    ]
    day_night_flow(world)
    world.start()
    for agent in agents:
        world.login(agent)
    traffic = SimTraffic(
        switch=world.switch,
        called=HOTLINE,
        callers=[f"1380013{n:04d}" for n in range(80)],
        per_hour=180,
        seed=seed,
    )
    traffic.start()
    world.advance(3600)
    traffic.stop()
    world.advance(1800)
    epoch = world.clock.epoch
    rows = []
    for call in Call.objects.order_by("started_at", "id").prefetch_related("legs"):
        legs = tuple(
            (
                leg.kind,
                leg.number,
                (leg.created_at - epoch).total_seconds(),
                leg.wait_ms,
                leg.talk_ms,
                leg.hold_ms,
                leg.acw_ms,
                leg.hangup_side,
                leg.hangup_cause,
            )
            for leg in call.legs.all()
        )
        rows.append(
            (
                call.caller,
                call.state,
                call.disposition,
                (call.started_at - epoch).total_seconds(),
                call.wait_ms,
                call.talk_ms,
                call.hold_ms,
                call.acw_ms,
                call.queue_ms,
                tuple(call.flow_path),
                call.agent.number if call.agent else None,
                call.hangup_side,
                legs,
            )
        )
    return rows


def test_a_simulated_hour_leaves_complete_consistent_cdrs(db, org):
    rows = simulated_hour(seed=7)
    assert len(rows) > 120
    dispositions = {row[2] for row in rows}
    assert {"answered", "abandoned"} <= dispositions
    assert not Call.objects.exclude(state=Call.State.ENDED).exists()
    assert not CallLeg.objects.exclude(state=CallLeg.State.ENDED).exists()
    for call in Call.objects.prefetch_related("legs"):
        customer = next(leg for leg in call.legs.all() if leg.kind == "customer")
        span = round((call.ended_at - call.started_at).total_seconds() * 1000)
        assert call.wait_ms + call.talk_ms + call.hold_ms == span
        assert customer.span_ms == span
        for leg in call.legs.all():
            assert leg.ended_at is not None
            assert leg.wait_ms + leg.talk_ms + leg.hold_ms == leg.span_ms
        if call.disposition == "answered":
            assert call.answered_at and call.agent_id and call.talk_ms > 0
    busy = Agent.objects.filter(state__in=["ringing", "talking", "on_hold", "after_call"])
    assert not busy.exists()


def test_same_seed_same_run(db, org):
    from django.db import transaction

    with transaction.atomic():
        first = simulated_hour(seed=3)
        transaction.set_rollback(True)
    second = simulated_hour(seed=3)
    assert first == second
    assert len(first) > 100


def test_order_status_is_read_back_by_number(world, org):
    from hotline.orders.tests.factories import customer_with_address, make_goods, make_order

    goods = make_goods()
    order = make_order(org.agent_a1, customer_with_address(org.agent_a1), goods[0])
    world.flow(
        {
            "ask": {
                "type": "collect",
                "text": "Order number?",
                "var": "no",
                "max_digits": 20,
                "next": "look",
            },
            "look": {
                "type": "lookup",
                "source": "order_status",
                "var": "no",
                "found": "bye",
                "not_found": "sorry",
            },
            "sorry": {"type": "play", "text": "Not found.", "next": "bye"},
            "bye": {"type": "hangup", "text": "Goodbye."},
        },
        start="ask",
    )
    world.start()
    digits = order.number.replace("-", "")
    world.call("13800138000", digits=[digits])
    world.call("13800138001", digits=["99990101000001"])
    world.advance(60)
    found, missing = Call.objects.order_by("id")
    assert found.flow_path == ["ask", "look", "bye"] and missing.flow_path == [
        "ask",
        "look",
        "sorry",
        "bye",
    ]
    spoken = [text for _leg, text in world.switch.prompts]
    assert any(order.number in text for text in spoken)
    assert found.disposition == Call.Disposition.IVR_HANGUP


def test_queue_figures_start_again_at_midnight(db, org):
    from hotline.telephony.tests.conftest import World

    world = World()
    world.engine = sim_engine(
        seed=1, epoch=datetime(2026, 1, 5, 15, 58, tzinfo=UTC)
    )  # 23:58 in Shanghai
    world.switch, world.clock = world.engine.switch, world.engine.clock
    engine_install(world.engine)
    q = world.queue("sales", no_agent_action="hangup")
    world.queue_flow("sales")
    world.start()
    world.call("13800138000")
    world.advance(30)
    assert world.engine.queues[q.pk].offered == 1
    world.advance(120)  # past midnight
    with world.engine.step():
        pass
    assert world.engine.queues[q.pk].offered == 0
    world.call("13800138001")
    world.advance(30)
    assert world.engine.queues[q.pk].offered == 1
