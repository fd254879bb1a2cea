"""Events of callbacks and pending items, published after commit by the
services. A callback with an agent goes to those whose scope of
``callbacks.view_callbacktask`` covers that agent; one in the pool (pending,
or suggested and waiting for a lead) goes to those who may allocate it."""

from hotline.core.events import Audience, Event

VIEW_CALLBACK = "callbacks.view_callbacktask"
ASSIGN_CALLBACK = "callbacks.assign_callbacktask"
VIEW_PENDING_ITEM = "callbacks.view_pendingitem"


class _CallbackEvent(Event):
    permissions = (VIEW_CALLBACK, ASSIGN_CALLBACK)

    task_id: int
    number: str
    kind: str
    status: str
    customer_id: int | None
    owner_id: int | None
    suggested_to_id: int | None
    priority: int
    due_at: str

    def audience(self) -> Audience:
        if self.owner_id is not None:
            return Audience.scoped_to_owner_id(VIEW_CALLBACK, self.owner_id)
        if self.suggested_to_id is not None:
            return Audience.scoped_to_owner_id(ASSIGN_CALLBACK, self.suggested_to_id)
        return Audience.holders_of(ASSIGN_CALLBACK)


class CallbackCreated(_CallbackEvent):
    type = "callbacks.created"


class CallbackStatusChanged(_CallbackEvent):
    type = "callbacks.status_changed"

    from_status: str
    by_id: int | None
    rule_id: int | None


class CallbackUpdated(_CallbackEvent):
    """Not a status change: another missed call merged in (``merged``), or a
    new due time after an attempt (``rescheduled``)."""

    type = "callbacks.updated"

    change: str
    calls_count: int
    attempts: int


class CallbackOverdue(_CallbackEvent):
    type = "callbacks.overdue"


class _PendingItemEvent(Event):
    permissions = (VIEW_PENDING_ITEM,)

    item_id: int
    title: str
    handler_id: int
    customer_id: int | None
    status: str
    due_at: str

    def audience(self) -> Audience:
        return Audience.scoped_to_owner_id(VIEW_PENDING_ITEM, self.handler_id)


class PendingItemCreated(_PendingItemEvent):
    type = "callbacks.pending_item_created"


class PendingItemDone(_PendingItemEvent):
    type = "callbacks.pending_item_done"


class PendingItemOverdue(_PendingItemEvent):
    type = "callbacks.pending_item_overdue"
