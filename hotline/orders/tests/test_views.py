"""Order pages: entry during a call, list / detail / lookup within scope, the
review queue for reviewers only, and the customer 360 panel and screen pop."""

import pytest
from django.test import Client

from hotline.customers.selectors.screen_pop import screen_pop
from hotline.orders.models import Order
from hotline.orders.states import OrderStatus
from hotline.orders.tests.factories import customer_with_address, make_goods, make_order


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def goods(db):
    return make_goods()


@pytest.fixture
def reviewer(make_user, org):
    return make_user("reviewer", roles=["order_reviewer"], department=org.hq)


@pytest.fixture
def orders(org, goods):
    tea, *_ = goods
    mine = make_order(org.agent_a1, customer_with_address(org.agent_a1), tea)
    theirs = make_order(
        org.agent_c1, customer_with_address(org.agent_c1, "陈静", "13900139000"), tea
    )
    return mine, theirs


def test_new_order_page_flow(org, goods):
    tea, _pot, set_, bj = goods
    customer = customer_with_address(org.agent_a1)
    client = client_for(org.agent_a1)
    assert client.get("/orders/new/").status_code == 200
    found = client.get("/orders/new/customers/", {"q": "王伟"})
    assert f"?customer={customer.pk}" in found.content.decode()
    page = client.get(f"/orders/new/?customer={customer.pk}")
    assert page.status_code == 200 and "中关村1号" in page.content.decode()
    hits = client.get("/orders/new/products/", {"q": "bjc", "customer": customer.pk})
    assert f"product:{tea.pk}" in hits.content.decode()
    url = f"/orders/new/?customer={customer.pk}"
    base = {"customer": customer.pk, "delivery_method": "courier", "payment_method": "cod"}
    added = client.post(url, {**base, "add": f"product:{tea.pk}"})
    assert added.status_code == 200 and 'value="product:' in added.content.decode()
    assert not Order.objects.exists()
    twice = client.post(
        url, {**base, "item": [f"product:{tea.pk}"], "quantity": ["3"], "add": f"bundle:{set_.pk}"}
    )
    body = twice.content.decode()
    assert "560.00" in body  # 3 × 100 + 260
    placed = client.post(
        url,
        {
            **base,
            "item": [f"product:{tea.pk}", f"bundle:{set_.pk}"],
            "quantity": ["3", "1"],
            "address": customer.addresses.get().pk,
            "warehouse": bj.pk,
            "place": "1",
        },
    )
    order = Order.objects.get()
    assert placed.status_code == 302 and placed.url == order.get_absolute_url()
    assert order.total == 560 and order.address_detail == "中关村1号"
    assert order.warehouse == bj


def test_new_order_page_shows_service_refusal(org, goods):
    customer = customer_with_address(org.agent_a1)
    response = client_for(org.agent_a1).post(
        f"/orders/new/?customer={customer.pk}",
        {
            "customer": customer.pk,
            "delivery_method": "courier",
            "payment_method": "cod",
            "place": 1,
        },
    )
    assert response.status_code == 200
    assert "at least one line" in response.content.decode()
    assert not Order.objects.exists()


def test_new_order_for_customer_outside_scope_is_404(org, goods):
    customer = customer_with_address(org.agent_c1)
    assert client_for(org.agent_a1).get(f"/orders/new/?customer={customer.pk}").status_code == 404


def test_scope_on_list_detail_and_lookup(org, orders):
    mine, theirs = orders
    client = client_for(org.agent_a1)
    listing = client.get("/orders/").content.decode()
    assert mine.number in listing and theirs.number not in listing
    assert client.get(f"/orders/{mine.pk}/").status_code == 200
    assert client.get(f"/orders/{theirs.pk}/").status_code == 404
    searched = client.get("/orders/", {"q": theirs.number}).content.decode()
    assert f'data-number="{theirs.number}"' not in searched
    found = client.get("/orders/lookup/", {"number": theirs.number}).content.decode()
    assert "No order found" in found
    found = client.get("/orders/lookup/", {"phone": "13800138000"}).content.decode()
    assert f'data-number="{mine.number}"' in found
    detail = client.get(f"/orders/{mine.pk}/").content.decode()
    assert "Under review" in detail and "TEA-01" in detail


def test_list_filters(org, orders, reviewer):
    mine, theirs = orders
    client = client_for(org.admin)
    by_owner = client.get("/orders/", {"owner": org.agent_c1.pk}).content.decode()
    assert f'data-number="{theirs.number}"' in by_owner
    assert f'data-number="{mine.number}"' not in by_owner
    approved = client.get("/orders/", {"status": "approved"}).content.decode()
    assert f'data-number="{mine.number}"' not in approved


def test_review_queue_for_reviewers_only(org, orders, reviewer):
    mine, theirs = orders
    assert client_for(org.agent_a1).get("/orders/review/").status_code == 403
    client = client_for(reviewer)
    page = client.get("/orders/review/").content.decode()
    assert mine.number in page and theirs.number in page
    response = client.post("/orders/review/", {"ids": [mine.pk, theirs.pk]})
    assert response.status_code == 302
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.APPROVED}


def test_approve_and_void_pages(org, orders, reviewer):
    mine, theirs = orders
    client = client_for(reviewer)
    client.post(f"/orders/{mine.pk}/void/", {"reason": ""})
    mine.refresh_from_db()
    assert mine.status == OrderStatus.UNDER_REVIEW
    client.post(f"/orders/{mine.pk}/void/", {"reason": "客户取消"})
    client.post(f"/orders/{theirs.pk}/approve/")
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, theirs.status) == (OrderStatus.VOIDED, OrderStatus.APPROVED)
    detail = client.get(f"/orders/{mine.pk}/").content.decode()
    assert "客户取消" in detail
    client_for(org.agent_a1).post(f"/orders/{theirs.pk}/void/", {"reason": "x"})
    theirs.refresh_from_db()
    assert theirs.status == OrderStatus.APPROVED


def test_customer_panel_and_screen_pop_history(org, orders):
    mine, _theirs = orders
    page = client_for(org.agent_a1).get(mine.customer.get_absolute_url()).content.decode()
    assert 'data-panel="orders"' in page and mine.number in page and "保健茶" in page
    pop = screen_pop(actor=org.agent_a1, number="13800138000")
    history = pop["customers"][0]["history"]
    assert any(item["source"] == "order" and mine.number in item["title"] for item in history)
