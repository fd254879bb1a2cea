"""Writes of the catalogue: categories, products, bundles and member price
lists. Every write checks the actor's permission and changes nothing when it
refuses."""

from decimal import Decimal

from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin

from hotline.catalog.models import (
    Bundle,
    BundleItem,
    Category,
    PriceList,
    PriceListItem,
    Product,
)
from hotline.core.custom_fields import custom_fields_clean
from hotline.core.exceptions import Conflict, InvalidData
from hotline.core.permissions import require_perm

PRODUCT_FIELDS = {
    "sku",
    "name",
    "category",
    "specs",
    "unit",
    "price",
    "cost",
    "active",
    "image_url",
    "description",
}
BUNDLE_FIELDS = {"code", "name", "price", "active", "description"}
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


def name_initials(name: str) -> str:
    """保健茶 → "bjc"; letters and digits of other text are kept: "维C片100" → "wcp100"."""
    parts = lazy_pinyin(name or "", style=Style.FIRST_LETTER, errors="default")
    return "".join(ch for ch in "".join(parts).lower() if ch.isascii() and ch.isalnum())


def _required(value, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidData(message, details={field: [_("Required.")]})
    return value


def _money(value, field: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0:
        raise InvalidData(
            _("Enter an amount of zero or more."), details={field: [_("Not a valid amount.")]}
        )
    return amount.quantize(Decimal("0.01"))


def _check_fields(fields: dict, allowed: set[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise InvalidData(_("Unknown fields: %s") % ", ".join(sorted(unknown)))


def _check_image(url: str) -> str:
    url = (url or "").strip()
    path = url.split("?", 1)[0].lower()
    if url and (
        not path.endswith(IMAGE_SUFFIXES) or not url.startswith(("https://", "http://", "/"))
    ):
        raise InvalidData(
            _("The image must be a JPEG, PNG or WebP address (https://… or /media/…)."),
            details={"image_url": [_("Not an image address.")]},
        )
    return url


# --- categories -------------------------------------------------------------


@transaction.atomic
def category_save(*, actor, category: Category | None = None, name: str, parent=None, position=100):
    require_perm(actor, "catalog.change_category" if category else "catalog.add_category")
    category = category or Category()
    node = parent
    while node is not None:
        if category.pk and node.pk == category.pk:
            raise InvalidData(
                _("A category cannot be placed under itself."),
                details={"parent": [_("Choose another parent.")]},
            )
        node = node.parent
    category.name = _required(name, "name", _("Give the category a name."))
    category.parent = parent
    category.position = position
    category.save()
    return category


@transaction.atomic
def category_delete(*, actor, category: Category) -> None:
    require_perm(actor, "catalog.delete_category")
    try:
        category.delete()
    except ProtectedError as exc:
        raise Conflict(
            _("“%(name)s” still has products or sub-categories.") % {"name": category}
        ) from exc


# --- products ---------------------------------------------------------------


@transaction.atomic
def product_save(
    *, actor, product: Product | None = None, custom_fields: dict | None = None, **fields
) -> Product:
    """Create (no ``product``) or change a product; ``name_initials`` follows the name."""
    require_perm(actor, "catalog.change_product" if product else "catalog.add_product")
    _check_fields(fields, PRODUCT_FIELDS)
    product = product or Product()
    for name, value in fields.items():
        setattr(product, name, value)
    product.sku = _required(product.sku, "sku", _("Give the product a SKU."))
    product.name = _required(product.name, "name", _("Give the product a name."))
    product.price = _money(product.price, "price")
    product.cost = _money(product.cost or 0, "cost")
    product.image_url = _check_image(product.image_url)
    product.name_initials = name_initials(product.name)
    if Product.objects.filter(sku__iexact=product.sku).exclude(pk=product.pk).exists():
        raise Conflict(
            _("There is already a product with the SKU “%(sku)s”.") % {"sku": product.sku},
            details={"sku": [_("Already in use.")]},
        )
    if custom_fields is not None:
        product.custom_fields = custom_fields_clean(
            Product, custom_fields, actor=actor, current=product.custom_fields
        )
    product.save()
    return product


# --- bundles ----------------------------------------------------------------


def _bundle_lines(items) -> list[tuple[Product, int]]:
    """``items``: (product, quantity) pairs; the same product twice adds up."""
    merged: dict[int, list] = {}
    for product, quantity in items:
        if int(quantity) < 1:
            raise InvalidData(
                _("Quantities must be at least 1."), details={"items": [_("At least 1.")]}
            )
        merged.setdefault(product.pk, [product, 0])[1] += int(quantity)
    if not merged:
        raise InvalidData(
            _("A bundle needs at least one product."), details={"items": [_("Required.")]}
        )
    return [(product, quantity) for product, quantity in merged.values()]


@transaction.atomic
def bundle_save(*, actor, bundle: Bundle | None = None, items=None, **fields) -> Bundle:
    """Create or change a bundle; ``items`` (product, quantity) pairs replace its contents."""
    require_perm(actor, "catalog.change_bundle" if bundle else "catalog.add_bundle")
    _check_fields(fields, BUNDLE_FIELDS)
    creating = bundle is None
    bundle = bundle or Bundle()
    for name, value in fields.items():
        setattr(bundle, name, value)
    bundle.code = _required(bundle.code, "code", _("Give the bundle a code."))
    bundle.name = _required(bundle.name, "name", _("Give the bundle a name."))
    bundle.price = _money(bundle.price, "price")
    bundle.name_initials = name_initials(bundle.name)
    if Bundle.objects.filter(code__iexact=bundle.code).exclude(pk=bundle.pk).exists():
        raise Conflict(
            _("There is already a bundle with the code “%(code)s”.") % {"code": bundle.code},
            details={"code": [_("Already in use.")]},
        )
    lines = _bundle_lines(items) if items is not None or creating else None
    bundle.save()
    if lines is not None:
        before = sorted(bundle.items.values_list("product_id", "quantity"))
        bundle.items.all().delete()
        BundleItem.objects.bulk_create(
            BundleItem(bundle=bundle, product=product, quantity=quantity)
            for product, quantity in lines
        )
        after = sorted((product.pk, quantity) for product, quantity in lines)
        if not creating and before != after:
            bundle.record_change({"items": [before, after]})
    return bundle


# --- price lists (MEM-2) ----------------------------------------------------


@transaction.atomic
def price_list_save(
    *, actor, price_list: PriceList | None = None, level=None, name: str, active: bool = True
) -> PriceList:
    require_perm(actor, "catalog.change_pricelist" if price_list else "catalog.add_pricelist")
    price_list = price_list or PriceList(level=level)
    if price_list.level_id is None:
        raise InvalidData(_("Choose a member level."), details={"level": [_("Required.")]})
    clash = PriceList.objects.filter(level_id=price_list.level_id).exclude(pk=price_list.pk)
    if clash.exists():
        raise Conflict(
            _("The level “%(level)s” already has a price list.") % {"level": price_list.level},
            details={"level": [_("Already has a price list.")]},
        )
    price_list.name = _required(name, "name", _("Give the price list a name."))
    price_list.active = active
    price_list.save()
    return price_list


@transaction.atomic
def price_list_item_set(
    *, actor, price_list: PriceList, product=None, bundle=None, price
) -> PriceListItem:
    """Set the member price of a product or a bundle on the list (one of the two)."""
    require_perm(actor, "catalog.change_pricelist")
    if (product is None) == (bundle is None):
        raise InvalidData(
            _("Choose either a product or a bundle."), details={"product": [_("Choose one.")]}
        )
    amount = _money(price, "price")
    item, _created = PriceListItem.objects.update_or_create(
        price_list=price_list, product=product, bundle=bundle, defaults={"price": amount}
    )
    price_list.record_change({f"price.{(product or bundle).sku}": [None, str(amount)]})
    return item


@transaction.atomic
def price_list_item_remove(*, actor, item: PriceListItem) -> None:
    require_perm(actor, "catalog.change_pricelist")
    item.price_list.record_change({f"price.{item.item.sku}": [str(item.price), None]})
    item.delete()
