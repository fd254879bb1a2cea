"""Agents, their extensions, skills and the history of their states (TEL-1)."""

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hotline.core.models import ChangeLoggedModel
from hotline.core.querysets import RestrictedManager


class RecordingPolicy(models.TextChoices):
    ALWAYS = "always", _("Always")
    NEVER = "never", _("Never")
    ON_DEMAND = "on_demand", _("On demand")


class Skill(ChangeLoggedModel):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["code"]

    def __str__(self):
        return self.name


class PauseReason(ChangeLoggedModel):
    """Why an agent is not ready: break, training, paperwork …"""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    active = models.BooleanField(_("active"), default=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("not-ready reason")
        verbose_name_plural = _("not-ready reasons")
        ordering = ["code"]

    def __str__(self):
        return self.name


class WrapUpCode(ChangeLoggedModel):
    """What came of a call, as the agent records it in after-call work."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    active = models.BooleanField(_("active"), default=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("wrap-up code")
        verbose_name_plural = _("wrap-up codes")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Extension(ChangeLoggedModel):
    """A place an agent answers calls: a SIP phone, a browser softphone, or a
    simulated phone of the `sim` switch."""

    class Kind(models.TextChoices):
        SIP = "sip", _("SIP phone")
        WEBRTC = "webrtc", _("Browser softphone")
        SIM = "sim", _("Simulated phone")

    number = models.CharField(_("number"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.WEBRTC)
    recording = models.CharField(
        _("recording"),
        max_length=10,
        choices=RecordingPolicy.choices,
        default=RecordingPolicy.ALWAYS,
    )
    # Simulated phones answer by themselves after a ring (demo and load tests).
    auto_answer = models.BooleanField(_("answers by itself (simulated)"), default=False)
    active = models.BooleanField(_("active"), default=True)
    # Digest HA1 = H(number:realm:password) in hex, for SIP phones; the
    # password itself is never stored.
    sip_ha1_md5 = models.CharField(
        _("SIP password hash (MD5)"), max_length=64, blank=True, editable=False
    )
    sip_ha1_sha256 = models.CharField(
        _("SIP password hash (SHA-256)"), max_length=64, blank=True, editable=False
    )

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")
        ordering = ["number"]

    def __str__(self):
        return self.number

    def set_sip_password(self, password: str, realm: str) -> None:
        """Keep the digest hashes of ``password`` for this number and ``realm``
        (MD5 and SHA-256, RFC 7616). Call again when the number changes."""
        secret = f"{self.number}:{realm}:{password}".encode()
        self.sip_ha1_md5 = hashlib.md5(secret).hexdigest()  # noqa: S324 - digest auth needs MD5
        self.sip_ha1_sha256 = hashlib.sha256(secret).hexdigest()

    def clear_sip_password(self) -> None:
        self.sip_ha1_md5 = self.sip_ha1_sha256 = ""

    @property
    def has_sip_password(self) -> bool:
        return bool(self.sip_ha1_md5 and self.sip_ha1_sha256)

    def _loggable_values(self) -> dict:
        # An HA1 lets a SIP client log in as the extension just like the
        # password: the change log only records whether one is set.
        values = super()._loggable_values()
        for name in ("sip_ha1_md5", "sip_ha1_sha256"):
            if values.get(name):
                values[name] = "********"
        return values


class AgentState(models.TextChoices):
    LOGGED_OUT = "logged_out", _("Logged out")
    READY = "ready", _("Ready")
    NOT_READY = "not_ready", _("Not ready")
    RINGING = "ringing", _("Ringing")
    TALKING = "talking", _("Talking")
    ON_HOLD = "on_hold", _("On hold")
    AFTER_CALL = "after_call", _("After-call work")


class Agent(ChangeLoggedModel):
    """A user who takes calls. The state columns mirror the engine and are
    written before any event announces a change."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="agent",
        verbose_name=_("user"),
    )
    number = models.CharField(_("agent number"), max_length=20, unique=True)
    skills = models.ManyToManyField(
        Skill, through="AgentSkill", blank=True, verbose_name=_("skills")
    )
    default_extension = models.ForeignKey(
        Extension,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("default extension"),
    )
    # After-call work in seconds; empty takes the queue's.
    after_call_seconds = models.PositiveIntegerField(
        _("after-call work (s)"), null=True, blank=True
    )
    state = models.CharField(
        _("state"), max_length=12, choices=AgentState.choices, default=AgentState.LOGGED_OUT
    )
    state_reason = models.ForeignKey(
        PauseReason,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reason"),
    )
    state_since = models.DateTimeField(_("state since"), null=True, blank=True)
    extension = models.ForeignKey(
        Extension,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="agents_logged_in",
        verbose_name=_("logged in at"),
    )
    current_call = models.ForeignKey(
        "telephony.Call",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("current call"),
    )

    objects = RestrictedManager()
    scope_owner_field = "user"

    class Meta:
        verbose_name = _("agent")
        verbose_name_plural = _("agents")
        ordering = ["number"]
        permissions = [
            ("control_agent", _("Can control own agent state and calls")),
            ("supervise_agent", _("Can force agent states and watch queues")),
        ]

    def __str__(self):
        return f"{self.number} {self.user}"


class AgentSkill(models.Model):
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="skill_levels")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="agent_levels")
    level = models.PositiveSmallIntegerField(_("level"), default=1)

    class Meta:
        verbose_name = _("agent skill")
        verbose_name_plural = _("agent skills")
        constraints = [models.UniqueConstraint(fields=["agent", "skill"], name="agent_skill_once")]

    def __str__(self):
        return f"{self.agent} {self.skill} {self.level}"


class AgentStateChange(models.Model):
    """One state an agent entered, and when; the next row of the agent ends it."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="state_changes")
    state = models.CharField(_("state"), max_length=12, choices=AgentState.choices)
    reason = models.ForeignKey(PauseReason, null=True, blank=True, on_delete=models.PROTECT)
    at = models.DateTimeField(_("at"))
    call = models.ForeignKey("telephony.Call", null=True, blank=True, on_delete=models.SET_NULL)

    objects = RestrictedManager()
    scope_owner_field = "agent__user"

    class Meta:
        verbose_name = _("agent state change")
        verbose_name_plural = _("agent state changes")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["agent", "at"])]

    def __str__(self):
        return f"{self.agent} {self.state} {self.at:%Y-%m-%d %H:%M:%S}"
