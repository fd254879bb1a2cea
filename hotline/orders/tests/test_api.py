"""/api/orders/: create, read, approve, void, batch approve and lookup, with
the project's error format for 403 / 404 / 409 / 422."""

import json

import pytest
from django.test import Client

from hotline.orders.models import Order
from hotline.orders.states import OrderStatus
from hotline.orders.tests.factories import customer_with_address, make_goods, make_order


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


@pytest.fixture
def goods(db):
    return make_goods()


@pytest.fixture
def reviewer(make_user, org):
    return make_user("reviewer", roles=["order_reviewer"], department=org.hq)


@pytest.fixture
def customer(org):
    return customer_with_address(org.agent_a1)


def test_create_order(org, goods, customer):
    tea, _pot, set_, bj = goods
    response = post(
        client_for(org.agent_a1),
        "/api/orders/",
        {
            "customer_id": customer.pk,
            "lines": [{"product_id": tea.pk, "quantity": 2}, {"bundle_id": set_.pk, "quantity": 1}],
            "payment_method": "prepaid",
            "warehouse_id": bj.pk,
            "shipping_fee": "12.50",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "under_review"
    assert body["total"] == "472.50"
    assert [line["sku"] for line in body["lines"]] == ["TEA-01", "SET-01"]
    assert [row["to_status"] for row in body["history"]] == ["ordered", "under_review"]


def test_create_bad_lines_422_nothing_saved(org, goods, customer):
    tea, *_ = goods
    response = post(
        client_for(org.agent_a1),
        "/api/orders/",
        {
            "customer_id": customer.pk,
            "lines": [{"product_id": tea.pk, "quantity": 1}, {"product_id": 4242, "quantity": 1}],
        },
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["details"]["lines"]) == ["1"]
    assert not Order.objects.exists()
    response = post(
        client_for(org.agent_a1),
        "/api/orders/",
        {"customer_id": customer.pk, "lines": [{"product_id": tea.pk}], "bogus": 1},
    )
    assert response.status_code == 422


def test_create_403_and_404(org, goods, customer, make_user):
    tea, *_ = goods
    payload = {"customer_id": customer.pk, "lines": [{"product_id": tea.pk, "quantity": 1}]}
    assert post(client_for(org.agent_c1), "/api/orders/", payload).status_code == 404
    assert post(client_for(make_user("x")), "/api/orders/", payload).status_code in (403, 404)
    assert (
        Client().post("/api/orders/", payload, content_type="application/json").status_code == 401
    )


def test_scope_on_read_list_and_lookup(org, goods, customer):
    tea, *_ = goods
    order = make_order(org.agent_a1, customer, tea)
    other = make_order(org.agent_c1, customer_with_address(org.agent_c1, "陈", "13900139000"), tea)
    a1 = client_for(org.agent_a1)
    assert a1.get(f"/api/orders/{order.pk}").status_code == 200
    assert a1.get(f"/api/orders/{other.pk}").status_code == 404
    assert [row["id"] for row in a1.get("/api/orders/").json()] == [order.pk]
    assert a1.get(f"/api/orders/lookup?number={other.number}").json() == []
    assert a1.get("/api/orders/lookup?phone=13900139000").json() == []
    found = a1.get(f"/api/orders/lookup?number={order.number}").json()
    assert [(row["number"], row["status"]) for row in found] == [(order.number, "under_review")]
    assert len(found[0]["history"]) == 2
    by_phone = a1.get("/api/orders/lookup?phone=138-0013-8000").json()
    assert [row["id"] for row in by_phone] == [order.pk]


def test_approve_void_and_batch(org, goods, customer, reviewer):
    tea, *_ = goods
    orders = [make_order(org.agent_a1, customer, tea) for _ in range(4)]
    agent = client_for(org.agent_a1)
    assert post(agent, f"/api/orders/{orders[0].pk}/approve", {}).status_code == 403
    client = client_for(reviewer)
    queue = client.get("/api/orders/review-queue").json()
    assert {row["id"] for row in queue} == {o.pk for o in orders}
    assert agent.get("/api/orders/review-queue").status_code == 403
    response = post(client, f"/api/orders/{orders[0].pk}/approve", {})
    assert response.status_code == 200 and response.json()["status"] == "approved"
    response = post(client, f"/api/orders/{orders[0].pk}/approve", {})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "illegal_transition"
    response = post(client, f"/api/orders/{orders[1].pk}/void", {"reason": ""})
    assert response.status_code == 422
    response = post(client, f"/api/orders/{orders[1].pk}/void", {"reason": "重复下单"})
    assert response.json()["status"] == "voided"
    assert response.json()["history"][-1]["reason"] == "重复下单"
    assert post(client, "/api/orders/999999/void", {"reason": "x"}).status_code == 404
    response = post(client, "/api/orders/batch-approve", {"ids": [o.pk for o in orders[2:]]})
    assert response.json() == {"approved": 2}
    assert Order.objects.filter(status=OrderStatus.APPROVED).count() == 3
