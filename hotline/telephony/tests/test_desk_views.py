"""The agent desktop page (/telephony/desk/): who may open it and what the
page hands to its script (the snapshot and event URLs, the strings, the
default extension)."""

import json
import re

import pytest
from django.urls import Resolver404, include, path, resolve

from hotline.telephony.models import Agent, Extension
from hotline.telephony.views import desk as desk_views

DESK = "/telephony/desk/"


def _desk_routed() -> bool:
    try:
        return resolve(DESK).func is desk_views.desk
    except Resolver404:
        return False


# Until the telephony URLconf includes the desktop, route it here on top of
# the project's URLs so the page is tested at its real address.
urlpatterns = [
    path("telephony/", include((desk_views.urlpatterns, "telephony_desk"))),
    path("", include("config.urls")),
]
pytestmark = [] if _desk_routed() else [pytest.mark.urls(__name__)]


def _json_script(html: str, element_id: str):
    found = re.search(
        rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S
    )
    assert found, f"no json_script #{element_id}"
    return json.loads(found.group(1))


@pytest.fixture
def agent_a1(org):
    ext = Extension.objects.create(number="8101", kind=Extension.Kind.SIM)
    Agent.objects.create(user=org.agent_a1, number="101", default_extension=ext)
    return org.agent_a1


def test_desk_renders_for_an_agent_with_snapshot_url_and_strings(client, agent_a1):
    client.force_login(agent_a1)
    response = client.get(DESK)
    assert response.status_code == 200
    html = response.content.decode()
    urls = _json_script(html, "desk-urls")
    assert urls["agent"] == "/api/telephony/agent"
    assert urls["events"] == "/ws/events/"
    assert urls["callbacks"] == "/api/callbacks/mine"
    assert urls["voicemails"] == "/api/telephony/voicemails"
    assert urls["screen_pop"] == "/api/customers/screen-pop"
    assert urls["order_new"] == "/orders/new/"
    strings = _json_script(html, "desk-strings")
    assert strings == {key: str(value) for key, value in desk_views.desk_strings().items()}
    assert strings["decline"] == "Decline"
    assert strings["after_call"] == "After-call work"
    assert 'src="/static/telephony/desk.js"' in html
    assert f'data-user-id="{agent_a1.pk}"' in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_login_form_defaults_to_the_agents_default_extension(client, agent_a1):
    client.force_login(agent_a1)
    html = client.get(DESK).content.decode()
    assert re.search(r'type="text" id="desk-extension" name="extension" value="8101"', html)


def test_user_without_an_agent_row_gets_an_empty_extension(client, org):
    client.force_login(org.agent_a2)
    html = client.get(DESK).content.decode()
    assert re.search(r'type="text" id="desk-extension" name="extension" value=""', html)


def test_desk_refused_without_control_agent(client, roles, make_user):
    qa = make_user("qa1", roles=["qa"])
    assert not qa.has_perm("telephony.control_agent")
    client.force_login(qa)
    assert client.get(DESK).status_code == 403


def test_desk_requires_login(client, db):
    response = client.get(DESK)
    assert response.status_code == 302
    assert "/login/" in response["Location"]
    assert f"next={DESK}" in response["Location"].replace("%2F", "/")


def test_desk_refuses_post(client, agent_a1):
    client.force_login(agent_a1)
    assert client.post(DESK).status_code == 405


def test_desk_strings_follow_the_language(client, agent_a1):
    client.force_login(agent_a1)
    html = client.get(DESK, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    strings = _json_script(html, "desk-strings")
    # "Ready" is an existing msgid (agent state) with a Chinese translation.
    assert strings["ready"] == "示闲"
