"""IVR flows, the numbers that lead to them, and business hours (TEL-4)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from hotline.core.models import ChangeLoggedModel
from hotline.core.querysets import RestrictedManager


class BusinessHours(ChangeLoggedModel):
    """Opening times by weekday and the exceptions of holidays.

    ``weekly`` is a list of ``{"weekday": 0-6 (Monday 0), "start": "09:00",
    "end": "18:00"}``; ``holidays`` a list of ``{"date": "2026-10-01",
    "open": false}`` or with ``"start"``/``"end"`` for a day of special hours.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=50, default="Asia/Shanghai")
    weekly = models.JSONField(_("weekly hours"), default=list, blank=True)
    holidays = models.JSONField(_("holidays and special days"), default=list, blank=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")
        ordering = ["name"]

    def __str__(self):
        return self.name


class IvrFlow(ChangeLoggedModel):
    """A graph of nodes: ``nodes`` maps a node id to its definition (see
    ``hotline.telephony.flows`` for the node types and their checks)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    start = models.CharField(_("first node"), max_length=40)
    nodes = models.JSONField(_("nodes"), default=dict)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("IVR flow")
        verbose_name_plural = _("IVR flows")
        ordering = ["name"]

    def __str__(self):
        return self.name


class DialledNumber(ChangeLoggedModel):
    """A number callers dial (a hotline, a DID) and the flow it leads to."""

    number = models.CharField(_("number"), max_length=30, unique=True)
    label = models.CharField(_("label"), max_length=100, blank=True)
    flow = models.ForeignKey(
        IvrFlow, on_delete=models.PROTECT, related_name="numbers", verbose_name=_("flow")
    )

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("dialled number")
        verbose_name_plural = _("dialled numbers")
        ordering = ["number"]

    def __str__(self):
        return self.number
