from django.utils.translation import gettext_lazy as _

from hotline.web.menu import MenuItem, MenuSection

MENU = [
    MenuSection(
        key="inventory",
        label=_("Inventory"),
        position=40,
        items=(
            MenuItem(_("Overview"), "inventory:dashboard", "inventory.view_stocklevel"),
            MenuItem(_("Stock levels"), "inventory:levels", "inventory.view_stocklevel"),
            MenuItem(_("Stock moves"), "inventory:moves", "inventory.view_stockmove"),
            MenuItem(_("Receive"), "inventory:receive", "inventory.add_stockmove"),
            MenuItem(_("Issue"), "inventory:issue", "inventory.add_stockmove"),
            MenuItem(_("Transfer"), "inventory:transfer", "inventory.add_stockmove"),
            MenuItem(
                _("Purchase orders"), "inventory:purchase_orders", "inventory.view_purchaseorder"
            ),
            MenuItem(_("Suppliers"), "inventory:suppliers", "inventory.view_supplier"),
            MenuItem(_("Stocktakes"), "inventory:stocktakes", "inventory.view_stocktake"),
            MenuItem(_("Warehouses"), "inventory:warehouses", "inventory.view_warehouse"),
        ),
    )
]
