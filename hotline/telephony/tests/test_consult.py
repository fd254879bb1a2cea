"""Inside a call (TEL-2) and above it (TEL-8): mute, DTMF, wrap-up codes,
consulting with the caller on hold, attended transfer, three-way conference,
and supervisors listening, whispering and barging — through the API, on the
virtual clock, with complete CDRs."""

import json

import pytest
from django.test import Client

from hotline.telephony.models import Agent, AgentState, Call, CallLeg, Extension, WrapUpCode
from hotline.telephony.switch.sim import PhoneProfile


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


@pytest.fixture
def floor(world, org):
    sales = world.queue("sales", after_call_seconds=30)
    a = world.agent(org.agent_a1, "100", queues=[sales])
    b = world.agent(org.agent_a2, "101", queues=[sales])
    world.queue_flow("sales")
    world.start()
    world.login(a)
    world.login(b, ready=False)
    return a, b


def connected_call(world, talk_ms=600_000):
    world.call("13800138000", talk_ms=talk_ms)
    world.advance(5)
    call = Call.objects.get()
    assert call.state == Call.State.CONNECTED
    return call


def assert_consistent(call):
    for leg in call.legs.all():
        assert leg.ended_at is not None
        assert leg.wait_ms + leg.talk_ms + leg.hold_ms == leg.span_ms


def test_mute_dtmf_and_wrapup(world, org, floor):
    WrapUpCode.objects.create(code="sale", name="Sale")
    client = client_for(org.agent_a1)
    call = connected_call(world, talk_ms=20_000)
    assert post(client, "/api/telephony/agent/mute", {"on": True}).json()["call"]["muted"] is True
    assert post(client, "/api/telephony/agent/dtmf", {"digits": "12#"}).status_code == 200
    customer_leg = call.legs.get(kind=CallLeg.Kind.CUSTOMER).switch_id
    assert world.switch.legs[customer_leg].dtmf_sent == "12#"
    assert post(client, "/api/telephony/agent/dtmf", {"digits": "12x"}).status_code == 422
    world.advance(20)  # the caller hangs up
    me = client.get("/api/telephony/agent").json()
    assert me["agent"]["state"] == "after_call" and me["after_call"]["call_id"] == call.pk
    assert me["after_call"]["until"] and me["wrapup_codes"] == [{"code": "sale", "name": "Sale"}]
    assert post(client, "/api/telephony/agent/wrapup", {"code": "nope"}).status_code == 422
    done = post(
        client, "/api/telephony/agent/wrapup", {"code": "sale", "note": "2 sets", "ready": True}
    )
    assert done.json()["agent"]["state"] == "ready"
    call.refresh_from_db()
    assert call.wrapup_code.code == "sale" and call.wrapup_note == "2 sets" and call.acw_ms < 30_000


def test_attended_transfer_to_another_agent(world, org, floor):
    _a, b = floor
    world.run("agent_set_state", agent_id=b.pk, state=AgentState.READY)
    world.run("agent_set_state", agent_id=b.pk, state=AgentState.NOT_READY)
    call = connected_call(world, talk_ms=120_000)
    world.run("agent_set_state", agent_id=b.pk, state=AgentState.READY)
    client = client_for(org.agent_a1)
    response = post(client, "/api/telephony/agent/consult", {"to": "101"})
    assert response.status_code == 200, response.content
    assert response.json()["call"]["state"] == "on_hold"
    world.advance(5)  # b's phone answers: a and b talk, the caller waits
    assert client.get("/api/telephony/agent").json()["call"]["consult"] == {
        "to": "101",
        "state": "connected",
    }
    assert (
        post(client, "/api/telephony/agent/consult/complete").json()["agent"]["state"]
        == "after_call"
    )
    world.advance(200)
    call.refresh_from_db()
    assert call.agent == b and call.disposition == "answered"
    assert any(note == "transferred:100" for _s, _at, note in call.timeline)
    assert call.legs.filter(kind=CallLeg.Kind.AGENT).count() == 2
    assert_consistent(call)
    b.refresh_from_db()
    assert b.state in (AgentState.AFTER_CALL, AgentState.READY)


