"""Writes of the telephony configuration (TEL-1, TEL-3, TEL-4): skills,
not-ready reasons, extensions (with their SIP passwords), agents, queues and
their members, business hours, IVR flows and the numbers that lead to them,
and the SIP trunks of the carriers.

Each function checks the model's add / change / delete permission first,
validates everything, and saves nothing when it refuses (``InvalidData``
with per-field ``details``, ``Conflict`` for a taken code or a row still in
use). The engine reads these rows when a call needs them.
"""

import ipaddress
import re

from django.conf import settings
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from hotline.core.exceptions import Conflict, InvalidData
from hotline.core.permissions import require_perm
from hotline.telephony.flows import flow_validate
from hotline.telephony.hours import hours_clean, time_zone_valid
from hotline.telephony.models import (
    Agent,
    AgentSkill,
    BusinessHours,
    DialledNumber,
    Extension,
    IvrFlow,
    OverflowAction,
    PauseReason,
    Queue,
    QueueMember,
    RecordingPolicy,
    SipTrunk,
    Skill,
    Strategy,
)
from hotline.telephony.models.trunks import address_entries

CODE_RE = re.compile(r"^[a-z0-9_-]{1,40}$")
DIGITS_RE = re.compile(r"^[0-9]{2,20}$")
DIALLED_RE = re.compile(r"^\+?[0-9]{3,20}$")
SKILL_LEVELS = (1, 10)
MAX_ACW_SECONDS = 3600
SIP_PASSWORD_MIN_LENGTH = 8


# --- shared checks --------------------------------------------------------


def _instance(actor, model, instance):
    """``instance`` to change, or a new row to add, once ``actor`` may."""
    name = model._meta.model_name
    if instance is None:
        require_perm(actor, f"telephony.add_{name}")
        return model()
    require_perm(actor, f"telephony.change_{name}")
    return instance


def _blank(value) -> bool:
    return value is None or not str(value).strip()


def _missing(**values) -> dict[str, list[str]]:
    return {name: [_("Required.")] for name, value in values.items() if _blank(value)}


def _refuse(message: str, details: dict) -> None:
    if details:
        raise InvalidData(message, details=details)


def _unique(model, instance, field: str, value, label: str) -> None:
    if model.objects.filter(**{field: value}).exclude(pk=instance.pk).exists():
        raise Conflict(
            _("%(label)s “%(value)s” is already in use.") % {"label": label, "value": value},
            details={field: [_("Already in use.")]},
        )


def _code_and_name(instance, model, code, name) -> None:
    code, name = (code or "").strip(), (name or "").strip()
    details = _missing(code=code, name=name)
    if code and not CODE_RE.match(code):
        details["code"] = [_("Lower-case letters, digits, - and _ only (at most 40).")]
    _refuse(_("Give a code and a name."), details)
    _unique(model, instance, "code", code, _("The code"))
    instance.code, instance.name = code, name


def _delete(obj, in_use_message: str) -> None:
    try:
        obj.delete()
    except ProtectedError as exc:
        raise Conflict(in_use_message % {"name": obj}) from exc


def _flows_using(predicate) -> list[IvrFlow]:
    return [
        flow
        for flow in IvrFlow.objects.all()
        if any(isinstance(node, dict) and predicate(node) for node in (flow.nodes or {}).values())
    ]


def _names(rows) -> str:
    return ", ".join(str(row) for row in rows)


# --- skills and not-ready reasons -----------------------------------------


@transaction.atomic
def skill_save(*, actor, skill: Skill | None = None, code: str, name: str) -> Skill:
    skill = _instance(actor, Skill, skill)
    _code_and_name(skill, Skill, code, name)
    skill.save()
    return skill


def skill_delete(*, actor, skill: Skill) -> None:
    require_perm(actor, "telephony.delete_skill")
    _delete(skill, _("Queues require the skill “%(name)s”; change them first."))


@transaction.atomic
def pause_reason_save(
    *, actor, reason: PauseReason | None = None, code: str, name: str, active: bool = True
) -> PauseReason:
    reason = _instance(actor, PauseReason, reason)
    _code_and_name(reason, PauseReason, code, name)
    reason.active = bool(active)
    reason.save()
    return reason


