"""Reads of the catalogue: the price a customer pays (MEM-2) and the search
used by order entry (ORD-1).

Interface for orders::

    price_for(item=product_or_bundle, customer=customer) -> Decimal
    prices_for(items, customer=customer) -> {(kind, id): Decimal}
    catalog_search(actor=user, q="bjc", customer=customer) -> list[CatalogHit]
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Prefetch, Q

from hotline.catalog.models import Bundle, BundleItem, Category, PriceList, PriceListItem, Product
from hotline.core.permissions import require_perm

CENT = Decimal("0.01")
SEARCH_LIMIT = 20


@dataclass(frozen=True)
class CatalogHit:
    """One product or bundle found for order entry, priced for the customer."""

    kind: str  # "product" | "bundle"
    id: int
    sku: str
    name: str
    unit: str
    list_price: Decimal
    price: Decimal
    price_source: str  # "price_list" | "level_discount" | "list"
    available: int  # sellable now across all (or the given) warehouses
    item: object


def _discounted(price: Decimal, percent: Decimal) -> Decimal:
    return (price * (Decimal(100) - percent) / Decimal(100)).quantize(CENT, ROUND_HALF_UP)


def _member_prices(level, items) -> dict[tuple[str, int], Decimal]:
    if level is None:
        return {}
    rows = PriceListItem.objects.filter(
        price_list__level=level,
        price_list__active=True,
    ).filter(
        Q(product_id__in=[i.pk for i in items if i.kind == "product"])
        | Q(bundle_id__in=[i.pk for i in items if i.kind == "bundle"])
    )
    return {
        ("product", row.product_id) if row.product_id else ("bundle", row.bundle_id): row.price
        for row in rows
    }


def priced(items, *, customer=None, level=None) -> dict[tuple[str, int], tuple[Decimal, str]]:
    """(price, source) per (kind, id) for many items in two queries."""
    from hotline.customers.services.membership import level_discount_percent

    if level is None and customer is not None:
        percent = level_discount_percent(customer)
        level = customer.level if customer.level_id else None
    else:
        percent = level.discount_percent if level is not None else Decimal(0)
    member = _member_prices(level, items)
    result = {}
    for item in items:
        key = (item.kind, item.pk)
        if key in member:
            result[key] = (member[key], "price_list")
        elif percent:
            result[key] = (_discounted(item.price, percent), "level_discount")
        else:
            result[key] = (item.price, "list")
    return result


def prices_for(items, *, customer=None, level=None) -> dict[tuple[str, int], Decimal]:
    return {
        key: price for key, (price, _s) in priced(items, customer=customer, level=level).items()
    }


def price_for(*, item, customer=None, level=None) -> Decimal:
    """What a customer (or a level) pays for one unit of a product or bundle:
    the member price list of the level first, else the level discount on the
    list price, else the list price (MEM-2). ``level`` overrides the customer's."""
    return priced([item], customer=customer, level=level)[(item.kind, item.pk)][0]


# --- lists and search -------------------------------------------------------


def products_visible(actor):
    return Product.objects.restrict(actor, "view").select_related("category")


def bundles_visible(actor):
    return Bundle.objects.restrict(actor, "view").prefetch_related(
        Prefetch("items", queryset=BundleItem.objects.select_related("product"))
    )


def categories_visible(actor):
    return Category.objects.restrict(actor, "view").select_related("parent")


def price_lists_visible(actor):
    return PriceList.objects.restrict(actor, "view").select_related("level")


def _text_filter(q: str, code_field: str) -> Q:
    q = q.strip()
    condition = Q(name__icontains=q) | Q(**{f"{code_field}__icontains": q})
    if q.isascii() and q.isalnum():
        # Initials of any word of the name: bjc finds 养生保健茶 (ysbjc).
        condition |= Q(name_initials__contains=q.lower())
    return condition


def product_search(queryset, q: str):
    return queryset.filter(_text_filter(q, "sku")) if q and q.strip() else queryset


def bundle_search(queryset, q: str):
    return queryset.filter(_text_filter(q, "code")) if q and q.strip() else queryset


def bundle_available(bundle: Bundle, stock: dict[int, int]) -> int:
    """How many bundles the stock of its products makes."""
    counts = [stock.get(line.product_id, 0) // line.quantity for line in bundle.items.all()]
    return min(counts) if counts else 0


def catalog_search(
    *, actor, q: str, customer=None, level=None, warehouse=None, limit: int = SEARCH_LIMIT
) -> list[CatalogHit]:
    """Active products and bundles whose name, SKU/code or pinyin initials
    match ``q``, priced for ``customer`` and with the stock available now."""
    from hotline.inventory.selectors import stock_available_map

    require_perm(actor, "catalog.view_product")
    products = list(product_search(products_visible(actor).filter(active=True), q)[:limit])
    bundles = []
    if actor.has_perm("catalog.view_bundle"):
        bundles = list(bundle_search(bundles_visible(actor).filter(active=True), q)[:limit])
    product_ids = {p.pk for p in products}
    product_ids |= {line.product_id for b in bundles for line in b.items.all()}
    stock = stock_available_map(product_ids=product_ids, warehouse=warehouse)
    prices = priced([*products, *bundles], customer=customer, level=level)
    hits = []
    for item in [*products, *bundles]:
        price, source = prices[(item.kind, item.pk)]
        available = (
            stock.get(item.pk, 0) if item.kind == "product" else bundle_available(item, stock)
        )
        hits.append(
            CatalogHit(
                kind=item.kind,
                id=item.pk,
                sku=item.sku,
                name=item.name,
                unit=getattr(item, "unit", "套"),
                list_price=item.price,
                price=price,
                price_source=source,
                available=available,
                item=item,
            )
        )
    return hits[:limit]
