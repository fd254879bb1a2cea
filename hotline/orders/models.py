"""Orders (ORD-1 … ORD-4): the order with its lines, the history of its
status (one ``OrderTransition`` per change, see ``states.py``) and the
per-day counter behind readable order numbers (see ``numbers.py``).

An order copies what it sold and where it goes at entry time (SKU, name,
prices, address), so later edits of the catalogue or the customer's
addresses never change an order that was taken.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotline.core.models import ChangeLoggedModel
from hotline.core.querysets import RestrictedManager
from hotline.orders.states import OrderStatus

MONEY = {"max_digits": 12, "decimal_places": 2}


class DeliveryMethod(models.TextChoices):
    COURIER = "courier", _("Courier")
    POST = "post", _("Post (EMS)")
    SAME_CITY = "same_city", _("Same-city delivery")
    SELF_PICKUP = "self_pickup", _("Self pickup")


class PaymentMethod(models.TextChoices):
    COD = "cod", _("Cash on delivery")
    PREPAID = "prepaid", _("Prepaid")
    TRANSFER = "transfer", _("Bank transfer")


class Order(ChangeLoggedModel):
    Status = OrderStatus

    number = models.CharField(_("order number"), max_length=24, unique=True, editable=False)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="orders",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("taken by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=OrderStatus.choices,
        default=OrderStatus.ORDERED,
        editable=False,
    )
    status_changed_at = models.DateTimeField(_("status since"), default=timezone.now)
    delivery_method = models.CharField(
        _("delivery"), max_length=20, choices=DeliveryMethod.choices, default="courier"
    )
    address = models.ForeignKey(
        "customers.CustomerAddress",
        verbose_name=_("customer address"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recipient = models.CharField(_("recipient"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True, db_index=True)
    province = models.CharField(_("province"), max_length=50, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    district = models.CharField(_("district"), max_length=50, blank=True)
    address_detail = models.CharField(_("address"), max_length=300, blank=True)
    payment_method = models.CharField(
        _("payment"), max_length=20, choices=PaymentMethod.choices, default="cod"
    )
    ad_source = models.ForeignKey(
        "customers.AdSource",
        verbose_name=_("media source"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    programme = models.CharField(_("programme"), max_length=100, blank=True)
    ad_slot = models.CharField(_("ad slot"), max_length=100, blank=True)
    invoice = models.BooleanField(_("invoice wanted"), default=False)
    invoice_title = models.CharField(_("invoice title"), max_length=200, blank=True)
    urgent = models.BooleanField(_("urgent"), default=False)
    low_credit = models.BooleanField(
        _("low credit"), default=False, help_text=_("The customer had a low-credit flag.")
    )
    warnings = models.JSONField(_("entry warnings"), default=list, blank=True, editable=False)
    note = models.TextField(_("note"), blank=True)
    items_total = models.DecimalField(_("items total"), default=0, **MONEY)
    discount = models.DecimalField(_("discount"), default=0, **MONEY)
    shipping_fee = models.DecimalField(_("shipping fee"), default=0, **MONEY)
    total = models.DecimalField(_("total"), default=0, **MONEY)
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        verbose_name=_("ships from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    carrier = models.CharField(_("carrier"), max_length=100, blank=True)
    tracking_number = models.CharField(
        _("tracking number"), max_length=100, blank=True, db_index=True
    )
    # The call the order was taken on (set by telephony later); NULL: not taken on a call.
    call_id = models.CharField(  # noqa: DJ001
        _("call"), max_length=64, null=True, blank=True, db_index=True
    )

    objects = RestrictedManager()
    scope_owner_field = "owner"

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-id"]
        permissions = [
            ("review_order", _("Can review orders")),
            ("ship_order", _("Can pick and ship orders")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="orders_order_total"),
            models.CheckConstraint(condition=Q(discount__gte=0), name="orders_order_discount"),
            models.CheckConstraint(
                condition=Q(shipping_fee__gte=0), name="orders_order_shipping_fee"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-id"]),
            models.Index(fields=["owner", "-id"]),
            models.Index(fields=["customer", "-id"]),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("orders:detail", args=[self.pk])

    @property
    def full_address(self) -> str:
        parts = (self.province, self.city, self.district, self.address_detail)
        return " ".join(part for part in parts if part)

    def warning_messages(self) -> list[str]:
        from hotline.orders.services.entry import warning_text

        return [warning_text(warning) for warning in self.warnings]


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    bundle = models.ForeignKey(
        "catalog.Bundle",
        verbose_name=_("bundle"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    sku = models.CharField(_("SKU"), max_length=50)
    name = models.CharField(_("name"), max_length=200)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_list_price = models.DecimalField(_("list price"), **MONEY)
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    price_source = models.CharField(_("price from"), max_length=20, blank=True)
    line_total = models.DecimalField(_("line total"), **MONEY)

    objects = RestrictedManager()
    scope_owner_field = "order__owner"

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(product__isnull=False) & Q(bundle__isnull=True))
                | (Q(product__isnull=True) & Q(bundle__isnull=False)),
                name="orders_orderline_one_item",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="orders_orderline_qty"),
        ]

    def __str__(self):
        return f"{self.sku} {self.name} × {self.quantity}"


class OrderTransition(models.Model):
    """One change of an order's status: who, when, why. Never changed."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(
        _("from"), max_length=20, choices=OrderStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=20, choices=OrderStatus.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    objects = RestrictedManager()
    scope_owner_field = "order__owner"

    class Meta:
        verbose_name = _("order status change")
        verbose_name_plural = _("order status history")
        ordering = ["order", "at", "id"]

    def __str__(self):
        return f"{self.order}: {self.from_status or '—'} → {self.to_status}"


class OrderNumberCounter(models.Model):
    """The last sequence number handed out for a day (see ``numbers.py``)."""

    day = models.DateField(primary_key=True)
    value = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("order number counter")
        verbose_name_plural = _("order number counters")

    def __str__(self):
        return f"{self.day}: {self.value}"
