"""The supervisors' wallboard page (/telephony/wallboard/): who may open it,
what it hands to its script (the initial-state and event URLs, the strings)
and the large mode for a wall screen."""

import json
import re

import pytest
from django.urls import Resolver404, include, path, resolve

from hotline.telephony.views import wallboard as wallboard_views

WALLBOARD = "/telephony/wallboard/"


def _routed() -> bool:
    try:
        return resolve(WALLBOARD).func is wallboard_views.wallboard
    except Resolver404:
        return False


# Until the telephony URLconf includes the wallboard, route it here on top of
# the project's URLs so the page is tested at its real address.
urlpatterns = [
    path("telephony/", include((wallboard_views.urlpatterns, "telephony_wallboard"))),
    path("", include("config.urls")),
]
pytestmark = [] if _routed() else [pytest.mark.urls(__name__)]


def _json_script(html: str, element_id: str):
    found = re.search(
        rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S
    )
    assert found, f"no json_script #{element_id}"
    return json.loads(found.group(1))


def test_lead_opens_the_wallboard_with_its_urls_and_strings(client, org):
    client.force_login(org.lead_a)
    response = client.get(WALLBOARD)
    assert response.status_code == 200
    html = response.content.decode()
    urls = _json_script(html, "wallboard-urls")
    assert urls == {
        "stats": "/api/telephony/queues/stats",
        "agents": "/api/telephony/agents",
        "live_calls": "/api/telephony/live-calls",
        "api": "/api/telephony/",
        "events": "/ws/events/",
    }
    strings = _json_script(html, "wallboard-strings")
    assert strings["agent_states"]["not_ready"] == "Not ready"
    assert strings["call_states"]["queued"] == "Waiting in a queue"
    assert strings["barge"] == "Barge in"
    assert "telephony/wallboard.js" in html
    assert 'class="app"' in html  # the sidebar stays in the normal view
    assert 'href="?large=1"' in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_large_mode_marks_the_page_for_the_wall_screen(client, org):
    client.force_login(org.admin)
    response = client.get(WALLBOARD, {"large": "1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="app wallboard-large"' in html
    assert 'data-large="1"' in html
    assert 'id="large-toggle" class="button button-small" href="?"' in html


@pytest.mark.parametrize("who", ["agent_a1", "head_sales"])
def test_only_supervisors_open_the_wallboard(client, org, who):
    client.force_login(getattr(org, who))
    response = client.get(WALLBOARD)
    assert response.status_code == (403 if who == "agent_a1" else 200)


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(WALLBOARD)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_script_strings_follow_the_language(client, org):
    client.force_login(org.lead_a)
    response = client.get(WALLBOARD, HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response["Content-Language"] == "zh-hans"
    strings = _json_script(response.content.decode(), "wallboard-strings")
    assert strings["ready"] == "示闲"
    assert strings["agent_states"]["ready"] == "示闲"


def test_writes_are_refused(client, org):
    client.force_login(org.lead_a)
    assert client.post(WALLBOARD).status_code == 405
