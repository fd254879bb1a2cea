"""Purchase orders with partial receiving (INV-3) and stocktakes (INV-4)."""

from decimal import Decimal

import pytest

from hotline.catalog.tests.factories import make_product, make_warehouse
from hotline.core.exceptions import Conflict, InvalidData, NotAllowed
from hotline.inventory.models import PurchaseOrder, StockLevel, StockMove, Stocktake
from hotline.inventory.selectors import stock_ledger_mismatches
from hotline.inventory.services import purchasing, stock, stocktakes, warehouses


@pytest.fixture
def keeper(make_user):
    return make_user("keeper", roles=["warehouse"])


@pytest.fixture
def setup(keeper):
    supplier = warehouses.supplier_save(actor=keeper, name="杭州茶厂", phone="0571-1234567")
    return {
        "supplier": supplier,
        "bj": make_warehouse(),
        "tea": make_product("TEA-01", "保健茶"),
        "honey": make_product("HON-01", "蜂蜜"),
    }


def level(product, warehouse) -> int:
    row = StockLevel.objects.filter(product=product, warehouse=warehouse).first()
    return row.quantity if row else 0


def test_partial_then_full_receiving(keeper, setup):
    tea, honey, bj = setup["tea"], setup["honey"], setup["bj"]
    order = purchasing.purchase_order_create(
        actor=keeper,
        supplier=setup["supplier"],
        warehouse=bj,
        lines=[(tea, 10, Decimal("30")), (honey, 5, Decimal("20"))],
    )
    assert order.status == "draft" and order.number.startswith("PO")
    lines = {line.product.sku: line for line in order.lines.all()}
    with pytest.raises(Conflict):  # not ordered yet
        purchasing.purchase_order_receive(
            actor=keeper, order=order, quantities={lines["TEA-01"].pk: 1}
        )
    order = purchasing.purchase_order_place(actor=keeper, order=order)
    moves = purchasing.purchase_order_receive(
        actor=keeper, order=order, quantities={lines["TEA-01"].pk: 4, lines["HON-01"].pk: 5}
    )
    order.refresh_from_db()
    assert order.status == "partially_received"
    assert {(m.product.sku, m.quantity, m.reference) for m in moves} == {
        ("TEA-01", 4, order.number),
        ("HON-01", 5, order.number),
    }
    with pytest.raises(InvalidData, match="between 0 and 6"):
        purchasing.purchase_order_receive(
            actor=keeper, order=order, quantities={lines["TEA-01"].pk: 7}
        )
    purchasing.purchase_order_receive(actor=keeper, order=order, quantities={lines["TEA-01"].pk: 6})
    order.refresh_from_db()
    assert order.status == "received"
    assert (level(tea, bj), level(honey, bj)) == (10, 5)
    assert StockMove.objects.filter(kind="purchase_in").count() == 3
    with pytest.raises(Conflict):
        purchasing.purchase_order_cancel(actor=keeper, order=order)
    assert stock_ledger_mismatches() == []


def test_cancel_and_permissions(org, keeper, setup):
    order = purchasing.purchase_order_create(
        actor=keeper,
        supplier=setup["supplier"],
        warehouse=setup["bj"],
        lines=[(setup["tea"], 1, Decimal(1))],
    )
    with pytest.raises(NotAllowed):
        purchasing.purchase_order_place(actor=org.agent_a1, order=order)
    with pytest.raises(NotAllowed):
        purchasing.purchase_order_create(
            actor=org.agent_a1,
            supplier=setup["supplier"],
            warehouse=setup["bj"],
            lines=[(setup["tea"], 1, Decimal(1))],
        )
    purchasing.purchase_order_cancel(actor=keeper, order=order, reason="供应商缺货")
    order.refresh_from_db()
    assert order.status == PurchaseOrder.Status.CANCELLED and "缺货" in order.note
    with pytest.raises(InvalidData):
        purchasing.purchase_order_create(
            actor=keeper, supplier=setup["supplier"], warehouse=setup["bj"], lines=[]
        )


def test_stocktake_posts_differences(keeper, setup):
    tea, honey, bj = setup["tea"], setup["honey"], setup["bj"]
    stock.stock_receive(product=tea, warehouse=bj, quantity=10)
    stock.stock_receive(product=honey, warehouse=bj, quantity=4)
    sheet = stocktakes.stocktake_create(actor=keeper, warehouse=bj, reason="月末盘点")
    lines = {line.product.sku: line for line in sheet.lines.all()}
    assert (lines["TEA-01"].expected, lines["HON-01"].expected) == (10, 4)
    stocktakes.stocktake_count(actor=keeper, stocktake=sheet, counts={lines["TEA-01"].pk: 8})
    with pytest.raises(InvalidData, match="not been counted"):
        stocktakes.stocktake_post(actor=keeper, stocktake=sheet)
    stocktakes.stocktake_count(actor=keeper, stocktake=sheet, counts={lines["HON-01"].pk: 5})
    moves = stocktakes.stocktake_post(actor=keeper, stocktake=sheet)
    assert sorted((m.product.sku, m.quantity, m.note) for m in moves) == [
        ("HON-01", 1, "月末盘点"),
        ("TEA-01", -2, "月末盘点"),
    ]
    assert (level(tea, bj), level(honey, bj)) == (8, 5)
    sheet.refresh_from_db()
    assert sheet.status == Stocktake.Status.POSTED and sheet.posted_by == keeper
    with pytest.raises(Conflict):
        stocktakes.stocktake_post(actor=keeper, stocktake=sheet)
    assert stock_ledger_mismatches() == []


def test_stocktake_refuses_negative_result_and_needs_reason(keeper, setup):
    tea, bj = setup["tea"], setup["bj"]
    stock.stock_receive(product=tea, warehouse=bj, quantity=3)
    sheet = stocktakes.stocktake_create(actor=keeper, warehouse=bj)
    line = sheet.lines.get()
    stocktakes.stocktake_count(actor=keeper, stocktake=sheet, counts={line.pk: 0})
    with pytest.raises(InvalidData, match="reason"):
        stocktakes.stocktake_post(actor=keeper, stocktake=sheet)
    stock.stock_issue(product=tea, warehouse=bj, quantity=2, reference="SO-1")  # 1 left
    with pytest.raises(Conflict, match="Out of stock"):
        stocktakes.stocktake_post(actor=keeper, stocktake=sheet, reason="破损")
    sheet.refresh_from_db()
    assert sheet.status == "counting" and level(tea, bj) == 1
