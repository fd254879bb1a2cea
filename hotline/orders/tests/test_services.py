"""Order entry (ORD-1), numbers (ORD-2), the state machine (ORD-3) and the
review services (ORD-4)."""

import re
import threading
from decimal import Decimal

import pytest
from django.db import connection

from hotline.accounts.models import Role
from hotline.catalog.models import PriceList, PriceListItem
from hotline.core.events import subscribe, unsubscribe
from hotline.core.exceptions import Conflict, InvalidData, NotAllowed
from hotline.customers.models import AdSource, Customer, MemberLevel
from hotline.orders.events import OrderCreated, OrderStatusChanged
from hotline.orders.models import Order, OrderTransition
from hotline.orders.numbers import order_number_next
from hotline.orders.services.entry import order_create
from hotline.orders.services.review import order_approve, order_void, orders_batch_approve
from hotline.orders.services.transitions import order_transition
from hotline.orders.states import TRANSITIONS, OrderStatus, legal_transitions
from hotline.orders.tests.factories import customer_with_address, make_goods, make_order

S = OrderStatus


@pytest.fixture
def goods(db):
    return make_goods()


@pytest.fixture
def reviewer(make_user, org):
    return make_user("reviewer", roles=["order_reviewer"], department=org.hq)


@pytest.fixture
def events():
    seen = []

    def record(event):
        seen.append(event)

    subscribe(OrderCreated)(record)
    subscribe(OrderStatusChanged)(record)
    yield seen
    unsubscribe(OrderCreated, record)
    unsubscribe(OrderStatusChanged, record)


def test_entry_list_price_totals_and_history(org, goods, django_capture_on_commit_callbacks):
    tea, _pot, set_, bj = goods
    customer = customer_with_address(org.agent_a1)
    source = AdSource.objects.create(name="CCTV-2", channel="CCTV-2", programme="健康之路")
    with django_capture_on_commit_callbacks(execute=False):
        order = order_create(
            actor=org.agent_a1,
            customer=customer,
            lines=[
                {"product_id": tea.pk, "quantity": 2},
                {"bundle_id": set_.pk, "quantity": 1},
            ],
            payment_method="cod",
            ad_source=source.pk,
            ad_slot="20:15",
            shipping_fee="10",
            discount="5",
            invoice=True,
            invoice_title="某公司",
            urgent=True,
            warehouse=bj,
        )
    order.refresh_from_db()
    assert re.fullmatch(r"\d{8}-\d{6}", order.number)
    assert order.status == S.UNDER_REVIEW
    assert order.owner == org.agent_a1
    assert order.items_total == Decimal("460.00")
    assert order.total == Decimal("465.00")
    assert order.address_detail == "中关村1号" and order.recipient == "王伟"
    assert order.phone == "13800138000"
    assert order.programme == "健康之路" and order.ad_slot == "20:15"
    lines = list(order.lines.order_by("id"))
    assert [(line.sku, line.quantity, line.line_total) for line in lines] == [
        ("TEA-01", 2, Decimal("200.00")),
        ("SET-01", 1, Decimal("260.00")),
    ]
    history = list(order.transitions.values_list("from_status", "to_status", "by"))
    assert history == [
        ("", S.ORDERED, org.agent_a1.pk),
        (S.ORDERED, S.UNDER_REVIEW, org.agent_a1.pk),
    ]
    assert order.warnings == []


def test_entry_member_price_list_and_level_discount(org, goods):
    tea, pot, _set, _bj = goods
    gold = MemberLevel.objects.create(code="gold", name="金卡", discount_percent=10)
    PriceListItem.objects.create(
        price_list=PriceList.objects.create(level=gold, name="金卡价"), product=tea, price=88
    )
    customer = customer_with_address(org.agent_a1)
    Customer.objects.filter(pk=customer.pk).update(level=gold)
    customer.refresh_from_db()
    order = order_create(
        actor=org.agent_a1,
        customer=customer,
        lines=[{"product_id": tea.pk, "quantity": 1}, {"product_id": pot.pk, "quantity": 2}],
    )
    lines = {line.sku: line for line in order.lines.all()}
    assert lines["TEA-01"].unit_price == Decimal("88.00")
    assert lines["TEA-01"].unit_list_price == Decimal("100.00")
    assert lines["TEA-01"].price_source == "price_list"
    assert lines["POT-01"].unit_price == Decimal("45.00")
    assert lines["POT-01"].price_source == "level_discount"
    assert order.items_total == Decimal("178.00") == order.total


