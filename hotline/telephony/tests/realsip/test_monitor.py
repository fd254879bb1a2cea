"""Supervisors on real calls: while the customer (SIPp) talks with the agent
(a baresip phone playing 1 kHz), a supervisor's baresip phone (playing
2.7 kHz) is called in to listen or to whisper. Both phones keep what they
hear: the supervisor hears the call either way; the agent hears the
supervisor only when whispered to."""

import time

import pytest
from django.conf import settings

from hotline.telephony.models import CallLeg, Extension
from hotline.telephony.tests.realsip.conftest import HOTLINE, PASSWORD, answered_leg, db_read
from hotline.telephony.tests.realsip.peers import (
    Baresip,
    SippProcess,
    tone_levels,
    wait_until,
)

AGENT_TONE, SUPERVISOR_TONE = 1000, 2700
SUPERVISOR_PASSWORD = "phone-secret-8004"
LOUD = 0.05  # a tone at this fraction of full scale in a 100 ms block


@pytest.fixture
def phones(sip_live, tmp_path):
    """The agent's phone (8002, logged in and ready) and the supervisor's
    (8004), both registered, answering by themselves and recording."""

    def add_supervisor_extension():
        extension = Extension.objects.create(number="8004", kind=Extension.Kind.SIP)
        extension.set_sip_password(SUPERVISOR_PASSWORD, settings.TELEPHONY["SIP_REALM"])
        extension.save()

    db_read(add_supervisor_extension)
    sip_live.reload()
    port = sip_live.switch.port
    agent = Baresip(
        workdir=tmp_path, extension="8002", password=PASSWORD, registrar_port=port, record=True
    )
    supervisor = Baresip(
        workdir=tmp_path,
        extension="8004",
        password=SUPERVISOR_PASSWORD,
        registrar_port=port,
        tone=SUPERVISOR_TONE,
        record=True,
    )
    try:
        for phone in (agent.start(), supervisor.start()):
            wait_until(
                lambda phone=phone: phone.extension in sip_live.switch.registered(),
                timeout=15,
                what=f"baresip {phone.extension} to register:\n{phone.output()}",
            )
        sip_live.login("8002")
        yield agent, supervisor
    finally:
        agent.stop()
        supervisor.stop()


def loud_blocks(content: bytes, frequency: int) -> int:
    return sum(level > LOUD for level in tone_levels(content, frequency))


@pytest.mark.parametrize("mode", ["listen", "whisper"])
def test_a_supervisor_listens_or_whispers(sip_live, phones, tmp_path, mode):
    agent_phone, supervisor_phone = phones
    customer = SippProcess(
        "customer_ivr.xml", port=sip_live.switch.port, workdir=tmp_path, service=HOTLINE
    )
    try:
        agent_leg = answered_leg(CallLeg.Kind.AGENT, what="the agent to answer")
        sip_live.run("monitor_start", call_id=agent_leg.call_id, extension="8004", mode=mode)
        answered_leg(CallLeg.Kind.MONITOR, timeout=10, what="the supervisor's phone to answer")
        time.sleep(4)
    finally:
        returncode, report = customer.wait()
    assert returncode == 0, report
    wait_until(lambda: sip_live.switch.open_legs() == [], timeout=10, what="every leg to end")

    agent_phone.stop()  # baresip completes its recordings as it stops
    supervisor_phone.stop()
    supervisor_heard = supervisor_phone.heard()
    agent_heard = agent_phone.heard()
    assert loud_blocks(supervisor_heard, AGENT_TONE) >= 20, "the supervisor did not hear the agent"
    whispered = loud_blocks(agent_heard, SUPERVISOR_TONE)
    if mode == "whisper":
        assert whispered >= 20, "the agent did not hear the supervisor's whisper"
    else:
        assert whispered == 0, "the agent heard a supervisor who only listens"
