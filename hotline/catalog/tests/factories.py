"""Small factories for catalogue and stock tests (other apps may use them too)."""

from decimal import Decimal

from hotline.catalog.models import Bundle, BundleItem, Product
from hotline.catalog.services import name_initials
from hotline.inventory.models import Warehouse


def make_product(sku="P001", name="保健茶", price="100.00", **fields) -> Product:
    return Product.objects.create(
        sku=sku, name=name, name_initials=name_initials(name), price=Decimal(price), **fields
    )


def make_bundle(code="B001", name="养生套餐", price="260.00", items=()) -> Bundle:
    bundle = Bundle.objects.create(
        code=code, name=name, name_initials=name_initials(name), price=Decimal(price)
    )
    for product, quantity in items:
        BundleItem.objects.create(bundle=bundle, product=product, quantity=quantity)
    return bundle


def make_warehouse(code="bj", name="北京仓", **fields) -> Warehouse:
    return Warehouse.objects.create(code=code, name=name, **fields)
