from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from hotline.accounts.models import AuditEvent


@task()
def audit_log_prune(keep_days: int = 365) -> int:
    """Delete audit events older than ``keep_days``; returns how many went."""
    cutoff = timezone.now() - timedelta(days=keep_days)
    deleted, _by_model = AuditEvent.objects.filter(at__lt=cutoff).delete()
    return deleted
