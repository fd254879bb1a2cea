"""Logistics (ORD-5): picking lists per warehouse (bundles expanded), shipping
takes stock and moves the order to shipped, delivery notes as PDF with
Chinese text, and who may do which."""

import io

import pytest
from django.test import Client
from pypdf import PdfReader

from hotline.catalog.tests.factories import make_warehouse
from hotline.core.exceptions import Conflict, InvalidData, NotAllowed
from hotline.inventory.models import StockLevel, StockMove
from hotline.orders.documents import delivery_notes_pdf
from hotline.orders.models import Order, OrderTransition
from hotline.orders.services.entry import order_create
from hotline.orders.services.logistics import order_ship, picking_start
from hotline.orders.services.review import order_approve
from hotline.orders.states import OrderStatus
from hotline.orders.tests.factories import customer_with_address, make_goods

S = OrderStatus


@pytest.fixture
def goods(db):
    return make_goods()


@pytest.fixture
def reviewer(make_user, org):
    return make_user("reviewer", roles=["order_reviewer"], department=org.hq)


@pytest.fixture
def clerk(make_user, org):
    return make_user("clerk", roles=["logistics"], department=org.hq)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def place(agent, lines, warehouse, customer=None, **fields):
    return order_create(
        actor=agent,
        customer=customer or customer_with_address(agent),
        lines=lines,
        warehouse=warehouse,
        **fields,
    )


@pytest.fixture
def approved(org, goods, reviewer):
    """Two approved orders of 北京仓: tea × 3 + set × 1, and set × 2 + pot × 1."""
    tea, pot, set_, bj = goods
    agent = org.agent_a1
    customer = customer_with_address(agent)
    first = place(
        agent,
        [{"product_id": tea.pk, "quantity": 3}, {"bundle_id": set_.pk, "quantity": 1}],
        bj,
        customer,
    )
    second = place(
        agent,
        [{"bundle_id": set_.pk, "quantity": 2}, {"product_id": pot.pk, "quantity": 1}],
        bj,
        customer,
    )
    for order in (first, second):
        order_approve(actor=reviewer, order=order)
    return first, second


def level(product, warehouse) -> int:
    return StockLevel.objects.get(product=product, warehouse=warehouse).quantity


def test_picking_list_sums_products_with_bundles_expanded(approved, goods, clerk):
    *_items, bj = goods
    picked = picking_start(actor=clerk, orders=approved)
    # tea: 3 + 2×1 + 2×2 = 9; pot: 1×1 + 2×1 + 1 = 4; sorted by SKU
    assert [(row.sku, row.name, row.quantity) for row in picked.rows] == [
        ("POT-01", "紫砂壶", 4),
        ("TEA-01", "保健茶", 9),
    ]
    assert picked.warehouse == bj and picked.order_count == 2
    assert set(Order.objects.values_list("status", flat=True)) == {S.PICKING}
    assert OrderTransition.objects.filter(to_status=S.PICKING, by=clerk).count() == 2


def test_only_approved_orders_start_picking(org, goods, approved, clerk):
    tea, _pot, _set, bj = goods
    waiting = place(org.agent_a1, [{"product_id": tea.pk, "quantity": 1}], bj)
    with pytest.raises(Conflict) as refused:
        picking_start(actor=clerk, orders=[*approved, waiting])
    assert waiting.number in refused.value.message
    assert list(Order.objects.order_by("id").values_list("status", flat=True)) == [
        S.APPROVED,
        S.APPROVED,
        S.UNDER_REVIEW,
    ]
    assert not OrderTransition.objects.filter(to_status=S.PICKING).exists()


def test_picking_refuses_mixed_warehouses_and_empty_selection(
    org, goods, approved, clerk, reviewer
):
    tea, *_ = goods
    sh = make_warehouse("sh", "上海仓")
    other = place(org.agent_a1, [{"product_id": tea.pk, "quantity": 1}], sh)
    order_approve(actor=reviewer, order=other)
    with pytest.raises(InvalidData):
        picking_start(actor=clerk, orders=[*approved, other])
    with pytest.raises(InvalidData):
        picking_start(actor=clerk, orders=[])
    assert not Order.objects.filter(status=S.PICKING).exists()


def test_shipping_takes_stock_and_ships(approved, goods, clerk):
    tea, pot, _set, bj = goods
    first, _second = approved
    picking_start(actor=clerk, orders=approved)
    order_ship(actor=clerk, order=first, carrier="顺丰", tracking_number="SF1234567890")
    first.refresh_from_db()
    assert first.status == S.SHIPPED
    assert (first.carrier, first.tracking_number) == ("顺丰", "SF1234567890")
    assert level(tea, bj) == 10 - 5 and level(pot, bj) == 10 - 1
    moves = StockMove.objects.filter(reference=first.number)
    assert {(m.product_id, m.quantity, m.kind) for m in moves} == {
        (tea.pk, -5, StockMove.Kind.SALE_OUT),
        (pot.pk, -1, StockMove.Kind.SALE_OUT),
    }


