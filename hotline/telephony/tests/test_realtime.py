"""Engine events over the WebSocket (run on the in-memory and Redis layers):
the agent concerned hears of their calls, supervisors in scope see agent
states and queue figures, nobody else does."""

import pytest
from channels.db import database_sync_to_async

from hotline.realtime.tests.test_consumers import clean_layer, connect  # noqa: F401
from hotline.telephony.engine.runtime import engine_uninstall
from hotline.telephony.tests.conftest import World

pytestmark = [pytest.mark.realtime, pytest.mark.django_db(transaction=True)]


async def received(communicator) -> list[dict]:
    envelopes = []
    while not await communicator.receive_nothing(timeout=0.5):
        envelope = await communicator.receive_json_from()
        if envelope["type"].startswith("telephony."):
            envelopes.append(envelope)
    return envelopes


def run_a_call(org) -> int:
    world = World()
    queue = world.queue("sales", after_call_seconds=3)
    agent = world.agent(org.agent_a1, "100", queues=[queue])
    world.queue_flow("sales")
    world.start()
    world.login(agent)
    world.call("13800138000", talk_ms=20_000)
    world.advance(60)
    engine_uninstall()
    return agent.pk


async def test_call_events_reach_the_agent_and_states_reach_supervisors_in_scope(org):
    agent_ws = await connect(org.agent_a1)
    lead_ws = await connect(org.lead_a)  # leads agent_a1's team
    other_ws = await connect(org.agent_b1)  # another team's agent
    teammate_ws = await connect(org.agent_a2)  # an agent of the same team
    admin_ws = await connect(org.admin)
    agent_id = await database_sync_to_async(run_a_call)(org)

    mine = await received(agent_ws)
    call_types = [e["type"] for e in mine if e["type"].startswith("telephony.call_")]
    assert call_types == [
        "telephony.call_offered",
        "telephony.call_ringing",
        "telephony.call_answered",
        "telephony.call_ended",
    ]
    states = [e["data"]["state"] for e in mine if e["type"] == "telephony.agent_state"]
    assert states == ["ready", "ringing", "talking", "after_call", "ready"]

    seen_by_lead = await received(lead_ws)
    assert [
        e["data"]["state"] for e in seen_by_lead if e["type"] == "telephony.agent_state"
    ] == states
    assert all(
        e["data"]["agent_id"] == agent_id
        for e in seen_by_lead
        if e["type"] == "telephony.agent_state"
    )
    assert not any(e["type"].startswith("telephony.call_") for e in seen_by_lead)

    assert await received(other_ws) == []
    assert await received(teammate_ws) == []  # agents see only their own calls and state
    stats = [e for e in await received(admin_ws) if e["type"] == "telephony.queue_stats"]
    assert stats and stats[-1]["data"]["answered"] == 1
    for ws in (agent_ws, lead_ws, other_ws, teammate_ws, admin_ws):
        await ws.disconnect()
