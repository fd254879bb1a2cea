"""Every page of every app is closed to visitors who have not signed in:
a sweep over the URL configuration, so a new view cannot forget it."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

OPEN_PAGES = {"web:login", "web:set_language"}
SKIPPED_PREFIXES = ("api/", "django-admin/", "static/", "media/")


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}", prefix + str(entry.pattern)


def _concrete(route: str) -> str:
    """`customers/<int:pk>/edit/` → `/customers/1/edit/` (a regex route loses its anchors)."""
    path = re.sub(r"<(?:\w+:)?\w+>", "1", route)
    return "/" + path.lstrip("^").rstrip("$")


PAGES = sorted(
    (name, _concrete(route))
    for name, route in _walk(get_resolver().url_patterns)
    if name not in OPEN_PAGES and not route.startswith(SKIPPED_PREFIXES)
)


@pytest.mark.parametrize(("name", "path"), PAGES, ids=[name for name, _path in PAGES])
def test_page_needs_a_signed_in_user(client, name, path):
    response = client.get(path)
    assert response.status_code in (302, 404, 405), (name, path, response.status_code)
    if response.status_code == 302:
        assert response["Location"].startswith("/login/"), (name, response["Location"])


def test_the_sweep_covers_the_apps():
    names = {name.split(":")[0] for name, _path in PAGES}
    assert {"web", "customers", "catalog", "inventory", "orders"} <= names
