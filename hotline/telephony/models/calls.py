"""Calls and their legs: the CDR (TEL-11). One call is one state machine
(``hotline.telephony.engine.calls``); a leg is one party's line in it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hotline.core.querysets import RestrictedManager
from hotline.telephony.models.agents import Agent
from hotline.telephony.models.flows import IvrFlow
from hotline.telephony.models.queues import Queue


class HangupSide(models.TextChoices):
    NONE = "", _("—")
    CALLER = "caller", _("Caller")
    AGENT = "agent", _("Agent")
    SYSTEM = "system", _("System")


class Call(models.Model):
    class Direction(models.TextChoices):
        INBOUND = "inbound", _("Inbound")
        OUTBOUND = "outbound", _("Outbound")

    class State(models.TextChoices):
        NEW = "new", _("New")
        IVR = "ivr", _("In the IVR")
        QUEUED = "queued", _("Waiting in a queue")
        RINGING = "ringing", _("Ringing an agent")
        DIALING = "dialing", _("Dialling")
        CONNECTED = "connected", _("Connected")
        ON_HOLD = "on_hold", _("On hold")
        VOICEMAIL = "voicemail", _("Leaving a voicemail")
        TRANSFERRED = "transferred", _("Transferred out")
        ENDED = "ended", _("Ended")

    class Disposition(models.TextChoices):
        NONE = "", _("—")
        ANSWERED = "answered", _("Answered")
        ABANDONED = "abandoned", _("Abandoned in the queue")
        IVR_HANGUP = "ivr_hangup", _("Ended in the IVR")
        VOICEMAIL = "voicemail", _("Voicemail")
        REJECTED = "rejected", _("Rejected (blacklist)")
        TRANSFERRED = "transferred", _("Transferred to a number")
        NOT_ANSWERED = "not_answered", _("Not answered")
        OVERFLOW_HANGUP = "overflow_hangup", _("Overflow: hung up")
        LOST = "lost", _("Lost (system restart)")

    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.NEW)
    caller = models.CharField(_("caller"), max_length=40)
    called = models.CharField(_("called"), max_length=40)
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
        verbose_name=_("customer"),
    )
    flow = models.ForeignKey(
        IvrFlow, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("flow")
    )
    flow_path = models.JSONField(_("flow path"), default=list, blank=True)
    queue = models.ForeignKey(
        Queue, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("queue")
    )
    agent = models.ForeignKey(
        Agent,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
        verbose_name=_("agent"),
    )
    priority = models.SmallIntegerField(_("priority"), default=0)
    blacklisted = models.BooleanField(_("blacklisted caller"), default=False)
    started_at = models.DateTimeField(_("entered"), db_index=True)
    queued_at = models.DateTimeField(_("queued"), null=True, blank=True)
    ringing_at = models.DateTimeField(_("ringing"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    queue_ms = models.PositiveIntegerField(_("queue wait (ms)"), default=0)
    wait_ms = models.PositiveIntegerField(_("wait (ms)"), default=0)
    talk_ms = models.PositiveIntegerField(_("talk (ms)"), default=0)
    hold_ms = models.PositiveIntegerField(_("hold (ms)"), default=0)
    acw_ms = models.PositiveIntegerField(_("after-call work (ms)"), default=0)
    disposition = models.CharField(
        _("disposition"), max_length=20, choices=Disposition.choices, default="", blank=True
    )
    hangup_side = models.CharField(
        _("hung up by"), max_length=10, choices=HangupSide.choices, default="", blank=True
    )
    hangup_cause = models.CharField(_("hangup cause"), max_length=40, blank=True)
    survey_score = models.SmallIntegerField(_("survey score"), null=True, blank=True)
    wrapup_code = models.ForeignKey(
        "telephony.WrapUpCode",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("wrap-up"),
    )
    wrapup_note = models.CharField(_("wrap-up note"), max_length=500, blank=True)
    # [[state, ISO time, note], …]: the call's transitions in order.
    timeline = models.JSONField(_("timeline"), default=list, blank=True)

    objects = RestrictedManager()
    scope_owner_field = "agent__user"

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["caller", "started_at"]),
            models.Index(fields=["customer", "started_at"]),
            models.Index(fields=["state"]),
        ]

    def __str__(self):
        return f"#{self.pk} {self.caller} → {self.called}"


class CallLeg(models.Model):
    class Kind(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        AGENT = "agent", _("Agent")
        EXTERNAL = "external", _("External number")
        MONITOR = "monitor", _("Supervisor")

    class State(models.TextChoices):
        CREATED = "created", _("Created")
        RINGING = "ringing", _("Ringing")
        ANSWERED = "answered", _("Answered")
        ON_HOLD = "on_hold", _("On hold")
        ENDED = "ended", _("Ended")

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="legs")
    switch_id = models.CharField(_("switch leg id"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.CREATED
    )
    number = models.CharField(_("number"), max_length=40, blank=True)
    agent = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="legs"
    )
    created_at = models.DateTimeField(_("created"))
    ringing_at = models.DateTimeField(_("ringing"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    wait_ms = models.PositiveIntegerField(_("wait (ms)"), default=0)
    talk_ms = models.PositiveIntegerField(_("talk (ms)"), default=0)
    hold_ms = models.PositiveIntegerField(_("hold (ms)"), default=0)
    acw_ms = models.PositiveIntegerField(_("after-call work (ms)"), default=0)
    hangup_side = models.CharField(
        _("hung up by"), max_length=10, choices=HangupSide.choices, default="", blank=True
    )
    hangup_cause = models.CharField(_("hangup cause"), max_length=40, blank=True)

    objects = RestrictedManager()
    scope_owner_field = "agent__user"

    class Meta:
        verbose_name = _("call leg")
        verbose_name_plural = _("call legs")
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.switch_id

    @property
    def span_ms(self) -> int | None:
        if self.ended_at is None:
            return None
        return round((self.ended_at - self.created_at).total_seconds() * 1000)


class Recording(models.Model):
    class Kind(models.TextChoices):
        CALL = "call", pgettext_lazy("recording kind", "Call")
        VOICEMAIL = "voicemail", _("Voicemail")

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="recordings")
    leg = models.ForeignKey(
        CallLeg, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.CALL)
    agent = models.ForeignKey(
        Agent,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recordings",
        verbose_name=_("agent"),
    )
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recordings",
        verbose_name=_("customer"),
    )
    file = models.CharField(_("file"), max_length=255, blank=True)
    content_type = models.CharField(_("content type"), max_length=50, default="audio/wav")
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    started_at = models.DateTimeField(_("started"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    objects = RestrictedManager()
    scope_owner_field = "agent__user"

    class Meta:
        verbose_name = _("recording")
        verbose_name_plural = _("recordings")
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return self.file or f"recording {self.pk}"


class Voicemail(models.Model):
    call = models.OneToOneField(Call, on_delete=models.CASCADE, related_name="voicemail")
    caller = models.CharField(_("caller"), max_length=40)
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="voicemails",
        verbose_name=_("customer"),
    )
    queue = models.ForeignKey(
        Queue, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("queue")
    )
    recording = models.ForeignKey(
        Recording, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("left at"), db_index=True)
    heard_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("heard by"),
    )
    heard_at = models.DateTimeField(_("heard at"), null=True, blank=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("voicemail")
        verbose_name_plural = _("voicemails")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.caller} {self.created_at:%Y-%m-%d %H:%M}"
