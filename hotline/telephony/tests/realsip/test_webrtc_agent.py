"""End to end with a browser agent: SIPp calls the hotline and presses 1; the
call rings agent_a2, whose desk softphone (played by an aiortc client, as
the browser would be) is connected over WebRTC; the agent answers from the
desk, audio crosses both ways between G.711 and the browser, and the
customer hangs up."""

import asyncio
import threading

from hotline.core.exceptions import Conflict
from hotline.telephony.models import Call, CallLeg, Recording
from hotline.telephony.storage import recording_open
from hotline.telephony.tests.browser_peer import LOUD, Browser, rms
from hotline.telephony.tests.realsip.conftest import HOTLINE, db_read
from hotline.telephony.tests.realsip.peers import SippProcess, channel_rms, wait_until

SILENCE_RMS = 200


class BrowserThread:
    """The aiortc browser on an event loop of its own thread."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.browser = self.call(self._make())

    async def _make(self) -> Browser:
        return Browser()

    def call(self, coroutine, timeout: float = 20):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def connected(self) -> bool:
        return self.browser.pc.connectionState == "connected"

    def loud_frames(self) -> int:
        return sum(1 for samples, _rate in list(self.browser.heard) if rms(samples) > LOUD)

    def close(self) -> None:
        self.call(self.browser.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


def answer_when_ringing(sip_live, agent_id: int, *, timeout: float) -> None:
    def try_answer():
        try:
            sip_live.run("agent_answer", agent_id=agent_id)
        except Conflict:
            return False
        return True

    wait_until(try_answer, timeout=timeout, interval=0.2, what="the agent's softphone to ring")


def test_customer_reaches_a_browser_agent(sip_live, tmp_path):
    agent = sip_live.world.agents["8003"]
    browser = BrowserThread()
    try:
        offer = browser.call(browser.browser.offer())
        answer = sip_live.switch.webrtc_answer(extension="8003", offer_sdp=offer)
        browser.call(browser.browser.answer(answer))
        wait_until(browser.connected, timeout=10, what="the browser's connection")
        sip_live.login("8003")

        customer = SippProcess(
            "customer_ivr.xml", port=sip_live.switch.port, workdir=tmp_path, service=HOTLINE
        )
        answer_when_ringing(sip_live, agent.pk, timeout=10)
        heard_before = browser.loud_frames()
        returncode, report = customer.wait()
        assert returncode == 0, report
        call = wait_until(
            lambda: db_read(lambda: Call.objects.filter(ended_at__isnull=False).first()),
            timeout=10,
            what="the call record",
        )
        # The customer's G.711 voice reached the browser (decoded from Opus).
        assert browser.loud_frames() - heard_before >= 100
        # The browser stays connected for the next call.
        assert browser.connected()
    finally:
        browser.close()

    call, legs, recording = db_read(
        lambda: (
            Call.objects.get(pk=call.pk),
            list(CallLeg.objects.filter(call_id=call.pk).order_by("id")),
            Recording.objects.filter(call_id=call.pk).first(),
        )
    )
    assert call.disposition == Call.Disposition.ANSWERED
    assert call.agent_id == agent.pk
    assert call.hangup_side == "caller"
    assert call.flow_path == ["menu", "sales"]
    assert call.talk_ms >= 5000
    assert [leg.kind for leg in legs] == [CallLeg.Kind.CUSTOMER, CallLeg.Kind.AGENT]
    assert all(leg.ended_at for leg in legs)

    assert recording is not None and recording.duration_ms >= 5000
    with recording_open(recording.file) as handle:
        customer_rms, heard_rms = channel_rms(handle.read())
    assert customer_rms > SILENCE_RMS, "the customer's side (SIPp's G.711 audio) is silent"
    assert heard_rms > SILENCE_RMS, "the agent's side (the browser's tone) is silent"