def test_consult_cancel_and_conference(world, org, floor):
    _a, b = floor
    call = connected_call(world, talk_ms=120_000)
    world.run("agent_set_state", agent_id=b.pk, state=AgentState.READY)
    client = client_for(org.agent_a1)
    post(client, "/api/telephony/agent/consult", {"to": "101"})
    world.advance(1)  # still ringing at b
    assert post(client, "/api/telephony/agent/conference").status_code == 409
    assert post(client, "/api/telephony/agent/consult/cancel").json()["call"]["consult"] is None
    b.refresh_from_db()
    assert b.state == AgentState.READY
    post(client, "/api/telephony/agent/consult", {"to": "101"})
    world.advance(5)
    snapshot = post(client, "/api/telephony/agent/conference").json()
    assert snapshot["call"]["conference"] is True and snapshot["call"]["state"] == "connected"
    assert (
        post(client, "/api/telephony/agent/hangup").json()["agent"]["state"] == "after_call"
    )  # a leaves
    world.advance(200)
    call.refresh_from_db()
    assert call.agent == b and call.state == "ended"
    assert_consistent(call)


def test_attended_transfer_to_a_number_ends_as_transferred(world, org, floor):
    from hotline.telephony.switch.sim import CallerProfile

    call = connected_call(world, talk_ms=300_000)
    world.switch.expect_outbound("+8613900139000", CallerProfile(answer_ms=3_000, talk_ms=40_000))
    client = client_for(org.agent_a1)
    post(client, "/api/telephony/agent/consult", {"to": "13900139000"})
    world.advance(5)
    post(client, "/api/telephony/agent/consult/complete")
    world.advance(60)
    call.refresh_from_db()
    assert call.disposition == "transferred" and call.agent is None
    assert call.legs.filter(kind=CallLeg.Kind.EXTERNAL).exists()
    assert_consistent(call)


def test_blind_transfer_to_a_number_bridges_the_caller_to_it(world, org, floor):
    from hotline.telephony.switch.sim import CallerProfile

    call = connected_call(world, talk_ms=300_000)
    world.switch.expect_outbound("+8613900139000", CallerProfile(answer_ms=4_000, talk_ms=30_000))
    client = client_for(org.agent_a1)
    assert post(client, "/api/telephony/agent/transfer", {"to": "13900139000"}).status_code == 200
    call.refresh_from_db()
    assert call.state == Call.State.TRANSFERRED
    assert Agent.objects.get(pk=floor[0].pk).state == AgentState.AFTER_CALL
    world.advance(2)  # still ringing: the caller waits, on hold
    customer_leg = call.legs.get(kind=CallLeg.Kind.CUSTOMER).switch_id
    outside = call.legs.get(kind=CallLeg.Kind.EXTERNAL)
    assert world.switch.legs[customer_leg].held
    world.advance(5)  # answered: the two talk
    assert not world.switch.legs[customer_leg].held
    assert world.switch.legs[customer_leg].bridged == outside.switch_id
    world.advance(40)  # the outside party hangs up after 30 s
    call.refresh_from_db()
    assert call.state == Call.State.ENDED and call.disposition == "transferred"
    outside.refresh_from_db()
    assert outside.number == "+8613900139000" and outside.talk_ms >= 29_000
    assert_consistent(call)


