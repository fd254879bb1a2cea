from django.utils.translation import gettext_lazy as _

from hotline.web.menu import MenuItem, MenuSection

MENU = [
    MenuSection(
        key="callbacks",
        label=_("Callbacks"),
        position=22,
        items=(
            MenuItem(_("My callbacks"), "callbacks:mine", "callbacks.view_callbacktask"),
            MenuItem(_("My pending items"), "callbacks:pending", "callbacks.view_pendingitem"),
            MenuItem(_("All callbacks"), "callbacks:all", "callbacks.assign_callbacktask"),
            MenuItem(_("Allocation rules"), "callbacks:rules", "callbacks.view_allocationrule"),
        ),
    )
]
