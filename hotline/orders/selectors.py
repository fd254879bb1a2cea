"""Reads of orders, always through the actor's data scope: lists, the
review queue, one order with its history, lookup by number or phone (ORD-8),
and for logistics (ORD-5) the picking queue and picking lists."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Prefetch, Q, Sum

from hotline.core.permissions import require_perm
from hotline.core.phones import phone_digits, phone_info
from hotline.customers.models import CustomerPhone
from hotline.orders.models import Order, OrderLine, OrderTransition
from hotline.orders.states import OrderStatus

VIEW_ORDER = "orders.view_order"
LOOKUP_LIMIT = 20


def orders_visible(actor):
    return Order.objects.restrict(actor, "view").select_related(
        "customer", "owner", "ad_source", "warehouse"
    )


def order_list(
    *,
    actor,
    status: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    owner_id: int | None = None,
    q: str = "",
):
    require_perm(actor, VIEW_ORDER)
    orders = orders_visible(actor)
    if status:
        orders = orders.filter(status=status)
    if date_from:
        orders = orders.filter(created_at__date__gte=date_from)
    if date_to:
        orders = orders.filter(created_at__date__lte=date_to)
    if owner_id:
        orders = orders.filter(owner_id=owner_id)
    if q and q.strip():
        q = q.strip()
        orders = orders.filter(
            Q(number__icontains=q) | Q(customer__name__icontains=q) | Q(phone__contains=q)
        )
    return orders.order_by("-id")


def review_queue(*, actor):
    """Orders under review that the actor may review, urgent and oldest first."""
    require_perm(actor, "orders.review_order")
    return (
        Order.objects.restrict(actor, "review")
        .filter(status=OrderStatus.UNDER_REVIEW)
        .select_related("customer", "owner", "ad_source")
        .order_by("-urgent", "id")
    )


def with_details(queryset):
    return queryset.prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("id")),
        Prefetch("transitions", queryset=OrderTransition.objects.select_related("by")),
    )


def order_detail(*, actor, pk: int) -> Order:
    """One order in the actor's scope (Order.DoesNotExist otherwise)."""
    require_perm(actor, VIEW_ORDER)
    return with_details(orders_visible(actor)).get(pk=pk)


def _phone_condition(phone: str) -> Q | None:
    digits = phone_digits(phone)
    if len(digits) < 5:
        return None
    info = phone_info(phone)
    numbers = {digits}
    if info is not None:
        numbers |= {info.national, phone_digits(info.e164)}
    matched = CustomerPhone.objects.filter(
        Q(number__in=[info.e164] if info else []) | Q(national__in=numbers)
    ).values("customer_id")
    return Q(customer_id__in=matched) | Q(phone__in=numbers)


def order_lookup(*, actor, number: str = "", phone: str = "") -> list[Order]:
    """Orders by their number or by a phone of the customer (or of the
    recipient), newest first, with lines and history, within scope."""
    require_perm(actor, VIEW_ORDER)
    number, phone = (number or "").strip(), (phone or "").strip()
    if number:
        condition = Q(number=number)
    elif phone:
        condition = _phone_condition(phone)
        if condition is None:
            return []
    else:
        return []
    orders = with_details(orders_visible(actor)).filter(condition).order_by("-id")
    return list(orders[:LOOKUP_LIMIT])


def customer_orders(*, actor, customer_ids, limit: int = 50):
    return (
        Order.objects.restrict(actor, "view")
        .filter(customer_id__in=customer_ids)
        .select_related("ad_source")
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("id")))
        .order_by("-id")[:limit]
    )


def order_quote(*, actor, customer, lines, warehouse=None) -> dict:
    """What the entry page shows for lines not yet placed: per line the item,
    price for the customer, line total and stock on hand (or the error), and
    the items total. Reads only; the service prices again when placing."""
    from hotline.catalog.selectors import bundle_available, priced
    from hotline.core.exceptions import InvalidData
    from hotline.inventory.selectors import stock_available_map
    from hotline.orders.services.entry import parse_lines

    rows, parsed = [], []
    for line in lines:
        try:
            ((item, quantity),) = parse_lines([line])
        except InvalidData as exc:
            errors = (exc.details or {}).get("lines", {}).get("0", [exc.message])
            rows.append({"line": line, "errors": errors})
            continue
        parsed.append((item, quantity))
        rows.append({"line": line, "item": item, "quantity": quantity})
    items = [item for item, _q in parsed]
    prices = priced(items, customer=customer) if items else {}
    product_ids = {i.pk for i in items if i.kind == "product"}
    product_ids |= {part.product_id for i in items if i.kind == "bundle" for part in i.items.all()}
    stock = stock_available_map(product_ids=product_ids, warehouse=warehouse)
    total = 0
    for row in rows:
        item = row.get("item")
        if item is None:
            continue
        price, source = prices[(item.kind, item.pk)]
        row["key"] = f"{item.kind}:{item.pk}"
        row.update(price=price, price_source=source, line_total=price * row["quantity"])
        row["available"] = (
            stock.get(item.pk, 0) if item.kind == "product" else bundle_available(item, stock)
        )
        row["short"] = row["available"] < row["quantity"]
        total += row["line_total"]
    for row in rows:
        if "key" not in row:
            line = row["line"]
            kind = "product" if line.get("product_id") else "bundle"
            row["key"] = f"{kind}:{line.get('product_id') or line.get('bundle_id')}"
    return {"rows": rows, "items_total": total}


