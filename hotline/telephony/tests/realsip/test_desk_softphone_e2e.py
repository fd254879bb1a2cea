"""The agent desktop as the phone, in Debian's Chromium: with the `sip` driver
the desk connects its browser audio over WebRTC (Chromium's fake microphone
plays a beep), SIPp calls the hotline and presses 1, the call rings in the
page, the agent clicks Answer and hears the customer; the recording holds
both sides."""

import pytest
from playwright.sync_api import expect, sync_playwright

from conftest import DEFAULT_PASSWORD
from hotline.telephony.models import Call, Recording
from hotline.telephony.storage import recording_open
from hotline.telephony.tests.realsip.conftest import HOTLINE, db_read
from hotline.telephony.tests.realsip.peers import SippProcess, channel_rms, wait_until
from hotline.web.tests.e2e.asgi_server import asgi_live_server  # noqa: F401
from hotline.web.tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, _async_unsafe_allowed  # noqa: F401
from hotline.web.tests.e2e.helpers import log_in, screenshot

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous"),
]

SILENCE_RMS = 200
MEDIA_ARGS = [
    *CHROMIUM_ARGS,
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]
# The level of what the page's <audio> plays, measured for half a second.
HEARD_LEVEL_JS = """
async () => {
  const stream = document.getElementById("desk-audio").srcObject;
  if (!stream) return 0;
  const context = new AudioContext();
  await context.resume();
  const analyser = context.createAnalyser();
  context.createMediaStreamSource(stream).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  let loudest = 0;
  for (let i = 0; i < 10; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    analyser.getFloatTimeDomainData(samples);
    const rms = Math.sqrt(samples.reduce((sum, s) => sum + s * s, 0) / samples.length);
    loudest = Math.max(loudest, rms);
  }
  await context.close();
  return loudest;
}
"""


@pytest.fixture
def desk_page(sip_live, asgi_live_server, settings, _async_unsafe_allowed, request):  # noqa: F811
    settings.TELEPHONY = {**settings.TELEPHONY, "DRIVER": "sip"}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=MEDIA_ARGS)
        context = browser.new_context(
            base_url=asgi_live_server.url,
            locale="zh-CN",
            viewport={"width": 1280, "height": 900},
            permissions=["microphone"],
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        yield page
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            screenshot(page, f"FAILED-{request.node.name}")
        browser.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def test_agent_answers_on_the_desk_softphone(sip_live, desk_page, tmp_path):
    page = desk_page
    log_in(page, "agent_a2", DEFAULT_PASSWORD)
    page.goto("/telephony/desk/")
    page.locator("#login-form button[type=submit]").click()
    expect(page.locator("#agent-state")).to_have_attribute("data-state", "ready")
    expect(page.locator("#desk-audio-status")).to_have_class("badge badge-success")

    customer = SippProcess(
        "customer_ivr.xml", port=sip_live.switch.port, workdir=tmp_path, service=HOTLINE
    )
    try:
        answer = page.locator("#softphone [data-action=answer]")
        expect(answer).to_be_enabled(timeout=15_000)
        answer.click()
        expect(page.locator("#agent-state")).to_have_attribute("data-state", "talking")
        # SIPp's G.711 recording plays from about 5.5 s after the call began.
        heard = 0.0
        for _ in range(12):
            heard = max(heard, page.evaluate(HEARD_LEVEL_JS))
            if heard > 0.02:
                break
        screenshot(page, "desk-softphone-talking")
    finally:
        returncode, report = customer.wait()
    assert returncode == 0, report
    assert heard > 0.02, "the page played no sound of the customer"

    call = wait_until(
        lambda: db_read(lambda: Call.objects.filter(ended_at__isnull=False).first()),
        timeout=10,
        what="the call record",
    )
    recording = db_read(lambda: Recording.objects.filter(call_id=call.pk).first())
    assert call.disposition == Call.Disposition.ANSWERED
    assert call.agent_id == sip_live.world.agents["8003"].pk
    assert call.hangup_side == "caller"
    with recording_open(recording.file) as handle:
        customer_rms, agent_rms = channel_rms(handle.read())
    assert customer_rms > SILENCE_RMS, "the customer's side is silent"
    assert agent_rms > SILENCE_RMS, "the agent's side (Chromium's fake microphone) is silent"
    # The desk keeps its browser audio for the next call.
    expect(page.locator("#desk-audio-status")).to_have_class("badge badge-success")


def test_an_agent_at_a_sip_phone_gets_no_browser_audio(sip_live, desk_page):
    page = desk_page
    offers = []
    page.on("request", lambda r: offers.append(r.url) if r.url.endswith("/webrtc") else None)
    log_in(page, "agent_a1", DEFAULT_PASSWORD)  # extension 8002 is a SIP phone
    page.goto("/telephony/desk/")
    page.locator("#login-form button[type=submit]").click()
    expect(page.locator("#agent-state")).to_have_attribute("data-state", "ready")
    page.wait_for_timeout(1500)
    assert offers == []
    expect(page.locator("#desk-audio-status")).to_be_hidden()
