"""Factories for order tests: goods in stock and an order taken by an agent."""

from hotline.catalog.tests.factories import make_bundle, make_product, make_warehouse
from hotline.customers.tests.test_services import make_customer
from hotline.inventory.services import stock
from hotline.orders.services.entry import order_create


def make_goods(*, quantity=10):
    tea = make_product("TEA-01", "保健茶", price="100.00")
    pot = make_product("POT-01", "紫砂壶", price="50.00")
    set_ = make_bundle("SET-01", "养生套餐", price="260.00", items=[(tea, 2), (pot, 1)])
    bj = make_warehouse("bj", "北京仓")
    stock.stock_receive(product=tea, warehouse=bj, quantity=quantity)
    stock.stock_receive(product=pot, warehouse=bj, quantity=quantity)
    return tea, pot, set_, bj


def customer_with_address(agent, name="王伟", phone="13800138000", **fields):
    return make_customer(
        agent,
        name=name,
        phones=[phone],
        addresses=[
            {"province": "北京市", "city": "北京市", "district": "海淀区", "detail": "中关村1号"}
        ],
        **fields,
    )


def make_order(agent, customer, product, quantity=1, **fields):
    return order_create(
        actor=agent,
        customer=customer,
        lines=[{"product_id": product.pk, "quantity": quantity}],
        **fields,
    )
