"""Login, home, language, errors and the "My account" page."""

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.test import Client
from django.urls import reverse

from hotline.accounts.models import ApiToken, AuditEvent, Department, Role, Team, User

PASSWORD = "Quiet-Harbour-42"


def _permissions(*names):
    condition = Q(pk__in=[])
    for name in names:
        app_label, codename = name.split(".")
        condition |= Q(content_type__app_label=app_label, codename=codename)
    return Permission.objects.filter(condition)


def _make_user(username, *perms, scope="own", **fields):
    user = User.objects.create_user(username=username, password=PASSWORD, **fields)
    if perms:
        role = Role.objects.create(
            code=f"{username}-role", name=f"{username} 角色", data_scope=scope
        )
        role.permissions.set(_permissions(*perms))
        user.roles.add(role)
    return user


@pytest.fixture
def en_client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def view_agent(db):
    department = Department.objects.create(name="Service", path="")
    department.path = f"/{department.pk}/"
    department.save()
    team = Team.objects.create(name="Day shift", department=department)
    return _make_user(
        "agent1",
        "accounts.view_apitoken",
        full_name="Li Lei",
        language="en",
        department=department,
        team=team,
    )


@pytest.fixture
def view_token_user(db):
    return _make_user("apiuser", "accounts.add_apitoken", "accounts.view_apitoken", language="en")


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- login -------------------------------------------------------------------


@pytest.mark.django_db
def test_login_page_renders_without_menu(en_client):
    response = en_client.get(reverse("web:login"))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="login-form"' in body
    assert 'id="id_username"' in body and 'id="id_password"' in body
    assert 'name="next"' in body
    assert 'id="language-switch"' in body
    assert 'id="menu"' not in body


