"""The task queue: Django's tasks API on the database backend, run by the
worker command that `make run` starts."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from django_tasks import TaskResultStatus

from hotline.accounts.models import AuditEvent
from hotline.accounts.tasks import audit_log_prune

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DB_TASKS)
def test_task_waits_in_the_database_until_the_worker_runs_it(settings):
    old = AuditEvent.objects.create(action="login", username="old")
    AuditEvent.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=400))
    AuditEvent.objects.create(action="login", username="recent")

    result = audit_log_prune.enqueue(keep_days=365)
    assert result.status == TaskResultStatus.READY
    assert AuditEvent.objects.filter(username="old").exists()

    call_command("db_worker", batch=True, startup_delay=False, reload=False, interval=0)

    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 1
    assert list(AuditEvent.objects.values_list("username", flat=True)) == ["recent"]
