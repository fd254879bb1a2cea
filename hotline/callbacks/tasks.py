"""Background work of callbacks: the allocation worker and the overdue
alarms, to be run every minute or so (several workers may run at once)."""

from django_tasks import task


@task()
def allocate_callbacks(limit: int = 500) -> int:
    """Assign or suggest pending callbacks by the allocation rules."""
    from hotline.callbacks.services.allocation import callbacks_allocate

    return callbacks_allocate(limit=limit)


@task()
def alarm_overdue() -> dict:
    """Announce overdue callbacks and pending items (each once)."""
    from hotline.callbacks.services.callbacks import callbacks_overdue_alarm
    from hotline.callbacks.services.pending import pending_items_alarm

    return {"callbacks": callbacks_overdue_alarm(), "pending_items": pending_items_alarm()}
