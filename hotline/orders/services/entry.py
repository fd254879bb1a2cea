"""Taking an order (ORD-1), usually during a call.

``order_create`` prices every line for the customer (member price list >
level discount > list price, ``hotline.catalog.selectors.priced``), copies
what was sold and where it goes, numbers the order (``numbers.py``), writes it
``ordered`` and submits it for review at once (two history rows). Stock is
only checked here: a shortage, like a customer's low-credit flag (CUS-7), is
a warning kept on the order for the reviewer, not a refusal; stock is taken
when the order ships.
"""

from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from hotline.catalog.models import Bundle, Product
from hotline.catalog.selectors import priced
from hotline.core.events import publish
from hotline.core.exceptions import InvalidData
from hotline.core.permissions import require_object_perm, require_perm
from hotline.customers.models import AdSource, CustomerAddress
from hotline.inventory.selectors import stock_available_map
from hotline.orders.events import OrderCreated
from hotline.orders.models import DeliveryMethod, Order, OrderLine, PaymentMethod
from hotline.orders.numbers import order_number_next
from hotline.orders.services.transitions import order_transition, record_entry
from hotline.orders.states import OrderStatus

ADD_ORDER = "orders.add_order"
MAX_LINES = 100
MAX_QUANTITY = 9999
ADDRESS_FIELDS = ("recipient", "phone", "province", "city", "district", "address_detail")
NEEDS_ADDRESS = {DeliveryMethod.COURIER, DeliveryMethod.POST, DeliveryMethod.SAME_CITY}


def warning_text(warning: dict) -> str:
    """A stored entry warning in the reader's language."""
    if warning.get("code") == "low_credit":
        note = warning.get("note") or ""
        return _("The customer has a low-credit flag.") + (f" {note}" if note else "")
    if warning.get("code") == "short_stock":
        return _("Short of stock: %(sku)s has %(available)d, %(requested)d ordered.") % warning
    return str(warning)


def _quantity(raw) -> int | None:
    if isinstance(raw, bool):
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if value == raw or str(raw).strip() == str(value) else None


def _parse_line(index: int, raw, products: dict, bundles: dict):
    """(item, quantity) or a list of error messages."""
    if not isinstance(raw, dict):
        return [_("A line needs a product or a bundle and a quantity.")]
    product_id, bundle_id = raw.get("product_id"), raw.get("bundle_id")
    errors = []
    if bool(product_id) == bool(bundle_id):
        errors.append(_("Give either a product or a bundle."))
    item = products.get(product_id) if product_id else bundles.get(bundle_id)
    if not errors and item is None:
        errors.append(_("No such product or bundle on sale."))
    quantity = _quantity(raw.get("quantity"))
    if quantity is None or not 1 <= quantity <= MAX_QUANTITY:
        errors.append(_("The quantity must be a whole number from 1 to %d.") % MAX_QUANTITY)
    return errors or (item, quantity)


def _ids(lines, key) -> set[int]:
    return {
        line[key] for line in lines if isinstance(line, dict) and isinstance(line.get(key), int)
    }


def parse_lines(lines) -> list[tuple[object, int]]:
    """The items and quantities of ``lines``; InvalidData with the errors of
    every bad line (``details["lines"][index]``) when any is bad."""
    lines = list(lines or [])
    if not lines:
        raise InvalidData(
            _("An order needs at least one line."), details={"lines": [_("Add a product.")]}
        )
    if len(lines) > MAX_LINES:
        raise InvalidData(_("An order has at most %d lines.") % MAX_LINES)
    products = Product.objects.filter(active=True).in_bulk(_ids(lines, "product_id"))
    bundles = (
        Bundle.objects.filter(active=True)
        .prefetch_related("items")
        .in_bulk(_ids(lines, "bundle_id"))
    )
    parsed, errors = [], {}
    for index, raw in enumerate(lines):
        result = _parse_line(index, raw, products, bundles)
        if isinstance(result, list):
            errors[str(index)] = [str(message) for message in result]
        else:
            parsed.append(result)
    if errors:
        raise InvalidData(_("Some order lines are not valid."), details={"lines": errors})
    return parsed


