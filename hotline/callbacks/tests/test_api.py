"""/api/callbacks/: the agent's list, the scoped list with the pool for leads,
assignment, attempts, follow-ups and pending items, with the project's error
format for 403 / 404 / 409 / 422."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from hotline.callbacks.models import CallbackTask, PendingItem
from hotline.callbacks.tests.factories import assigned_task, missed
from hotline.customers.tests.test_services import make_customer


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def later(**delta) -> str:
    return (timezone.now() + timedelta(**delta)).isoformat()


@pytest.fixture
def tasks(org):
    return {
        "mine": assigned_task(org.agent_a1, "13900139001", due_in_minutes=-5),
        "theirs": assigned_task(org.agent_b1, "13900139002"),
        "pool": missed("13900139003"),
    }


def test_agent_lists_and_works_own_callbacks(org, tasks):
    client = client_for(org.agent_a1)
    mine = client.get("/api/callbacks/mine")
    assert mine.status_code == 200
    body = mine.json()
    assert [row["id"] for row in body] == [tasks["mine"].pk]
    assert body[0]["overdue"] is True and body[0]["number"] == "+8613900139001"
    assert [row["id"] for row in client.get("/api/callbacks/").json()] == [tasks["mine"].pk]
    assert client.get(f"/api/callbacks/{tasks['theirs'].pk}").status_code == 404
    recorded = post(
        client,
        f"/api/callbacks/{tasks['mine'].pk}/attempts",
        {"result": "call_later", "next_due_at": later(days=1), "note": "开会中"},
    )
    assert recorded.status_code == 201, recorded.content
    result = recorded.json()
    assert result["attempt"]["result"] == "call_later" and result["attempt"]["note"] == "开会中"
    assert result["callback"]["attempts"] == 1 and result["callback"]["overdue"] is False
    done = post(client, f"/api/callbacks/{tasks['mine'].pk}/attempts", {"result": "reached"})
    assert done.status_code == 201 and done.json()["callback"]["status"] == "done"


def test_attempt_errors_422_and_409(org, tasks):
    client = client_for(org.agent_a1)
    url = f"/api/callbacks/{tasks['mine'].pk}/attempts"
    missing = post(client, url, {"result": "call_later"})
    assert missing.status_code == 422
    error = missing.json()["error"]
    assert error["code"] == "validation_error" and "next_due_at" in error["details"]
    assert post(client, url, {"result": "reached", "bogus": 1}).status_code == 422
    assert post(client, url, {"result": "maybe"}).status_code == 422
    assert post(client, url, {"result": "reached"}).status_code == 201
    again = post(client, url, {"result": "reached"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_assigned"


def test_lead_sees_the_pool_and_assigns_within_scope(org, tasks):
    client = client_for(org.lead_a)
    listed = client.get("/api/callbacks/", {"status": "pending"}).json()
    assert [row["id"] for row in listed] == [tasks["pool"].pk]
    url = f"/api/callbacks/{tasks['pool'].pk}/assign"
    outside = post(client, url, {"owner_id": org.agent_b1.pk})
    assert outside.status_code == 403 and outside.json()["error"]["code"] == "forbidden"
    unknown = post(client, url, {"owner_id": 999999})
    assert unknown.status_code == 422 and "owner_id" in unknown.json()["error"]["details"]
    assigned = post(client, url, {"owner_id": org.agent_a2.pk})
    assert assigned.status_code == 200, assigned.content
    assert (
        assigned.json()["status"] == "assigned" and assigned.json()["owner_id"] == org.agent_a2.pk
    )
    overdue = client.get("/api/callbacks/", {"overdue": "true"}).json()
    assert [row["id"] for row in overdue] == [tasks["mine"].pk]


def test_agent_may_not_assign_403(org, tasks):
    response = post(
        client_for(org.agent_a1),
        f"/api/callbacks/{tasks['mine'].pk}/assign",
        {"owner_id": org.agent_a1.pk},
    )
    assert response.status_code == 403
    assert response.json()["error"]["details"]["permission"] == "callbacks.assign_callbacktask"
    assert post(client_for(org.agent_a1), "/api/callbacks/allocate").status_code == 403


def test_schedule_a_follow_up(org):
    customer = make_customer(org.agent_a1, phones=["13800138000"])
    client = client_for(org.agent_a1)
    created = post(
        client,
        "/api/callbacks/schedule",
        {"customer_id": customer.pk, "due_at": later(days=2), "note": "回访"},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["kind"], body["status"], body["owner_id"], body["number"]) == (
        "scheduled",
        "assigned",
        org.agent_a1.pk,
        "+8613800138000",
    )
    bad = post(client, "/api/callbacks/schedule", {"number": "12", "due_at": later(days=1)})
    assert bad.status_code == 422 and "number" in bad.json()["error"]["details"]
    other = make_customer(org.agent_b1, phones=["13900139000"])
    hidden = post(
        client, "/api/callbacks/schedule", {"customer_id": other.pk, "due_at": later(days=1)}
    )
    assert hidden.status_code == 404
    assert CallbackTask.objects.count() == 1


def test_pending_items(org):
    customer = make_customer(org.agent_a1)
    client = client_for(org.agent_a1)
    created = post(
        client,
        "/api/callbacks/pending-items",
        {"title": "寄发票", "due_at": later(hours=-1), "customer_id": customer.pk},
    )
    assert created.status_code == 201, created.content
    item = created.json()
    assert item["handler_id"] == org.agent_a1.pk and item["overdue"] is True
    listed = client.get("/api/callbacks/pending-items").json()
    assert [row["id"] for row in listed] == [item["id"]]
    refused = post(
        client,
        "/api/callbacks/pending-items",
        {"title": "x", "due_at": later(hours=1), "handler_id": org.agent_a2.pk},
    )
    assert refused.status_code == 403
    assert post(client, "/api/callbacks/pending-items", {"title": "x"}).status_code == 422
    done = post(client, f"/api/callbacks/pending-items/{item['id']}/done")
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert post(client, f"/api/callbacks/pending-items/{item['id']}/done").status_code == 409
    assert client.get("/api/callbacks/pending-items").json() == []
    assert (
        client.get("/api/callbacks/pending-items", {"status": "done"}).json()[0]["id"] == item["id"]
    )
    other = post(client_for(org.agent_b1), f"/api/callbacks/pending-items/{item['id']}/done")
    assert other.status_code == 404
    assert PendingItem.objects.count() == 1


def test_suggestion_confirm_and_reject(org):
    from hotline.callbacks.services.allocation import callbacks_allocate
    from hotline.callbacks.tests.factories import make_rule

    first, second = missed("13900139001"), missed("13900139002")
    make_rule("suggest", mode="semi", target_user=org.agent_a1)
    assert callbacks_allocate() == 2
    client = client_for(org.lead_a)
    confirmed = post(client, f"/api/callbacks/{first.pk}/confirm")
    assert confirmed.status_code == 200 and confirmed.json()["owner_id"] == org.agent_a1.pk
    rejected = post(client, f"/api/callbacks/{second.pk}/reject", {"note": "busy week"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "pending"
    assert post(client, f"/api/callbacks/{second.pk}/confirm").status_code == 409
