from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.management import call_command

from hotline.accounts.management.commands.demo_data import DEPARTMENTS, TEAMS, USERS
from hotline.accounts.models import Department, Role, Team, User
from hotline.accounts.roles import ROLES, resolve_permissions, role_permission_names, roles_sync
from hotline.core.scope import DataScope

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_demo_data_twice_creates_everything_once():
    run("demo_data")
    output = run("demo_data")

    assert "already in place" in output
    assert Department.objects.count() == len(DEPARTMENTS)
    assert Team.objects.count() == len(TEAMS)
    assert User.objects.count() == len(USERS)
    assert Role.objects.count() == len(ROLES)
    for spec in USERS:
        user = User.objects.get(username=spec.username)
        assert list(user.roles.values_list("code", flat=True)) == [spec.role]
        assert user.full_name == spec.full_name
        assert not user.is_superuser


def test_every_role_has_a_demo_user():
    assert {spec.role for spec in USERS} == set(ROLES)


def test_demo_logins_are_printed():
    output = run("demo_data")
    for spec in USERS:
        assert spec.username in output
    assert settings.HOTLINE["DEMO_PASSWORD"] in output
    assert run("demo_data", "--list") == run("demo_data", "--list")


def test_agent_can_log_in_with_agent_permissions(client):
    run("demo_data")
    agent = User.objects.get(username="agent1")

    assert client.login(username="agent1", password=settings.HOTLINE["DEMO_PASSWORD"])
    assert agent.has_perm("sampleapp.view_samplerecord")
    assert agent.data_scope("sampleapp.view_samplerecord") == DataScope.OWN
    assert not agent.has_perm("accounts.view_administration")
    assert not agent.has_perm("accounts.view_user")
    assert agent.team.name == "销售一组"
    assert agent.department.name == "销售中心"


def test_admin_is_a_role_not_a_superuser():
    run("demo_data")
    admin = User.objects.get(username="admin")

    assert not admin.is_superuser
    assert admin.has_perm("accounts.view_administration")
    assert admin.has_perm("accounts.change_role")
    assert admin.data_scope("accounts.view_user") == DataScope.ALL
    assert admin.department.name == "总部"


def test_department_tree_paths():
    run("demo_data")
    hq = Department.objects.get(name="总部")
    sales = Department.objects.get(name="销售中心")

    assert hq.parent is None
    assert hq.path == f"/{hq.pk}/"
    for department in Department.objects.exclude(pk=hq.pk):
        assert department.parent == hq
        assert department.path == f"/{hq.pk}/{department.pk}/"
    assert set(hq.subtree()) == set(Department.objects.all())
    assert set(Team.objects.filter(department=sales).values_list("name", flat=True)) == {
        "销售一组",
        "销售二组",
    }


def test_leads_and_heads():
    run("demo_data")
    lead, head = User.objects.get(username="lead1"), User.objects.get(username="head1")
    agent3 = User.objects.get(username="agent3")

    assert Team.objects.get(name="销售一组").lead == lead
    assert Department.objects.get(name="销售中心").head == head
    assert lead.data_scope("accounts.view_user") == DataScope.TEAM
    assert head.data_scope("accounts.view_user") == DataScope.DEPARTMENT
    visible_to_lead = set(User.objects.restrict(lead, "view").values_list("username", flat=True))
    assert visible_to_lead == {"lead1", "agent1", "agent2"}
    assert agent3 in User.objects.restrict(head, "view")


def test_roles_sync_keeps_permissions_granted_by_hand():
    role = roles_sync().roles["qa"]
    extra = Permission.objects.get(content_type__app_label="accounts", codename="view_team")
    role.permissions.add(extra)
    role.data_scope = DataScope.ALL
    role.save()

    result = roles_sync()

    assert result.created == []
    assert result.added == {}
    role.refresh_from_db()
    assert extra in role.permissions.all()
    assert role.data_scope == DataScope.ALL


def test_roles_sync_adds_missing_and_reset_restores_catalogue():
    role = roles_sync().roles["lead"]
    role.permissions.clear()
    extra = Permission.objects.get(content_type__app_label="accounts", codename="view_team")
    role.permissions.add(extra)

    wanted, _missing = resolve_permissions(role_permission_names("lead"))
    catalogue = sorted(f"{p.content_type.app_label}.{p.codename}" for p in wanted)
    assert roles_sync().added["lead"] == catalogue
    assert extra in role.permissions.all()

    roles_sync(reset=True)
    names = {f"{p.content_type.app_label}.{p.codename}" for p in role.permissions.all()}
    assert names == set(catalogue)


def test_roles_sync_skips_apps_not_installed(monkeypatch):
    from hotline.accounts import roles as catalogue

    agent = catalogue.ROLES["agent"]
    monkeypatch.setitem(
        catalogue.ROLES,
        "agent",
        catalogue.RoleSpec(
            code="agent",
            name=agent.name,
            name_en=agent.name_en,
            data_scope=agent.data_scope,
            permissions=(*agent.permissions, "notinstalled.view_thing"),
        ),
    )
    result = roles_sync()

    assert "notinstalled.view_thing" in result.skipped


def test_roles_sync_refuses_unknown_permission_of_installed_app(monkeypatch):
    from hotline.accounts import roles as catalogue

    monkeypatch.setitem(
        catalogue.ROLES,
        "qa",
        catalogue.RoleSpec("qa", "质检", "QA", DataScope.DEPARTMENT, ("accounts.fly_user",)),
    )
    with pytest.raises(LookupError, match=r"accounts\.fly_user"):
        roles_sync()


def test_roles_sync_merges_grants_of_other_apps(monkeypatch):
    from hotline.accounts import roles as catalogue

    monkeypatch.setattr(catalogue, "app_grants", lambda: {"qa": ["accounts.view_team"]})
    role = roles_sync().roles["qa"]

    assert role.permissions.filter(codename="view_team").exists()

    monkeypatch.setattr(catalogue, "app_grants", lambda: {"nobody": ["accounts.view_team"]})
    with pytest.raises(LookupError, match="nobody"):
        roles_sync()


def test_admin_gets_every_accounts_and_core_permission():
    role = roles_sync().roles["admin"]
    expected = set(
        Permission.objects.filter(content_type__app_label__in=["accounts", "core"]).values_list(
            "pk", flat=True
        )
    )
    assert expected <= set(role.permissions.values_list("pk", flat=True))


def test_org_fixture(org):
    assert org.sales_north.path == f"/{org.hq.pk}/{org.sales.pk}/{org.sales_north.pk}/"
    assert org.agent_b1.department == org.sales_north
    assert org.team_a.lead == org.lead_a
    assert org.sales.head == org.head_sales
    assert set(org.head_sales.scope_department_ids()) == {org.sales.pk, org.sales_north.pk}
