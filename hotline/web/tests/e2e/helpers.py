"""Steps and checks the browser tests share."""

import re
from pathlib import Path

from django.conf import settings

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def log_in(page, username: str, password: str) -> None:
    page.goto("/login/")
    form = page.locator("#login-form")
    form.locator("#id_username").fill(username)
    form.locator("#id_password").fill(password)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def has_cjk(text: str) -> bool:
    return bool(CJK.search(text))
