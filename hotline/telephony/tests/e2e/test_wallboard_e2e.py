"""The wallboard in a real browser against the ASGI server and a live sim
engine: figures and agents' states follow the calls within a second, the
supervisor's buttons act on agents, and agents see neither the page nor the
queue figures on their event stream."""

import time

import pytest
from django.urls import Resolver404, include, path, resolve
from playwright.sync_api import expect

from hotline.telephony.switch.sim import CallerProfile
from hotline.telephony.tests.e2e.conftest import BOARD_NUMBER, BOARD_QUEUE
from hotline.telephony.views import wallboard as wallboard_views
from hotline.web.tests.e2e.helpers import log_in

WALLBOARD = "/telephony/wallboard/"
LIVE = 1_000  # ms: what a supervisor may wait for the board to change
AGENT2 = "1002"


def _routed() -> bool:
    try:
        return resolve(WALLBOARD).func is wallboard_views.wallboard
    except Resolver404:
        return False


urlpatterns = [
    path("telephony/", include((wallboard_views.urlpatterns, "telephony_wallboard"))),
    path("", include("config.urls")),
]
# Static files reach the browser through WhiteNoise's synchronous iterators.
pytestmark = [
    pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous"),
    *([] if _routed() else [pytest.mark.urls(__name__)]),
]

OPEN_SOCKET = """() => new Promise((resolve, reject) => {
  window.received = [];
  const socket = new WebSocket(`ws://${location.host}/ws/events/`);
  socket.onmessage = (event) => {
    const envelope = JSON.parse(event.data);
    window.received.push(envelope.type);
    if (envelope.type === "hello") resolve(true);
  };
  socket.onclose = () => reject(new Error("socket closed"));
  window.testSocket = socket;
})"""


def call_in(engine, caller: str = "13800138000") -> None:
    with engine.lock:
        engine.switch.inbound(
            caller=caller,
            called=BOARD_NUMBER,
            profile=CallerProfile(patience_ms=300_000, talk_ms=300_000),
        )


def open_board(new_page, username: str, password: str):
    page = new_page()
    log_in(page, username, password)
    response = page.goto(WALLBOARD)
    assert response.status == 200
    expect(page.locator("#wallboard[data-connected='1']")).to_have_count(1)
    return page


def test_the_board_follows_a_call_and_the_agent_live(engine, new_page, demo):
    page = open_board(new_page, "lead1", demo)
    queue = page.locator(f"#queues-body tr[data-queue='{BOARD_QUEUE}']")
    waiting = queue.locator("td[data-field='waiting']")
    agent2 = page.locator(f"#agents-body tr[data-number='{AGENT2}']")
    expect(waiting).to_have_text("0")
    expect(queue.locator("td[data-field='agents']")).to_have_text("0 / 1")
    expect(agent2).to_have_attribute("data-state", "not_ready")
    expect(page.locator("#agents-body tr[data-number='1001']")).to_have_count(1)  # agent1, team
    expect(page.locator("#agents-body tr[data-number='1003']")).to_have_count(0)  # agent3, not

    call_in(engine)
    expect(waiting).to_have_text("1", timeout=LIVE)
    longest = queue.locator("td[data-field='longest_wait']")
    expect(longest).to_have_text("0:01", timeout=2_500)  # ticks in the browser

    agent2.locator("button[data-state='ready']").click()  # the supervisor's control
    expect(agent2).not_to_have_attribute("data-state", "not_ready", timeout=LIVE)
    expect(agent2).to_have_attribute("data-state", "ringing", timeout=LIVE)
    expect(waiting).to_have_text("0", timeout=LIVE)
    # agent2's phone answers by itself after three seconds
    expect(agent2).to_have_attribute("data-state", "talking", timeout=3_000 + LIVE)
    expect(agent2.locator(".state-badge")).to_have_text("通话中")
    expect(queue.locator("td[data-field='answered']")).to_have_text("1", timeout=LIVE)
    talking = page.locator("#calls-body tr[data-state='connected']")
    expect(talking).to_have_count(1, timeout=LIVE)
    expect(talking.locator("button[data-mode='barge']")).to_be_visible()

    agent2.locator("button[data-state='logged_out']").click()
    expect(agent2).to_have_attribute("data-state", "talking")  # stays on the call


def test_supervisor_listens_to_a_live_call(engine, new_page, demo):
    page = open_board(new_page, "lead1", demo)
    agent2 = page.locator(f"#agents-body tr[data-number='{AGENT2}']")
    call_in(engine)
    agent2.locator("button[data-state='ready']").click()
    expect(agent2).to_have_attribute("data-state", "talking", timeout=3_000 + LIVE)
    call = page.locator("#calls-body tr[data-state='connected']")
    call.locator("button[data-mode='listen']").click()
    page.wait_for_selector("#wallboard-notice:not([hidden]), #wallboard-error:not([hidden])")
    error = page.locator("#wallboard-error")
    assert error.is_hidden(), error.inner_text()
    strings = page.evaluate("JSON.parse(document.getElementById('wallboard-strings').textContent)")
    expect(page.locator("#wallboard-notice")).to_have_text(strings["monitor_started"])


def test_large_mode_hides_the_sidebar_and_the_controls(engine, new_page, demo):
    page = open_board(new_page, "lead1", demo)
    expect(page.locator("aside.sidebar")).to_be_visible()
    page.locator("#large-toggle").click()
    expect(page).to_have_url(f"{page.url.split('?')[0]}?large=1")
    expect(page.locator("#wallboard[data-connected='1']")).to_have_count(1)
    expect(page.locator("aside.sidebar")).to_be_hidden()
    expect(page.locator("#agents-body tr").first.locator("button").first).to_be_hidden()
    size = page.locator(f"#queues-body tr[data-queue='{BOARD_QUEUE}'] td[data-field='waiting']")
    assert float(size.evaluate("cell => getComputedStyle(cell).fontSize")[:-2]) >= 30


def test_agents_get_neither_the_board_nor_the_queue_figures(engine, new_page, demo):
    lead = new_page()
    log_in(lead, "lead1", demo)
    agent = new_page()
    log_in(agent, "agent1", demo)
    assert agent.goto(WALLBOARD).status == 403
    assert agent.evaluate(OPEN_SOCKET) is True
    assert lead.evaluate(OPEN_SOCKET) is True

    call_in(engine)
    lead.wait_for_function("() => window.received.includes('telephony.queue_stats')", timeout=LIVE)
    time.sleep(0.5)  # anything on its way to the agent arrives meanwhile
    received = agent.evaluate("() => window.received")
    assert received[0] == "hello"
    assert "telephony.queue_stats" not in received
