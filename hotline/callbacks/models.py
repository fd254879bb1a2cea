"""Callbacks (CB-1 … CB-4) and pending items (CB-5).

A ``CallbackTask`` is one number to call back: made by the telephony engine
for a missed call (deduplicated per number within a window) or scheduled by
an agent as a follow-up. Its status changes only through
``services.transitions`` (one ``CallbackTransition`` row each); every try to
reach the customer is a ``CallbackAttempt``. ``AllocationRule`` rows decide
who gets pending callbacks. A ``PendingItem`` is something an agent has to
follow up (待办), with an alarm when it is overdue.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotline.callbacks.states import (
    AllocationMode,
    AttemptResult,
    CallbackKind,
    CallbackStatus,
)
from hotline.core.models import ChangeLoggedModel
from hotline.core.querysets import RestrictedManager


def _user_fk(verbose_name, related_name="+", **options):
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name=related_name,
        **options,
    )


class AllocationRule(ChangeLoggedModel):
    """Who gets a pending callback. Rules are tried by position; the first
    rule whose conditions all hold and whose target can be resolved decides.
    Empty conditions hold for every callback."""

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=100)
    active = models.BooleanField(_("active"), default=True)
    mode = models.CharField(
        _("mode"), max_length=10, choices=AllocationMode.choices, default=AllocationMode.AUTO
    )
    # --- conditions
    kinds = models.JSONField(
        _("kinds"),
        default=list,
        blank=True,
        help_text=_("Only callbacks of these kinds; none ticked: every kind."),
    )
    min_priority = models.IntegerField(_("priority at least"), null=True, blank=True)
    member_level = models.ForeignKey(
        "customers.MemberLevel",
        verbose_name=_("member level"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    province = models.CharField(
        _("province"),
        max_length=50,
        blank=True,
        help_text=_("Province of the number, e.g. 广东省 or 北京市."),
    )
    ad_source = models.ForeignKey(
        "customers.AdSource",
        verbose_name=_("media source"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    last_result = models.CharField(
        _("result of the last attempt"),
        max_length=20,
        choices=AttemptResult.choices,
        blank=True,
    )
    customer_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # --- target
    last_agent_first = models.BooleanField(
        _("last agent first"),
        default=False,
        help_text=_(
            "Give the callback to the agent who served the number last when that agent "
            "is logged in; otherwise to the target below."
        ),
    )
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("to agent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    target_team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("to team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The member of the team with the fewest open callbacks."),
    )

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("allocation rule")
        verbose_name_plural = _("allocation rules")
        ordering = ["position", "id"]

    def __str__(self):
        return self.name

    def kind_labels(self) -> list[str]:
        return [str(CallbackKind(kind).label) for kind in self.kinds if kind in CallbackKind.values]


class CallbackTask(models.Model):
    Kind = CallbackKind
    Status = CallbackStatus

    number = models.CharField(_("number"), max_length=40)
    province = models.CharField(_("province"), max_length=50, blank=True, editable=False)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="callbacks",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=CallbackKind.choices)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=CallbackStatus.choices,
        default=CallbackStatus.PENDING,
        editable=False,
    )
    priority = models.IntegerField(_("priority"), default=0)
    due_at = models.DateTimeField(_("due"))
    owner = _user_fk(_("agent"), related_name="callbacks")
    suggested_to = _user_fk(_("suggested to"))
    last_agent = _user_fk(_("last agent"))
    created_by = _user_fk(_("created by"))
    call = models.ForeignKey(
        "telephony.Call",
        verbose_name=_("call"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="callbacks",
    )
    queue = models.ForeignKey(
        "telephony.Queue",
        verbose_name=_("queue"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rule = models.ForeignKey(
        AllocationRule,
        verbose_name=_("allocated by rule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    # False once a lead rejected a suggestion: then only a lead allocates it.
    auto_allocate = models.BooleanField(_("allocate by rules"), default=True, editable=False)
    calls_count = models.PositiveIntegerField(_("missed calls"), default=1)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveIntegerField(_("attempt limit"), default=3)
    last_result = models.CharField(
        _("last result"), max_length=20, choices=AttemptResult.choices, blank=True
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # When the overdue alarm went out for the current due time (None: not yet).
    alarmed_at = models.DateTimeField(_("overdue alarm"), null=True, blank=True, editable=False)

    objects = RestrictedManager()
    scope_owner_field = "owner"

    class Meta:
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        ordering = ["due_at", "id"]
        permissions = [
            ("assign_callbacktask", _("Can allocate callbacks to agents")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="assigned") | Q(owner__isnull=False),
                name="callbacks_assigned_has_owner",
            ),
            models.CheckConstraint(
                condition=~Q(status="suggested") | Q(suggested_to__isnull=False),
                name="callbacks_suggested_has_agent",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-priority", "due_at"]),
            models.Index(fields=["owner", "status", "due_at"]),
            models.Index(fields=["number", "status", "created_at"]),
        ]

    def __str__(self):
        return f"{self.number} ({self.get_kind_display()})"

    def get_absolute_url(self):
        return reverse("callbacks:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in (
            CallbackStatus.PENDING,
            CallbackStatus.SUGGESTED,
            CallbackStatus.ASSIGNED,
        )

    def is_overdue(self, now=None) -> bool:
        return self.is_open and self.due_at < (now or timezone.now())


class CallbackTransition(models.Model):
    """One change of a callback's status (or owner): who, when, by which rule.
    Never changed; an assignment is a row whose ``to_status`` is assigned."""

    task = models.ForeignKey(CallbackTask, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(
        _("from"), max_length=12, choices=CallbackStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=12, choices=CallbackStatus.choices)
    owner = _user_fk(_("agent"))
    by = _user_fk(_("by"))
    rule = models.ForeignKey(
        AllocationRule,
        verbose_name=_("rule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    note = models.CharField(_("note"), max_length=500, blank=True)

    objects = RestrictedManager()
    scope_owner_field = "task__owner"

    class Meta:
        verbose_name = _("callback status change")
        verbose_name_plural = _("callback status history")
        ordering = ["task", "at", "id"]

    def __str__(self):
        return f"{self.task_id}: {self.from_status or '—'} → {self.to_status}"


class CallbackAttempt(models.Model):
    """One try to reach the customer of a callback, and how it went (CB-4)."""

    Result = AttemptResult

    task = models.ForeignKey(CallbackTask, on_delete=models.CASCADE, related_name="attempt_rows")
    agent = _user_fk(_("agent"))
    at = models.DateTimeField(_("time"), default=timezone.now)
    result = models.CharField(_("result"), max_length=20, choices=AttemptResult.choices)
    note = models.TextField(_("note"), blank=True)
    next_due_at = models.DateTimeField(_("call again at"), null=True, blank=True)

    objects = RestrictedManager()
    scope_owner_field = "task__owner"

    class Meta:
        verbose_name = _("callback attempt")
        verbose_name_plural = _("callback attempts")
        ordering = ["task", "at", "id"]

    def __str__(self):
        return f"{self.task_id} {self.at:%Y-%m-%d %H:%M} {self.result}"


class PendingItem(ChangeLoggedModel):
    """Something to follow up by a due time (待办, CB-5), for one handler."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")

    title = models.CharField(_("subject"), max_length=200)
    note = models.TextField(_("note"), blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pending_items",
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        on_delete=models.PROTECT,
        related_name="pending_items",
    )
    created_by = _user_fk(_("created by"))
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, editable=False
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True, editable=False)
    alarmed_at = models.DateTimeField(_("overdue alarm"), null=True, blank=True, editable=False)

    objects = RestrictedManager()
    scope_owner_field = "handler"

    class Meta:
        verbose_name = _("pending item")
        verbose_name_plural = _("pending items")
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["handler", "status", "due_at"]),
            models.Index(fields=["status", "due_at"]),
        ]

    def __str__(self):
        return self.title

    def is_overdue(self, now=None) -> bool:
        return self.status == self.Status.OPEN and self.due_at < (now or timezone.now())
