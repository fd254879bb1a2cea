"""The stock ledger (INV-2, INV-5): levels equal the sum of moves, never go
negative (refusals change nothing), transfers, low-stock events, permissions
and, on PostgreSQL, two sellers racing for the last unit."""

import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction

from hotline.catalog.tests.factories import make_product, make_warehouse
from hotline.core.events import subscribe, unsubscribe
from hotline.core.exceptions import Conflict, InvalidData, NotAllowed
from hotline.inventory.events import StockLow
from hotline.inventory.models import StockLevel, StockMove
from hotline.inventory.selectors import low_stock, stock_available, stock_ledger_mismatches
from hotline.inventory.services import stock, warehouses


@pytest.fixture
def keeper(make_user):
    return make_user("keeper", roles=["warehouse"])


@pytest.fixture
def tea(db):
    return make_product("TEA-01", "保健茶")


@pytest.fixture
def bj(db):
    return make_warehouse("bj", "北京仓")


@pytest.fixture
def sh(db):
    return make_warehouse("sh", "上海仓")


def level(product, warehouse) -> int:
    return StockLevel.objects.get(product=product, warehouse=warehouse).quantity


def test_level_is_sum_of_moves(keeper, tea, bj):
    stock.stock_receive(actor=keeper, product=tea, warehouse=bj, quantity=10, reference="PO-1")
    stock.stock_issue(product=tea, warehouse=bj, quantity=3, reference="SO-1", by=keeper)
    stock.stock_return(product=tea, warehouse=bj, quantity=1, reference="SO-1")
    stock.stock_issue(
        actor=keeper,
        product=tea,
        warehouse=bj,
        quantity=2,
        reference="RS-1",
        kind=StockMove.Kind.RETURN_TO_SUPPLIER,
    )
    assert level(tea, bj) == 6 == stock_available(tea) == stock_available(tea, bj)
    moves = list(StockMove.objects.order_by("id").values_list("kind", "quantity", "balance_after"))
    assert moves == [
        ("purchase_in", 10, 10),
        ("sale_out", -3, 7),
        ("after_sales_in", 1, 8),
        ("return_to_supplier", -2, 6),
    ]
    assert StockMove.objects.get(kind="sale_out").created_by == keeper
    assert stock_ledger_mismatches() == []
    call_command("inventory_check")


def test_check_command_reports_a_mismatch(tea, bj):
    stock.stock_receive(product=tea, warehouse=bj, quantity=5)
    StockLevel.objects.filter(product=tea).update(quantity=4)
    assert stock_ledger_mismatches()[0]["moves"] == 5
    with pytest.raises(CommandError):
        call_command("inventory_check")


def test_issue_refuses_beyond_stock_and_changes_nothing(tea, bj):
    stock.stock_receive(product=tea, warehouse=bj, quantity=2)
    with pytest.raises(Conflict) as refused:
        stock.stock_issue(product=tea, warehouse=bj, quantity=3, reference="SO-9")
    assert refused.value.code == "out_of_stock"
    assert refused.value.message == "Out of stock: TEA-01 保健茶 has 2 in 北京仓 (3 wanted)."
    assert level(tea, bj) == 2 and StockMove.objects.count() == 1
    with pytest.raises(Conflict, match="has 0 in"):
        stock.stock_issue(
            product=tea, warehouse=make_warehouse("gz", "广州仓"), quantity=1, reference="SO-9"
        )


def test_issue_lines_all_or_nothing(tea, bj):
    honey = make_product("HON-01", "蜂蜜")
    stock.stock_receive(product=tea, warehouse=bj, quantity=5)
    stock.stock_receive(product=honey, warehouse=bj, quantity=1)
    with pytest.raises(Conflict, match="蜂蜜"):
        stock.stock_issue_lines(warehouse=bj, lines=[(tea, 2), (honey, 2)], reference="SO-2")
    assert (level(tea, bj), level(honey, bj)) == (5, 1)
    stock.stock_issue_lines(warehouse=bj, lines=[(tea, 2), (honey, 1), (tea, 1)], reference="SO-3")
    assert (level(tea, bj), level(honey, bj)) == (2, 0)


