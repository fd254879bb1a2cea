from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hotline.core.models import ChangeLoggedModel, CustomFieldsModel
from hotline.core.querysets import RestrictedManager, RestrictedQuerySet


class CustomerGroup(ChangeLoggedModel):
    name = models.CharField(_("name"), max_length=100, unique=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("customer group")
        verbose_name_plural = _("customer groups")
        ordering = ["name"]

    def __str__(self):
        return self.name


class CustomerTag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self):
        return self.name


class AdSource(ChangeLoggedModel):
    """Where a customer heard of us: a TV channel, a programme, an ad slot."""

    name = models.CharField(_("name"), max_length=100)
    channel = models.CharField(_("channel"), max_length=100, blank=True)
    programme = models.CharField(_("programme"), max_length=100, blank=True)
    active = models.BooleanField(_("active"), default=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("ad source")
        verbose_name_plural = _("ad sources")
        ordering = ["name"]

    def __str__(self):
        return self.name


class CustomerQuerySet(RestrictedQuerySet):
    def current(self):
        """Customers that were not merged into another."""
        return self.filter(merged_into__isnull=True)


class Customer(ChangeLoggedModel, CustomFieldsModel):
    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        COMPANY = "company", _("Company")

    class Segment(models.TextChoices):
        NONE = "", _("No purchases yet")
        CHAMPION = "champion", _("Champion")
        LOYAL = "loyal", _("Loyal")
        AT_RISK = "at_risk", _("At risk")
        PROMISING = "promising", _("Promising")
        NEW = "new", _("New customer")
        HIBERNATING = "hibernating", _("Hibernating")

    class Gender(models.TextChoices):
        UNKNOWN = "", _("Unknown")
        FEMALE = "f", _("Female")
        MALE = "m", _("Male")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(_("name"), max_length=200, db_index=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    # Month*100 + day of the birthday, so that care lists find birthdays
    # of any year with an indexed range.
    birthday_md = models.PositiveSmallIntegerField(
        null=True, blank=True, db_index=True, editable=False
    )
    email = models.EmailField(_("e-mail"), blank=True)
    level = models.ForeignKey(
        "customers.MemberLevel",
        verbose_name=_("member level"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
    )
    group = models.ForeignKey(
        CustomerGroup,
        verbose_name=_("group"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
    )
    tags = models.ManyToManyField(
        CustomerTag, verbose_name=_("tags"), blank=True, related_name="customers"
    )
    source = models.ForeignKey(
        AdSource,
        verbose_name=_("source"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
    )
    low_credit = models.BooleanField(_("low credit"), default=False)
    credit_note = models.CharField(_("credit note"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    companies = models.ManyToManyField(
        "self",
        verbose_name=_("companies"),
        symmetrical=False,
        blank=True,
        related_name="contacts",
        limit_choices_to={"kind": "company"},
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_from",
        editable=False,
    )
    # Customer value (CUS-12), kept up to date by the services as orders settle.
    purchase_count = models.PositiveIntegerField(_("purchases"), default=0, editable=False)
    total_spend = models.DecimalField(
        _("total spend"), max_digits=14, decimal_places=2, default=0, editable=False
    )
    last_purchase_at = models.DateTimeField(
        _("last purchase"), null=True, blank=True, editable=False
    )
    rfm_segment = models.CharField(
        _("segment"), max_length=20, choices=Segment.choices, blank=True, editable=False
    )
    points_balance = models.IntegerField(_("points"), default=0, editable=False)

    objects = RestrictedManager.from_queryset(CustomerQuerySet)()
    scope_owner_field = "owner"

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-id"]
        permissions = [
            ("export_customer", _("Can export customers")),
            ("import_customer", _("Can import customers")),
            ("merge_customer", _("Can merge customers")),
            ("assign_customer", _("Can give customers to another owner")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(points_balance__gte=0), name="customers_points_never_negative"
            )
        ]
        indexes = [models.Index(fields=["owner", "-id"])]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("customers:detail", args=[self.pk])


class CustomerPhone(models.Model):
    class Kind(models.TextChoices):
        MOBILE = "mobile", _("Mobile")
        LANDLINE = "landline", _("Landline")
        TOLLFREE = "tollfree", _("Toll-free")
        VOIP = "voip", _("VoIP")
        OTHER = "other", _("Other")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(_("number (E.164)"), max_length=20, db_index=True)
    national = models.CharField(_("number"), max_length=20, db_index=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.MOBILE)
    location = models.CharField(_("location"), max_length=100, blank=True)
    carrier = models.CharField(_("carrier"), max_length=50, blank=True)
    label = models.CharField(_("label"), max_length=50, blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)

    objects = RestrictedManager()
    scope_owner_field = "customer__owner"

    class Meta:
        verbose_name = _("phone")
        verbose_name_plural = _("phones")
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "number"], name="customers_phone_once_per_customer"
            )
        ]

    def __str__(self):
        return self.national or self.number


class CustomerAddress(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    recipient = models.CharField(_("recipient"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    province = models.CharField(_("province"), max_length=50, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    district = models.CharField(_("district"), max_length=50, blank=True)
    detail = models.CharField(_("address"), max_length=300)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    is_default = models.BooleanField(_("default"), default=False)

    objects = RestrictedManager()
    scope_owner_field = "customer__owner"

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["-is_default", "id"]

    def __str__(self):
        return " ".join(p for p in (self.province, self.city, self.district, self.detail) if p)


class ContactRecord(models.Model):
    """One contact with the customer (联系历史): a call, an SMS, a visit, a note."""

    class Channel(models.TextChoices):
        CALL_IN = "call_in", _("Inbound call")
        CALL_OUT = "call_out", _("Outbound call")
        SMS = "sms", _("SMS")
        EMAIL = "email", _("E-mail")
        VISIT = "visit", _("Visit")
        NOTE = "note", _("Note")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contact_records")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    summary = models.TextField(_("summary"))
    at = models.DateTimeField(_("time"), db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = RestrictedManager()
    scope_owner_field = "customer__owner"

    class Meta:
        verbose_name = _("contact record")
        verbose_name_plural = _("contact history")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "-at"])]

    def __str__(self):
        return f"{self.get_channel_display()} {self.at:%Y-%m-%d}"
