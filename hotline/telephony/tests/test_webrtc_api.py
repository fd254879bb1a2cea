"""POST /api/telephony/agent/webrtc: the desktop's browser audio offer goes to
the switch of the running engine for the agent's browser softphone."""

import json

import pytest
from django.test import Client

from hotline.telephony.models import Extension

URL = "/api/telephony/agent/webrtc"
OFFER = {"sdp": "v=0\r\n", "type": "offer"}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client, data):
    return client.post(URL, json.dumps(data), content_type="application/json")


@pytest.fixture
def browser_agent(world, org):
    agent = world.agent(org.agent_a1, "100")
    agent.default_extension = Extension.objects.create(number="8001", kind=Extension.Kind.WEBRTC)
    agent.save()
    return agent


class FakeSipSwitch:
    """Stands for the `sip` driver's switch: records what it was asked."""

    def __init__(self, error: Exception | None = None) -> None:
        self.asked: list[tuple[str, str]] = []
        self.error = error

    def webrtc_answer(self, *, extension: str, offer_sdp: str) -> str:
        self.asked.append((extension, offer_sdp))
        if self.error is not None:
            raise self.error
        return "v=0\r\na=answer\r\n"


def test_needs_the_control_agent_permission_and_an_agent(world, org, make_user, browser_agent):
    qa = make_user("qa_1", roles=["qa"], team=org.team_a)
    assert post(client_for(qa), OFFER).status_code == 403
    not_an_agent = post(client_for(org.agent_a2), OFFER)  # may control, has no agent record
    assert not_an_agent.status_code == 403
    assert post(Client(), OFFER).status_code == 401


def test_the_sim_driver_has_no_browser_audio(world, org, browser_agent):
    response = post(client_for(org.agent_a1), OFFER)
    assert response.status_code == 409
    assert response.json()["error"]["message"] == "Browser audio needs the sip telephony driver."


def test_an_extension_that_is_not_a_browser_softphone_is_refused(world, org):
    world.agent(org.agent_a1, "100")  # a simulated phone
    world.engine.switch = FakeSipSwitch()
    response = post(client_for(org.agent_a1), OFFER)
    assert response.status_code == 422
    assert response.json()["error"]["details"]["extension"]
    assert world.engine.switch.asked == []


def test_an_agent_without_an_extension_is_refused(world, org):
    agent = world.agent(org.agent_a1, "100")
    agent.default_extension = None
    agent.save()
    world.engine.switch = FakeSipSwitch()
    assert post(client_for(org.agent_a1), OFFER).status_code == 422


def test_the_offer_is_answered_by_the_switch(world, org, browser_agent):
    switch = world.engine.switch = FakeSipSwitch()
    response = post(client_for(org.agent_a1), OFFER)
    assert response.status_code == 200, response.content
    assert response.json() == {"sdp": "v=0\r\na=answer\r\n", "type": "answer"}
    assert switch.asked == [("8001", "v=0\r\n")]


def test_a_refused_offer_is_a_422(world, org, browser_agent):
    world.engine.switch = FakeSipSwitch(error=ValueError("offer must have audio"))
    response = post(client_for(org.agent_a1), OFFER)
    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"sdp": ["offer must have audio"]}


def test_the_body_is_checked(world, org, browser_agent):
    world.engine.switch = FakeSipSwitch()
    client = client_for(org.agent_a1)
    assert post(client, {"sdp": "v=0", "type": "answer"}).status_code == 422
    assert post(client, {"sdp": "x" * 20001, "type": "offer"}).status_code == 422
    assert post(client, {"type": "offer"}).status_code == 422
    assert world.engine.switch.asked == []


def test_the_extension_logged_in_with_comes_before_the_default(world, org):
    agent = world.agent(org.agent_a1, "100")  # default: a simulated phone
    agent.extension = Extension.objects.create(number="8002", kind=Extension.Kind.WEBRTC)
    agent.save()
    switch = world.engine.switch = FakeSipSwitch()
    assert post(client_for(org.agent_a1), OFFER).status_code == 200
    assert switch.asked == [("8002", "v=0\r\n")]


@pytest.mark.parametrize("driver", ["sim", "sip"])
def test_the_desk_tells_its_script_the_driver_and_the_url(
    world, org, browser_agent, settings, driver
):
    settings.TELEPHONY = {**settings.TELEPHONY, "DRIVER": driver}
    html = client_for(org.agent_a1).get("/telephony/desk/").content.decode()
    assert f'data-telephony-driver="{driver}"' in html
    assert '<audio id="desk-audio" autoplay' in html
    assert f'"webrtc": "{URL}"' in html
