"""What the default roles may do with stock (merged into the role catalogue).
Warehouse keepers run the stock; people who sell or ship see it."""

_VIEW_STOCK = [
    "inventory.view_warehouse",
    "inventory.view_stocklevel",
    "inventory.view_stockmove",
]

GRANTS = {
    "agent": _VIEW_STOCK,
    "lead": _VIEW_STOCK,
    "department_head": _VIEW_STOCK,
    "order_reviewer": _VIEW_STOCK,
    "logistics": _VIEW_STOCK,
    "finance": [*_VIEW_STOCK, "inventory.view_purchaseorder", "inventory.view_supplier"],
    "warehouse": [
        *_VIEW_STOCK,
        "inventory.add_stockmove",
        "inventory.change_stocklevel",
        "inventory.add_warehouse",
        "inventory.change_warehouse",
        "inventory.view_supplier",
        "inventory.add_supplier",
        "inventory.change_supplier",
        "inventory.view_purchaseorder",
        "inventory.add_purchaseorder",
        "inventory.change_purchaseorder",
        "inventory.view_stocktake",
        "inventory.add_stocktake",
        "inventory.change_stocktake",
    ],
    "admin": ["inventory.*"],
}
