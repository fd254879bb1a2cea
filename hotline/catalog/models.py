"""The catalogue (INV-1, MEM-2): categories, products, bundles (套餐) and the
member price lists per level. Shared reference data: no owner, so the data
scope is all-or-nothing by permission."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hotline.core.models import ChangeLoggedModel, CustomFieldsModel
from hotline.core.querysets import RestrictedManager

MONEY = {"max_digits": 12, "decimal_places": 2}


class Category(ChangeLoggedModel):
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    position = models.PositiveIntegerField(_("position"), default=100)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "name"]

    def __str__(self):
        return f"{self.parent} / {self.name}" if self.parent_id else self.name


class SellableItem(ChangeLoggedModel):
    """What products and bundles share: a name searchable by its pinyin
    initials (kept by the services), a list price and an active flag."""

    name = models.CharField(_("name"), max_length=200)
    name_initials = models.CharField(
        _("pinyin initials"), max_length=200, blank=True, db_index=True, editable=False
    )
    price = models.DecimalField(_("list price"), **MONEY)
    active = models.BooleanField(_("active"), default=True)
    description = models.TextField(
        _("description for agents"),
        blank=True,
        help_text=_("Selling points, usage, answers to common questions."),
    )

    class Meta:
        abstract = True


class Product(SellableItem, CustomFieldsModel):
    kind = "product"

    sku = models.CharField(_("SKU"), max_length=50, unique=True)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
    )
    specs = models.TextField(_("specifications"), blank=True)
    unit = models.CharField(_("unit"), max_length=20, default="件")
    cost = models.DecimalField(_("cost"), default=0, **MONEY)
    image_url = models.CharField(
        _("image"),
        max_length=500,
        blank=True,
        help_text=_("Address of the product picture (https://… or /media/…)."),
    )

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="catalog_product_price"),
            models.CheckConstraint(condition=Q(cost__gte=0), name="catalog_product_cost"),
        ]

    def __str__(self):
        return f"{self.sku} {self.name}"


class Bundle(SellableItem):
    """A set of products sold together at its own price (套餐)."""

    kind = "bundle"

    code = models.CharField(_("code"), max_length=50, unique=True)
    products = models.ManyToManyField(
        Product, through="BundleItem", verbose_name=_("products"), related_name="bundles"
    )

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("bundle")
        verbose_name_plural = _("bundles")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="catalog_bundle_price"),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def sku(self) -> str:
        return self.code


class BundleItem(models.Model):
    bundle = models.ForeignKey(Bundle, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("quantity"), default=1)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("bundle item")
        verbose_name_plural = _("bundle items")
        ordering = ["bundle", "product__sku"]
        constraints = [
            models.UniqueConstraint(fields=["bundle", "product"], name="catalog_bundleitem_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="catalog_bundleitem_qty"),
        ]

    def __str__(self):
        return f"{self.product} × {self.quantity}"


class PriceList(ChangeLoggedModel):
    """The member prices of one level (MEM-2). An item on the list sells to
    customers of the level at the list's price; other items get the level
    discount on the list price."""

    level = models.OneToOneField(
        "customers.MemberLevel",
        verbose_name=_("member level"),
        on_delete=models.CASCADE,
        related_name="price_list",
    )
    name = models.CharField(_("name"), max_length=100)
    active = models.BooleanField(_("active"), default=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        ordering = ["level__rank", "name"]

    def __str__(self):
        return self.name


class PriceListItem(models.Model):
    """A member price for a product or a bundle (exactly one of them)."""

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    bundle = models.ForeignKey(
        Bundle,
        verbose_name=_("bundle"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    price = models.DecimalField(_("member price"), **MONEY)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("price list item")
        verbose_name_plural = _("price list items")
        ordering = ["price_list", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(product__isnull=False) & Q(bundle__isnull=True))
                | (Q(product__isnull=True) & Q(bundle__isnull=False)),
                name="catalog_pricelistitem_one_item",
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="catalog_pricelistitem_price"),
            models.UniqueConstraint(
                fields=["price_list", "product"],
                condition=Q(product__isnull=False),
                name="catalog_pricelistitem_unique_product",
            ),
            models.UniqueConstraint(
                fields=["price_list", "bundle"],
                condition=Q(bundle__isnull=False),
                name="catalog_pricelistitem_unique_bundle",
            ),
        ]

    def __str__(self):
        return f"{self.item}: {self.price}"

    @property
    def item(self):
        return self.product if self.product_id else self.bundle
