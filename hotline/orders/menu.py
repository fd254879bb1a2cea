from django.utils.translation import gettext_lazy as _

from hotline.web.menu import MenuItem, MenuSection

MENU = [
    MenuSection(
        key="orders",
        label=_("Orders"),
        position=25,
        items=(
            MenuItem(_("New order"), "orders:create", "orders.add_order"),
            MenuItem(_("Orders"), "orders:list", "orders.view_order"),
            MenuItem(_("Review queue"), "orders:review", "orders.review_order"),
            MenuItem(_("Picking"), "orders:picking", "orders.ship_order"),
            MenuItem(_("Order lookup"), "orders:lookup", "orders.view_order"),
        ),
    )
]
