from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hotline.core.models import ChangeLoggedModel
from hotline.core.querysets import RestrictedManager


class SavedSearch(ChangeLoggedModel):
    """A combined customer search kept under a name (CUS-5); it may serve as
    a care list with a suggested action (CUS-11). Running it always applies
    the data scope of the person who runs it."""

    class Action(models.TextChoices):
        NONE = "", _("None")
        CALL = "call", _("Call")
        SMS = "sms", _("Send an SMS")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    name = models.CharField(_("name"), max_length=100)
    query = models.JSONField(_("criteria"), default=dict)
    shared = models.BooleanField(_("shared with everyone"), default=False)
    is_care_list = models.BooleanField(_("care list"), default=False)
    suggested_action = models.CharField(
        _("suggested action"), max_length=10, choices=Action.choices, blank=True
    )

    objects = RestrictedManager()
    scope_owner_field = "owner"

    class Meta:
        verbose_name = _("saved search")
        verbose_name_plural = _("saved searches")
        ordering = ["name"]

    def __str__(self):
        return self.name


class PhonebookEntry(ChangeLoggedModel):
    """An outside contact (CUS-9): personal when ``shared`` is off, else for everyone."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    shared = models.BooleanField(_("shared"), default=False)
    name = models.CharField(_("name"), max_length=100)
    organisation = models.CharField(_("organisation"), max_length=100, blank=True)
    title = models.CharField(_("title"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, help_text=_("E.164"))
    mobile = models.CharField(_("mobile"), max_length=20, blank=True, help_text=_("E.164"))
    email = models.EmailField(_("e-mail"), blank=True)
    notes = models.CharField(_("notes"), max_length=300, blank=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("phonebook entry")
        verbose_name_plural = _("phonebook")
        ordering = ["name"]

    def __str__(self):
        return self.name
