"""Catalogue writes and reads: pinyin initials, search, member prices (MEM-2)
and bundles."""

from decimal import Decimal

import pytest

from hotline.catalog import services
from hotline.catalog.models import PriceList, PriceListItem, Product
from hotline.catalog.selectors import catalog_search, price_for, prices_for
from hotline.catalog.tests.factories import make_bundle, make_product, make_warehouse
from hotline.core.exceptions import Conflict, InvalidData, NotAllowed
from hotline.customers.models import MemberLevel
from hotline.customers.tests.test_services import make_customer
from hotline.inventory.services.stock import stock_receive


@pytest.fixture
def keeper(make_user):
    return make_user("keeper", roles=["warehouse"])


@pytest.fixture
def gold(db):
    return MemberLevel.objects.create(code="gold", name="金卡", rank=2, discount_percent=10)


def test_initials():
    assert services.name_initials("保健茶") == "bjc"
    assert services.name_initials("维C片 100粒") == "wcp100l"
    assert services.name_initials("Green Tea") == "greentea"


def test_product_save_sets_initials_and_refuses_duplicate_sku(keeper):
    product = services.product_save(
        actor=keeper, sku="T-1", name="保健茶", price=Decimal("99.5"), unit="盒"
    )
    assert product.name_initials == "bjc" and product.price == Decimal("99.50")
    services.product_save(actor=keeper, product=product, name="绿茶")
    product.refresh_from_db()
    assert product.name_initials == "lc"
    with pytest.raises(Conflict, match="SKU"):
        services.product_save(actor=keeper, sku="t-1", name="x", price=1)
    with pytest.raises(InvalidData):
        services.product_save(actor=keeper, sku="T-2", name="x", price=Decimal(-1))
    with pytest.raises(InvalidData, match="image"):
        services.product_save(actor=keeper, sku="T-3", name="x", price=1, image_url="a.exe")
    assert Product.objects.count() == 1


def test_agent_cannot_create_products(org):
    with pytest.raises(NotAllowed):
        services.product_save(actor=org.agent_a1, sku="X", name="x", price=1)


def test_search_by_initials_name_and_sku(org):
    tea = make_product("TEA-01", "保健茶")
    make_product("HON-01", "蜂蜜")
    warehouse = make_warehouse()
    stock_receive(product=tea, warehouse=warehouse, quantity=7)
    by_initials = catalog_search(actor=org.agent_a1, q="bjc")
    assert [(hit.sku, hit.available) for hit in by_initials] == [("TEA-01", 7)]
    assert [hit.sku for hit in catalog_search(actor=org.agent_a1, q="BJ")] == ["TEA-01"]
    assert [hit.sku for hit in catalog_search(actor=org.agent_a1, q="蜂")] == ["HON-01"]
    assert [hit.sku for hit in catalog_search(actor=org.agent_a1, q="hon-0")] == ["HON-01"]


def test_initials_of_a_word_inside_the_name_find_the_product(org):
    make_product("TEA-02", "养生保健茶")
    assert [hit.sku for hit in catalog_search(actor=org.agent_a1, q="bjc")] == ["TEA-02"]


def test_search_needs_permission(db, make_user):
    nobody = make_user("nobody")
    with pytest.raises(NotAllowed):
        catalog_search(actor=nobody, q="a")


def test_price_precedence(org, gold):
    tea = make_product("TEA-01", "保健茶", price="100.00")
    honey = make_product("HON-01", "蜂蜜", price="59.90")
    price_list = PriceList.objects.create(level=gold, name="金卡价")
    PriceListItem.objects.create(price_list=price_list, product=tea, price=Decimal("80.00"))
    member = make_customer(org.agent_a1, name="金卡客户")
    member.level = gold
    member.save()
    plain = make_customer(org.agent_a1, name="普通客户")

    assert price_for(item=tea, customer=member) == Decimal("80.00")  # price list
    assert price_for(item=honey, customer=member) == Decimal("53.91")  # 10 % off 59.90
    assert price_for(item=tea, customer=plain) == Decimal("100.00")  # list price
    assert price_for(item=tea) == Decimal("100.00")
    assert price_for(item=honey, level=gold) == Decimal("53.91")
    price_list.active = False
    price_list.save()
    assert price_for(item=tea, customer=member) == Decimal("90.00")
    gold.discount_percent = 0
    gold.save()
    member.refresh_from_db()
    assert price_for(item=tea, customer=member) == Decimal("100.00")
    assert isinstance(price_for(item=tea, customer=member), Decimal)


def test_bundle_price_and_availability(org, gold, keeper):
    tea = make_product("TEA-01", "保健茶")
    honey = make_product("HON-01", "蜂蜜")
    bundle = services.bundle_save(
        actor=keeper if keeper.has_perm("catalog.add_bundle") else org.admin,
        code="SET-1",
        name="养生套餐",
        price=Decimal("150"),
        items=[(tea, 2), (honey, 1)],
    )
    assert sorted(bundle.items.values_list("product__sku", "quantity")) == [
        ("HON-01", 1),
        ("TEA-01", 2),
    ]
    price_list = PriceList.objects.create(level=gold, name="金卡价")
    services.price_list_item_set(
        actor=org.admin, price_list=price_list, bundle=bundle, price=Decimal("120")
    )
    assert price_for(item=bundle) == Decimal("150.00")
    assert price_for(item=bundle, level=gold) == Decimal("120.00")
    other = make_bundle("SET-2", "送礼套餐", "300", items=[(tea, 1)])
    assert prices_for([bundle, other], level=gold) == {
        ("bundle", bundle.pk): Decimal("120.00"),
        ("bundle", other.pk): Decimal("270.00"),
    }
    warehouse = make_warehouse()
    stock_receive(product=tea, warehouse=warehouse, quantity=5)
    stock_receive(product=honey, warehouse=warehouse, quantity=10)
    hits = {hit.sku: hit for hit in catalog_search(actor=org.agent_a1, q="ystc")}
    assert hits["SET-1"].available == 2 and hits["SET-1"].kind == "bundle"
    with pytest.raises(InvalidData):
        services.bundle_save(actor=org.admin, code="SET-3", name="空", price=1, items=[])


def test_price_list_one_per_level(org, gold):
    services.price_list_save(actor=org.admin, level=gold, name="金卡价")
    with pytest.raises(Conflict):
        services.price_list_save(actor=org.admin, level=gold, name="又一个")
    with pytest.raises(InvalidData):
        services.price_list_item_set(actor=org.admin, price_list=gold.price_list, price=Decimal(1))
