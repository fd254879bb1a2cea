"""Demo catalogue for `manage.py demo_data`: TV-shopping products, a bundle
and a member price list. Skipped when products exist."""

from decimal import Decimal

from hotline.catalog.models import Product
from hotline.catalog.services import (
    bundle_save,
    category_save,
    price_list_item_set,
    price_list_save,
    product_save,
)
from hotline.customers.models import MemberLevel

# sku, name, category, price, cost, unit, specs
PRODUCTS = [
    ("TEA-01", "养生保健茶", "保健食品", "168.00", "52.00", "盒", "30 袋/盒"),
    ("HON-02", "野生蜂蜜", "保健食品", "128.00", "40.00", "瓶", "500 克"),
    ("CHR-10", "智能按摩椅", "家用电器", "6980.00", "3100.00", "台", "全身气囊，零重力"),
    ("AIR-05", "空气净化器", "家用电器", "1980.00", "820.00", "台", "适用 60 平方米"),
    ("PAN-03", "不粘锅三件套", "厨房用品", "399.00", "150.00", "套", "炒锅、汤锅、煎锅"),
    ("KNF-08", "德式刀具七件套", "厨房用品", "699.00", "260.00", "套", "不锈钢"),
    ("MAT-20", "乳胶床垫", "家居用品", "2980.00", "1200.00", "张", "1.8 × 2.0 米"),
    ("WAT-11", "净水器", "家用电器", "2680.00", "1150.00", "台", "反渗透，五级过滤"),
]


def load(builder, admin) -> list[str]:
    if Product.objects.exists():
        return []
    categories = {}
    products = {}
    for sku, name, category, price, cost, unit, specs in PRODUCTS:
        if category not in categories:
            categories[category] = category_save(actor=admin, name=category)
        products[sku] = product_save(
            actor=admin,
            sku=sku,
            name=name,
            category=categories[category],
            price=Decimal(price),
            cost=Decimal(cost),
            unit=unit,
            specs=specs,
            description=f"{name}：电视购物热销商品。介绍时先讲卖点，再讲售后保障。",
        )
    kitchen = bundle_save(
        actor=admin,
        code="SET-KITCHEN",
        name="厨房超值套餐",
        price=Decimal("899.00"),
        items=[(products["PAN-03"], 1), (products["KNF-08"], 1)],
    )
    gold = MemberLevel.objects.filter(code="gold").first()
    if gold is not None:
        price_list = price_list_save(actor=admin, level=gold, name="金卡会员价")
        price_list_item_set(
            actor=admin, price_list=price_list, product=products["TEA-01"], price=Decimal("138")
        )
        price_list_item_set(
            actor=admin, price_list=price_list, bundle=kitchen, price=Decimal("799")
        )
    return [f"{len(products)} demo products"]
