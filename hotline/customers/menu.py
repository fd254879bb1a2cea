from django.utils.translation import gettext_lazy as _

from hotline.web.menu import MenuItem, MenuSection

MENU = [
    MenuSection(
        key="customers",
        label=_("Customers"),
        position=20,
        items=(
            MenuItem(_("Customers"), "customers:list", "customers.view_customer"),
            MenuItem(_("Care lists"), "customers:care", "customers.view_customer"),
            MenuItem(_("Phonebook"), "customers:phonebook", "customers.view_phonebookentry"),
            MenuItem(_("Import"), "customers:import_list", "customers.import_customer"),
            MenuItem(_("Blacklist"), "customers:blacklist", "customers.view_blacklistentry"),
            MenuItem(_("Member levels"), "customers:levels", "customers.view_memberlevel"),
            MenuItem(_("Field edit rules"), "customers:field_rules", "core.view_fieldeditrule"),
        ),
    )
]
