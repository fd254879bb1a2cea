"""The audit log of logins, failed logins and logouts, wherever they happen
(web login, administration site, API); other entries come from services."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from hotline.accounts.models import AuditEvent
from hotline.core.context import current_actor, current_remote_addr


def audit_record(
    *,
    action: str,
    actor=None,
    username: str = "",
    request=None,
    object_repr: str = "",
    detail: dict | None = None,
) -> AuditEvent:
    actor = actor or current_actor()
    if actor is not None and not username:
        username = actor.get_username()
    meta = request.META if request is not None else {}
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        username=username.strip().lower()[:150],
        remote_addr=meta.get("REMOTE_ADDR") or current_remote_addr(),
        user_agent=meta.get("HTTP_USER_AGENT", "")[:300],
        object_repr=str(object_repr)[:200],
        detail=detail or {},
    )


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    audit_record(action=AuditEvent.Action.LOGIN, actor=user, request=request)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(action=AuditEvent.Action.LOGOUT, actor=user, request=request)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    from hotline.accounts.throttle import login_is_throttled

    username = credentials.get("username", "") or ""
    throttled = login_is_throttled(username=username, request=request)
    action = AuditEvent.Action.LOGIN_THROTTLED if throttled else AuditEvent.Action.LOGIN_FAILED
    audit_record(action=action, username=username, request=request)