def _needed(parsed) -> tuple[dict[int, int], dict[int, str]]:
    """Product id → quantity the lines need (bundles expanded), and known SKUs."""
    needed: dict[int, int] = defaultdict(int)
    skus = {}
    for item, quantity in parsed:
        if item.kind == "product":
            needed[item.pk] += quantity
            skus[item.pk] = item.sku
        else:
            for part in item.items.all():
                needed[part.product_id] += part.quantity * quantity
    return needed, skus


def default_warehouse(parsed):
    """The first open warehouse (by code) holding everything the lines need,
    else the first open warehouse: an order always knows where it ships from."""
    from hotline.inventory.models import Warehouse

    warehouses = list(Warehouse.objects.filter(active=True).order_by("code"))
    needed, _skus = _needed(parsed)
    for warehouse in warehouses:
        available = stock_available_map(product_ids=needed, warehouse=warehouse)
        if all(available.get(pk, 0) >= quantity for pk, quantity in needed.items()):
            return warehouse
    return warehouses[0] if warehouses else None


def stock_shortages(parsed, warehouse=None) -> list[dict]:
    """Products of which fewer are on hand than the lines need."""
    needed, skus = _needed(parsed)
    if not needed:
        return []
    missing = set(needed) - set(skus)
    skus.update(dict(Product.objects.filter(pk__in=missing).values_list("pk", "sku")))
    available = stock_available_map(product_ids=needed, warehouse=warehouse)
    return [
        {
            "code": "short_stock",
            "sku": skus[pk],
            "available": available.get(pk, 0),
            "requested": quantity,
        }
        for pk, quantity in sorted(needed.items())
        if available.get(pk, 0) < quantity
    ]


def _money(raw, field: str) -> Decimal:
    try:
        value = Decimal(str(raw if raw not in (None, "") else 0))
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value < 0:
        raise InvalidData(
            _("The amount must be a number of at least 0."),
            details={field: [_("At least 0.")]},
        )
    return value.quantize(Decimal("0.01"))


def _choice(value, choices, field: str) -> str:
    if value not in choices.values:
        raise InvalidData(
            _("“%(value)s” is not a valid choice.") % {"value": value},
            details={field: [_("Not a valid choice.")]},
        )
    return value


def _address(customer, address, fields: dict) -> dict:
    """The address copied onto the order: the chosen (or default) address of
    the customer, overridden by fields typed for this order."""
    if address is not None and not isinstance(address, CustomerAddress):
        address = CustomerAddress.objects.filter(customer=customer, pk=address).first()
        if address is None:
            raise InvalidData(
                _("That address is not one of the customer's."),
                details={"address": [_("Not an address of this customer.")]},
            )
    if address is not None and address.customer_id != customer.pk:
        raise InvalidData(
            _("That address is not one of the customer's."),
            details={"address": [_("Not an address of this customer.")]},
        )
    if address is None and not fields.get("address_detail"):
        address = customer.addresses.order_by("-is_default", "id").first()
    copied = {"address": address}
    if address is not None:
        copied.update(
            recipient=address.recipient,
            phone=address.phone,
            province=address.province,
            city=address.city,
            district=address.district,
            address_detail=address.detail,
        )
    for name in ADDRESS_FIELDS:
        if fields.get(name):
            copied[name] = str(fields[name]).strip()
    if not copied.get("recipient"):
        copied["recipient"] = customer.name
    if not copied.get("phone"):
        primary = customer.phones.order_by("-is_primary", "id").first()
        copied["phone"] = primary.national if primary else ""
    return copied


def _ad_source(raw, customer):
    if raw is None:
        return customer.source
    if isinstance(raw, AdSource):
        return raw
    source = AdSource.objects.filter(pk=raw).first()
    if source is None:
        raise InvalidData(
            _("No such media source."), details={"ad_source": [_("No such media source.")]}
        )
    return source


def _lines(order: Order, parsed, customer) -> list[OrderLine]:
    prices = priced([item for item, _q in parsed], customer=customer)
    rows = []
    for item, quantity in parsed:
        price, source = prices[(item.kind, item.pk)]
        rows.append(
            OrderLine(
                order=order,
                product=item if item.kind == "product" else None,
                bundle=item if item.kind == "bundle" else None,
                sku=item.sku,
                name=item.name,
                quantity=quantity,
                unit_list_price=item.price,
                unit_price=price,
                price_source=source,
                line_total=price * quantity,
            )
        )
    return rows