def test_bad_quantities_and_kinds(tea, bj):
    for quantity in (0, -1, 1.5, "x"):
        with pytest.raises(InvalidData):
            stock.stock_receive(product=tea, warehouse=bj, quantity=quantity)
    with pytest.raises(InvalidData):
        stock.stock_issue(product=tea, warehouse=bj, quantity=1, reference="", kind="purchase_in")
    bj.active = False
    bj.save()
    with pytest.raises(Conflict, match="closed"):
        stock.stock_receive(product=tea, warehouse=bj, quantity=1)
    assert not StockMove.objects.exists()


def test_database_refuses_a_negative_level(tea, bj):
    StockLevel.objects.create(product=tea, warehouse=bj, quantity=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(product=tea).update(quantity=-1)


def test_transfer(keeper, tea, bj, sh):
    stock.stock_receive(product=tea, warehouse=bj, quantity=5)
    out, into = stock.stock_transfer(
        actor=keeper, product=tea, from_warehouse=bj, to_warehouse=sh, quantity=3
    )
    assert (out.kind, out.quantity, into.kind, into.quantity) == (
        "transfer_out",
        -3,
        "transfer_in",
        3,
    )
    assert out.reference == into.reference and out.reference.startswith("TR-")
    assert (level(tea, bj), level(tea, sh)) == (2, 3)
    with pytest.raises(Conflict, match="has 2 in 北京仓"):
        stock.stock_transfer(product=tea, from_warehouse=bj, to_warehouse=sh, quantity=3)
    with pytest.raises(InvalidData):
        stock.stock_transfer(product=tea, from_warehouse=bj, to_warehouse=bj, quantity=1)
    assert (level(tea, bj), level(tea, sh)) == (2, 3)
    assert stock_ledger_mismatches() == []


def test_permissions(org, keeper, tea, bj):
    with pytest.raises(NotAllowed):
        stock.stock_receive(actor=org.agent_a1, product=tea, warehouse=bj, quantity=1)
    with pytest.raises(NotAllowed):
        stock.stock_transfer(
            actor=org.lead_a, product=tea, from_warehouse=bj, to_warehouse=bj, quantity=1
        )
    stock.stock_receive(actor=keeper, product=tea, warehouse=bj, quantity=1)
    stock.stock_receive(actor=org.admin, product=tea, warehouse=bj, quantity=1)
    assert level(tea, bj) == 2


def test_low_stock_event_and_list(org, keeper, tea, bj, django_capture_on_commit_callbacks):
    seen = []
    handler = subscribe(StockLow)(seen.append)
    try:
        warehouses.reorder_level_set(actor=keeper, product=tea, warehouse=bj, reorder_level=3)
        with django_capture_on_commit_callbacks(execute=True):
            stock.stock_receive(product=tea, warehouse=bj, quantity=5)
            stock.stock_issue(product=tea, warehouse=bj, quantity=1, reference="a")  # 4
        assert seen == []
        with django_capture_on_commit_callbacks(execute=True):
            stock.stock_issue(product=tea, warehouse=bj, quantity=1, reference="b")  # 3
            stock.stock_issue(product=tea, warehouse=bj, quantity=1, reference="c")  # 2
    finally:
        unsubscribe(StockLow, handler)
    assert [(e.sku, e.quantity, e.reorder_level, e.warehouse) for e in seen] == [
        ("TEA-01", 3, 3, "北京仓")
    ]
    assert seen[0].audience().permission == "inventory.view_stocklevel"
    assert [lv.product.sku for lv in low_stock(actor=keeper)] == ["TEA-01"]
    with pytest.raises(NotAllowed):
        warehouses.reorder_level_set(actor=org.agent_a1, product=tea, warehouse=bj, reorder_level=1)


@pytest.mark.django_db(transaction=True)
def test_two_sellers_race_for_the_last_unit(make_user):
    if connection.vendor != "postgresql":
        pytest.skip("row locks under real concurrency are proven on PostgreSQL")
    tea = make_product("TEA-01", "保健茶")
    bj = make_warehouse()
    stock.stock_receive(product=tea, warehouse=bj, quantity=1)
    barrier = threading.Barrier(2)
    results = []

    def sell(n):
        try:
            barrier.wait()
            stock.stock_issue(product=tea, warehouse=bj, quantity=1, reference=f"SO-{n}")
            results.append("ok")
        except Conflict as exc:
            results.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=sell, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["ok", "out_of_stock"]
    assert level(tea, bj) == 0
    assert StockMove.objects.filter(kind="sale_out").count() == 1
    assert stock_ledger_mismatches() == []