def pause_reason_delete(*, actor, reason: PauseReason) -> None:
    require_perm(actor, "telephony.delete_pausereason")
    _delete(reason, _("“%(name)s” was already used; deactivate it instead of deleting it."))


# --- extensions and agents ------------------------------------------------


def _sip_password_problems(
    extension: Extension, kind: str, number: str, sip_password: str | None
) -> list[str]:
    """What is wrong with the SIP password given for ``extension`` as it is
    about to become (``kind``, ``number``); blank keeps the current one."""
    is_sip = kind == Extension.Kind.SIP
    if _blank(sip_password):
        if not is_sip:
            return []
        if not extension.has_sip_password:
            return [_("Required for a SIP phone.")]
        if extension.pk is not None and extension.number != number:
            return [_("The number is part of the SIP login: give the password again.")]
        return []
    if not is_sip:
        return [_("Only SIP phones have a SIP password.")]
    if not isinstance(sip_password, str) or len(sip_password) < SIP_PASSWORD_MIN_LENGTH:
        return [_("At least %(count)s characters.") % {"count": SIP_PASSWORD_MIN_LENGTH}]
    return []


def _apply_sip_password(extension: Extension, sip_password: str | None) -> None:
    if extension.kind != Extension.Kind.SIP:
        # A leftover hash would still let a SIP phone log in as this extension.
        extension.clear_sip_password()
    elif not _blank(sip_password):
        extension.set_sip_password(sip_password, settings.TELEPHONY["SIP_REALM"])


@transaction.atomic
def extension_save(
    *,
    actor,
    extension: Extension | None = None,
    number: str,
    kind: str = Extension.Kind.WEBRTC,
    recording: str = RecordingPolicy.ALWAYS,
    auto_answer: bool = False,
    active: bool = True,
    sip_password: str | None = None,
) -> Extension:
    """An extension. ``sip_password`` (write-only, at least 8 characters) is
    required for a SIP phone that has none yet; blank keeps the current one.
    Only its digest hashes for the realm ``TELEPHONY["SIP_REALM"]`` are kept,
    and they are dropped when the extension stops being a SIP phone."""
    extension = _instance(actor, Extension, extension)
    number = (number or "").strip()
    details = _missing(number=number)
    if number and not DIGITS_RE.match(number):
        details["number"] = [_("2 to 20 digits.")]
    if kind not in Extension.Kind.values:
        details["kind"] = [_("Choose a kind.")]
    if recording not in RecordingPolicy.values:
        details["recording"] = [_("Choose a recording policy.")]
    password_problems = _sip_password_problems(extension, kind, number, sip_password)
    if password_problems:
        details["sip_password"] = password_problems
    _refuse(_("The extension has errors."), details)
    _unique(Extension, extension, "number", number, _("The extension number"))
    extension.number, extension.kind, extension.recording = number, kind, recording
    extension.auto_answer, extension.active = bool(auto_answer), bool(active)
    _apply_sip_password(extension, sip_password)
    extension.save()
    return extension


def extension_delete(*, actor, extension: Extension) -> None:
    require_perm(actor, "telephony.delete_extension")
    if extension.agents_logged_in.exists():
        raise Conflict(_("An agent is logged in at “%(name)s”.") % {"name": extension})
    extension.delete()


def _skill_levels(skills) -> tuple[dict[int, int], list[str]]:
    if not isinstance(skills, dict):
        return {}, [_("Skills must map a skill to a level.")]
    levels, problems = {}, []
    ids = [int(k) for k in skills if str(k).isdigit()]
    known = set(Skill.objects.filter(pk__in=ids).values_list("pk", flat=True))
    low, high = SKILL_LEVELS
    for skill_id, level in skills.items():
        if not str(skill_id).isdigit() or int(skill_id) not in known:
            problems.append(_("Skill #%(id)s does not exist.") % {"id": skill_id})
        elif not isinstance(level, int) or isinstance(level, bool) or not low <= level <= high:
            problems.append(
                _("Skill levels lie between %(low)s and %(high)s.") % {"low": low, "high": high}
            )
        else:
            levels[int(skill_id)] = level
    return levels, problems