def test_entry_warns_on_short_stock_and_low_credit(org, goods):
    tea, _pot, set_, _bj = goods
    customer = customer_with_address(org.agent_a1)
    Customer.objects.filter(pk=customer.pk).update(low_credit=True, credit_note="拒收两次")
    customer.refresh_from_db()
    order = order_create(
        actor=org.agent_a1,
        customer=customer,
        lines=[{"product_id": tea.pk, "quantity": 9}, {"bundle_id": set_.pk, "quantity": 1}],
    )
    assert order.low_credit
    codes = [(w["code"], w.get("sku")) for w in order.warnings]
    assert codes == [("low_credit", None), ("short_stock", "TEA-01")]
    assert any("拒收两次" in text for text in order.warning_messages())


def test_bad_lines_refused_with_details_and_nothing_saved(org, goods):
    tea, *_ = goods
    customer = customer_with_address(org.agent_a1)
    with pytest.raises(InvalidData) as caught:
        order_create(
            actor=org.agent_a1,
            customer=customer,
            lines=[
                {"product_id": tea.pk, "quantity": 1},
                {"product_id": 99999, "quantity": 1},
                {"product_id": tea.pk, "quantity": 0},
                {"product_id": tea.pk, "bundle_id": 1, "quantity": 1},
            ],
        )
    assert set(caught.value.details["lines"]) == {"1", "2", "3"}
    with pytest.raises(InvalidData):
        order_create(actor=org.agent_a1, customer=customer, lines=[])
    assert not Order.objects.exists() and not OrderTransition.objects.exists()


def test_entry_needs_permission_scope_and_address(org, goods, make_user):
    tea, *_ = goods
    customer = customer_with_address(org.agent_a1)
    with pytest.raises(NotAllowed):
        make_order(org.agent_c1, customer, tea)
    with pytest.raises(NotAllowed):
        make_order(make_user("nobody"), customer, tea)
    bare = Customer.objects.create(name="无地址", owner=org.agent_a1)
    with pytest.raises(InvalidData) as caught:
        make_order(org.agent_a1, bare, tea)
    assert "address_detail" in caught.value.details
    order = make_order(org.agent_a1, bare, tea, delivery_method="self_pickup")
    assert order.recipient == "无地址"
    order = make_order(org.agent_a1, bare, tea, address_detail="新地址 8 号", city="天津市")
    assert order.full_address == "天津市 新地址 8 号"
    assert Order.objects.count() == 2


def test_numbers_readable_unique_and_sequential(db):
    from datetime import date

    day = date(2026, 11, 24)
    numbers = [order_number_next(day=day) for _ in range(3)]
    assert numbers == ["20261124-000001", "20261124-000002", "20261124-000003"]
    assert order_number_next(day=date(2026, 11, 25)) == "20261125-000001"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_numbers_under_concurrent_writers_postgresql(org, goods):
    tea, *_ = goods
    customer = customer_with_address(org.agent_a1)
    errors, barrier = [], threading.Barrier(8)

    def writer():
        from django.db import connections

        try:
            barrier.wait()
            for _ in range(25):
                make_order(org.agent_a1, customer, tea)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = list(Order.objects.values_list("number", flat=True))
    assert len(numbers) == 200 == len(set(numbers))


def test_transition_table_covers_every_status():
    assert set(TRANSITIONS) == set(OrderStatus)
    assert (S.UNDER_REVIEW, S.APPROVED) in legal_transitions()
    assert (S.SHIPPED, S.REJECTED) in legal_transitions()


def _order_at(status, agent, customer, product):
    """An order put into ``status`` by writing its status directly (test setup)."""
    order = make_order(agent, customer, product)
    Order.objects.filter(pk=order.pk).update(status=status)
    order.refresh_from_db()
    return order


