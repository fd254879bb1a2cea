"""ACD scenarios on the virtual clock (TEL-3): each strategy picks the agent
it should, VIPs jump the queue, ring timeout re-queues and overflow happen at
the right second."""

from datetime import timedelta

import pytest

from hotline.customers.models import Customer, CustomerPhone, MemberLevel
from hotline.telephony.models import AgentState, AgentStateChange, Call, Strategy


def offered_to(world, n_calls: int) -> list[str]:
    """Agent numbers that took the first ``n_calls`` calls, in call order."""
    calls = Call.objects.order_by("started_at", "id").select_related("agent")[:n_calls]
    return [c.agent.number if c.agent else None for c in calls]


def team(world, org, queue, n, **kw):
    users = [org.agent_a1, org.agent_a2, org.agent_b1, org.agent_c1][:n]
    return [world.agent(u, f"10{i}", queues=[queue], **kw) for i, u in enumerate(users)]


def test_longest_idle_takes_the_agent_idle_longest(world, org):
    q = world.queue("sales", strategy=Strategy.LONGEST_IDLE, after_call_seconds=0)
    a, b, c = team(world, org, q, 3)
    world.queue_flow("sales")
    world.start()
    world.login(b)
    world.advance(5)
    world.login(a)
    world.advance(5)
    world.login(c)
    for n in range(3):
        world.call(f"1380013800{n}", talk_ms=20_000)
        world.advance(1)
    world.advance(60)
    assert offered_to(world, 3) == ["101", "100", "102"]


def test_round_robin_goes_round_in_member_order(world, org):
    q = world.queue("sales", strategy=Strategy.ROUND_ROBIN, after_call_seconds=0)
    agents = team(world, org, q, 3)
    world.queue_flow("sales")
    world.start()
    for agent in reversed(agents):  # login order must not matter
        world.login(agent)
    for n in range(4):
        world.call(f"1380013800{n}", talk_ms=5_000)
        world.advance(30)
    assert offered_to(world, 4) == ["100", "101", "102", "100"]


def test_fewest_calls_prefers_the_agent_with_fewer_calls(world, org):
    q = world.queue("sales", strategy=Strategy.FEWEST_CALLS, after_call_seconds=0)
    a, b = team(world, org, q, 2)
    world.queue_flow("sales")
    world.start()
    world.login(a)
    world.call("13800138000", talk_ms=5_000)  # a takes it: the only one
    world.advance(30)
    world.login(b)  # b is idle for a shorter time but has taken no call
    world.advance(30)
    world.call("13800138001", talk_ms=5_000)
    world.advance(30)
    assert offered_to(world, 2) == ["100", "101"]


def test_skills_route_to_the_best_level_and_never_below_the_minimum(world, org):
    q = world.queue("wine", strategy=Strategy.SKILLS, skill=world.skill("wine"), min_skill_level=2)
    low = world.agent(org.agent_a1, "100", queues=[q], skills={"wine": 1})
    mid = world.agent(org.agent_a2, "101", queues=[q], skills={"wine": 2})
    best = world.agent(org.agent_b1, "102", queues=[q], skills={"wine": 4})
    world.queue_flow("wine")
    world.start()
    for agent in (low, mid, best):
        world.login(agent)
    world.call("13800138000", talk_ms=60_000)
    world.call("13800138001", talk_ms=60_000)
    world.call("13800138002", talk_ms=60_000, patience_ms=10_000)
    world.advance(30)
    assert offered_to(world, 3) == ["102", "101", None]
    assert Call.objects.filter(agent=low).count() == 0


def test_sticky_waits_for_the_last_agent_then_falls_back(world, org):
    q = world.queue("sales", strategy=Strategy.STICKY, sticky_seconds=20, after_call_seconds=0)
    a, b = team(world, org, q, 2)
    world.queue_flow("sales")
    world.start()
    world.login(a)
    world.advance(10)
    world.login(b)
    world.call("13800138000", talk_ms=5_000)  # a: idle longest
    world.advance(30)
    world.call("13800138000", talk_ms=5_000)  # back to a although b has waited longer
    world.advance(30)
    assert offered_to(world, 2) == ["100", "100"]
    # a busy: the caller waits for a up to 20 s, then goes to b.
    world.run("agent_set_state", agent_id=b.pk, state=AgentState.NOT_READY)
    world.call("13800138099", talk_ms=60_000)  # keeps a busy
    world.advance(5)
    assert Call.objects.order_by("-id").first().agent == a
    world.run("agent_set_state", agent_id=b.pk, state=AgentState.READY)
    world.call("13800138000", talk_ms=5_000)
    world.advance(15)
    waiting = Call.objects.order_by("-id").first()
    assert waiting.state == Call.State.QUEUED
    world.advance(10)
    waiting.refresh_from_db()
    assert waiting.agent == b
    assert waiting.ringing_at - waiting.queued_at == timedelta(seconds=20)