@transaction.atomic
def agent_save(
    *,
    actor,
    agent: Agent | None = None,
    user,
    number: str,
    default_extension: Extension | None = None,
    after_call_seconds: int | None = None,
    skills: dict | None = None,
) -> Agent:
    """An agent: one per user, a unique agent number, and skills with levels
    (``{skill id: level}``; a skill left out is taken away)."""
    agent = _instance(actor, Agent, agent)
    number = (number or "").strip()
    details = _missing(user=user, number=number)
    if user is not None and not user.is_active:
        details["user"] = [_("The user is deactivated.")]
    if number and not DIGITS_RE.match(number):
        details["number"] = [_("2 to 20 digits.")]
    if after_call_seconds is not None and not 0 <= after_call_seconds <= MAX_ACW_SECONDS:
        details["after_call_seconds"] = [
            _("Between 0 and %(max)s seconds.") % {"max": MAX_ACW_SECONDS}
        ]
    levels, problems = _skill_levels(skills or {})
    if problems:
        details["skills"] = problems
    _refuse(" ".join([_("The agent has errors."), *problems]), details)
    if Agent.objects.filter(user=user).exclude(pk=agent.pk).exists():
        raise Conflict(
            _("%(user)s is already an agent.") % {"user": user.display_name},
            details={"user": [_("Already an agent.")]},
        )
    _unique(Agent, agent, "number", number, _("The agent number"))
    agent.user, agent.number = user, number
    agent.default_extension, agent.after_call_seconds = default_extension, after_call_seconds
    agent.save()
    AgentSkill.objects.filter(agent=agent).exclude(skill_id__in=levels).delete()
    for skill_id, level in levels.items():
        AgentSkill.objects.update_or_create(
            agent=agent, skill_id=skill_id, defaults={"level": level}
        )
    return agent


# --- queues ---------------------------------------------------------------

QUEUE_FIELDS = (
    "code",
    "name",
    "strategy",
    "skill",
    "min_skill_level",
    "ring_seconds",
    "sticky_seconds",
    "max_wait_seconds",
    "overflow_action",
    "no_agent_action",
    "overflow_queue",
    "after_call_seconds",
    "service_level_seconds",
    "service_level_percent",
    "recording",
    "active",
)
# Number fields: (smallest, largest).
QUEUE_LIMITS = {
    "min_skill_level": (1, 10),
    "ring_seconds": (1, 600),
    "sticky_seconds": (0, 600),
    "max_wait_seconds": (1, 86400),
    "after_call_seconds": (0, 3600),
    "service_level_seconds": (1, 3600),
    "service_level_percent": (1, 100),
}
QUEUE_CHOICES = {
    "strategy": Strategy.values,
    "overflow_action": OverflowAction.values,
    "no_agent_action": OverflowAction.values,
    "recording": RecordingPolicy.values,
}


def _queue_numbers_and_choices(queue: Queue) -> dict[str, list[str]]:
    details: dict[str, list[str]] = {}
    for name, (low, high) in QUEUE_LIMITS.items():
        value = getattr(queue, name)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            details[name] = [_("Between %(low)s and %(high)s.") % {"low": low, "high": high}]
    for name, allowed in QUEUE_CHOICES.items():
        if getattr(queue, name) not in allowed:
            details[name] = [_("Choose one of the options.")]
    return details


def _overflow_problems(queue: Queue) -> dict[str, list[str]]:
    uses_queue = OverflowAction.QUEUE in (queue.overflow_action, queue.no_agent_action)
    target = queue.overflow_queue
    if not uses_queue:
        return {}
    if target is None:
        return {"overflow_queue": [_("Choose the queue that takes the overflow.")]}
    if queue.pk is not None and target.pk == queue.pk:
        return {"overflow_queue": [_("A queue cannot overflow into itself.")]}
    seen: set[int] = set()
    while target is not None and target.pk not in seen:
        if target.pk == queue.pk:
            return {"overflow_queue": [_("The overflow queues lead back to this queue.")]}
        seen.add(target.pk)
        if OverflowAction.QUEUE not in (target.overflow_action, target.no_agent_action):
            break
        target = target.overflow_queue
    return {}


