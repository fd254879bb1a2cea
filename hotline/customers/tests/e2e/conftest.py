"""The browser fixtures of the web shell (demo data, Chromium, a page)."""

from hotline.web.tests.e2e.conftest import *  # noqa: F403
from hotline.web.tests.e2e.conftest import _async_unsafe_allowed  # noqa: F401
