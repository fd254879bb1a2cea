from django.utils.translation import gettext_lazy as _

from hotline.web.menu import MenuItem, MenuSection

MENU = [
    MenuSection(
        key="administration",
        label=_("Administration"),
        position=900,
        items=(
            MenuItem(_("Users"), "web:user_list", "accounts.view_user"),
            MenuItem(_("Departments"), "web:department_list", "accounts.view_department"),
            MenuItem(_("Teams"), "web:team_list", "accounts.view_team"),
            MenuItem(_("Roles"), "web:role_list", "accounts.view_role"),
            MenuItem(_("Custom fields"), "web:customfield_list", "core.view_customfield"),
            MenuItem(_("System settings"), "web:settings", "core.view_systemsetting"),
            MenuItem(_("Audit log"), "web:audit_list", "accounts.view_auditevent"),
            MenuItem(_("Change history"), "web:change_list", "core.view_objectchange"),
        ),
    )
]