@pytest.mark.django_db
def test_wrong_password_shows_error_and_does_not_log_in(en_client, view_agent):
    response = en_client.post(
        reverse("web:login"), {"username": "agent1", "password": "wrong-password"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'class="form-errors" role="alert"' in body
    assert "correct username and password" in body
    assert not _logged_in(en_client)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED).count() == 1


@pytest.mark.django_db
def test_successful_login_redirects_home(en_client, view_agent):
    response = en_client.post(reverse("web:login"), {"username": "agent1", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert _logged_in(en_client)
    home = en_client.get("/")
    assert "Li Lei" in home.content.decode()


@pytest.mark.django_db
def test_login_follows_safe_next_only(en_client, view_agent):
    data = {"username": "agent1", "password": PASSWORD, "next": "https://evil.example/"}
    response = en_client.post(reverse("web:login"), data)
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_throttle_refuses_even_the_right_password(en_client, view_agent):
    for _attempt in range(settings.LOGIN_FAILURE_LIMIT):
        en_client.post(reverse("web:login"), {"username": "agent1", "password": "nope"})
    response = en_client.post(reverse("web:login"), {"username": "agent1", "password": PASSWORD})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Too many failed logins" in body
    assert 'class="form-errors"' in body
    assert not _logged_in(en_client)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_THROTTLED).exists()


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(en_client):
    response = en_client.get(reverse("web:account"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


@pytest.mark.django_db
def test_logout_is_a_post(en_client, view_agent):
    en_client.force_login(view_agent)
    assert en_client.get(reverse("web:logout")).status_code == 405
    response = en_client.post(reverse("web:logout"))
    assert response.status_code == 302
    assert not _logged_in(en_client)


# --- home and layout --------------------------------------------------------


@pytest.mark.django_db
def test_home_shows_roles_department_team_and_scope(en_client, view_agent):
    en_client.force_login(view_agent)
    body = en_client.get("/").content.decode()
    assert '<nav id="menu"' in body
    assert 'data-section="workbench"' in body
    assert 'data-section="administration"' not in body
    assert "agent1 角色" in body
    assert "Service" in body and "Day shift" in body
    assert "Own records" in body
    assert 'id="logout-form"' in body
    assert 'id="language-switch"' in body
    assert "htmx" in body


@pytest.mark.django_db
def test_not_found_page(en_client, view_agent):
    en_client.force_login(view_agent)
    response = en_client.get("/no-such-page/")
    assert response.status_code == 404
    assert 'id="not-found"' in response.content.decode()


# --- language -----------------------------------------------------------------


@pytest.mark.django_db
def test_language_switch_persists_to_user(en_client, view_agent):
    en_client.force_login(view_agent)
    response = en_client.post(
        reverse("web:set_language"), {"language": "zh-hans", "next": "/account/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/account/"
    view_agent.refresh_from_db()
    assert view_agent.language == "zh-hans"
    assert '<html lang="zh-hans">' in en_client.get("/").content.decode()

    en_client.post(reverse("web:set_language"), {"language": "en", "next": "/"})
    view_agent.refresh_from_db()
    assert view_agent.language == "en"
    assert '<html lang="en">' in en_client.get("/").content.decode()


@pytest.mark.django_db
def test_language_switch_on_login_page_uses_session(en_client):
    en_client.post(reverse("web:set_language"), {"language": "zh-hans", "next": "/login/"})
    assert '<html lang="zh-hans">' in en_client.get("/login/").content.decode()


@pytest.mark.django_db
def test_unknown_language_is_refused(en_client, view_agent):
    en_client.force_login(view_agent)
    response = en_client.post(reverse("web:set_language"), {"language": "xx", "next": "/"})
    assert response.status_code == 302
    view_agent.refresh_from_db()
    assert view_agent.language == "en"


@pytest.mark.django_db
def test_account_language_form(en_client, view_agent):
    en_client.force_login(view_agent)
    response = en_client.post(reverse("web:account_language"), {"language": "zh-hans"})
    assert response.status_code == 302
    view_agent.refresh_from_db()
    assert view_agent.language == "zh-hans"


# --- my account: password -----------------------------------------------------


@pytest.mark.django_db
def test_own_password_change_needs_current_password(en_client, view_agent):
    en_client.force_login(view_agent)
    data = {
        "current_password": "not-it",
        "new_password1": "Brand-New-Pass-77",
        "new_password2": "Brand-New-Pass-77",
    }
    response = en_client.post(reverse("web:account_password"), data)
    assert "Your current password is not correct." in response.content.decode()
    view_agent.refresh_from_db()
    assert view_agent.check_password(PASSWORD)


@pytest.mark.django_db
def test_own_password_change_keeps_session(en_client, view_agent):
    en_client.force_login(view_agent)
    data = {
        "current_password": PASSWORD,
        "new_password1": "Brand-New-Pass-77",
        "new_password2": "Brand-New-Pass-77",
    }
    response = en_client.post(reverse("web:account_password"), data)
    assert response.status_code == 302
    view_agent.refresh_from_db()
    assert view_agent.check_password("Brand-New-Pass-77")
    assert en_client.get(reverse("web:account")).status_code == 200
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PASSWORD_CHANGED).exists()


@pytest.mark.django_db
def test_weak_new_password_is_refused_by_the_service(en_client, view_agent):
    en_client.force_login(view_agent)
    data = {"current_password": PASSWORD, "new_password1": "123", "new_password2": "123"}
    body = en_client.post(reverse("web:account_password"), data).content.decode()
    assert 'class="field-error"' in body
    assert "too short" in body
    view_agent.refresh_from_db()
    assert view_agent.check_password(PASSWORD)


# --- my account: API tokens ---------------------------------------------------


@pytest.mark.django_db
def test_token_key_shown_once_and_revoked(en_client, view_token_user):
    en_client.force_login(view_token_user)
    page = en_client.get(reverse("web:account")).content.decode()
    assert 'id="token-create-form"' in page

    response = en_client.post(reverse("web:account_token_create"), {"name": "CRM sync"})
    body = response.content.decode()
    token = ApiToken.objects.get(user=view_token_user)
    key = body.split('id="new-token-key">', 1)[1].split("<", 1)[0]
    assert key.startswith("hl_")
    assert ApiToken.hash_key(key) == token.key_hash
    assert "shown only this once" in body

    again = en_client.get(reverse("web:account")).content.decode()
    assert key not in again
    assert "CRM sync" in again

    response = en_client.post(reverse("web:account_token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


@pytest.mark.django_db
def test_token_revoke_with_htmx_returns_the_row(en_client, view_token_user):
    en_client.force_login(view_token_user)
    en_client.post(reverse("web:account_token_create"), {"name": "Robot"})
    token = ApiToken.objects.get(user=view_token_user)
    response = en_client.post(
        reverse("web:account_token_revoke", args=[token.pk]),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"token-{token.pk}",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.startswith(f'<tr id="token-{token.pk}"')
    assert "Revoked" in body


@pytest.mark.django_db
def test_others_tokens_cannot_be_revoked(en_client, view_token_user, view_agent):
    en_client.force_login(view_token_user)
    en_client.post(reverse("web:account_token_create"), {"name": "Mine"})
    token = ApiToken.objects.get(user=view_token_user)
    en_client.force_login(view_agent)
    response = en_client.post(reverse("web:account_token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.django_db
def test_token_create_hidden_without_permission(en_client, view_agent):
    en_client.force_login(view_agent)
    page = en_client.get(reverse("web:account")).content.decode()
    assert 'id="token-create-form"' not in page
    response = en_client.post(reverse("web:account_token_create"), {"name": "Sneaky"})
    assert "You do not have the permission" in response.content.decode()
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_token_name_required(en_client, view_token_user):
    en_client.force_login(view_token_user)
    response = en_client.post(reverse("web:account_token_create"), {"name": ""})
    assert 'class="field-error"' in response.content.decode()
    assert not ApiToken.objects.exists()