def test_out_of_stock_shipping_is_refused_and_changes_nothing(org, goods, clerk, reviewer):
    tea, pot, set_, bj = goods
    order = place(
        org.agent_a1,
        [{"product_id": pot.pk, "quantity": 1}, {"bundle_id": set_.pk, "quantity": 6}],
        bj,
    )
    order_approve(actor=reviewer, order=order)
    picking_start(actor=clerk, orders=[order])
    moves = StockMove.objects.count()
    with pytest.raises(Conflict) as refused:
        order_ship(actor=clerk, order=order, carrier="顺丰", tracking_number="SF1")
    assert refused.value.code == "out_of_stock" and "TEA-01" in refused.value.message
    order.refresh_from_db()
    assert order.status == S.PICKING and order.tracking_number == ""
    assert StockMove.objects.count() == moves
    assert level(tea, bj) == 10 and level(pot, bj) == 10


def test_shipping_needs_picking_and_tracking(approved, clerk):
    first, _second = approved
    with pytest.raises(Conflict) as refused:
        order_ship(actor=clerk, order=first, carrier="顺丰", tracking_number="SF1")
    assert refused.value.code == "illegal_transition"
    picking_start(actor=clerk, orders=[first])
    with pytest.raises(InvalidData):
        order_ship(actor=clerk, order=first, carrier="顺丰", tracking_number=" ")
    first.refresh_from_db()
    assert first.status == S.PICKING and not StockMove.objects.filter(reference=first.number)


def test_agents_cannot_pick_or_ship(org, approved, clerk):
    first, _second = approved
    with pytest.raises(NotAllowed):
        picking_start(actor=org.agent_a1, orders=approved)
    picking_start(actor=clerk, orders=[first])
    with pytest.raises(NotAllowed):
        order_ship(actor=org.agent_a1, order=first, carrier="顺丰", tracking_number="SF1")
    first.refresh_from_db()
    assert first.status == S.PICKING
    client = client_for(org.agent_a1)
    assert client.get("/orders/picking/").status_code == 403
    client.post(f"/orders/{first.pk}/ship/", {"carrier": "顺丰", "tracking_number": "SF1"})
    first.refresh_from_db()
    assert first.status == S.PICKING


def pdf_text(content: bytes) -> tuple[str, set[str]]:
    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    fonts = {
        str(font.get_object()["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    return text, fonts


def test_delivery_note_pdf_has_chinese_text(org, goods, clerk, reviewer):
    _tea, pot, set_, bj = goods
    customer = customer_with_address(org.agent_a1, name="李娜", phone="13700137000")
    order = place(
        org.agent_a1,
        [{"bundle_id": set_.pk, "quantity": 1}, {"product_id": pot.pk, "quantity": 2}],
        bj,
        customer,
        recipient="张秀英",
    )
    order_approve(actor=reviewer, order=order)
    picking_start(actor=clerk, orders=[order])
    order_ship(actor=clerk, order=order, carrier="顺丰", tracking_number="SF998877")
    order.refresh_from_db()
    text, fonts = pdf_text(delivery_notes_pdf([order]))
    for expected in (order.number, "养生套餐", "紫砂壶", "保健茶", "张秀英", "李娜", "中关村1号"):
        assert expected in text
    assert "SF998877" in text and "顺丰" in text and str(order.total) in text
    assert "/STSong-Light" in fonts


def test_delivery_note_view_scope_and_status(org, approved, clerk):
    first, second = approved
    client = client_for(org.agent_a1)
    early = client.get(f"/orders/{first.pk}/delivery-note.pdf")
    assert early.status_code == 302 and early.url == first.get_absolute_url()
    picking_start(actor=clerk, orders=approved)
    response = client.get(f"/orders/{first.pk}/delivery-note.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert first.number in pdf_text(response.content)[0]
    other = client_for(org.agent_c1).get(f"/orders/{first.pk}/delivery-note.pdf")
    assert other.status_code == 404
    batch = client_for(clerk).get("/orders/delivery-notes.pdf", {"ids": [first.pk, second.pk]})
    text = pdf_text(batch.content)[0]
    assert batch.status_code == 200 and first.number in text and second.number in text


def test_picking_and_shipping_pages(approved, goods, clerk):
    first, second = approved
    _tea, _pot, _set, bj = goods
    client = client_for(clerk)
    queue = client.get("/orders/picking/")
    assert queue.status_code == 200
    assert first.number in queue.content.decode() and "北京仓" in queue.content.decode()
    started = client.post("/orders/picking/", {"ids": [first.pk]})
    body = started.content.decode()
    assert started.status_code == 200 and "TEA-01" in body and first.number in body
    everything = client.post("/orders/picking/", {"all_of_warehouse": bj.pk})
    assert everything.status_code == 200 and second.number in everything.content.decode()
    again = client.post("/orders/picking/", {"ids": [first.pk]}, follow=True)
    assert "cannot go from" in again.content.decode() or "不能" in again.content.decode()
    printable = client.get(f"/orders/picking/{bj.pk}/list/")
    assert printable.status_code == 200 and "POT-01" in printable.content.decode()
    detail = client.get(first.get_absolute_url()).content.decode()
    assert 'id="ship-form"' in detail and 'id="delivery-note"' in detail
    shipped = client.post(
        f"/orders/{first.pk}/ship/", {"carrier": "顺丰", "tracking_number": "SF42"}, follow=True
    )
    first.refresh_from_db()
    assert first.status == S.SHIPPED and "SF42" in shipped.content.decode()
    assert 'id="ship-form"' not in shipped.content.decode()
