from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from hotline.core.models import ChangeLoggedModel
from hotline.core.querysets import RestrictedManager


class MemberLevel(ChangeLoggedModel):
    """A membership level (MEM-1). A customer whose total spend reaches
    ``min_spend`` is upgraded to it; levels without ``min_spend`` are given by
    hand. ``discount_percent`` is the level discount; price lists per level
    (MEM-2) come with the catalogue and take precedence."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=50)
    name_en = models.CharField(_("name (English)"), max_length=50, blank=True)
    rank = models.PositiveSmallIntegerField(_("rank"), default=0, help_text=_("Higher is better."))
    min_spend = models.DecimalField(
        _("upgrade at total spend"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    discount_percent = models.DecimalField(
        _("discount (%)"), max_digits=5, decimal_places=2, default=0
    )
    queue_priority = models.PositiveSmallIntegerField(
        _("queue priority"), default=0, help_text=_("Callers of higher priority are served first.")
    )

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("member level")
        verbose_name_plural = _("member levels")
        ordering = ["rank", "code"]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        if translation.get_language() == "en" and self.name_en:
            return self.name_en
        return self.name


class PointsEntry(models.Model):
    """One line of a customer's points ledger (MEM-3); the balance after it
    is kept on the line and on the customer, and can never go below zero."""

    class Kind(models.TextChoices):
        EARN = "earn", _("Earned")
        REDEEM = "redeem", _("Redeemed")
        ADJUST = "adjust", _("Adjusted")

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="points_entries"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    delta = models.IntegerField(_("points"))
    balance_after = models.IntegerField(_("balance"))
    reason = models.CharField(_("reason"), max_length=200)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True)
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
        verbose_name = _("points entry")
        verbose_name_plural = _("points ledger")
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(balance_after__gte=0), name="customers_points_entry_balance"
            )
        ]

    def __str__(self):
        return f"{self.delta:+d} ({self.reason})"
