"""ADM-3: data scope on a sample model — own, team, department (with
sub-departments), all — through the ORM and the HTTP API."""

import pytest

from hotline.accounts.services import api_token_create
from hotline.core.tests.sampleapp.models import SampleRecord

pytestmark = pytest.mark.django_db


def visible_titles(user):
    return sorted(SampleRecord.objects.restrict(user, "view").values_list("title", flat=True))


def test_agent_sees_only_own_rows(records, sample_org):
    assert visible_titles(sample_org.agent_a1) == ["of agent_a1"]


def test_lead_sees_their_teams_rows(records, sample_org):
    assert visible_titles(sample_org.lead_a) == ["of agent_a1", "of agent_a2", "of lead_a"]


def test_department_head_sees_department_and_sub_departments(records, sample_org):
    # Sales holds team_a (agent_a1, agent_a2, lead_a) and head_sales;
    # Sales-North (a sub-department) holds agent_b1. Service is outside.
    assert visible_titles(sample_org.head_sales) == [
        "of agent_a1",
        "of agent_a2",
        "of agent_b1",
        "of head_sales",
        "of lead_a",
    ]


def test_admin_sees_all_rows_including_unowned(records, sample_org):
    assert len(visible_titles(sample_org.admin)) == len(records)


def test_user_without_permission_sees_nothing(records, make_user):
    nobody = make_user("no_roles")
    assert visible_titles(nobody) == []


def test_inactive_user_sees_nothing(records, sample_org):
    sample_org.admin.is_active = False
    assert visible_titles(sample_org.admin) == []


def test_widest_scope_of_several_roles_wins(records, sample_org):
    agent = sample_org.agent_a1
    agent.roles.add(sample_org.roles["lead"])
    agent.forget_permissions()
    assert "of agent_a2" in visible_titles(agent)


def test_action_needs_its_own_permission(records, sample_org):
    # Agents may view and change but were not given delete.
    agent = sample_org.agent_a1
    assert SampleRecord.objects.restrict(agent, "change").count() == 1
    assert SampleRecord.objects.restrict(agent, "delete").count() == 0


def _api_titles(client, **headers):
    response = client.get("/api/sampleapp/records", **headers)
    assert response.status_code == 200, response.content
    return sorted(row["title"] for row in response.json())


def test_scope_holds_through_the_api_with_session(client, records, sample_org):
    client.force_login(sample_org.lead_a)
    assert _api_titles(client) == ["of agent_a1", "of agent_a2", "of lead_a"]


def test_scope_holds_through_the_api_with_token(client, records, sample_org):
    _token, key = api_token_create(user=sample_org.lead_a, name="crm")
    titles = _api_titles(client, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert titles == ["of agent_a1", "of agent_a2", "of lead_a"]


def test_row_outside_scope_is_not_found_through_the_api(client, records, sample_org):
    client.force_login(sample_org.agent_a1)
    other = records["agent_c1"]
    response = client.get(f"/api/sampleapp/records/{other.pk}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_create_without_permission_is_refused_with_reason(client, records, make_user):
    client.force_login(make_user("visitor"))
    before = SampleRecord.objects.count()
    response = client.post(
        "/api/sampleapp/records", {"title": "x"}, content_type="application/json"
    )
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "forbidden"
    assert "permission" in error["message"].lower()
    assert SampleRecord.objects.count() == before
