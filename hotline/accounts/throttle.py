"""Login throttling from the audit log: after LOGIN_FAILURE_LIMIT failures
for a user name (or four times as many from one address) within the window,
since the last success, further attempts are refused until the window passes."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone


def _window_start():
    return timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)


def _failures_since_success(**match) -> int:
    from hotline.accounts.models import AuditEvent

    since = _window_start()
    last_success = AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN, **match).aggregate(
        at=Max("at")
    )["at"]
    if last_success and last_success > since:
        since = last_success
    return AuditEvent.objects.filter(
        action=AuditEvent.Action.LOGIN_FAILED, at__gt=since, **match
    ).count()


def login_is_throttled(*, username: str, request=None) -> bool:
    limit = settings.LOGIN_FAILURE_LIMIT
    if _failures_since_success(username=username.strip().lower()) >= limit:
        return True
    address = request.META.get("REMOTE_ADDR") if request is not None else None
    return bool(address) and _failures_since_success(remote_addr=address) >= limit * 4


def throttle_minutes() -> int:
    return max(1, settings.LOGIN_FAILURE_WINDOW_SECONDS // 60)
