"""ACD queues and who serves them (TEL-3)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from hotline.core.models import ChangeLoggedModel
from hotline.core.querysets import RestrictedManager
from hotline.telephony.models.agents import Agent, RecordingPolicy, Skill


class Strategy(models.TextChoices):
    LONGEST_IDLE = "longest_idle", _("Longest idle")
    ROUND_ROBIN = "round_robin", _("Round robin")
    FEWEST_CALLS = "fewest_calls", _("Fewest calls")
    SKILLS = "skills", _("Best skill level")
    STICKY = "sticky", _("Last agent (sticky)")


class OverflowAction(models.TextChoices):
    QUEUE = "queue", _("Another queue")
    VOICEMAIL = "voicemail", _("Voicemail")
    HANGUP = "hangup", _("Apologise and hang up")
    WAIT = "wait", _("Keep waiting")


class Queue(ChangeLoggedModel):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    strategy = models.CharField(
        _("strategy"), max_length=20, choices=Strategy.choices, default=Strategy.LONGEST_IDLE
    )
    skill = models.ForeignKey(
        Skill,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="queues",
        verbose_name=_("required skill"),
    )
    min_skill_level = models.PositiveSmallIntegerField(_("minimum skill level"), default=1)
    ring_seconds = models.PositiveIntegerField(_("ring timeout (s)"), default=20)
    sticky_seconds = models.PositiveIntegerField(
        _("wait for the last agent (s)"),
        default=30,
        help_text=_("Sticky strategy: how long a caller waits for the agent who served them last."),
    )
    max_wait_seconds = models.PositiveIntegerField(_("wait limit (s)"), default=120)
    overflow_action = models.CharField(
        _("after the wait limit"),
        max_length=10,
        choices=OverflowAction.choices,
        default=OverflowAction.VOICEMAIL,
    )
    no_agent_action = models.CharField(
        _("when no agent is logged in"),
        max_length=10,
        choices=OverflowAction.choices,
        default=OverflowAction.VOICEMAIL,
    )
    overflow_queue = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("overflow queue"),
    )
    after_call_seconds = models.PositiveIntegerField(_("after-call work (s)"), default=15)
    service_level_seconds = models.PositiveIntegerField(
        _("service level: answered within (s)"), default=20
    )
    service_level_percent = models.PositiveSmallIntegerField(
        _("service level target (%)"), default=80
    )
    recording = models.CharField(
        _("recording"),
        max_length=10,
        choices=RecordingPolicy.choices,
        default=RecordingPolicy.ALWAYS,
    )
    active = models.BooleanField(_("active"), default=True)
    members = models.ManyToManyField(
        Agent, through="QueueMember", related_name="queues", blank=True
    )

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        ordering = ["code"]

    def __str__(self):
        return self.name


class QueueMember(models.Model):
    """An agent who may serve a queue, and whether they are logged in to it now."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="memberships")
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="memberships")
    position = models.PositiveIntegerField(_("position"), default=0)
    logged_in = models.BooleanField(_("logged in"), default=False)

    class Meta:
        verbose_name = _("queue member")
        verbose_name_plural = _("queue members")
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["queue", "agent"], name="queue_member_once")]

    def __str__(self):
        return f"{self.queue} {self.agent}"