@pytest.mark.parametrize(("src", "dst"), legal_transitions())
def test_every_legal_transition_writes_history_and_event(
    org, goods, events, django_capture_on_commit_callbacks, src, dst
):
    tea, *_ = goods
    customer = customer_with_address(org.agent_a1)
    order = _order_at(src, org.agent_a1, customer, tea)
    events.clear()
    before = order.transitions.count()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        order_transition(order=order, to=dst, actor=org.admin, reason="因为")
        assert events == []  # not before commit
    assert len(callbacks) == 1
    order.refresh_from_db()
    assert order.status == dst
    last = order.transitions.last()
    assert order.transitions.count() == before + 1
    assert (last.from_status, last.to_status, last.by, last.reason) == (src, dst, org.admin, "因为")
    (event,) = events
    assert (event.from_status, event.status, event.order_id) == (src, dst, order.pk)
    assert "orders.view_order" in event.audience().groups()[0]
    assert order.change_history().first().changes == {"status": [src, dst]}


def test_illegal_transition_refused_and_nothing_changed(org, goods):
    tea, *_ = goods
    customer = customer_with_address(org.agent_a1)
    order = make_order(org.agent_a1, customer, tea)
    with pytest.raises(Conflict) as caught:
        order_transition(order=order, to=S.SHIPPED, actor=org.admin)
    assert caught.value.code == "illegal_transition"
    assert "Under review" in caught.value.message and "Shipped" in caught.value.message
    order.refresh_from_db()
    assert order.status == S.UNDER_REVIEW and order.transitions.count() == 2


def test_void_needs_reason(org, goods, reviewer):
    tea, *_ = goods
    order = make_order(org.agent_a1, customer_with_address(org.agent_a1), tea)
    with pytest.raises(InvalidData) as caught:
        order_void(actor=reviewer, order=order, reason="  ")
    assert "reason" in caught.value.details
    order.refresh_from_db()
    assert order.status == S.UNDER_REVIEW
    order_void(actor=reviewer, order=order, reason="客户取消")
    order.refresh_from_db()
    assert order.status == S.VOIDED
    assert order.transitions.last().reason == "客户取消"


def test_review_needs_permission_and_scope(org, goods, reviewer, make_user):
    tea, *_ = goods
    order = make_order(org.agent_a1, customer_with_address(org.agent_a1), tea)
    with pytest.raises(NotAllowed):
        order_approve(actor=org.agent_a1, order=order)
    # A reviewer whose role covers only their own department (Service).
    regional = Role.objects.create(
        code="regional_reviewer", name="片区审核", data_scope="department"
    )
    regional.permissions.set(org.roles["order_reviewer"].permissions.all())
    outsider = make_user("rev_service", roles=[regional], department=org.service)
    with pytest.raises(NotAllowed):
        order_approve(actor=outsider, order=order)
    order_approve(actor=reviewer, order=order)
    order.refresh_from_db()
    assert order.status == S.APPROVED
    with pytest.raises(Conflict):
        order_approve(actor=reviewer, order=order)


def test_batch_approve_all_or_nothing(
    org, goods, reviewer, events, django_capture_on_commit_callbacks
):
    tea, *_ = goods
    customer = customer_with_address(org.agent_a1)
    orders = [make_order(org.agent_a1, customer, tea) for _ in range(5)]
    order_approve(actor=reviewer, order=orders[0])
    with pytest.raises(Conflict):
        orders_batch_approve(actor=reviewer, ids=[o.pk for o in orders])
    assert Order.objects.filter(status=S.APPROVED).count() == 1
    events.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert orders_batch_approve(actor=reviewer, ids=[o.pk for o in orders[1:]]) == 4
    assert Order.objects.filter(status=S.APPROVED).count() == 5
    assert OrderTransition.objects.filter(to_status=S.APPROVED, by=reviewer).count() == 5
    assert len(events) == 4
    with pytest.raises(InvalidData):
        orders_batch_approve(actor=reviewer, ids=[999999])


def test_an_order_without_a_warehouse_ships_from_one_that_holds_the_goods(org, goods):
    from hotline.catalog.tests.factories import make_warehouse

    tea, _pot, _set, bj = goods
    make_warehouse("aa", "空仓")  # first by code, but holds nothing
    order = make_order(org.agent_a1, customer_with_address(org.agent_a1), tea, quantity=3)
    assert order.warehouse == bj
    assert not [w for w in order.warnings if w["code"] == "short_stock"]
