"""Dialogs beyond the plain call, with real peers: a call that comes through
a record-routing proxy and is held by the customer with re-INVITEs, then hung
up by the agent; an agent's outbound call through the carrier trunk, which
asks for the trunk's digest credentials, hung up by the called person; a
blind transfer of the customer to an outside number; a caller who gives up
while the agent's phone rings, which cancels it."""

import time

from hotline.telephony.models import Call, CallLeg, Recording, SipTrunk
from hotline.telephony.storage import recording_open
from hotline.telephony.tests.realsip.conftest import HOTLINE, PASSWORD, answered_leg, db_read
from hotline.telephony.tests.realsip.peers import (
    Baresip,
    SippProcess,
    channel_rms,
    free_port,
    run_sipp,
    wait_until,
)

SILENCE_RMS = 200
CARRIER_OUT = "127.0.0.3"


def ended_call():
    return wait_until(
        lambda: db_read(lambda: Call.objects.filter(ended_at__isnull=False).first()),
        timeout=10,
        what="the call record",
    )


def carrier_answering(sip_live, workdir, scenario: str) -> SippProcess:
    """Outbound calls go through the test carrier, with its credentials; the
    carrier (SIPp, on 127.0.0.3) waits for one."""
    carrier_port = free_port()
    db_read(
        lambda: SipTrunk.objects.filter(name="carrier").update(
            outbound_host=CARRIER_OUT,
            outbound_port=carrier_port,
            username="hotline-trunk",
            password="trunk-secret",
        )
    )
    sip_live.reload()
    return SippProcess(
        scenario, port=None, workdir=workdir, address=CARRIER_OUT, local_port=carrier_port
    )


def test_a_proxied_call_is_held_and_the_agents_bye_follows_the_route(
    sip_live, phone_8002, tmp_path
):
    agent = sip_live.world.agents["8002"]
    started = time.monotonic()
    customer = SippProcess(
        "customer_via_proxy.xml", port=sip_live.switch.port, workdir=tmp_path, service=HOTLINE
    )
    try:
        answered_leg(CallLeg.Kind.AGENT, what="baresip to answer")
        # The customer holds at about 5 s and resumes at about 6.5 s.
        time.sleep(max(0.0, started + 9 - time.monotonic()))
        sip_live.run("agent_hangup", agent_id=agent.pk)
    finally:
        returncode, report = customer.wait()
    assert returncode == 0, report

    call = ended_call()
    call = db_read(lambda: Call.objects.get(pk=call.pk))
    assert call.disposition == Call.Disposition.ANSWERED
    assert call.hangup_side == "agent"
    assert call.agent_id == agent.pk


def test_an_outbound_call_leaves_through_the_trunk_with_its_credentials(
    sip_live, phone_8002, tmp_path
):
    carrier = carrier_answering(sip_live, tmp_path, "carrier_uas.xml")
    try:
        agent = sip_live.world.agents["8002"]
        sip_live.run("agent_dial", agent_id=agent.pk, number="13911112222")
        returncode, report = carrier.wait()
    finally:
        carrier.stop()
    assert returncode == 0, report

    call = ended_call()
    call, legs, recording = db_read(
        lambda: (
            Call.objects.get(pk=call.pk),
            list(CallLeg.objects.filter(call_id=call.pk).order_by("id")),
            Recording.objects.filter(call_id=call.pk).first(),
        )
    )
    assert call.direction == Call.Direction.OUTBOUND
    assert call.disposition == Call.Disposition.ANSWERED
    assert call.called == "+8613911112222"
    assert call.agent_id == agent.pk
    assert call.talk_ms >= 4000
    assert all(leg.ended_at for leg in legs)
    with recording_open(recording.file) as handle:
        assert min(channel_rms(handle.read())) > SILENCE_RMS


def test_a_caller_who_gives_up_cancels_the_ringing_phone(sip_live, tmp_path):
    phone = Baresip(
        workdir=tmp_path,
        extension="8002",
        password=PASSWORD,
        registrar_port=sip_live.switch.port,
        answer="manual",
    ).start()
    try:
        wait_until(lambda: "8002" in sip_live.switch.registered(), timeout=15, what="baresip")
        sip_live.login("8002")
        result = run_sipp(
            "customer_gives_up.xml", port=sip_live.switch.port, workdir=tmp_path, service=HOTLINE
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        call = ended_call()
        # baresip's ringing call was cancelled (it logs a CANCEL so).
        wait_until(
            lambda: "session closed: Connection reset by peer" in phone.output(),
            timeout=5,
            what=f"baresip to be cancelled:\n{phone.output()}",
        )
    finally:
        phone.stop()
    call, legs = db_read(
        lambda: (
            Call.objects.get(pk=call.pk),
            list(CallLeg.objects.filter(call_id=call.pk).order_by("id")),
        )
    )
    assert call.disposition == Call.Disposition.ABANDONED
    assert call.hangup_side == "caller"
    assert [leg.kind for leg in legs] == [CallLeg.Kind.CUSTOMER, CallLeg.Kind.AGENT]
    assert legs[1].answered_at is None and legs[1].ended_at is not None


def test_the_agent_transfers_the_customer_to_an_outside_number(sip_live, phone_8002, tmp_path):
    agent = sip_live.world.agents["8002"]
    carrier = carrier_answering(sip_live, tmp_path, "carrier_uas_waits.xml")
    customer = SippProcess(
        "customer_ivr.xml", port=sip_live.switch.port, workdir=tmp_path, service=HOTLINE
    )
    try:
        answered_leg(CallLeg.Kind.AGENT, what="baresip to answer")
        sip_live.run("agent_transfer", agent_id=agent.pk, to="13911112222")
        customer_code, customer_report = customer.wait()
        carrier_code, carrier_report = carrier.wait()
    finally:
        customer.stop()
        carrier.stop()
    assert customer_code == 0, customer_report
    assert carrier_code == 0, carrier_report

    call = ended_call()
    call, legs = db_read(
        lambda: (
            Call.objects.get(pk=call.pk),
            list(CallLeg.objects.filter(call_id=call.pk).order_by("id")),
        )
    )
    # The engine placed the outside call, bridged it, and ended the call
    # when the customer hung up.
    assert call.disposition == Call.Disposition.TRANSFERRED
    assert call.hangup_side == "caller"
    assert [leg.kind for leg in legs] == [
        CallLeg.Kind.CUSTOMER,
        CallLeg.Kind.AGENT,
        CallLeg.Kind.EXTERNAL,
    ]
    agent_leg, outside = legs[1], legs[2]
    assert agent_leg.hangup_cause == "transferred"
    assert outside.number == "+8613911112222" and outside.answered_at is not None
    assert all(leg.ended_at for leg in legs)
    media = sip_live.switch.finished_legs()
    # Each side heard the other: SIPp's recordings, relayed both ways.
    assert media[outside.switch_id].packets_in >= 200
    assert media[outside.switch_id].packets_out >= 200
