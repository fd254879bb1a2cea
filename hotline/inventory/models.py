"""Inventory (INV-2..5): warehouses, the stock ledger and its levels,
suppliers and purchase orders, stocktakes.

Stock is a ledger: every change is a ``StockMove`` (signed quantity). The
``StockLevel`` of a product in a warehouse is kept in the same transaction as
the moves, under a row lock, so it always equals the sum of the moves and can
never go below zero (a CheckConstraint is the last line). There is no
reservation: approved orders take stock when they ship (``stock_issue``).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotline.core.models import ChangeLoggedModel
from hotline.core.querysets import RestrictedManager

MONEY = {"max_digits": 12, "decimal_places": 2}


def _user_fk(verbose_name):
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )


class Warehouse(ChangeLoggedModel):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=300, blank=True)
    active = models.BooleanField(_("active"), default=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["code"]

    def __str__(self):
        return self.name


class StockLevel(models.Model):
    """The quantity of a product in a warehouse: the sum of its moves."""

    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="levels"
    )
    quantity = models.IntegerField(_("quantity"), default=0)
    reorder_level = models.PositiveIntegerField(
        _("reorder level"),
        default=0,
        help_text=_("Alert when the quantity falls to or below this; 0: no alert."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        ordering = ["warehouse", "product__sku"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "warehouse"], name="inventory_stocklevel_unique"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=0), name="inventory_stocklevel_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.product} @ {self.warehouse}: {self.quantity}"

    @property
    def is_low(self) -> bool:
        return self.reorder_level > 0 and self.quantity <= self.reorder_level


class StockMove(models.Model):
    """One line of the stock ledger. Never changed or deleted."""

    class Kind(models.TextChoices):
        PURCHASE_IN = "purchase_in", _("Purchase in")
        SALE_OUT = "sale_out", _("Sale out")
        AFTER_SALES_IN = "after_sales_in", _("After-sales in")
        RETURN_TO_SUPPLIER = "return_to_supplier", _("Return to supplier")
        STOCKTAKE_ADJUST = "stocktake_adjust", _("Stocktake adjustment")
        TRANSFER_OUT = "transfer_out", _("Transfer out")
        TRANSFER_IN = "transfer_in", _("Transfer in")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, db_index=True)
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="moves"
    )
    quantity = models.IntegerField(_("quantity"))
    balance_after = models.IntegerField(_("balance"))
    reference = models.CharField(_("reference"), max_length=100, blank=True, db_index=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = _user_fk(_("by"))
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("stock move")
        verbose_name_plural = _("stock moves")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["product", "warehouse", "-at"])]
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="inventory_stockmove_nonzero"),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="inventory_stockmove_balance"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.quantity:+d} {self.product}"


class Supplier(ChangeLoggedModel):
    name = models.CharField(_("name"), max_length=200, unique=True)
    contact = models.CharField(_("contact person"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    email = models.EmailField(_("email"), blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    note = models.TextField(_("note"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        ordering = ["name"]

    def __str__(self):
        return self.name


class PurchaseOrder(ChangeLoggedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ORDERED = "ordered", _("Ordered")
        PARTIALLY_RECEIVED = "partially_received", _("Partially received")
        RECEIVED = "received", _("Received")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("number"), max_length=30, unique=True)
    supplier = models.ForeignKey(
        Supplier, verbose_name=_("supplier"), on_delete=models.PROTECT, related_name="orders"
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    note = models.TextField(_("note"), blank=True)
    expected_on = models.DateField(_("expected on"), null=True, blank=True)
    ordered_at = models.DateTimeField(_("ordered"), null=True, blank=True)
    created_by = _user_fk(_("created by"))

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.number


class PurchaseOrderLine(models.Model):
    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("quantity ordered"))
    unit_cost = models.DecimalField(_("unit cost"), default=0, **MONEY)
    received_quantity = models.PositiveIntegerField(_("quantity received"), default=0)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("purchase order line")
        verbose_name_plural = _("purchase order lines")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "product"], name="inventory_poline_unique"),
            models.CheckConstraint(
                condition=Q(received_quantity__lte=models.F("quantity")),
                name="inventory_poline_not_over_received",
            ),
        ]

    def __str__(self):
        return f"{self.product} × {self.quantity}"

    @property
    def outstanding(self) -> int:
        return self.quantity - self.received_quantity


class Stocktake(ChangeLoggedModel):
    """A count sheet for one warehouse: expected quantities snapshot at
    creation, counted quantities entered, then the differences posted."""

    class Status(models.TextChoices):
        COUNTING = "counting", _("Counting")
        POSTED = "posted", _("Posted")
        CANCELLED = "cancelled", _("Cancelled")

    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.COUNTING
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_by = _user_fk(_("created by"))
    posted_at = models.DateTimeField(_("posted"), null=True, blank=True)
    posted_by = _user_fk(_("posted by"))

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("stocktake")
        verbose_name_plural = _("stocktakes")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"ST-{self.pk} {self.warehouse}"

    @property
    def reference(self) -> str:
        return f"ST-{self.pk}"


class StocktakeLine(models.Model):
    stocktake = models.ForeignKey(Stocktake, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    expected = models.IntegerField(_("expected"))
    counted = models.PositiveIntegerField(_("counted"), null=True, blank=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("stocktake line")
        verbose_name_plural = _("stocktake lines")
        ordering = ["stocktake", "product__sku"]
        constraints = [
            models.UniqueConstraint(
                fields=["stocktake", "product"], name="inventory_stocktakeline_unique"
            )
        ]

    def __str__(self):
        return f"{self.product}: {self.expected} / {self.counted}"

    @property
    def difference(self) -> int | None:
        return None if self.counted is None else self.counted - self.expected
