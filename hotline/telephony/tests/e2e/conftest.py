"""Browser tests of the live telephony screens: the ASGI server (HTTP and
WebSocket) and a live sim engine on the demo data, with Debian's Chromium."""

import pytest
from django.utils import timezone

from hotline.telephony.models import (
    Agent,
    AgentState,
    DialledNumber,
    IvrFlow,
    Queue,
    QueueMember,
)
from hotline.web.tests.e2e.asgi_server import asgi_live_server, live_engine  # noqa: F401
from hotline.web.tests.e2e.conftest import (  # noqa: F401
    _async_unsafe_allowed,
    browser,
    demo,
)
from hotline.web.tests.e2e.helpers import screenshot

BOARD_NUMBER = "4008009999"
BOARD_QUEUE = "board"


@pytest.fixture
def board_queue(demo):  # noqa: F811 - the fixture imported above
    """Queue ``board`` on its own number (no business hours): agent2, at a
    simulated phone that answers by itself, is its only member, logged in
    and not ready."""
    queue = Queue.objects.create(code=BOARD_QUEUE, name="Board", max_wait_seconds=600)
    flow = IvrFlow.objects.create(
        name="board", start="q", nodes={"q": {"type": "queue", "queue": BOARD_QUEUE}}
    )
    DialledNumber.objects.create(number=BOARD_NUMBER, flow=flow)
    agent = Agent.objects.get(user__username="agent2")
    QueueMember.objects.create(queue=queue, agent=agent, position=0, logged_in=True)
    Agent.objects.filter(pk=agent.pk).update(state=AgentState.NOT_READY, state_since=timezone.now())
    return queue


@pytest.fixture
def engine(board_queue, live_engine):  # noqa: F811 - the fixture imported above
    return live_engine


@pytest.fixture
def new_page(asgi_live_server, browser, request):  # noqa: F811
    """``new_page()`` → a fresh tab of a Chinese-speaking visitor on the ASGI
    server; screenshots of every tab are kept when the test fails."""
    contexts = []

    def make():
        context = browser.new_context(
            base_url=asgi_live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    report = getattr(request.node, "rep_call", None)
    for number, context in enumerate(contexts):
        if report is not None and report.failed and context.pages:
            screenshot(context.pages[0], f"FAILED-{request.node.name}-{number}")
        context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
