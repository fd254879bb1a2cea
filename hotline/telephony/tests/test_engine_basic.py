from hotline.telephony.models import AgentState, AgentStateChange, Call, CallLeg


def test_inbound_call_through_queue_to_agent_and_cdr(world, org):
    sales = world.queue("sales", after_call_seconds=10)
    agent = world.agent(org.agent_a1, "1001", queues=[sales])
    world.queue_flow("sales")
    world.start()
    world.login(agent)
    world.call("13800138000", talk_ms=30_000)
    world.advance(60)
    call = Call.objects.get()
    assert call.state == Call.State.ENDED
    assert call.disposition == Call.Disposition.ANSWERED
    assert call.agent == agent
    legs = list(call.legs.all())
    assert len(legs) == 2 and all(leg.state == CallLeg.State.ENDED for leg in legs)
    for leg in legs:
        assert leg.wait_ms + leg.talk_ms + leg.hold_ms == leg.span_ms
    assert call.talk_ms == 30_000
    agent.refresh_from_db()
    assert agent.state == AgentState.READY
    states = list(AgentStateChange.objects.filter(agent=agent).values_list("state", flat=True))
    assert states == ["ready", "ringing", "talking", "after_call", "ready"]
    assert call.acw_ms == 10_000