@transaction.atomic
def queue_save(*, actor, queue: Queue | None = None, **fields) -> Queue:
    """A queue with its strategy, limits and overflow (TEL-3). ``fields`` are
    those of ``QUEUE_FIELDS``; the ones left out keep their value."""
    queue = _instance(actor, Queue, queue)
    unknown = set(fields) - set(QUEUE_FIELDS)
    if unknown:
        raise TypeError(f"queue_save() got unexpected fields {sorted(unknown)}")
    old_code = queue.code if queue.pk else None
    for name, value in fields.items():
        setattr(queue, name, value.strip() if isinstance(value, str) else value)
    details = _missing(code=queue.code, name=queue.name)
    if queue.code and not CODE_RE.match(queue.code):
        details["code"] = [_("Lower-case letters, digits, - and _ only (at most 40).")]
    details |= _queue_numbers_and_choices(queue)
    if queue.strategy == Strategy.SKILLS and queue.skill is None:
        details["skill"] = [_("The skills strategy needs a required skill.")]
    details |= _overflow_problems(queue)
    _refuse(_("The queue has errors."), details)
    _unique(Queue, queue, "code", queue.code, _("The queue code"))
    if old_code and old_code != queue.code:
        using = _flows_using(lambda node: node.get("queue") == old_code)
        if using:
            raise Conflict(
                _("IVR flows send callers to “%(code)s”: %(flows)s. Change them first.")
                % {"code": old_code, "flows": _names(using)},
                details={"code": [_("In use by IVR flows.")]},
            )
    queue.save()
    return queue


