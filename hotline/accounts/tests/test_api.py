"""The API: tokens (created, used, revoked → 401), one error format, 403
with a reason, user management through the API within permissions."""

import pytest

from hotline.accounts.models import ApiToken, AuditEvent, User

pytestmark = pytest.mark.django_db


def bearer(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_token_created_used_and_revoked(client, sample_org):
    client.force_login(sample_org.lead_a)
    created = client.post("/api/accounts/tokens", {"name": "crm"}, content_type="application/json")
    assert created.status_code == 201
    key = created.json()["key"]
    token = ApiToken.objects.get(pk=created.json()["id"])
    assert key.startswith("hl_") and token.key_hash != key and key not in token.key_hash

    client.logout()
    me = client.get("/api/accounts/me", **bearer(key))
    assert me.status_code == 200
    assert me.json()["username"] == "lead_a"

    client.force_login(sample_org.lead_a)
    assert client.delete(f"/api/accounts/tokens/{token.pk}").status_code == 200
    client.logout()

    refused = client.get("/api/accounts/me", **bearer(key))
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthenticated"
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"token_created", "token_revoked"} <= actions


def test_wrong_or_malformed_token_is_401(client):
    for key in ("hl_nothere_abc", "garbage", "hl_"):
        response = client.get("/api/accounts/me", **bearer(key))
        assert response.status_code == 401


def test_expired_token_is_refused(client, sample_org):
    from datetime import timedelta

    from django.utils import timezone

    from hotline.accounts.services import api_token_create

    token, key = api_token_create(user=sample_org.lead_a, name="short")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/accounts/me", **bearer(key)).status_code == 401


def test_anonymous_request_is_401_in_the_common_format(client):
    response = client.get("/api/accounts/users")
    assert response.status_code == 401
    assert set(response.json()["error"]) == {"code", "message", "details"}


def test_agent_cannot_create_users_and_gets_a_reason(client, sample_org):
    client.force_login(sample_org.agent_a1)
    response = client.post(
        "/api/accounts/users",
        {"username": "mallory", "password": "very-long-pass-1"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert "permission" in response.json()["error"]["message"].lower()
    assert not User.objects.filter(username="mallory").exists()


def test_agent_cannot_make_tokens_without_permission(client, sample_org):
    client.force_login(sample_org.agent_a1)
    response = client.post("/api/accounts/tokens", {"name": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_admin_creates_user_with_roles(client, sample_org):
    client.force_login(sample_org.admin)
    response = client.post(
        "/api/accounts/users",
        {
            "username": "newbie",
            "password": "very-long-pass-1",
            "full_name": "新人",
            "team_id": sample_org.team_a.pk,
            "department_id": sample_org.sales.pk,
            "roles": ["agent"],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["roles"] == ["agent"]
    assert User.objects.get(username="newbie").check_password("very-long-pass-1")


def test_bad_input_is_422_and_changes_nothing(client, sample_org):
    client.force_login(sample_org.admin)
    before = User.objects.count()
    cases = [
        {"username": "x", "password": "123"},  # weak password
        {"username": "y", "password": "very-long-pass-1", "roles": ["nosuchrole"]},
        {"username": "z", "password": "very-long-pass-1", "unexpected": True},
        {"username": "w", "password": "very-long-pass-1", "department_id": 99999},
    ]
    for payload in cases:
        response = client.post("/api/accounts/users", payload, content_type="application/json")
        assert response.status_code == 422, (payload, response.content)
        assert response.json()["error"]["message"]
    assert User.objects.count() == before


def test_duplicate_username_is_409(client, sample_org):
    client.force_login(sample_org.admin)
    response = client.post(
        "/api/accounts/users",
        {"username": "AGENT_A1", "password": "very-long-pass-1"},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


def test_lead_lists_only_users_in_scope(client, sample_org):
    client.force_login(sample_org.lead_a)
    names = {row["username"] for row in client.get("/api/accounts/users").json()}
    assert names == {"agent_a1", "agent_a2", "lead_a"}


def test_openapi_docs_are_served(client):
    assert client.get("/api/openapi.json").status_code == 200
    assert client.get("/api/docs").status_code == 200


def test_session_api_writes_need_csrf(sample_org):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(sample_org.admin)
    response = csrf_client.post(
        "/api/accounts/departments", {"name": "X"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
