from hotline.core.events import Audience, Event

VIEW_STOCK = "inventory.view_stocklevel"


class StockLow(Event):
    """A move took a product's level in a warehouse to or below its reorder level."""

    type = "inventory.stock_low"
    permissions = (VIEW_STOCK,)

    product_id: int
    sku: str
    name: str
    warehouse_id: int
    warehouse: str
    quantity: int
    reorder_level: int

    def audience(self) -> Audience:
        return Audience.holders_of(VIEW_STOCK)
