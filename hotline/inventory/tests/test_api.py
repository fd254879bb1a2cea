"""/api/inventory/ and /api/catalog/: search with member price and stock,
price lookup, moves with refusals as clear errors, purchase orders."""

import pytest
from django.test import Client

from hotline.catalog.models import PriceList, PriceListItem
from hotline.catalog.tests.factories import make_product, make_warehouse
from hotline.customers.models import MemberLevel
from hotline.customers.tests.test_services import make_customer
from hotline.inventory.models import StockLevel
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
    tea = make_product("TEA-01", "保健茶", price="100.00")
    bj = make_warehouse()
    stock.stock_receive(product=tea, warehouse=bj, quantity=3)
    return tea, bj


def test_search_with_member_price_and_stock(org, goods):
    tea, _bj = goods
    gold = MemberLevel.objects.create(code="gold", name="金卡", discount_percent=5)
    PriceListItem.objects.create(
        price_list=PriceList.objects.create(level=gold, name="金卡价"), product=tea, price=88
    )
    customer = make_customer(org.agent_a1, name="李雷")
    customer.level = gold
    customer.save()
    agent = client_for(org.agent_a1)
    body = agent.get("/api/catalog/search", {"q": "bjc", "customer_id": customer.pk}).json()
    assert body == [
        {
            "kind": "product",
            "id": tea.pk,
            "sku": "TEA-01",
            "name": "保健茶",
            "unit": "件",
            "list_price": "100.00",
            "price": "88.00",
            "price_source": "price_list",
            "available": 3,
        }
    ]
    price = agent.get("/api/catalog/price", {"product_id": tea.pk, "level_id": gold.pk}).json()
    assert (price["price"], price["source"]) == ("88.00", "price_list")
    # a customer outside the agent's scope is not found
    other = make_customer(org.agent_c1, name="韩梅梅")
    assert agent.get("/api/catalog/search", {"q": "b", "customer_id": other.pk}).status_code == 404


def test_product_create_refused_for_agent_allowed_for_keeper(org, keeper):
    payload = {"sku": "HON-01", "name": "蜂蜜", "price": "59.90"}
    response = client_for(org.agent_a1).post(
        "/api/catalog/products", payload, content_type="application/json"
    )
    assert response.status_code == 403
    response = client_for(keeper).post(
        "/api/catalog/products", payload, content_type="application/json"
    )
    assert response.status_code == 201 and response.json()["name_initials"] == "fm"


def test_moves(org, keeper, goods):
    tea, bj = goods
    sh = make_warehouse("sh", "上海仓")
    agent, api = client_for(org.agent_a1), client_for(keeper)
    receive = {"product_id": tea.pk, "warehouse_id": bj.pk, "quantity": 2, "reference": "PO-9"}
    assert (
        agent.post(
            "/api/inventory/moves/receive", receive, content_type="application/json"
        ).status_code
        == 403
    )
    response = api.post("/api/inventory/moves/receive", receive, content_type="application/json")
    assert response.status_code == 201 and response.json()["balance_after"] == 5
    issue = {"product_id": tea.pk, "warehouse_id": bj.pk, "quantity": 9, "reference": "SO-1"}
    response = api.post("/api/inventory/moves/issue", issue, content_type="application/json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "out_of_stock" and "has 5 in 北京仓" in error["message"]
    transfer = {
        "product_id": tea.pk,
        "from_warehouse_id": bj.pk,
        "to_warehouse_id": sh.pk,
        "quantity": 2,
    }
    response = api.post("/api/inventory/moves/transfer", transfer, content_type="application/json")
    assert [m["quantity"] for m in response.json()] == [-2, 2]
    warehouses.reorder_level_set(actor=keeper, product=tea, warehouse=bj, reorder_level=3)
    levels = agent.get("/api/inventory/levels", {"low": True}).json()
    assert [(lv["warehouse"], lv["quantity"], lv["low"]) for lv in levels] == [("北京仓", 3, True)]
    moves = agent.get("/api/inventory/moves", {"product_id": tea.pk}).json()
    assert len(moves) == 4


def test_purchase_order_flow(org, keeper, goods):
    tea, bj = goods
    supplier = warehouses.supplier_save(actor=keeper, name="杭州茶厂")
    api = client_for(keeper)
    payload = {
        "supplier_id": supplier.pk,
        "warehouse_id": bj.pk,
        "lines": [{"product_id": tea.pk, "quantity": 10, "unit_cost": "30.00"}],
    }
    order = api.post(
        "/api/inventory/purchase-orders", payload, content_type="application/json"
    ).json()
    assert order["status"] == "draft"
    api.post(f"/api/inventory/purchase-orders/{order['id']}/place")
    line_id = order["lines"][0]["id"]
    response = api.post(
        f"/api/inventory/purchase-orders/{order['id']}/receive",
        {"quantities": {str(line_id): 4}},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    read = api.get(f"/api/inventory/purchase-orders/{order['id']}").json()
    assert read["status"] == "partially_received" and read["lines"][0]["received_quantity"] == 4
    assert StockLevel.objects.get(product=tea, warehouse=bj).quantity == 7
    assert client_for(org.agent_a1).get("/api/inventory/purchase-orders").status_code == 403
