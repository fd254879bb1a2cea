"""End to end on real SIP and RTP: SIPp calls the hotline with G.711 and
presses 1 (RFC 2833), hears the menu, waits in the queue, and talks with an
agent whose baresip phone, registered as extension 8002 with a digest
password, answers by itself; then the customer hangs up."""

from hotline.telephony.models import Call, CallLeg, Recording
from hotline.telephony.storage import recording_open
from hotline.telephony.tests.realsip.conftest import HOTLINE, db_read
from hotline.telephony.tests.realsip.peers import channel_rms, run_sipp, wait_until

SILENCE_RMS = 200


def test_customer_reaches_a_baresip_agent_through_the_menu(
    sip_live, phone_8002, tmp_path, prompts_dir
):
    result = run_sipp(
        "customer_ivr.xml", port=sip_live.switch.port, workdir=tmp_path, service=HOTLINE
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    call = wait_until(
        lambda: db_read(lambda: Call.objects.filter(ended_at__isnull=False).first()),
        timeout=10,
        what="the call record",
    )

    call, legs, recording = db_read(
        lambda: (
            Call.objects.get(pk=call.pk),
            list(CallLeg.objects.filter(call_id=call.pk).order_by("id")),
            Recording.objects.filter(call_id=call.pk).first(),
        )
    )
    agent = sip_live.world.agents["8002"]
    assert call.disposition == Call.Disposition.ANSWERED
    assert call.called == HOTLINE
    assert call.caller.endswith("13800138000")
    assert call.agent_id == agent.pk
    assert call.queue_id == sip_live.world.queue.pk
    assert call.hangup_side == "caller"
    # The menu's fallback hangs up: only a recognised RFC 2833 "1" reaches the queue.
    assert call.flow_path == ["menu", "sales"]
    assert call.answered_at and call.ended_at and call.talk_ms >= 5000
    assert [leg.kind for leg in legs] == [CallLeg.Kind.CUSTOMER, CallLeg.Kind.AGENT]
    assert all(leg.ended_at for leg in legs)

    # The menu was spoken (espeak-ng, made for this run) and the customer was
    # sent audio all along: prompt, music on hold, then the agent.
    assert list(prompts_dir.rglob("*.wav")), "no prompt was synthesised"
    media = sip_live.switch.finished_legs()
    customer_leg, agent_leg = legs
    talked = media[customer_leg.switch_id]
    assert talked.packets_in >= 200 and talked.lost == 0  # SIPp's G.711 pcap and DTMF
    assert talked.packets_out >= (call.ended_at - customer_leg.created_at).total_seconds() * 40
    assert media[agent_leg.switch_id].packets_in >= 250

    assert recording is not None and recording.duration_ms >= 5000
    with recording_open(recording.file) as handle:
        customer_rms, heard_rms = channel_rms(handle.read())
    assert customer_rms > SILENCE_RMS, "the customer's side (SIPp's G.711 audio) is silent"
    assert heard_rms > SILENCE_RMS, "the agent's side (baresip's tone) is silent"
