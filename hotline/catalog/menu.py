from django.utils.translation import gettext_lazy as _

from hotline.web.menu import MenuItem, MenuSection

MENU = [
    MenuSection(
        key="catalog",
        label=_("Catalogue"),
        position=30,
        items=(
            MenuItem(_("Products"), "catalog:products", "catalog.view_product"),
            MenuItem(_("Bundles"), "catalog:bundles", "catalog.view_bundle"),
            MenuItem(_("Categories"), "catalog:categories", "catalog.view_category"),
            MenuItem(_("Member price lists"), "catalog:price_lists", "catalog.view_pricelist"),
        ),
    )
]
