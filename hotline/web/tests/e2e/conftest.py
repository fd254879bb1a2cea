"""Browser tests: Playwright's sync API driving Debian's Chromium against
pytest-django's live server. Never a downloaded browser.

Playwright's sync API keeps an event loop running in the test thread, which
makes Django refuse ORM calls there unless DJANGO_ALLOW_ASYNC_UNSAFE is set,
and makes ``async_to_sync`` (the event fan-out) fail. So the data is made
before the browser starts, and the variable is set only while it runs: the
rest of the suite keeps Django's check.
"""

import os
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from hotline.web.tests.e2e.helpers import screenshot

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def demo(transactional_db):
    """The default roles and the demo organisation, as `make run` loads them."""
    call_command("setup_roles", stdout=StringIO())
    call_command("demo_data", stdout=StringIO())
    return settings.HOTLINE["DEMO_PASSWORD"]


@pytest.fixture
def _async_unsafe_allowed():
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def browser(demo, _async_unsafe_allowed):
    """Chromium, started after the data is in place and stopped before the
    database is flushed: while Playwright runs, its event loop sits in this
    thread, where services could not publish their events."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(live_server, browser, request):
    """A fresh browser tab of a Chinese-speaking visitor; a screenshot is kept
    in test-artifacts/ when the test fails."""
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        screenshot(page, f"FAILED-{request.node.name}")
    context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