def test_vip_caller_jumps_the_queue(world, org):
    gold = MemberLevel.objects.create(code="vip", name="VIP", rank=9, queue_priority=10)
    vip = Customer.objects.create(name="VIP", level=gold)
    CustomerPhone.objects.create(customer=vip, number="+8613900139000", national="13900139000")
    q = world.queue("sales", after_call_seconds=0)
    (agent,) = team(world, org, q, 1)
    world.queue_flow("sales")
    world.start()
    world.login(agent, ready=False)
    world.call("13800138000", talk_ms=5_000, patience_ms=300_000)
    world.advance(5)
    world.call("13900139000", talk_ms=5_000, patience_ms=300_000)
    world.advance(5)
    world.run("agent_set_state", agent_id=agent.pk, state=AgentState.READY)
    world.advance(60)
    first = Call.objects.filter(answered_at__isnull=False).order_by("answered_at").first()
    assert first.caller == "+8613900139000" and first.priority == 10


def test_ring_timeout_requeues_at_the_right_second(world, org):
    q = world.queue("sales", ring_seconds=15, after_call_seconds=0)
    sleepy = world.agent(org.agent_a1, "100", queues=[q], auto_answer=False)
    awake = world.agent(org.agent_a2, "101", queues=[q])
    world.queue_flow("sales")
    world.start()
    world.login(sleepy)
    world.advance(10)
    world.login(awake)
    world.run("agent_set_state", agent_id=awake.pk, state=AgentState.NOT_READY)
    world.call("13800138000", talk_ms=5_000, patience_ms=300_000)
    world.advance(1)
    world.run("agent_set_state", agent_id=awake.pk, state=AgentState.READY)
    world.advance(30)
    call = Call.objects.get()
    assert call.agent == awake
    timeline = [(state, note) for state, _at, note in call.timeline]
    assert ("queued", "ring_no_answer") in timeline
    requeued_at = next(at for state, at, note in call.timeline if note == "ring_no_answer")
    rang_at = next(at for state, at, note in call.timeline if state == "ringing")
    from datetime import datetime

    assert datetime.fromisoformat(requeued_at) - datetime.fromisoformat(rang_at) == timedelta(
        seconds=15
    )
    sleepy.refresh_from_db()
    assert sleepy.state == AgentState.NOT_READY and sleepy.state_reason.code == "system-no_answer"


@pytest.mark.parametrize("limit", [30, 45])
def test_overflow_to_another_queue_at_the_wait_limit(world, org, limit):
    overflow = world.queue("overflow", after_call_seconds=0)
    main = world.queue(
        "main", max_wait_seconds=limit, overflow_action="queue", overflow_queue=overflow
    )
    busy = world.agent(org.agent_a1, "100", queues=[main])
    spare = world.agent(org.agent_a2, "101", queues=[overflow])
    world.queue_flow("main")
    world.start()
    world.login(busy, ready=False)
    world.login(spare)
    world.call("13800138000", talk_ms=5_000, patience_ms=300_000)
    world.advance(limit - 1)
    call = Call.objects.get()
    assert call.state == Call.State.QUEUED and call.queue == main
    world.advance(2)
    call.refresh_from_db()
    assert call.queue == overflow and call.agent == spare
    assert call.ringing_at - call.queued_at == timedelta(seconds=limit)


def test_no_agent_logged_in_sends_callers_to_voicemail(world, org):
    q = world.queue("sales", no_agent_action="voicemail")
    world.agent(org.agent_a1, "100", queues=[q])
    world.queue_flow("sales")
    world.start()
    world.call("13800138000", voicemail_ms=12_000)
    world.advance(60)
    call = Call.objects.get()
    assert call.disposition == Call.Disposition.VOICEMAIL
    assert call.voicemail.recording.duration_ms == 12_000


def test_after_call_work_ends_on_its_timer(world, org):
    q = world.queue("sales", after_call_seconds=25)
    (agent,) = team(world, org, q, 1)
    world.queue_flow("sales")
    world.start()
    world.login(agent)
    world.call("13800138000", talk_ms=40_000)
    world.advance(120)
    changes = list(AgentStateChange.objects.filter(agent=agent).order_by("at", "id"))
    states = [c.state for c in changes]
    assert states[-2:] == ["after_call", "ready"]
    assert changes[-1].at - changes[-2].at == timedelta(seconds=25)
    call = Call.objects.get()
    assert call.acw_ms == 25_000
    assert call.legs.get(kind="agent").acw_ms == 25_000
