"""Events of orders, published after commit by the services. Subscribers
(SMS on creation and shipping ORD-9, webhooks, wallboard) come later."""

from hotline.core.events import Audience, Event

VIEW_ORDER = "orders.view_order"


class _OrderEvent(Event):
    permissions = (VIEW_ORDER,)

    order_id: int
    number: str
    customer_id: int
    owner_id: int | None
    status: str

    def audience(self) -> Audience:
        return Audience.scoped_to_owner_id(VIEW_ORDER, self.owner_id)


class OrderCreated(_OrderEvent):
    type = "orders.created"

    total: str
    urgent: bool
    low_credit: bool


class OrderStatusChanged(_OrderEvent):
    type = "orders.status_changed"

    from_status: str
    by_id: int | None
    reason: str
