"""The WebSocket endpoint delivers to each user exactly the events their
permissions and data scope allow (run on the in-memory and Redis layers)."""

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client

from hotline.accounts.services import api_token_create, user_set_roles
from hotline.core.tests.sampleapp.services import sample_record_create
from hotline.realtime.consumers import CLOSE_UNAUTHENTICATED
from hotline.realtime.routing import websocket_application

pytestmark = [pytest.mark.realtime, pytest.mark.django_db(transaction=True)]

ORIGIN = (b"origin", b"http://localhost")


@pytest.fixture(autouse=True)
async def clean_layer():
    yield
    layer = get_channel_layer()
    if hasattr(layer, "flush"):
        await layer.flush()


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def connect(user=None, headers=()):
    headers = [ORIGIN, *headers]
    if user is not None:
        cookie = await database_sync_to_async(session_cookie)(user)
        headers.append((b"cookie", cookie))
    communicator = WebsocketCommunicator(websocket_application, "/ws/events/", headers=headers)
    connected, _code = await communicator.connect(timeout=10)
    assert connected
    hello = await communicator.receive_json_from(timeout=5)
    assert hello["type"] == "hello"
    return communicator


async def create_record(actor, title):
    return await database_sync_to_async(sample_record_create)(actor=actor, title=title)


async def titles_received(communicator) -> list[str]:
    titles = []
    while not await communicator.receive_nothing(timeout=0.5):
        envelope = await communicator.receive_json_from()
        if envelope["type"] == "sampleapp.record_saved":
            titles.append(envelope["data"]["title"])
    return titles


async def test_anonymous_connection_is_refused():
    communicator = WebsocketCommunicator(websocket_application, "/ws/events/", headers=[ORIGIN])
    connected, code = await communicator.connect(timeout=10)
    assert not connected
    assert code == CLOSE_UNAUTHENTICATED


async def test_events_reach_only_users_whose_scope_covers_the_row(sample_org):
    org = sample_org
    sockets = {
        name: await connect(getattr(org, name))
        for name in ("agent_a1", "agent_a2", "agent_c1", "lead_a", "head_sales", "admin")
    }
    await create_record(org.agent_a2, "a2 call note")
    received = {name: await titles_received(ws) for name, ws in sockets.items()}
    assert received == {
        "agent_a1": [],  # own scope: another agent's row
        "agent_a2": ["a2 call note"],
        "agent_c1": [],
        "lead_a": ["a2 call note"],  # team scope
        "head_sales": ["a2 call note"],  # department scope
        "admin": ["a2 call note"],  # all
    }
    for ws in sockets.values():
        await ws.disconnect()


async def test_sub_department_rows_reach_the_parent_department_head(sample_org):
    head = await connect(sample_org.head_sales)
    lead = await connect(sample_org.lead_a)
    await create_record(sample_org.agent_b1, "north row")
    assert await titles_received(head) == ["north row"]
    assert await titles_received(lead) == []
    await head.disconnect()
    await lead.disconnect()


async def test_event_arrives_once_though_it_matches_two_groups(sample_org):
    lead = await connect(sample_org.lead_a)
    await create_record(sample_org.lead_a, "own row")  # matches u.lead_a and t.team_a
    assert await titles_received(lead) == ["own row"]
    await lead.disconnect()


async def test_new_role_takes_effect_on_a_live_connection(sample_org):
    agent = await connect(sample_org.agent_a1)
    await create_record(sample_org.agent_a2, "before")
    assert await titles_received(agent) == []

    roles = [sample_org.roles["agent"], sample_org.roles["lead"]]
    await database_sync_to_async(user_set_roles)(
        actor=sample_org.admin, user=sample_org.agent_a1, roles=roles
    )
    envelope = await agent.receive_json_from(timeout=5)
    assert envelope["type"] == "accounts.permissions_changed"

    await create_record(sample_org.agent_a2, "after")
    assert await titles_received(agent) == ["after"]
    await agent.disconnect()


async def test_a_lead_moved_to_another_team_follows_that_team_live(sample_org):
    from hotline.accounts.services import user_update

    lead = await connect(sample_org.lead_a)
    await database_sync_to_async(user_update)(
        actor=sample_org.admin,
        user=sample_org.lead_a,
        department=sample_org.service,
        team=sample_org.team_c,
    )
    envelope = await lead.receive_json_from(timeout=5)
    assert envelope["type"] == "accounts.permissions_changed"
    await create_record(sample_org.agent_c1, "service row")
    await create_record(sample_org.agent_a2, "sales row")
    # team_a is still led by lead_a, so both teams' rows reach the lead now.
    assert sorted(await titles_received(lead)) == ["sales row", "service row"]
    await lead.disconnect()


async def test_other_systems_connect_with_an_api_token(sample_org):
    _token, key = await database_sync_to_async(api_token_create)(
        user=sample_org.admin, name="wallboard"
    )
    ws = await connect(headers=[(b"authorization", f"Bearer {key}".encode())])
    await create_record(sample_org.agent_c1, "service row")
    assert await titles_received(ws) == ["service row"]
    await ws.disconnect()
