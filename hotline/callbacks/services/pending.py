"""Pending items (待办, CB-5): an agent notes something to follow up by a
due time, for themselves or (a lead) for an agent of their scope; an alarm
goes out once when an open item is overdue."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.callbacks.events import PendingItemCreated, PendingItemDone, PendingItemOverdue
from hotline.callbacks.models import PendingItem
from hotline.callbacks.services.common import claim, scope_covers_user
from hotline.core.events import publish
from hotline.core.exceptions import Conflict, InvalidData, NotAllowed
from hotline.core.permissions import require_object_perm, require_perm

ADD_PENDING_ITEM = "callbacks.add_pendingitem"
ALARM_BATCH = 1000


def _fields(item: PendingItem) -> dict:
    return {
        "item_id": item.pk,
        "title": item.title,
        "handler_id": item.handler_id,
        "customer_id": item.customer_id,
        "status": item.status,
        "due_at": item.due_at.isoformat(),
    }


@transaction.atomic
def pending_item_create(
    *, actor, title: str, due_at, note: str = "", customer=None, handler=None
) -> PendingItem:
    """A pending item for ``handler`` (the actor when not given)."""
    require_perm(actor, ADD_PENDING_ITEM)
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = [_("Required.")]
    if not isinstance(due_at, datetime):
        errors["due_at"] = [_("Enter a date and time.")]
    if errors:
        raise InvalidData(_("Give the item a title and a due time."), details=errors)
    if timezone.is_naive(due_at):
        due_at = timezone.make_aware(due_at)
    handler = handler or actor
    if not handler.is_active:
        raise InvalidData(
            _("%(user)s is not active.") % {"user": handler},
            details={"handler": [_("Choose an active user.")]},
        )
    if handler.pk != actor.pk and not scope_covers_user(actor, ADD_PENDING_ITEM, handler):
        raise NotAllowed(
            _("%(user)s is outside your data scope.") % {"user": handler},
            details={"permission": ADD_PENDING_ITEM},
        )
    if customer is not None:
        from hotline.customers.models import Customer

        if not Customer.objects.restrict(actor, "view").filter(pk=customer.pk).exists():
            raise NotAllowed(
                _("“%(object)s” is outside your data scope.") % {"object": customer},
                details={"permission": "customers.view_customer"},
            )
    item = PendingItem.objects.create(
        title=title[:200],
        note=(note or "").strip(),
        customer=customer,
        handler=handler,
        created_by=actor,
        due_at=due_at,
    )
    publish(PendingItemCreated(**_fields(item)))
    return item


@transaction.atomic
def pending_item_done(*, actor, item: PendingItem) -> PendingItem:
    """Mark the item done (its handler, or a lead whose scope covers them)."""
    require_object_perm(actor, item, "change")
    locked = PendingItem.objects.select_for_update().get(pk=item.pk)
    if locked.status == PendingItem.Status.DONE:
        raise Conflict(
            _("“%(title)s” is already done.") % {"title": locked.title}, code="already_done"
        )
    locked.status = PendingItem.Status.DONE
    locked.done_at = timezone.now()
    locked.save()
    item.status, item.done_at = locked.status, locked.done_at
    publish(PendingItemDone(**_fields(locked)))
    return item


def pending_items_alarm(now: datetime | None = None) -> int:
    """Mark each open item past its due time as alarmed and announce
    ``PendingItemOverdue`` to its handler (and those whose scope covers them),
    once per item; returns how many were announced."""
    now = now or timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            overdue = PendingItem.objects.filter(
                status=PendingItem.Status.OPEN, due_at__lt=now, alarmed_at__isnull=True
            ).order_by("due_at", "id")
            items = list(claim(overdue)[:ALARM_BATCH])
            if not items:
                return total
            PendingItem.objects.filter(pk__in=[item.pk for item in items]).update(alarmed_at=now)
            for item in items:
                publish(PendingItemOverdue(**_fields(item)))
        total += len(items)
        if len(items) < ALARM_BATCH:
            return total
