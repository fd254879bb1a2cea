"""Demo stock for `manage.py demo_data`: two warehouses, a supplier and
opening stock of every demo product. Skipped when warehouses exist."""

from hotline.catalog.models import Product
from hotline.inventory.models import Warehouse
from hotline.inventory.services.stock import stock_receive
from hotline.inventory.services.warehouses import reorder_level_set, supplier_save, warehouse_save

WAREHOUSES = [
    ("bj", "北京仓", "北京市大兴区物流园 8 号"),
    ("sh", "上海仓", "上海市嘉定区物流园 3 号"),
]


def load(builder, admin) -> list[str]:
    if Warehouse.objects.exists():
        return []
    warehouses = [
        warehouse_save(actor=admin, code=code, name=name, address=address)
        for code, name, address in WAREHOUSES
    ]
    supplier_save(
        actor=admin, name="华东日用品供应链有限公司", contact="周经理", phone="021-55556666"
    )
    for index, product in enumerate(Product.objects.order_by("sku")):
        for warehouse in warehouses:
            quantity = 5 + (index * 17) % 60
            stock_receive(
                actor=admin,
                product=product,
                warehouse=warehouse,
                quantity=quantity,
                reference="期初库存",
            )
            reorder_level_set(actor=admin, product=product, warehouse=warehouse, reorder_level=10)
    return [f"stock in {len(warehouses)} demo warehouses"]