# Logistics (ORD-5): what waits for picking, what a picking batch takes.

SHIP_ORDER = "orders.ship_order"
PICKING_PAGE_ROWS = 200


@dataclass(frozen=True)
class PickingRow:
    product_id: int
    sku: str
    name: str
    quantity: int


@dataclass
class PickingList:
    """The goods a set of orders of one warehouse takes off the shelf."""

    warehouse: object
    numbers: list[str]
    rows: list[PickingRow] = field(default_factory=list)

    @property
    def order_count(self) -> int:
        return len(self.numbers)

    @property
    def total_quantity(self) -> int:
        return sum(row.quantity for row in self.rows)


def _chunks(ids, size: int = 1000):
    ids = list(ids)
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def products_of_lines(lines) -> dict[int, int]:
    """Product id → quantity for order lines (``product_id``, ``bundle_id``,
    ``quantity``), a bundle line counting as its products × quantities."""
    from hotline.catalog.models import BundleItem

    totals: dict[int, int] = defaultdict(int)
    bundles: dict[int, int] = defaultdict(int)
    for product_id, bundle_id, quantity in lines:
        if product_id:
            totals[product_id] += quantity
        else:
            bundles[bundle_id] += quantity
    parts = BundleItem.objects.filter(bundle_id__in=list(bundles)).values_list(
        "bundle_id", "product_id", "quantity"
    )
    for bundle_id, product_id, quantity in parts:
        totals[product_id] += bundles[bundle_id] * quantity
    return dict(totals)


def picking_rows(order_ids) -> list[PickingRow]:
    """The products (bundles expanded) of these orders with their total
    quantities, sorted by SKU. Callers pass ids they took from a scoped query."""
    from hotline.catalog.models import Product

    lines = []
    for chunk in _chunks(order_ids):
        lines += (
            OrderLine.objects.filter(order_id__in=chunk)
            .order_by()
            .values("product_id", "bundle_id")
            .annotate(total=Sum("quantity"))
            .values_list("product_id", "bundle_id", "total")
        )
    totals = products_of_lines(lines)
    products = Product.objects.filter(pk__in=list(totals)).only("id", "sku", "name")
    rows = [PickingRow(p.pk, p.sku, p.name, totals[p.pk]) for p in products]
    return sorted(rows, key=lambda row: (row.sku, row.product_id))


def picking_queue(*, actor) -> list[dict]:
    """Approved orders the actor may pick, per warehouse: the warehouse (None
    for orders without one), how many, and the oldest ones (urgent first)."""
    from hotline.inventory.models import Warehouse

    require_perm(actor, SHIP_ORDER)
    approved = Order.objects.restrict(actor, "ship").filter(status=OrderStatus.APPROVED)
    counts = approved.values("warehouse_id").annotate(count=Count("id")).order_by()
    warehouses = Warehouse.objects.in_bulk([c["warehouse_id"] for c in counts if c["warehouse_id"]])
    groups = []
    for entry in sorted(counts, key=lambda c: (c["warehouse_id"] is None, c["warehouse_id"] or 0)):
        orders = approved.filter(warehouse_id=entry["warehouse_id"]).select_related("customer")
        groups.append(
            {
                "warehouse": warehouses.get(entry["warehouse_id"]),
                "count": entry["count"],
                "orders": list(orders.order_by("-urgent", "id")[:PICKING_PAGE_ROWS]),
            }
        )
    return groups


def picking_in_progress(*, actor, warehouse) -> PickingList:
    """The picking list of every order of ``warehouse`` now in picking."""
    require_perm(actor, SHIP_ORDER)
    orders = Order.objects.restrict(actor, "ship").filter(
        status=OrderStatus.PICKING, warehouse=warehouse
    )
    pairs = list(orders.order_by("id").values_list("id", "number"))
    return PickingList(
        warehouse=warehouse,
        numbers=[number for _pk, number in pairs],
        rows=picking_rows(pk for pk, _number in pairs),
    )


def delivery_note_orders(*, actor, ids) -> list[Order]:
    """Orders in scope whose goods have left or are leaving, for delivery notes."""
    require_perm(actor, VIEW_ORDER)
    found = []
    for chunk in _chunks(ids):
        found += with_details(orders_visible(actor)).filter(
            pk__in=chunk, status__in=DELIVERY_NOTE_STATUSES
        )
    return sorted(found, key=lambda order: order.pk)


DELIVERY_NOTE_STATUSES = (OrderStatus.PICKING, OrderStatus.SHIPPED, OrderStatus.DELIVERED)
