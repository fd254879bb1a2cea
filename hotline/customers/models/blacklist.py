from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hotline.core.models import ChangeLoggedModel
from hotline.core.querysets import RestrictedManager


class BlacklistReport(models.Model):
    """An agent's report of a nuisance number (CUS-6). Every report is kept."""

    number = models.CharField(_("number (E.164)"), max_length=20, db_index=True)
    reason = models.CharField(_("reason"), max_length=200)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("blacklist report")
        verbose_name_plural = _("blacklist reports")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.number}: {self.reason}"


class BlacklistEntry(ChangeLoggedModel):
    """A blacklisted number. Without windows it is refused at all times;
    with windows, only during them."""

    class Source(models.TextChoices):
        REPORTS = "reports", _("Reports by agents")
        MANUAL = "manual", _("Added by hand")

    number = models.CharField(_("number (E.164)"), max_length=20, unique=True)
    active = models.BooleanField(_("active"), default=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("blacklisted number")
        verbose_name_plural = _("blacklist")
        ordering = ["-updated_at"]

    def __str__(self):
        return self.number


class BlacklistWindow(models.Model):
    """A weekly time window during which a blacklisted number is refused."""

    entry = models.ForeignKey(BlacklistEntry, on_delete=models.CASCADE, related_name="windows")
    weekdays = models.JSONField(
        _("weekdays"),
        default=list,
        blank=True,
        help_text=_("0 = Monday … 6 = Sunday; empty: every day."),
    )
    start = models.TimeField(_("from"))
    end = models.TimeField(
        _("until"), help_text=_("May be before the start: the window then spans midnight.")
    )

    class Meta:
        verbose_name = _("refusal window")
        verbose_name_plural = _("refusal windows")
        ordering = ["start"]

    def __str__(self):
        return f"{self.start:%H:%M}–{self.end:%H:%M}"

    def covers(self, local_dt) -> bool:
        t = local_dt.time()
        if self.start <= self.end:
            inside = self.start <= t < self.end
            day = local_dt.weekday()
        else:
            inside = t >= self.start or t < self.end
            # After midnight the window belongs to the day it started on.
            day = local_dt.weekday() if t >= self.start else (local_dt.weekday() - 1) % 7
        return inside and (not self.weekdays or day in self.weekdays)
