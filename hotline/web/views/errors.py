import logging

from django.shortcuts import render

from hotline.accounts.audit import audit_record
from hotline.accounts.models import AuditEvent

logger = logging.getLogger(__name__)


def _audit_refusal(request, reason: str) -> None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return
    try:
        audit_record(
            action=AuditEvent.Action.PERMISSION_DENIED,
            actor=user,
            request=request,
            object_repr=request.path,
            detail={"reason": reason, "method": request.method},
        )
    except Exception:
        logger.exception("Could not record a refusal of %s", request.path)


def forbidden(request, exception=None):
    reason = str(exception) if exception and str(exception) else ""
    _audit_refusal(request, reason)
    return render(request, "web/errors/403.html", {"reason": reason}, status=403)


def not_found(request, exception=None):
    return render(request, "web/errors/404.html", status=404)
