"""What the default roles may do with orders (merged into the role catalogue).
Agents take orders; reviewers approve or void them; logistics, warehouse and
finance see them; logistics and warehouse keepers pick and ship them."""

_TAKE = ["orders.view_order", "orders.add_order"]

GRANTS = {
    "agent": _TAKE,
    "lead": _TAKE,
    "department_head": _TAKE,
    "order_reviewer": ["orders.view_order", "orders.review_order", "orders.change_order"],
    "logistics": ["orders.view_order", "orders.ship_order"],
    "warehouse": ["orders.view_order", "orders.ship_order"],
    "finance": ["orders.view_order"],
    "admin": ["orders.*"],
}
