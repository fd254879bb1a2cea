"""Catalogue and inventory pages render for the roles that use them, refuse
the others, and post through the services."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from hotline.catalog.models import Bundle, PriceList, Product
from hotline.catalog.tests.factories import make_bundle, make_product, make_warehouse
from hotline.customers.models import MemberLevel
from hotline.inventory.models import PurchaseOrder, StockLevel, StockMove, Stocktake, Supplier
from hotline.inventory.services import stock, warehouses


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def keeper(make_user):
    return make_user("keeper", roles=["warehouse"])


@pytest.fixture
def goods(db):
    tea = make_product("TEA-01", "保健茶")
    bj = make_warehouse()
    stock.stock_receive(product=tea, warehouse=bj, quantity=3)
    StockLevel.objects.filter(product=tea).update(reorder_level=5)
    bundle = make_bundle(items=[(tea, 2)])
    level = MemberLevel.objects.create(code="gold", name="金卡")
    price_list = PriceList.objects.create(level=level, name="金卡价")
    return tea, bj, bundle, price_list


def test_pages_render_for_keeper(keeper, goods):
    tea, bj, _bundle, price_list = goods
    supplier = Supplier.objects.create(name="杭州茶厂")
    client = client_for(keeper)
    order = PurchaseOrder.objects.create(number="PO1", supplier=supplier, warehouse=bj)
    sheet = Stocktake.objects.create(warehouse=bj)
    urls = [
        reverse("catalog:products"),
        reverse("catalog:product", args=[tea.pk]),
        reverse("catalog:product_create"),
        reverse("catalog:product_edit", args=[tea.pk]),
        reverse("catalog:bundles"),
        reverse("catalog:categories"),
        reverse("catalog:price_lists"),
        reverse("catalog:price_list", args=[price_list.pk]),
        reverse("inventory:dashboard"),
        reverse("inventory:levels") + f"?warehouse={bj.pk}&low=1",
        reverse("inventory:moves") + f"?product={tea.pk}",
        reverse("inventory:receive"),
        reverse("inventory:issue"),
        reverse("inventory:transfer"),
        reverse("inventory:warehouses"),
        reverse("inventory:warehouse_create"),
        reverse("inventory:suppliers"),
        reverse("inventory:supplier_create"),
        reverse("inventory:purchase_orders"),
        reverse("inventory:purchase_order_create"),
        reverse("inventory:purchase_order", args=[order.pk]),
        reverse("inventory:stocktakes"),
        reverse("inventory:stocktake", args=[sheet.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
    dashboard = client.get(reverse("inventory:dashboard")).content.decode()
    assert 'id="low-stock"' in dashboard and "TEA-01" in dashboard
    menu = client.get(reverse("inventory:dashboard")).content.decode()
    assert 'data-section="inventory"' in menu and 'data-section="catalog"' in menu


def test_admin_pages(org, goods):
    client = client_for(org.admin)
    for name in ("catalog:bundle_create", "catalog:price_list_create"):
        assert client.get(reverse(name)).status_code == 200
    _tea, _bj, bundle, price_list = goods
    assert client.get(reverse("catalog:bundle_edit", args=[bundle.pk])).status_code == 200
    assert client.get(reverse("catalog:price_list_edit", args=[price_list.pk])).status_code == 200


def test_agent_sees_products_and_stock_but_cannot_receive(org, goods):
    client = client_for(org.agent_a1)
    assert client.get(reverse("catalog:products") + "?q=bjc").status_code == 200
    assert "TEA-01" in client.get(reverse("catalog:products") + "?q=bjc").content.decode()
    assert client.get(reverse("inventory:levels")).status_code == 200
    assert client.get(reverse("inventory:receive")).status_code == 403
    assert client.get(reverse("inventory:purchase_orders")).status_code == 403
    assert client.get(reverse("catalog:product_create")).status_code == 403


def test_forms_post_through_services(keeper, org, goods):
    tea, bj, _bundle, price_list = goods
    client = client_for(keeper)
    response = client.post(
        reverse("catalog:product_create"),
        {
            "sku": "HON-01",
            "name": "蜂蜜",
            "unit": "瓶",
            "price": "59.90",
            "cost": "20",
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert Product.objects.get(sku="HON-01").name_initials == "fm"
    response = client.post(
        reverse("inventory:issue"),
        {"product": "TEA-01", "warehouse": bj.pk, "kind": "sale_out", "quantity": 9},
    )
    assert response.status_code == 200 and "has 3 in" in response.content.decode()
    response = client.post(
        reverse("inventory:receive"),
        {"product": "tea-01", "warehouse": bj.pk, "kind": "purchase_in", "quantity": 4},
    )
    assert response.status_code == 302
    assert StockLevel.objects.get(product=tea, warehouse=bj).quantity == 7
    sh = warehouses.warehouse_save(actor=keeper, code="sh", name="上海仓")
    client.post(
        reverse("inventory:transfer"),
        {"product": "TEA-01", "from_warehouse": bj.pk, "to_warehouse": sh.pk, "quantity": 2},
    )
    assert StockLevel.objects.get(product=tea, warehouse=sh).quantity == 2
    # purchase order: create, place, receive in part
    supplier = warehouses.supplier_save(actor=keeper, name="杭州茶厂")
    client.post(
        reverse("inventory:purchase_order_create"),
        {"supplier": supplier.pk, "warehouse": bj.pk, "lines": "TEA-01 10 30\nHON-01 5"},
    )
    order = PurchaseOrder.objects.get()
    client.post(reverse("inventory:purchase_order_place", args=[order.pk]))
    line = order.lines.get(product=tea)
    client.post(reverse("inventory:purchase_order", args=[order.pk]), {f"line_{line.pk}": "4"})
    order.refresh_from_db()
    assert order.status == "partially_received"
    # stocktake: create, count, post
    client.post(reverse("inventory:stocktakes"), {"warehouse": bj.pk, "reason": "抽盘"})
    sheet = Stocktake.objects.get()
    counts = {f"count_{ln.pk}": "1" for ln in sheet.lines.all()}
    client.post(reverse("inventory:stocktake", args=[sheet.pk]), {**counts, "post": "1"})
    sheet.refresh_from_db()
    assert sheet.status == "posted"
    assert set(StockLevel.objects.filter(warehouse=bj).values_list("quantity", flat=True)) == {1}
    assert StockMove.objects.filter(kind="stocktake_adjust").exists()
    # member price via the price list page (admin)
    admin = client_for(org.admin)
    admin.post(
        reverse("catalog:price_list", args=[price_list.pk]), {"code": "TEA-01", "price": "77"}
    )
    assert price_list.items.get().price == Decimal("77.00")
    admin.post(
        reverse("catalog:bundle_create"),
        {"code": "SET-9", "name": "双茶", "price": "180", "items": "TEA-01 2", "active": "on"},
    )
    assert Bundle.objects.get(code="SET-9").items.get().quantity == 2
