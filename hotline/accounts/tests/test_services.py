"""ADM-1/2: the organisation tree, teams, roles and users, changed only by
those allowed to, with clear refusals that change nothing."""

import pytest

from hotline.accounts import services
from hotline.accounts.models import Department, User
from hotline.core.exceptions import Conflict, InvalidData, NotAllowed

pytestmark = pytest.mark.django_db


def test_department_paths_follow_the_tree(sample_org):
    org = sample_org
    assert org.sales_north.path == f"/{org.hq.pk}/{org.sales.pk}/{org.sales_north.pk}/"
    assert set(org.sales.subtree()) == {org.sales, org.sales_north}


def test_moving_a_department_moves_its_subtree(sample_org):
    org = sample_org
    services.department_update(actor=org.admin, department=org.sales, parent=org.service)
    org.sales_north.refresh_from_db()
    assert org.sales_north.path == (
        f"/{org.hq.pk}/{org.service.pk}/{org.sales.pk}/{org.sales_north.pk}/"
    )
    # The head of Service now covers Sales' agents too.
    assert org.agent_b1.pk in User.objects.filter(
        department_id__in=org.service.subtree().values("pk")
    ).values_list("pk", flat=True)


def test_department_cannot_move_under_its_own_subtree(sample_org):
    org = sample_org
    with pytest.raises(Conflict):
        services.department_update(actor=org.admin, department=org.sales, parent=org.sales_north)
    org.sales.refresh_from_db()
    assert org.sales.parent == org.hq


def test_department_with_members_cannot_be_deleted(sample_org):
    with pytest.raises(Conflict):
        services.department_delete(actor=sample_org.admin, department=sample_org.sales)
    assert Department.objects.filter(pk=sample_org.sales.pk).exists()


def test_agent_cannot_change_the_organisation(sample_org):
    with pytest.raises(NotAllowed):
        services.department_create(actor=sample_org.agent_a1, name="Rogue")
    with pytest.raises(NotAllowed):
        services.role_update(actor=sample_org.agent_a1, role=sample_org.roles["agent"], name="x")
    assert not Department.objects.filter(name="Rogue").exists()


def test_lead_cannot_grant_a_role_with_scope_all(sample_org):
    with pytest.raises(NotAllowed):
        services.user_set_roles(
            actor=sample_org.lead_a, user=sample_org.agent_a1, roles=[sample_org.roles["admin"]]
        )
    assert list(sample_org.agent_a1.roles.values_list("code", flat=True)) == ["agent"]


def test_team_must_belong_to_the_users_department(sample_org):
    with pytest.raises(InvalidData):
        services.user_create(
            actor=sample_org.admin,
            username="mixed",
            password="very-long-pass-1",
            department=sample_org.service,
            team=sample_org.team_a,
        )
    assert not User.objects.filter(username="mixed").exists()


def test_admin_cannot_deactivate_themselves(sample_org):
    with pytest.raises(Conflict):
        services.user_update(actor=sample_org.admin, user=sample_org.admin, is_active=False)


def test_role_permissions_change_is_logged_and_takes_effect(sample_org):
    org = sample_org
    agent = org.agent_a1
    assert not agent.has_perm("accounts.view_team")
    perms = services.permissions_from_names(["accounts.view_team"])
    services.role_update(
        actor=org.admin,
        role=org.roles["agent"],
        permissions=[*org.roles["agent"].permissions.all(), *perms],
    )
    agent = User.objects.get(pk=agent.pk)
    assert agent.has_perm("accounts.view_team")
    change = org.roles["agent"].change_history().first()
    assert "view_team" in change.changes["permissions"][1]


def test_unknown_permission_names_are_refused():
    with pytest.raises(InvalidData):
        services.permissions_from_names(["accounts.fly_to_moon"])
