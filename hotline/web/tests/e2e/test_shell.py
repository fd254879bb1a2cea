"""The UI shell in a real browser: login, menus by role, language switch."""

import re

import pytest
from django.urls import reverse

from hotline.accounts.management.commands.demo_data import DEPARTMENTS, TEAMS, USERS
from hotline.accounts.roles import ROLES
from hotline.web.tests.e2e.helpers import has_cjk, log_in, screenshot

pytestmark = pytest.mark.e2e

MENU = "nav#menu"
WORKBENCH = 'nav#menu section.menu-section[data-section="workbench"]'
ADMINISTRATION = 'nav#menu section.menu-section[data-section="administration"]'

# Data, not interface text, that stays Chinese on English pages: names of
# people, departments and teams, role descriptions (one column, written in
# Chinese), and the initial of a person's name shown as an avatar.
_DATA = {spec.full_name for spec in USERS}
_DATA |= {name for _key, name, _parent in DEPARTMENTS}
_DATA |= {name for _key, name, _department in TEAMS}
_DATA |= {role.description for role in ROLES.values()}
DATA_TEXTS = [*sorted(_DATA, key=len, reverse=True), *{spec.full_name[0] for spec in USERS}]


def html_lang(page) -> str:
    return (page.get_attribute("html", "lang") or "").lower()


def interface_text(page) -> str:
    """The visible text of the page without data names and without the names
    of the languages offered by the switch (each shown in its own language)."""
    text = page.locator("body").inner_text()
    for option in page.locator("form#language-switch select[name=language] option").all():
        text = text.replace(option.inner_text(), "")
    for data in DATA_TEXTS:
        text = text.replace(data, "")
    return text


# Latin words that may stand on a Chinese page: the product name and user names.
LATIN_ALLOWED = {"Hotline", *(spec.username for spec in USERS)}


def english_words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z][A-Za-z0-9]{2,}", text)) - LATIN_ALLOWED


def switch_language(page, language: str) -> None:
    form = page.locator("form#language-switch")
    form.locator("select[name=language]").select_option(language)
    with page.expect_navigation():
        form.locator("button, input[type=submit]").first.click()


def log_out(page) -> None:
    with page.expect_navigation():
        page.locator("form#logout-form button").click()


def test_agent_sees_only_agent_menus(page, demo):
    log_in(page, "agent1", demo)
    screenshot(page, "agent1-home")

    assert "/login/" not in page.url
    assert page.locator(WORKBENCH).is_visible()
    assert page.locator(ADMINISTRATION).count() == 0

    response = page.goto(reverse("web:user_list"))
    screenshot(page, "agent1-forbidden")
    assert response.status == 403


def test_admin_sees_administration(page, demo):
    log_in(page, "admin", demo)
    screenshot(page, "admin-home")

    section = page.locator(ADMINISTRATION)
    assert section.is_visible()
    assert page.locator(WORKBENCH).is_visible()
    for url_name in ("web:user_list", "web:role_list"):
        assert section.locator(f'a[href="{reverse(url_name)}"]').count() == 1

    response = page.goto(reverse("web:user_list"))
    assert response.status == 200


def test_switching_language_changes_the_whole_page_and_persists(page, demo):
    log_in(page, "agent1", demo)
    screenshot(page, "language-zh-hans")
    assert html_lang(page) == "zh-hans"
    assert has_cjk(page.locator(MENU).inner_text())
    untranslated = english_words(interface_text(page))
    assert not untranslated, f"English on the Chinese page: {sorted(untranslated)}"

    switch_language(page, "en")
    screenshot(page, "language-en")

    assert html_lang(page) == "en"
    menu = page.locator(MENU).inner_text()
    assert "Workbench" in menu
    assert not has_cjk(menu), menu
    leftover = interface_text(page)
    assert not has_cjk(leftover), leftover

    log_out(page)
    log_in(page, "agent1", demo)
    screenshot(page, "language-en-after-login")
    assert html_lang(page) == "en"
    assert "Workbench" in page.locator(MENU).inner_text()


def test_administration_menu_in_english(page, demo):
    log_in(page, "admin", demo)
    switch_language(page, "en")

    section = page.locator(ADMINISTRATION).inner_text()
    assert "Administration" in section
    assert "Users" in section
    assert not has_cjk(interface_text(page)), interface_text(page)


def test_wrong_password_shows_error_and_stays_on_login(page, demo):
    log_in(page, "agent1", "not-the-password")
    screenshot(page, "login-wrong-password")

    assert "/login/" in page.url
    assert page.locator(".form-errors").is_visible()
    assert page.locator(".form-errors").inner_text().strip()
    assert page.locator("#login-form").is_visible()
    assert page.locator(MENU).count() == 0