def test_supervisor_listens_then_barges(world, org, floor):
    call = connected_call(world, talk_ms=60_000)
    Extension.objects.create(number="8900", kind=Extension.Kind.SIM, auto_answer=True)
    world.switch.register_phone("8900", PhoneProfile(answer_ms=1_000))
    lead = client_for(org.lead_a)
    live = lead.get("/api/telephony/live-calls").json()
    assert [c["call_id"] for c in live] == [call.pk]
    response = post(
        lead,
        f"/api/telephony/live-calls/{call.pk}/monitor",
        {"mode": "listen", "extension": "8900"},
    )
    assert response.status_code == 200, response.content
    world.advance(2)
    monitor = call.legs.get(kind=CallLeg.Kind.MONITOR)
    assert world.switch.legs[monitor.switch_id].monitoring == "listen"
    post(
        lead, f"/api/telephony/live-calls/{call.pk}/monitor", {"mode": "barge", "extension": "8900"}
    )
    assert world.switch.legs[monitor.switch_id].monitoring == "barge"
    assert (
        post(
            lead,
            f"/api/telephony/live-calls/{call.pk}/monitor",
            {"mode": "shout", "extension": "8900"},
        ).status_code
        == 422
    )
    agent = client_for(org.agent_a2)
    assert (
        post(agent, f"/api/telephony/live-calls/{call.pk}/monitor", {"mode": "listen"}).status_code
        == 403
    )
    assert agent.get("/api/telephony/live-calls").status_code == 403
    world.advance(120)
    call.refresh_from_db()
    notes = [note for _s, _at, note in call.timeline]
    assert "monitor:listen" in notes and "monitor:barge" in notes
    assert call.legs.get(kind=CallLeg.Kind.MONITOR).state == CallLeg.State.ENDED
    assert_consistent(call)


def test_an_order_taken_in_the_call_is_linked_both_ways(world, org, floor):
    from hotline.orders.tests.factories import customer_with_address, make_goods

    call = connected_call(world)
    customer = customer_with_address(org.agent_a1)
    goods = make_goods()
    client = client_for(org.agent_a1)
    page = client.get(f"/orders/new/?customer={customer.pk}&call={call.pk}")
    assert f'value="{call.pk}"' in page.content.decode()
    form = {
        "customer": customer.pk,
        "call_id": call.pk,
        "item": [f"product:{goods[0].pk}"],
        "quantity": ["1"],
        "place": "1",
        "delivery_method": "courier",
        "payment_method": "cod",
        "address": customer.addresses.first().pk,
        "shipping_fee": "0",
        "discount": "0",
    }
    response = client.post(f"/orders/new/?customer={customer.pk}", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    from hotline.orders.models import Order

    order = Order.objects.get()
    assert order.call_id == str(call.pk)
    assert f"/telephony/calls/{call.pk}/" in client.get(order.get_absolute_url()).content.decode()
    assert order.number in client.get(f"/telephony/calls/{call.pk}/").content.decode()
    other = client_for(org.agent_b1)  # another team's agent cannot link an order to this call
    own = customer_with_address(org.agent_b1)
    form.update(customer=own.pk, call_id=call.pk, address=own.addresses.first().pk)
    refused = other.post(f"/orders/new/?customer={own.pk}", form)
    assert refused.status_code == 200
    assert "That call is not yours to link the order to." in refused.content.decode()
    assert Order.objects.count() == 1


def test_the_order_api_links_only_a_call_the_agent_may_see(world, org, floor):
    from hotline.orders.tests.factories import customer_with_address, make_goods

    call = connected_call(world)
    customer = customer_with_address(org.agent_a1)
    goods = make_goods()
    body = {
        "customer_id": customer.pk,
        "lines": [{"product_id": goods[0].pk, "quantity": 1}],
        "address_id": customer.addresses.first().pk,
        "call_id": str(call.pk),
    }
    other_customer = customer_with_address(org.agent_b1)
    refused = post(
        client_for(org.agent_b1),
        "/api/orders/",
        {
            **body,
            "customer_id": other_customer.pk,
            "address_id": other_customer.addresses.first().pk,
        },
    )
    assert refused.status_code == 422 and "call_id" in refused.json()["error"]["details"]
    taken = post(client_for(org.agent_a1), "/api/orders/", body)
    assert taken.status_code in (200, 201), taken.content
    assert taken.json()["call_id"] == str(call.pk)
