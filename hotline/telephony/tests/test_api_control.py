"""/api/telephony/: agent control through the one API path, the initial
state of live screens, and the error format for refusals."""

import json

import pytest
from django.test import Client

from hotline.core.events import subscribe, unsubscribe
from hotline.telephony import events as ev
from hotline.telephony.engine.runtime import engine_uninstall
from hotline.telephony.models import AgentState, Call, PauseReason
from hotline.telephony.selectors.live import queue_stats


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


@pytest.fixture
def desk(world, org):
    sales = world.queue("sales", after_call_seconds=5)
    world.queue("service")
    agent = world.agent(org.agent_a1, "100", queues=[sales], auto_answer=False)
    world.queue_flow("sales")
    world.start()
    return agent


def test_login_answer_hold_hangup_through_the_api(world, org, desk):
    client = client_for(org.agent_a1)
    response = post(client, "/api/telephony/agent/login", {"queues": ["sales"]})
    assert response.status_code == 200, response.content
    assert response.json()["agent"]["state"] == "ready"
    world.call("13800138000", talk_ms=600_000)
    world.advance(2)
    me = client.get("/api/telephony/agent").json()
    assert me["agent"]["state"] == "ringing" and me["call"]["caller"] == "+8613800138000"
    assert post(client, "/api/telephony/agent/answer").status_code == 200
    world.advance(1)
    assert client.get("/api/telephony/agent").json()["agent"]["state"] == "talking"
    world.advance(10)
    assert post(client, "/api/telephony/agent/hold").json()["agent"]["state"] == "on_hold"
    world.advance(7)
    assert post(client, "/api/telephony/agent/unhold").json()["agent"]["state"] == "talking"
    world.advance(3)
    response = post(client, "/api/telephony/agent/hangup")
    assert response.json()["agent"]["state"] == "after_call"
    call = Call.objects.get()
    assert call.hangup_side == "agent" and call.hold_ms == 7_000 and call.talk_ms == 14_000
    world.advance(6)
    assert client.get("/api/telephony/agent").json()["agent"]["state"] == "ready"


def test_not_ready_with_reason_and_bad_state(world, org, desk):
    PauseReason.objects.create(code="lunch", name="Lunch")
    client = client_for(org.agent_a1)
    post(client, "/api/telephony/agent/login")
    response = post(client, "/api/telephony/agent/state", {"state": "not_ready", "reason": "lunch"})
    assert (
        response.json()["agent"]["state"] == "not_ready"
        and response.json()["agent"]["reason"] == "lunch"
    )
    bad = post(client, "/api/telephony/agent/state", {"state": "talking"})
    assert bad.status_code == 422 and bad.json()["error"]["code"]
    unknown = post(client, "/api/telephony/agent/state", {"state": "not_ready", "reason": "nap"})
    assert unknown.status_code == 422


def test_refusals_have_clear_errors(world, org, desk):
    client = client_for(org.agent_a1)
    assert post(client, "/api/telephony/agent/answer").status_code == 409  # not logged in
    assert post(client, "/api/telephony/agent/login", {"queues": ["service"]}).status_code == 422
    assert post(client, "/api/telephony/agent/login", {"extension": "999"}).status_code == 422
    outsider = client_for(org.agent_a2)  # an agent without an agent record
    assert post(outsider, "/api/telephony/agent/login").status_code == 403
    finance = client_for(org.admin)
    assert finance.get("/api/telephony/agents").status_code == 200
    engine_uninstall()
    assert post(client, "/api/telephony/agent/login").status_code == 409


def test_dial_rings_the_agent_then_the_customer(world, org, desk):
    from hotline.telephony.switch.sim import CallerProfile

    client = client_for(org.agent_a1)
    post(client, "/api/telephony/agent/login", {"ready": False})
    world.switch.expect_outbound("+8613900139000", CallerProfile(answer_ms=5_000, talk_ms=30_000))
    response = post(client, "/api/telephony/agent/dial", {"number": "13900139000"})
    assert response.status_code == 200 and response.json()["agent"]["state"] == "ringing"
    post(client, "/api/telephony/agent/answer")
    world.advance(60)
    call = Call.objects.get()
    assert (
        call.direction == "outbound" and call.disposition == "answered" and call.talk_ms == 30_000
    )
    assert (
        client.get("/api/telephony/agent").json()["agent"]["state"] == "not_ready"
    )  # as before the call


