"""The administration pages: users, departments, teams, roles, custom fields,
audit log and change history."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.test import Client
from django.urls import reverse

from hotline.accounts.models import AuditEvent, Department, Role, Team, User
from hotline.core.models import CustomField, ObjectChange
from hotline.core.tests.sampleapp.models import SampleRecord

PASSWORD = "Quiet-Harbour-42"

MANAGE_PAGES = [
    "web:user_list",
    "web:department_list",
    "web:team_list",
    "web:role_list",
    "web:customfield_list",
    "web:audit_list",
    "web:change_list",
]


def _app_permissions(*app_labels):
    return Permission.objects.filter(content_type__app_label__in=app_labels)


def _permissions(*names):
    condition = Q(pk__in=[])
    for name in names:
        app_label, codename = name.split(".")
        condition |= Q(content_type__app_label=app_label, codename=codename)
    return Permission.objects.filter(condition)


def _user_with_role(username, role, **fields):
    user = User.objects.create_user(username=username, password=PASSWORD, language="en", **fields)
    user.roles.add(role)
    return user


@pytest.fixture
def mgr_client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def mgr_agent_role(db):
    role = Role.objects.create(code="web-agent", name="坐席", name_en="Agent", data_scope="own")
    role.permissions.set(_permissions("accounts.view_apitoken", "accounts.add_apitoken"))
    return role


@pytest.fixture
def mgr_admin_role(db):
    role = Role.objects.create(
        code="web-admin", name="管理员", name_en="Administrator", data_scope="all"
    )
    role.permissions.set(_app_permissions("accounts", "core"))
    return role


@pytest.fixture
def mgr_agent(mgr_agent_role):
    return _user_with_role("agent7", mgr_agent_role, full_name="Wang Fang")


@pytest.fixture
def mgr_admin(mgr_admin_role):
    return _user_with_role("boss", mgr_admin_role, full_name="Zhao Min")


@pytest.fixture
def mgr_supervisor(db):
    """May edit users but holds no role with scope "all" and change_role."""
    role = Role.objects.create(code="web-supervisor", name="主管", data_scope="department")
    role.permissions.set(
        _permissions("accounts.view_user", "accounts.change_user", "accounts.view_role")
    )
    return _user_with_role("super1", role, department=_department("Support"))


@pytest.fixture
def admin_client(mgr_client, mgr_admin):
    mgr_client.force_login(mgr_admin)
    return mgr_client


def _department(name, parent=None):
    department = Department.objects.create(name=name, parent=parent)
    parent_path = parent.path if parent else "/"
    department.path = f"{parent_path}{department.pk}/"
    department.save()
    return department


# --- access -------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", MANAGE_PAGES)
def test_agent_gets_403_with_reason(mgr_client, mgr_agent, url_name):
    mgr_client.force_login(mgr_agent)
    response = mgr_client.get(reverse(url_name))
    body = response.content.decode()
    assert response.status_code == 403
    assert 'class="reason"' in body
    assert "You do not have the permission" in body
    assert 'data-section="administration"' not in body
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PERMISSION_DENIED).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", MANAGE_PAGES)
def test_admin_opens_every_page(admin_client, url_name):
    response = admin_client.get(reverse(url_name))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-section="administration"' in body
    assert f'href="{reverse(url_name)}" class="active"' in body


@pytest.mark.django_db
def test_agent_cannot_open_create_pages(mgr_client, mgr_agent):
    mgr_client.force_login(mgr_agent)
    for url_name in ("web:user_create", "web:role_create", "web:customfield_create"):
        assert mgr_client.get(reverse(url_name)).status_code == 403


# --- users ----------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_creates_user_with_roles(admin_client, mgr_agent_role):
    department = _department("Sales")
    team = Team.objects.create(name="North", department=department)
    data = {
        "username": "newbie",
        "password1": "Sturdy-Pass-2024",
        "password2": "Sturdy-Pass-2024",
        "full_name": "Chen Jing",
        "email": "chen@example.com",
        "department": department.pk,
        "team": team.pk,
        "language": "zh-hans",
        "extension": "8001",
        "is_active": "on",
        "roles": [mgr_agent_role.pk],
    }
    response = admin_client.post(reverse("web:user_create"), data)
    user = User.objects.get(username="newbie")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:user_edit", args=[user.pk])
    assert user.check_password("Sturdy-Pass-2024")
    assert list(user.roles.all()) == [mgr_agent_role]
    assert user.team == team and user.extension == "8001" and user.is_active


@pytest.mark.django_db
def test_user_create_duplicate_name_keeps_input(admin_client, mgr_agent):
    data = {
        "username": "AGENT7",
        "password1": "Sturdy-Pass-2024",
        "password2": "Sturdy-Pass-2024",
        "full_name": "Someone Else",
        "is_active": "on",
    }
    response = admin_client.post(reverse("web:user_create"), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "is taken" in body
    assert 'value="Someone Else"' in body
    assert User.objects.filter(username__iexact="agent7").count() == 1


@pytest.mark.django_db
def test_user_create_weak_password_is_refused(admin_client):
    data = {"username": "weak", "password1": "12345678", "password2": "12345678"}
    body = admin_client.post(reverse("web:user_create"), data).content.decode()
    assert 'class="field-error"' in body
    assert not User.objects.filter(username="weak").exists()


@pytest.mark.django_db
def test_admin_edits_roles(admin_client, mgr_agent, mgr_agent_role, mgr_admin_role):
    url = reverse("web:user_edit", args=[mgr_agent.pk])
    page = admin_client.get(url).content.decode()
    assert 'value="Wang Fang"' in page
    data = {
        "full_name": "Wang Fang",
        "language": "en",
        "is_active": "on",
        "roles": [mgr_agent_role.pk, mgr_admin_role.pk],
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302
    assert set(mgr_agent.roles.all()) == {mgr_agent_role, mgr_admin_role}
    change = ObjectChange.objects.filter(object_id=str(mgr_agent.pk)).first()
    assert "roles" in change.changes


@pytest.mark.django_db
def test_refused_role_grant_saves_nothing(
    mgr_client, mgr_supervisor, mgr_agent, mgr_agent_role, mgr_admin_role
):
    mgr_agent.department = mgr_supervisor.department
    mgr_agent.save()
    mgr_client.force_login(mgr_supervisor)
    data = {
        "full_name": "Changed Name",
        "department": mgr_supervisor.department_id,
        "is_active": "on",
        "roles": [mgr_agent_role.pk, mgr_admin_role.pk],
    }
    response = mgr_client.post(reverse("web:user_edit", args=[mgr_agent.pk]), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'class="form-errors"' in body
    assert "Only an administrator" in body
    assert 'value="Changed Name"' in body
    mgr_agent.refresh_from_db()
    assert mgr_agent.full_name == "Wang Fang"
    assert list(mgr_agent.roles.all()) == [mgr_agent_role]


@pytest.mark.django_db
def test_admin_cannot_deactivate_self(admin_client, mgr_admin, mgr_admin_role):
    data = {"full_name": "Zhao Min", "roles": [mgr_admin_role.pk]}
    response = admin_client.post(reverse("web:user_edit", args=[mgr_admin.pk]), data)
    assert "cannot deactivate your own account" in response.content.decode()
    mgr_admin.refresh_from_db()
    assert mgr_admin.is_active


@pytest.mark.django_db
def test_admin_sets_password(admin_client, mgr_agent):
    url = reverse("web:user_password", args=[mgr_agent.pk])
    data = {"password1": "Other-Pass-999", "password2": "Other-Pass-999"}
    response = admin_client.post(url, data)
    assert response.status_code == 302
    mgr_agent.refresh_from_db()
    assert mgr_agent.check_password("Other-Pass-999")


@pytest.mark.django_db
def test_user_list_search_and_htmx_partial(admin_client, mgr_agent):
    response = admin_client.get(reverse("web:user_list"), {"q": "Wang"})
    body = response.content.decode()
    assert 'data-username="agent7"' in body
    assert 'data-username="boss"' not in body
    partial = admin_client.get(
        reverse("web:user_list"), {"q": "boss"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
    ).content.decode()
    assert partial.startswith('<div id="results"')
    assert 'data-username="boss"' in partial
    assert "<html" not in partial


# --- departments and teams ----------------------------------------------------


@pytest.mark.django_db
def test_department_tree_create_and_delete(admin_client, mgr_admin):
    response = admin_client.post(
        reverse("web:department_create"), {"name": "Head office", "head": mgr_admin.pk}
    )
    assert response.status_code == 302
    root = Department.objects.get(name="Head office")
    admin_client.post(reverse("web:department_create"), {"name": "Hotline", "parent": root.pk})
    child = Department.objects.get(name="Hotline")
    assert child.path == f"{root.path}{child.pk}/"

    body = admin_client.get(reverse("web:department_list")).content.decode()
    assert 'data-depth="1" data-name="Hotline"' in body
    assert 'class="tree-indent depth-1"' in body

    response = admin_client.post(reverse("web:department_delete", args=[root.pk]), follow=True)
    assert "still has sub-departments" in response.content.decode()
    assert Department.objects.filter(pk=root.pk).exists()

    admin_client.post(reverse("web:department_delete", args=[child.pk]))
    assert not Department.objects.filter(pk=child.pk).exists()


@pytest.mark.django_db
def test_department_cannot_move_under_itself(admin_client):
    root = _department("Root")
    child = _department("Child", root)
    url = reverse("web:department_edit", args=[root.pk])
    response = admin_client.post(url, {"name": "Root", "parent": child.pk})
    assert 'class="field-error"' in response.content.decode()
    root.refresh_from_db()
    assert root.parent is None


@pytest.mark.django_db
def test_team_create_and_edit(admin_client, mgr_admin):
    department = _department("Service")
    response = admin_client.post(
        reverse("web:team_create"),
        {"name": "Night shift", "department": department.pk, "lead": mgr_admin.pk},
    )
    assert response.status_code == 302
    team = Team.objects.get(name="Night shift")
    assert team.lead == mgr_admin
    admin_client.post(
        reverse("web:team_edit", args=[team.pk]),
        {"name": "Late shift", "department": department.pk},
    )
    team.refresh_from_db()
    assert team.name == "Late shift" and team.lead is None
    assert 'data-name="Late shift"' in admin_client.get(reverse("web:team_list")).content.decode()


@pytest.mark.django_db
def test_team_requires_department(admin_client):
    response = admin_client.post(reverse("web:team_create"), {"name": "Orphans"})
    assert 'class="field-error"' in response.content.decode()
    assert not Team.objects.exists()


# --- roles ----------------------------------------------------------------------


@pytest.mark.django_db
def test_role_form_lists_only_hotline_permissions(admin_client):
    body = admin_client.get(reverse("web:role_create")).content.decode()
    assert 'data-perm="accounts.view_user"' in body
    assert 'data-perm="accounts.view_administration"' in body
    internal_apps = ("sessions.", "contenttypes.", "admin.", "auth.", "django_tasks")
    for internal in internal_apps:
        assert f'data-perm="{internal}' not in body


@pytest.mark.django_db
def test_admin_creates_and_edits_role(admin_client):
    view_user, add_user = _permissions("accounts.view_user", "accounts.add_user")
    data = {
        "code": "qa",
        "name": "质检",
        "name_en": "Quality",
        "description": "Listens to calls.",
        "data_scope": "team",
        "permissions": [view_user.pk, add_user.pk],
    }
    response = admin_client.post(reverse("web:role_create"), data)
    assert response.status_code == 302
    role = Role.objects.get(code="qa")
    assert set(role.permissions.all()) == {view_user, add_user}
    assert role.data_scope == "team"

    data.update(code="ignored", data_scope="department", permissions=[view_user.pk])
    admin_client.post(reverse("web:role_edit", args=[role.pk]), data)
    role.refresh_from_db()
    assert role.code == "qa"
    assert role.data_scope == "department"
    assert list(role.permissions.all()) == [view_user]


@pytest.mark.django_db
def test_duplicate_role_code_is_refused(admin_client, mgr_agent_role):
    data = {"code": mgr_agent_role.code, "name": "重复", "data_scope": "own"}
    response = admin_client.post(reverse("web:role_create"), data)
    assert "is taken" in response.content.decode()
    assert Role.objects.filter(code=mgr_agent_role.code).count() == 1


# --- custom fields ------------------------------------------------------------


def _custom_field_data(**overrides):
    content_type = ContentType.objects.get_for_model(SampleRecord)
    data = {
        "content_type": content_type.pk,
        "name": "vip_level",
        "label": "会员等级",
        "label_en": "VIP level",
        "field_type": "choice",
        "choices": "Gold\nSilver\n\nGold",
        "position": 10,
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_admin_creates_custom_field(admin_client, mgr_agent_role):
    data = _custom_field_data(required="on", editable_by_roles=[mgr_agent_role.pk])
    response = admin_client.post(reverse("web:customfield_create"), data)
    assert response.status_code == 302
    field = CustomField.objects.get(name="vip_level")
    assert field.choices == ["Gold", "Silver"]
    assert field.required
    assert list(field.editable_by_roles.all()) == [mgr_agent_role]
    assert (
        'data-name="vip_level"'
        in admin_client.get(reverse("web:customfield_list")).content.decode()
    )


@pytest.mark.django_db
def test_invalid_custom_field_is_not_created(admin_client):
    response = admin_client.post(reverse("web:customfield_create"), _custom_field_data(choices=""))
    body = response.content.decode()
    assert response.status_code == 200
    assert "List at least one choice." in body
    assert 'value="vip_level"' in body
    assert not CustomField.objects.exists()


@pytest.mark.django_db
def test_custom_field_bad_pattern_and_duplicate(admin_client):
    data = _custom_field_data(field_type="text", choices="", pattern="[unclosed")
    body = admin_client.post(reverse("web:customfield_create"), data).content.decode()
    assert "Not a valid pattern" in body
    assert not CustomField.objects.exists()

    admin_client.post(reverse("web:customfield_create"), _custom_field_data())
    body = admin_client.post(
        reverse("web:customfield_create"), _custom_field_data()
    ).content.decode()
    assert 'class="form-errors"' in body
    assert CustomField.objects.count() == 1


@pytest.mark.django_db
def test_custom_field_content_type_is_limited(admin_client):
    user_type = ContentType.objects.get_for_model(User)
    response = admin_client.post(
        reverse("web:customfield_create"), _custom_field_data(content_type=user_type.pk)
    )
    assert 'class="field-error"' in response.content.decode()
    assert not CustomField.objects.exists()


@pytest.mark.django_db
def test_custom_field_edit_and_delete(admin_client):
    admin_client.post(reverse("web:customfield_create"), _custom_field_data())
    field = CustomField.objects.get()
    data = _custom_field_data(name="renamed", label="等级", choices="Gold\nBronze")
    admin_client.post(reverse("web:customfield_edit", args=[field.pk]), data)
    field.refresh_from_db()
    assert field.name == "vip_level"
    assert field.label == "等级"
    assert field.choices == ["Gold", "Bronze"]

    admin_client.post(reverse("web:customfield_delete", args=[field.pk]))
    assert not CustomField.objects.exists()


# --- logs -----------------------------------------------------------------------


@pytest.mark.django_db
def test_audit_log_filters(admin_client, mgr_client, mgr_agent):
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    other.post(reverse("web:login"), {"username": "agent7", "password": "wrong"})
    url = reverse("web:audit_list")
    body = admin_client.get(url, {"action": "login_failed"}).content.decode()
    assert 'data-action="login_failed"' in body
    assert "agent7" in body
    body = admin_client.get(url, {"action": "login_failed", "username": "nobody"}).content
    assert b'data-action="login_failed"' not in body


@pytest.mark.django_db
def test_change_history_shows_old_and_new(admin_client, mgr_agent):
    admin_client.post(
        reverse("web:user_edit", args=[mgr_agent.pk]),
        {"full_name": "Wang Xiaofang", "is_active": "on", "language": "en"},
    )
    url = reverse("web:change_list")
    content_type = ContentType.objects.get_for_model(User)
    body = admin_client.get(
        url, {"content_type": content_type.pk, "action": "update", "q": "Wang"}
    ).content.decode()
    assert 'data-field="full_name"' in body
    assert "Wang Fang" in body and "Wang Xiaofang" in body
    assert "Zhao Min" in body  # the actor


@pytest.mark.django_db
def test_change_history_names_related_records(admin_client, mgr_agent):
    department = _department("Complaints desk")
    admin_client.post(
        reverse("web:user_edit", args=[mgr_agent.pk]),
        {"full_name": "Wang Fang", "department": department.pk, "is_active": "on"},
    )
    body = admin_client.get(reverse("web:change_list"), {"action": "update"}).content.decode()
    assert 'data-field="department"' in body
    assert "Complaints desk" in body


@pytest.mark.django_db
def test_logs_paginate(admin_client, mgr_admin):
    AuditEvent.objects.bulk_create(
        AuditEvent(action=AuditEvent.Action.LOGOUT, username="boss") for _ in range(60)
    )
    body = admin_client.get(reverse("web:audit_list")).content.decode()
    assert "Page 1 of 2" in body
    body = admin_client.get(reverse("web:audit_list"), {"page": 2}).content.decode()
    assert "Page 2 of 2" in body
