from django.urls import path

from hotline.web.views import (
    account,
    audit,
    auth,
    custom_fields,
    home,
    organisation,
    roles,
    system_settings,
    users,
)

app_name = "web"

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("language/", auth.set_language_view, name="set_language"),
    # My account
    path("account/", account.account, name="account"),
    path("account/language/", account.account_language, name="account_language"),
    path("account/password/", account.account_password, name="account_password"),
    path("account/tokens/", account.account_token_create, name="account_token_create"),
    path(
        "account/tokens/<int:pk>/revoke/",
        account.account_token_revoke,
        name="account_token_revoke",
    ),
    # Users
    path("manage/users/", users.user_list, name="user_list"),
    path("manage/users/new/", users.user_create, name="user_create"),
    path("manage/users/<int:pk>/", users.user_edit, name="user_edit"),
    path("manage/users/<int:pk>/password/", users.user_password, name="user_password"),
    # Departments and teams
    path("manage/departments/", organisation.department_list, name="department_list"),
    path("manage/departments/new/", organisation.department_create, name="department_create"),
    path("manage/departments/<int:pk>/", organisation.department_edit, name="department_edit"),
    path(
        "manage/departments/<int:pk>/delete/",
        organisation.department_delete,
        name="department_delete",
    ),
    path("manage/teams/", organisation.team_list, name="team_list"),
    path("manage/teams/new/", organisation.team_create, name="team_create"),
    path("manage/teams/<int:pk>/", organisation.team_edit, name="team_edit"),
    path("manage/teams/<int:pk>/delete/", organisation.team_delete, name="team_delete"),
    path("manage/settings/", system_settings.settings_list, name="settings"),
    # Roles
    path("manage/roles/", roles.role_list, name="role_list"),
    path("manage/roles/new/", roles.role_create, name="role_create"),
    path("manage/roles/<int:pk>/", roles.role_edit, name="role_edit"),
    # Custom fields
    path("manage/custom-fields/", custom_fields.customfield_list, name="customfield_list"),
    path("manage/custom-fields/new/", custom_fields.customfield_create, name="customfield_create"),
    path(
        "manage/custom-fields/<int:pk>/",
        custom_fields.customfield_edit,
        name="customfield_edit",
    ),
    path(
        "manage/custom-fields/<int:pk>/delete/",
        custom_fields.customfield_delete,
        name="customfield_delete",
    ),
    # Logs
    path("manage/audit/", audit.audit_list, name="audit_list"),
    path("manage/changes/", audit.change_list, name="change_list"),
]
