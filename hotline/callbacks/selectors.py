"""Reads of callbacks and pending items, always through the actor's scope.

Callbacks with an agent are seen within the scope of
``callbacks.view_callbacktask`` (an agent: their own). The pool (pending
callbacks, and suggested ones waiting for a lead) belongs to nobody, so it is
shown to those who may allocate callbacks.
"""

from django.db.models import BooleanField, Case, Prefetch, Q, Value, When
from django.utils import timezone

from hotline.callbacks.models import (
    AllocationRule,
    CallbackAttempt,
    CallbackTask,
    CallbackTransition,
    PendingItem,
)
from hotline.callbacks.services.common import (
    ASSIGN_CALLBACK,
    VIEW_CALLBACK,
    callback_takers,
    users_in_scope,
)
from hotline.callbacks.states import OPEN, CallbackStatus
from hotline.core.permissions import require_perm

VIEW_PENDING_ITEM = "callbacks.view_pendingitem"
VIEW_RULE = "callbacks.view_allocationrule"


def _with_overdue(queryset, now):
    open_statuses = [str(status) for status in OPEN]
    return queryset.annotate(
        overdue=Case(
            When(status__in=open_statuses, due_at__lt=now, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def callbacks_visible(actor):
    """The callbacks ``actor`` may see: by scope, plus the pool for allocators."""
    visible = CallbackTask.objects.restrict(actor, "view")
    if actor.is_authenticated and actor.has_perm(ASSIGN_CALLBACK):
        visible = visible | CallbackTask.objects.filter(owner__isnull=True)
    return visible.select_related("customer", "owner", "suggested_to", "last_agent", "queue")


def my_callbacks(*, actor, now=None):
    """The actor's own assigned callbacks, earliest due first, each with an
    ``overdue`` flag."""
    require_perm(actor, VIEW_CALLBACK)
    now = now or timezone.now()
    mine = (
        CallbackTask.objects.restrict(actor, "view")
        .filter(owner=actor, status=CallbackStatus.ASSIGNED)
        .select_related("customer", "queue")
        .order_by("due_at", "id")
    )
    return _with_overdue(mine, now)


def callback_list(
    *,
    actor,
    status: str = "",
    kind: str = "",
    owner_id: int | None = None,
    overdue: bool | None = None,
    q: str = "",
    open_only: bool = False,
    now=None,
):
    """Callbacks within the actor's scope (and the pool for allocators), with
    filters; highest priority and earliest due first."""
    require_perm(actor, VIEW_CALLBACK)
    now = now or timezone.now()
    tasks = callbacks_visible(actor)
    if status:
        tasks = tasks.filter(status=status)
    elif open_only:
        tasks = tasks.filter(status__in=[str(s) for s in OPEN])
    if kind:
        tasks = tasks.filter(kind=kind)
    if owner_id:
        tasks = tasks.filter(Q(owner_id=owner_id) | Q(suggested_to_id=owner_id))
    if overdue is True:
        tasks = tasks.filter(status__in=[str(s) for s in OPEN], due_at__lt=now)
    elif overdue is False:
        tasks = tasks.exclude(status__in=[str(s) for s in OPEN], due_at__lt=now)
    q = (q or "").strip()
    if q:
        tasks = tasks.filter(Q(number__contains=q) | Q(customer__name__icontains=q))
    return _with_overdue(tasks, now).order_by("-priority", "due_at", "id")


def callback_detail(*, actor, pk: int) -> CallbackTask:
    """One callback the actor may see, with attempts and status history
    (``CallbackTask.DoesNotExist`` otherwise)."""
    require_perm(actor, VIEW_CALLBACK)
    return (
        callbacks_visible(actor)
        .select_related("created_by", "rule", "call")
        .prefetch_related(
            Prefetch("attempt_rows", queryset=CallbackAttempt.objects.select_related("agent")),
            Prefetch(
                "transitions",
                queryset=CallbackTransition.objects.select_related("by", "owner", "rule"),
            ),
        )
        .get(pk=pk)
    )


def assignable_agents(*, actor):
    """Agents the actor may give callbacks to: callback takers in the actor's
    scope of allocating callbacks."""
    if not actor.has_perm(ASSIGN_CALLBACK):
        return callback_takers().none()
    in_scope = users_in_scope(actor, ASSIGN_CALLBACK).values("pk")
    return callback_takers().filter(pk__in=in_scope).order_by("username")


def customer_callbacks(*, actor, customer, limit: int = 50):
    return callbacks_visible(actor).filter(customer=customer).order_by("-created_at", "-id")[:limit]


def allocation_rules(*, actor):
    require_perm(actor, VIEW_RULE)
    return AllocationRule.objects.restrict(actor, "view").select_related(
        "member_level", "ad_source", "customer_owner", "target_user", "target_team"
    )


# --- pending items -----------------------------------------------------------


def pending_items_visible(actor):
    return PendingItem.objects.restrict(actor, "view").select_related(
        "customer", "handler", "created_by"
    )


def my_pending_items(*, actor, status: str = PendingItem.Status.OPEN):
    """The actor's own pending items, earliest due first (open ones by default)."""
    require_perm(actor, VIEW_PENDING_ITEM)
    items = pending_items_visible(actor).filter(handler=actor)
    if status:
        items = items.filter(status=status)
    return items.order_by("due_at", "id")


def pending_item_list(*, actor, status: str = "", handler_id: int | None = None):
    """Pending items within the actor's scope."""
    require_perm(actor, VIEW_PENDING_ITEM)
    items = pending_items_visible(actor)
    if status:
        items = items.filter(status=status)
    if handler_id:
        items = items.filter(handler_id=handler_id)
    return items.order_by("status", "due_at", "id")


def customer_pending_items(*, actor, customer, limit: int = 50):
    return (
        pending_items_visible(actor)
        .filter(customer=customer)
        .order_by("status", "due_at", "id")[:limit]
    )
