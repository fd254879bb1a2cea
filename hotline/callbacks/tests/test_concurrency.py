"""Two allocation workers at once (CB-3): on PostgreSQL each locks the
pending callbacks it takes with FOR UPDATE SKIP LOCKED, so every callback is
assigned exactly once however the workers interleave. Every assignment
writes a status history row, so a double assignment would show as two rows."""

import threading

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from hotline.callbacks.models import CallbackTask, CallbackTransition
from hotline.callbacks.services.allocation import callbacks_allocate
from hotline.callbacks.tests.factories import make_rule

TASKS = 200

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks under real concurrency need PostgreSQL"
)


@pytest.mark.django_db(transaction=True)
def test_two_workers_assign_every_callback_exactly_once(org):
    now = timezone.now()
    CallbackTask.objects.bulk_create(
        CallbackTask(
            number=f"+86139{n:08d}",
            kind="abandoned",
            priority=n % 3,
            due_at=now,
            created_at=now,
        )
        for n in range(TASKS)
    )
    make_rule("team a", target_team=org.team_a)
    barrier = threading.Barrier(2)
    allocated = {0: [], 1: []}
    errors = []

    def worker(n):
        try:
            barrier.wait()
            while True:
                count = callbacks_allocate(limit=10)
                if not count:
                    break
                allocated[n].append(count)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(allocated[0]) + sum(allocated[1]) == TASKS
    assert allocated[0] and allocated[1], "both workers took callbacks"
    assert not CallbackTask.objects.exclude(status="assigned").exists()
    per_task = (
        CallbackTransition.objects.filter(to_status="assigned")
        .values("task")
        .annotate(n=Count("id"))
    )
    assert len(per_task) == TASKS
    assert {row["n"] for row in per_task} == {1}
    owners = set(CallbackTask.objects.values_list("owner", flat=True))
    assert owners == {org.agent_a1.pk, org.agent_a2.pk, org.lead_a.pk}