@transaction.atomic
def queue_members_set(*, actor, queue: Queue, agent_ids) -> Queue:
    """The agents who serve ``queue``, in order (their position). Members who
    stay keep whether they are logged in to the queue."""
    require_perm(actor, "telephony.change_queue")
    agent_ids = list(agent_ids or [])
    wanted = []
    for raw in agent_ids:
        agent_id = int(raw) if str(raw).isdigit() else None
        if agent_id is not None and agent_id not in wanted:
            wanted.append(agent_id)
    known = set(Agent.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    if len(known) != len(wanted) or len(wanted) != len(agent_ids):
        raise InvalidData(
            _("Some of the chosen agents do not exist."),
            details={"members": [_("Choose existing agents, each once.")]},
        )
    QueueMember.objects.filter(queue=queue).exclude(agent_id__in=wanted).delete()
    current = {m.agent_id: m for m in QueueMember.objects.filter(queue=queue)}
    for position, agent_id in enumerate(wanted):
        member = current.get(agent_id) or QueueMember(queue=queue, agent_id=agent_id)
        if member.pk is None or member.position != position:
            member.position = position
            member.save()
    return queue


def queue_delete(*, actor, queue: Queue) -> None:
    require_perm(actor, "telephony.delete_queue")
    using = _flows_using(lambda node: node.get("queue") == queue.code)
    if using:
        raise Conflict(
            _("IVR flows send callers to “%(name)s”: %(flows)s.")
            % {"name": queue, "flows": _names(using)}
        )
    feeding = Queue.objects.filter(overflow_queue=queue).exclude(pk=queue.pk)
    if feeding.exists():
        raise Conflict(
            _("Queues overflow into “%(name)s”: %(queues)s.")
            % {"name": queue, "queues": _names(feeding)}
        )
    queue.delete()


# --- business hours -------------------------------------------------------


@transaction.atomic
def business_hours_save(
    *,
    actor,
    hours: BusinessHours | None = None,
    name: str,
    time_zone: str,
    weekly,
    holidays,
) -> BusinessHours:
    hours = _instance(actor, BusinessHours, hours)
    name, time_zone = (name or "").strip(), (time_zone or "").strip()
    details = _missing(name=name)
    if not time_zone_valid(time_zone):
        details["time_zone"] = [_("Choose a time zone like Asia/Shanghai.")]
    try:
        weekly, holidays = hours_clean(weekly, holidays)
    except InvalidData as exc:
        details |= exc.details
    _refuse(_("The business hours have errors."), details)
    _unique(BusinessHours, hours, "name", name, _("The name"))
    hours.name, hours.time_zone, hours.weekly, hours.holidays = name, time_zone, weekly, holidays
    hours.save()
    return hours


def business_hours_delete(*, actor, hours: BusinessHours) -> None:
    require_perm(actor, "telephony.delete_businesshours")
    using = _flows_using(lambda node: node.get("type") == "hours" and node.get("hours") == hours.pk)
    if using:
        raise Conflict(
            _("IVR flows branch on “%(name)s”: %(flows)s.")
            % {"name": hours, "flows": _names(using)}
        )
    hours.delete()


# --- IVR flows and dialled numbers ----------------------------------------


@transaction.atomic
def flow_save(
    *, actor, flow: IvrFlow | None = None, name: str, description: str = "", start: str, nodes: dict
) -> IvrFlow:
    """An IVR flow (TEL-4): the whole graph is checked (``flow_validate``)
    and nothing is saved when any node is wrong; ``details`` then map node
    ids (and ``name``, ``start``) to their messages."""
    flow = _instance(actor, IvrFlow, flow)
    name, start = (name or "").strip(), (start or "").strip()
    details = _missing(name=name)
    message = _("Give the flow a name.")
    try:
        flow_validate(start=start, nodes=nodes)
    except InvalidData as exc:
        message = exc.message
        for key, found in exc.details.items():
            details.setdefault(key, []).extend(found)
    _refuse(message, details)
    _unique(IvrFlow, flow, "name", name, _("The flow name"))
    flow.name, flow.description = name, (description or "").strip()
    flow.start, flow.nodes = start, nodes
    flow.save()
    return flow


def flow_delete(*, actor, flow: IvrFlow) -> None:
    require_perm(actor, "telephony.delete_ivrflow")
    numbers = list(flow.numbers.all())
    if numbers:
        raise Conflict(
            _("Numbers lead to “%(name)s”: %(numbers)s. Point them elsewhere first.")
            % {"name": flow, "numbers": _names(numbers)}
        )
    flow.delete()


@transaction.atomic
def dialled_number_save(
    *,
    actor,
    dialled_number: DialledNumber | None = None,
    number: str,
    label: str = "",
    flow: IvrFlow | None,
) -> DialledNumber:
    """A number callers dial (``+86…``, ``400…``, a DID) and the flow it leads to."""
    dialled_number = _instance(actor, DialledNumber, dialled_number)
    number = re.sub(r"[\s-]", "", number or "")
    details = _missing(number=number, flow=flow)
    if number and not DIALLED_RE.match(number):
        details["number"] = [_("3 to 20 digits, optionally with a leading +.")]
    _refuse(_("The number has errors."), details)
    _unique(DialledNumber, dialled_number, "number", number, _("The number"))
    dialled_number.number, dialled_number.label = number, (label or "").strip()
    dialled_number.flow = flow
    dialled_number.save()
    return dialled_number


def dialled_number_delete(*, actor, dialled_number: DialledNumber) -> None:
    require_perm(actor, "telephony.delete_diallednumber")
    dialled_number.delete()


# --- SIP trunks -----------------------------------------------------------

TRUNK_FIELDS = (
    "name",
    "active",
    "inbound_addresses",
    "outbound_host",
    "outbound_port",
    "transport",
    "username",
    "password",
    "caller_id",
    "max_channels",
    "note",
)
TRUNK_LIMITS = {"outbound_port": (1, 65535), "max_channels": (0, 100000)}
HOST_LABEL_RE = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
SIP_USER_RE = re.compile(r"^[^\s\"<>@:;]{1,100}$")


def _address_problems(text: str) -> list[str]:
    problems = []
    for entry in address_entries(text):
        try:
            network = ipaddress.ip_network(entry)
        except ValueError:
            problems.append(_address_problem(entry))
            continue
        if network.prefixlen == 0:
            problems.append(
                _("“%(entry)s” would take calls from any address; list the carrier's.")
                % {"entry": entry}
            )
    return problems


def _address_problem(entry: str) -> str:
    try:
        network = ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return _("“%(entry)s” is not an IP address or network (CIDR).") % {"entry": entry}
    return _("“%(entry)s” has host bits set; did you mean %(network)s?") % {
        "entry": entry,
        "network": network,
    }


def _host_valid(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        labels = host.rstrip(".").split(".")
        return len(host) <= 253 and all(HOST_LABEL_RE.match(label) for label in labels)
    return True


def _too_long(trunk: SipTrunk) -> dict[str, list[str]]:
    details = {}
    for name in TRUNK_FIELDS:
        limit = getattr(SipTrunk._meta.get_field(name), "max_length", None)
        value = getattr(trunk, name)
        if limit and isinstance(value, str) and len(value) > limit:
            details[name] = [_("At most %(count)s characters.") % {"count": limit}]
    return details


def _trunk_problems(trunk: SipTrunk) -> dict[str, list[str]]:
    details = _missing(name=trunk.name)
    if not address_entries(trunk.inbound_addresses) and not trunk.outbound_host:
        details["inbound_addresses"] = [
            _("Give the carrier's addresses, an outbound host, or both.")
        ]
    address_problems = _address_problems(trunk.inbound_addresses)
    if address_problems:
        details["inbound_addresses"] = address_problems
    if trunk.outbound_host and not _host_valid(trunk.outbound_host):
        details["outbound_host"] = [_("A host name or an IP address.")]
    for name, (low, high) in TRUNK_LIMITS.items():
        value = getattr(trunk, name)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            details[name] = [_("Between %(low)s and %(high)s.") % {"low": low, "high": high}]
    if trunk.transport not in SipTrunk.Transport.values:
        details["transport"] = [_("Choose one of the options.")]
    if trunk.caller_id and not DIALLED_RE.match(trunk.caller_id):
        details["caller_id"] = [_("3 to 20 digits, optionally with a leading +.")]
    if trunk.username and not SIP_USER_RE.match(trunk.username):
        details["username"] = [_('No spaces and none of " < > @ : ;')]
    if trunk.password and not trunk.username:
        details["username"] = [_("The carrier's credentials need a user name.")]
    if trunk.username and not trunk.password:
        details["password"] = [_("Give the password that goes with the user name.")]
    return _too_long(trunk) | details


def _trunk_write(trunk: SipTrunk, fields: dict) -> SipTrunk:
    """Apply ``fields`` (those left out keep their value; a blank password
    keeps the current one unless the user name is cleared too), check the
    whole trunk and save it."""
    unknown = set(fields) - set(TRUNK_FIELDS)
    if unknown:
        raise TypeError(f"SIP trunk services got unexpected fields {sorted(unknown)}")
    password = fields.pop("password", None)
    for name, value in fields.items():
        setattr(trunk, name, value.strip() if isinstance(value, str) else value)
    if not _blank(password):
        trunk.password = password
    elif not trunk.username:
        trunk.password = ""  # clearing the user name removes the credentials
    _refuse(_("The SIP trunk has errors."), _trunk_problems(trunk))
    networks = dict.fromkeys(str(network) for network in trunk.networks())
    trunk.inbound_addresses = "\n".join(networks)
    _unique(SipTrunk, trunk, "name", trunk.name, _("The trunk name"))
    trunk.save()
    return trunk


@transaction.atomic
def trunk_create(*, actor, name: str, **fields) -> SipTrunk:
    """A carrier's SIP trunk; ``fields`` are the other ``TRUNK_FIELDS``.
    Inbound addresses are stored normalised, one network per line."""
    trunk = _instance(actor, SipTrunk, None)
    return _trunk_write(trunk, {"name": name, **fields})


@transaction.atomic
def trunk_update(*, actor, trunk: SipTrunk, **fields) -> SipTrunk:
    """Change ``trunk``: fields left out, and a blank ``password``, keep their value."""
    trunk = _instance(actor, SipTrunk, trunk)
    return _trunk_write(trunk, fields)


def trunk_delete(*, actor, trunk: SipTrunk) -> None:
    require_perm(actor, "telephony.delete_siptrunk")
    trunk.delete()