def test_dial_refuses_blacklisted_numbers(world, org, desk):
    from hotline.customers.services.blacklist import blacklist_add

    blacklist_add(actor=org.admin, number="13900139000", reason="do not call")
    client = client_for(org.agent_a1)
    post(client, "/api/telephony/agent/login")
    response = post(client, "/api/telephony/agent/dial", {"number": "13900139000"})
    assert response.status_code == 409 and "blacklist" in response.json()["error"]["message"]
    assert not Call.objects.exists()


def test_transfer_to_another_queue(world, org, desk):
    service = world.engine.queues[world.engine.queue_codes["service"]]
    other = world.agent(org.agent_a2, "101", queues=[])
    from hotline.telephony.models import QueueMember

    QueueMember.objects.create(queue_id=service.id, agent=other)
    world.login(other)
    client = client_for(org.agent_a1)
    post(client, "/api/telephony/agent/login")
    world.call("13800138000", talk_ms=120_000)
    world.advance(1)
    post(client, "/api/telephony/agent/answer")
    world.advance(5)
    assert post(client, "/api/telephony/agent/transfer", {"to": "service"}).status_code == 200
    world.advance(10)
    call = Call.objects.get()
    assert call.agent.number == "101" and call.state == "connected" and call.queue.code == "service"


def test_queue_stats_initial_state_equals_state_after_events(
    world, org, desk, django_capture_on_commit_callbacks
):
    """A wallboard that fetched at the start and applied every event shows
    what a fresh fetch shows."""
    client = client_for(org.admin)
    initial = {q["code"]: q for q in client.get("/api/telephony/queues/stats").json()}
    applied = dict(initial)
    handler = subscribe(ev.QueueStatsChanged)(lambda e: applied.__setitem__(e.code, e.model_dump()))
    try:
        with django_capture_on_commit_callbacks(execute=True):
            world.login(desk)
            world.call("13800138000", talk_ms=10_000, patience_ms=3_000)
            world.call("13800138001", talk_ms=10_000, patience_ms=300_000)
            world.advance(5)
            world.run("agent_answer", agent_id=desk.pk)
            world.advance(120)
    finally:
        unsubscribe(ev.QueueStatsChanged, handler)
    fresh = {q["queue_id"]: q for q in queue_stats(actor=org.admin, now=world.clock.now())}
    assert applied["sales"] == fresh[applied["sales"]["queue_id"]]
    assert applied["sales"]["offered"] == 2 and applied["sales"]["abandoned"] >= 1


def test_supervisor_forces_a_state_within_scope(world, org, desk):
    world.login(desk)
    lead = client_for(org.lead_a)
    response = post(lead, f"/api/telephony/agents/{desk.pk}/state", {"state": "not_ready"})
    assert response.status_code == 200
    desk.refresh_from_db()
    assert desk.state == AgentState.NOT_READY
    agent = client_for(org.agent_a2)
    assert (
        post(agent, f"/api/telephony/agents/{desk.pk}/state", {"state": "ready"}).status_code == 403
    )


def test_state_durations_are_reported_from_the_history(world, org, desk):
    from datetime import timedelta

    start = world.clock.now()
    world.login(desk)  # ready at 0
    world.call("13800138000", talk_ms=30_000)
    world.advance(2)  # offered at ~0: ringing
    world.run("agent_answer", agent_id=desk.pk)
    world.advance(120)  # talks 30 s, after-call work 5 s, then ready
    end = start + timedelta(seconds=100)
    mine = client_for(org.agent_a1).get(
        f"/api/telephony/agents/{desk.pk}/states",
        {"start": start.isoformat(), "end": end.isoformat()},
    )
    durations = mine.json()
    assert durations["talking"] == 30.0 and durations["after_call"] == 5.0
    assert sum(durations.values()) == 100.0
    lead = client_for(org.lead_a).get(
        f"/api/telephony/agents/{desk.pk}/states",
        {"start": start.isoformat(), "end": end.isoformat()},
    )
    assert lead.json() == durations
    other = client_for(org.agent_b1).get(
        f"/api/telephony/agents/{desk.pk}/states",
        {"start": start.isoformat(), "end": end.isoformat()},
    )
    assert other.status_code == 403
