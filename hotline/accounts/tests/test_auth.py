"""Logins: Argon2 hashes, audit of logins/failures/logouts, throttling."""

import pytest
from django.contrib.auth import authenticate
from django.test import override_settings

from config import settings as production_settings
from hotline.accounts.models import AuditEvent

pytestmark = pytest.mark.django_db


@override_settings(PASSWORD_HASHERS=production_settings.PASSWORD_HASHERS)
def test_passwords_are_hashed_with_argon2(make_user):
    user = make_user("hashed", password="correct-horse-7")
    user.set_password("correct-horse-7")
    assert user.password.startswith("argon2$")
    assert user.check_password("correct-horse-7")


def test_login_logout_and_failure_are_audited(client, make_user):
    make_user("alice", password="right-password-1")
    assert not client.login(username="alice", password="wrong")
    assert client.login(username="alice", password="right-password-1")
    client.post("/logout/")
    actions = list(
        AuditEvent.objects.filter(username="alice").order_by("id").values_list("action", flat=True)
    )
    assert actions == ["login_failed", "login", "logout"]


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_login_is_refused_after_repeated_failures(make_user):
    make_user("bob", password="right-password-1")
    for _attempt in range(3):
        assert authenticate(username="bob", password="nope") is None
    # Even the right password is refused while throttled, and that is audited.
    assert authenticate(username="bob", password="right-password-1") is None
    assert AuditEvent.objects.filter(username="bob", action="login_throttled").count() == 1


@override_settings(LOGIN_FAILURE_LIMIT=3, LOGIN_FAILURE_WINDOW_SECONDS=60)
def test_throttle_ends_with_the_window(make_user):
    from datetime import timedelta

    from django.utils import timezone

    make_user("carol", password="right-password-1")
    for _attempt in range(3):
        authenticate(username="carol", password="nope")
    AuditEvent.objects.filter(username="carol").update(at=timezone.now() - timedelta(minutes=2))
    assert authenticate(username="carol", password="right-password-1") is not None


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_success_resets_the_failure_count(make_user):
    make_user("dave", password="right-password-1")
    for _attempt in range(2):
        authenticate(username="dave", password="nope")
    assert authenticate(username="dave", password="right-password-1") is not None
    AuditEvent.objects.create(action="login", username="dave")  # what login() records
    for _attempt in range(2):
        authenticate(username="dave", password="nope")
    assert authenticate(username="dave", password="right-password-1") is not None


def test_inactive_user_cannot_log_in(client, make_user):
    user = make_user("erin", password="right-password-1")
    user.is_active = False
    user.save()
    assert not client.login(username="erin", password="right-password-1")
