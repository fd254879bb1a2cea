"""/api/callbacks/: the agent's callbacks, all callbacks in scope (with the
pool for leads), manual allocation and suggestions, attempts with results,
follow-ups, and pending items."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import ConfigDict

from hotline.callbacks import selectors
from hotline.callbacks.models import PendingItem
from hotline.callbacks.services import allocation, pending
from hotline.callbacks.services import callbacks as work
from hotline.callbacks.services.common import ASSIGN_CALLBACK, VIEW_CALLBACK
from hotline.core.exceptions import InvalidData
from hotline.core.permissions import require_perm
from hotline.customers.models import Customer

router = Router(tags=["callbacks"])
MAX_LIMIT = 500


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class AssignIn(Strict):
    owner_id: int


class NoteIn(Strict):
    note: str = ""


class AttemptIn(Strict):
    result: str
    note: str = ""
    next_due_at: datetime | None = None


class ScheduleIn(Strict):
    customer_id: int | None = None
    number: str = ""
    due_at: datetime
    note: str = ""
    owner_id: int | None = None


class PendingItemIn(Strict):
    title: str
    due_at: datetime
    note: str = ""
    customer_id: int | None = None
    handler_id: int | None = None


class CallbackOut(Schema):
    id: int
    number: str
    province: str
    kind: str
    kind_display: str
    status: str
    status_display: str
    customer_id: int | None
    owner_id: int | None
    suggested_to_id: int | None
    last_agent_id: int | None
    call_id: int | None
    queue_id: int | None
    rule_id: int | None
    priority: int
    due_at: datetime
    overdue: bool
    calls_count: int
    attempts: int
    max_attempts: int
    last_result: str
    note: str
    created_at: datetime
    assigned_at: datetime | None
    closed_at: datetime | None

    @staticmethod
    def resolve_kind_display(obj):
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_status_display(obj):
        return str(obj.get_status_display())

    @staticmethod
    def resolve_overdue(obj):
        flag = getattr(obj, "overdue", None)
        return obj.is_overdue() if flag is None else bool(flag)


class AttemptOut(Schema):
    id: int
    task_id: int
    agent_id: int | None
    at: datetime
    result: str
    note: str
    next_due_at: datetime | None


class AttemptRecorded(Schema):
    attempt: AttemptOut
    callback: CallbackOut


class AllocatedOut(Schema):
    allocated: int


class PendingItemOut(Schema):
    id: int
    title: str
    note: str
    customer_id: int | None
    handler_id: int
    created_by_id: int | None
    due_at: datetime
    status: str
    done_at: datetime | None
    overdue: bool

    @staticmethod
    def resolve_overdue(obj):
        return obj.is_overdue()


def _page(items, limit: int, offset: int) -> list:
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    return list(items[offset : offset + limit])


def _task(request, task_id: int):
    require_perm(request.auth, VIEW_CALLBACK)
    return get_object_or_404(selectors.callbacks_visible(request.auth), pk=task_id)


def _user(user_id: int | None, field: str):
    if user_id is None:
        return None
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise InvalidData(
            _("There is no active user %(id)s.") % {"id": user_id},
            details={field: [_("Unknown or inactive user.")]},
        )
    return user


def _customer(request, customer_id: int | None):
    if customer_id is None:
        return None
    return get_object_or_404(Customer.objects.restrict(request.auth, "view"), pk=customer_id)


@router.get("/mine", response=list[CallbackOut])
def callbacks_mine(request, limit: int = 100, offset: int = 0):
    return _page(selectors.my_callbacks(actor=request.auth), limit, offset)


@router.get("/", response=list[CallbackOut])
def callback_list(
    request,
    status: str = "",
    kind: str = "",
    owner_id: int | None = None,
    overdue: bool | None = None,
    q: str = "",
    limit: int = 100,
    offset: int = 0,
):
    tasks = selectors.callback_list(
        actor=request.auth, status=status, kind=kind, owner_id=owner_id, overdue=overdue, q=q
    )
    return _page(tasks, limit, offset)


@router.post("/schedule", response={201: CallbackOut})
def callback_schedule(request, payload: ScheduleIn):
    task = work.callback_schedule(
        actor=request.auth,
        customer=_customer(request, payload.customer_id),
        number=payload.number,
        due_at=payload.due_at,
        note=payload.note,
        owner=_user(payload.owner_id, "owner_id"),
    )
    return Status(201, task)


@router.post("/allocate", response=AllocatedOut)
def callbacks_allocate(request):
    require_perm(request.auth, ASSIGN_CALLBACK)
    return {"allocated": allocation.callbacks_allocate()}


@router.get("/pending-items", response=list[PendingItemOut])
def pending_item_list(
    request, status: str = "open", mine: bool = True, limit: int = 100, offset: int = 0
):
    if status not in PendingItem.Status.values:
        status = ""
    if mine:
        items = selectors.my_pending_items(actor=request.auth, status=status)
    else:
        items = selectors.pending_item_list(actor=request.auth, status=status)
    return _page(items, limit, offset)


@router.post("/pending-items", response={201: PendingItemOut})
def pending_item_create(request, payload: PendingItemIn):
    item = pending.pending_item_create(
        actor=request.auth,
        title=payload.title,
        due_at=payload.due_at,
        note=payload.note,
        customer=_customer(request, payload.customer_id),
        handler=_user(payload.handler_id, "handler_id"),
    )
    return Status(201, item)


@router.post("/pending-items/{int:item_id}/done", response=PendingItemOut)
def pending_item_done(request, item_id: int):
    item = get_object_or_404(selectors.pending_items_visible(request.auth), pk=item_id)
    return pending.pending_item_done(actor=request.auth, item=item)


@router.get("/{int:task_id}", response=CallbackOut)
def callback_get(request, task_id: int):
    return _task(request, task_id)


@router.post("/{int:task_id}/assign", response=CallbackOut)
def callback_assign(request, task_id: int, payload: AssignIn):
    require_perm(request.auth, ASSIGN_CALLBACK)
    task = _task(request, task_id)
    owner = _user(payload.owner_id, "owner_id")
    return allocation.callback_assign(actor=request.auth, task=task, owner=owner)


@router.post("/{int:task_id}/confirm", response=CallbackOut)
def callback_confirm(request, task_id: int):
    task = _task(request, task_id)
    return allocation.callback_suggest_confirm(actor=request.auth, task=task)


@router.post("/{int:task_id}/reject", response=CallbackOut)
def callback_reject(request, task_id: int, payload: NoteIn):
    task = _task(request, task_id)
    return allocation.callback_suggest_reject(actor=request.auth, task=task, note=payload.note)


@router.post("/{int:task_id}/attempts", response={201: AttemptRecorded})
def callback_attempt(request, task_id: int, payload: AttemptIn):
    task = _task(request, task_id)
    attempt = work.callback_record_attempt(
        actor=request.auth,
        task=task,
        result=payload.result,
        note=payload.note,
        next_due_at=payload.next_due_at,
    )
    return Status(201, {"attempt": attempt, "callback": task})