def _call_check(actor, call_id) -> None:
    """An order taken in a call names a call the agent may see."""
    if not call_id:
        return
    from hotline.telephony.models import Call

    text = str(call_id)
    if not text.isdigit() or not Call.objects.restrict(actor, "view").filter(pk=int(text)).exists():
        message = _("That call is not yours to link the order to.")
        raise InvalidData(message, details={"call_id": [message]})


@transaction.atomic
def order_create(
    *,
    actor,
    customer,
    lines,
    delivery_method: str = DeliveryMethod.COURIER,
    payment_method: str = PaymentMethod.COD,
    address=None,
    ad_source=None,
    programme: str = "",
    ad_slot: str = "",
    invoice: bool = False,
    invoice_title: str = "",
    urgent: bool = False,
    warehouse=None,
    discount=0,
    shipping_fee=0,
    note: str = "",
    call_id: str | None = None,
    **address_fields,
) -> Order:
    """Take an order for ``customer`` (in the actor's scope). ``lines`` are
    ``{"product_id" | "bundle_id": id, "quantity": n}``; ``address`` a
    CustomerAddress (or its id), ``address_fields`` override or replace it
    (recipient, phone, province, city, district, address_detail). The order is
    returned under review with its warnings in ``order.warnings``."""
    require_perm(actor, ADD_ORDER)
    require_object_perm(actor, customer, "view")
    unknown = set(address_fields) - set(ADDRESS_FIELDS)
    if unknown:
        raise InvalidData(_("Unknown fields: %s") % ", ".join(sorted(unknown)))
    if customer.merged_into_id:
        raise InvalidData(_("This customer was merged into another; order for that one."))
    parsed = parse_lines(lines)
    _choice(delivery_method, DeliveryMethod, "delivery_method")
    _choice(payment_method, PaymentMethod, "payment_method")
    copied = _address(customer, address, address_fields)
    if delivery_method in NEEDS_ADDRESS and not copied.get("address_detail"):
        raise InvalidData(
            _("Give a delivery address or choose self pickup."),
            details={"address_detail": [_("An address is required for delivery.")]},
        )
    if invoice and not (invoice_title or "").strip():
        raise InvalidData(_("Give the invoice title."), details={"invoice_title": [_("Required.")]})
    _call_check(actor, call_id)
    source = _ad_source(ad_source, customer)
    warnings = []
    if customer.low_credit:
        warnings.append({"code": "low_credit", "note": customer.credit_note})
    warehouse = warehouse or default_warehouse(parsed)
    warnings += stock_shortages(parsed, warehouse)
    order = Order(
        number=order_number_next(),
        customer=customer,
        owner=actor,
        status=OrderStatus.ORDERED,
        delivery_method=delivery_method,
        payment_method=payment_method,
        ad_source=source,
        programme=(programme or (source.programme if source else "")).strip(),
        ad_slot=(ad_slot or "").strip(),
        invoice=bool(invoice),
        invoice_title=(invoice_title or "").strip() if invoice else "",
        urgent=bool(urgent),
        low_credit=customer.low_credit,
        warnings=warnings,
        warehouse=warehouse,
        discount=_money(discount, "discount"),
        shipping_fee=_money(shipping_fee, "shipping_fee"),
        note=(note or "").strip(),
        call_id=call_id or None,
        **copied,
    )
    rows = _lines(order, parsed, customer)
    order.items_total = sum((row.line_total for row in rows), Decimal(0))
    order.total = order.items_total - order.discount + order.shipping_fee
    if order.total < 0:
        raise InvalidData(
            _("The discount is larger than the order."),
            details={"discount": [_("At most the items total plus shipping.")]},
        )
    order.save()
    OrderLine.objects.bulk_create(rows)
    record_entry(order=order, actor=actor)
    publish(
        OrderCreated(
            order_id=order.pk,
            number=order.number,
            customer_id=customer.pk,
            owner_id=actor.pk,
            status=OrderStatus.UNDER_REVIEW,
            total=str(order.total),
            urgent=order.urgent,
            low_credit=order.low_credit,
        )
    )
    order_transition(order=order, to=OrderStatus.UNDER_REVIEW, actor=actor)
    return order
