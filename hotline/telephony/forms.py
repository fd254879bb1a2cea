"""Forms of the telephony configuration pages. They parse input only; the
rules live in ``hotline.telephony.services.config``.

The IVR flow editor is a table of node rows posted as ``node-<i>-<field>``
(``rows`` gives their count): ``FlowEditor`` turns them into the graph of
``hotline.telephony.flows``, and puts the service's messages back on the
rows of the offending nodes, with everything the administrator typed kept.
"""

import re
import zoneinfo

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.accounts.models import User
from hotline.core.exceptions import DomainError, InvalidData
from hotline.telephony.flows import FIELD_LABELS, LOOKUPS, NODE_TYPES, flow_validate
from hotline.telephony.hours import (
    hours_holidays_parse,
    hours_holidays_text,
    hours_weekly_parse,
    hours_weekly_text,
)
from hotline.telephony.models import (
    Agent,
    AgentSkill,
    BusinessHours,
    DialledNumber,
    Extension,
    IvrFlow,
    PauseReason,
    Queue,
    SipTrunk,
    Skill,
)
from hotline.telephony.services.config import (
    QUEUE_FIELDS,
    SIP_PASSWORD_MIN_LENGTH,
    SKILL_LEVELS,
    TRUNK_FIELDS,
    flow_save,
)
from hotline.web.forms import ModelFieldsForm, UserChoice

# --- simple rows ----------------------------------------------------------


class SkillForm(ModelFieldsForm):
    model = Skill
    field_names = ("code", "name")


class PauseReasonForm(ModelFieldsForm):
    model = PauseReason
    field_names = ("code", "name", "active")


def _write_only_password(label) -> forms.CharField:
    """A password field that is never filled in, neither from what is stored
    nor from what was just typed when the form comes back with errors."""
    return forms.CharField(
        label=label,
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=False),
    )


class ExtensionForm(ModelFieldsForm):
    """An extension; its SIP password is write-only (blank keeps it)."""

    model = Extension
    field_names = ("number", "kind", "recording", "auto_answer", "active")

    sip_password = _write_only_password(gettext_lazy("SIP password"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        help_text = _(
            "For SIP phones: at least %(count)s characters; the phone logs in with the "
            "extension number as user name."
        ) % {"count": SIP_PASSWORD_MIN_LENGTH}
        if self.instance is not None:
            help_text = f"{help_text} {_('Leave blank to keep the current one.')}"
        self.fields["sip_password"].help_text = help_text

    def service_kwargs(self) -> dict:
        return {**super().service_kwargs(), "sip_password": self.cleaned_data["sip_password"]}


class SipTrunkForm(ModelFieldsForm):
    """A carrier's SIP trunk; its password is write-only (blank keeps it)."""

    model = SipTrunk
    field_names = tuple(name for name in TRUNK_FIELDS if name != "password")

    password = _write_only_password(gettext_lazy("Password"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {name: self.fields[name] for name in TRUNK_FIELDS}
        self.fields["password"].help_text = (
            _("Leave blank to keep the current password; clearing the user name removes it.")
            if self.instance is not None
            else _("Needed with a user name.")
        )
        self.fields["inbound_addresses"].widget.attrs["rows"] = 4
        self.fields["note"].widget.attrs["rows"] = 3

    def service_kwargs(self) -> dict:
        return {**super().service_kwargs(), "password": self.cleaned_data["password"]}


class DialledNumberForm(ModelFieldsForm):
    model = DialledNumber
    field_names = ("number", "label", "flow")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["flow"].queryset = IvrFlow.objects.order_by("name")
        self.fields["number"].help_text = _("As the carrier presents it, e.g. 4008001234 or +8610…")


class AgentChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.number} {obj.user.display_name}"


class AgentForm(ModelFieldsForm):
    """An agent, and a level (1–10) for each skill they have; an empty level
    means the agent does not have the skill."""

    model = Agent
    field_names = ("user", "number", "default_extension", "after_call_seconds")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        agent = self.instance
        taken = Agent.objects.exclude(pk=getattr(agent, "pk", None)).values("user_id")
        users = User.objects.filter(is_active=True).exclude(pk__in=taken).order_by("username")
        self.fields["user"] = UserChoice(label=_("User"), queryset=users)
        self.fields["default_extension"].queryset = Extension.objects.filter(active=True)
        self.fields["after_call_seconds"].help_text = _(
            "Empty: the queue's after-call work applies."
        )
        levels = {}
        if agent is not None:
            levels = dict(AgentSkill.objects.filter(agent=agent).values_list("skill_id", "level"))
        low, high = SKILL_LEVELS
        for skill in Skill.objects.all():
            name = f"skill_{skill.pk}"
            self.fields[name] = forms.IntegerField(
                label=_("Skill: %(skill)s") % {"skill": skill.name},
                required=False,
                min_value=low,
                max_value=high,
                help_text=_("Level %(low)s–%(high)s; empty: not this skill.")
                % {"low": low, "high": high},
            )
            if skill.pk in levels and not self.is_bound:
                self.initial[name] = levels[skill.pk]

    def service_kwargs(self) -> dict:
        skills = {
            int(name.removeprefix("skill_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("skill_") and value is not None
        }
        return {**super().service_kwargs(), "skills": skills}


class QueueForm(ModelFieldsForm):
    """A queue with all its TEL-3 options and the agents who serve it."""

    model = Queue
    field_names = QUEUE_FIELDS

    members = AgentChoice(
        label=gettext_lazy("Members"),
        queryset=Agent.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        queue = self.instance
        others = Queue.objects.exclude(pk=getattr(queue, "pk", None))
        self.fields["overflow_queue"].queryset = others
        self.fields["overflow_queue"].help_text = _(
            "Needed when the queue sends callers to another queue."
        )
        self.fields["members"].queryset = Agent.objects.select_related("user").order_by("number")
        if queue is not None and not self.is_bound:
            self.initial["members"] = list(queue.memberships.values_list("agent_id", flat=True))

    def member_ids(self) -> list[int]:
        return [agent.pk for agent in self.cleaned_data.get("members") or []]


# --- business hours -------------------------------------------------------


def _time_zones():
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class BusinessHoursForm(ModelFieldsForm):
    """Weekly windows and holidays edited as text, one row per line."""

    model = BusinessHours
    field_names = ("name",)

    time_zone = forms.ChoiceField(label=gettext_lazy("Time zone"), choices=_time_zones)
    weekly = forms.CharField(
        label=gettext_lazy("Weekly hours"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text=gettext_lazy(
            "One window per line: “Mon 09:00-18:00”, “Mon-Fri 09:00-12:00, 13:00-18:00” or "
            "“周六 10:00-16:00”. The end is exclusive; 24:00 is midnight. Days without a line "
            "are closed."
        ),
    )
    holidays = forms.CharField(
        label=gettext_lazy("Holidays and special days"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy(
            "One per line: “2026-10-01 closed”, “2026-10-01..2026-10-07 closed” or "
            "“2026-10-08 10:00-16:00” (these hours replace the weekly ones that day)."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        hours = self.instance
        if hours is not None and not self.is_bound:
            self.initial.update(
                time_zone=hours.time_zone,
                weekly=hours_weekly_text(hours.weekly),
                holidays=hours_holidays_text(hours.holidays),
            )
        elif not self.is_bound:
            self.initial["time_zone"] = BusinessHours._meta.get_field("time_zone").default

    def clean_weekly(self):
        rows, problems = hours_weekly_parse(self.cleaned_data.get("weekly", ""))
        if problems:
            raise forms.ValidationError(problems)
        return rows

    def clean_holidays(self):
        rows, problems = hours_holidays_parse(self.cleaned_data.get("holidays", ""))
        if problems:
            raise forms.ValidationError(problems)
        return rows

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "time_zone": data["time_zone"],
            "weekly": data["weekly"],
            "holidays": data["holidays"],
        }


# --- IVR flows ------------------------------------------------------------


class FlowForm(ModelFieldsForm):
    model = IvrFlow
    field_names = ("name", "description", "start")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["start"].required = False
        self.fields["start"].help_text = _("The id of the node a caller meets first.")


ROW_FIELDS = (
    "id",
    "type",
    "text",
    "audio",
    "next",
    "choices",
    "invalid",
    "open",
    "closed",
    "found",
    "not_found",
    "queue",
    "number",
    "var",
    "max_digits",
    "terminator",
    "timeout",
    "retries",
    "hours",
    "source",
    "min",
    "max",
    "max_seconds",
)
# Shown on the first line of a node row; the others on its second line.
MAIN_FIELDS = ("id", "type", "text", "audio", "next")
INT_FIELDS = frozenset({"max_digits", "timeout", "retries", "hours", "min", "max", "max_seconds"})
INT_RE = re.compile(r"^-?\d+$")
CHOICE_RE = re.compile(r"^\s*(\S)\s*[=:：]\s*(\S+)\s*$")
EXTRA_ROWS = 3
MAX_ROWS = 200
WIDE_FIELDS = frozenset({"text", "choices"})
# Field → the node types that have it (the editor hides the others).
FIELD_TYPES = {
    name: tuple(code for code, kind in NODE_TYPES.items() if name in kind.fields)
    for name in ROW_FIELDS
}


def choices_text(choices) -> str:
    """{"1": "sales", "2": "service"} → ``1=sales, 2=service``."""
    if not isinstance(choices, dict):
        return ""
    return ", ".join(f"{key}={target}" for key, target in choices.items())


def parse_choices(text: str) -> tuple[dict[str, str] | None, str | None]:
    """``1=sales, 2=service`` → ({"1": "sales", "2": "service"}, None), or
    (None, message) when a piece is not ``key=node``."""
    choices: dict[str, str] = {}
    for piece in re.split(r"[,，;；]", text):
        if not piece.strip():
            continue
        match = CHOICE_RE.match(piece)
        if not match:
            return None, _("Write the choices like “1=sales, 2=service”.")
        key, target = match.groups()
        if key in choices:
            return None, _("The key “%(key)s” is given twice.") % {"key": key}
        choices[key] = target
    return choices, None


def row_from_node(node_id: str, node: dict) -> dict:
    """A node of a saved flow as the strings of an editor row."""
    row = {name: "" for name in ROW_FIELDS}
    row["id"] = node_id
    for name, value in (node or {}).items():
        if name == "choices":
            row["choices"] = choices_text(value)
        elif name in row:
            row[name] = "" if value is None else str(value)
    return row


class FlowEditor:
    """The flow form and its node rows. ``rows`` are dicts of the raw
    strings (plus ``remove``), ``row_errors`` messages by row index."""

    def __init__(self, data=None, *, flow: IvrFlow | None = None):
        self.flow = flow
        self.form = FlowForm(data, instance=flow)
        self.row_errors: dict[int, list[str]] = {}
        if data is None:
            nodes = flow.nodes if flow is not None else {}
            self.rows = [row_from_node(i, n) for i, n in nodes.items()] + self._blank_rows()
        else:
            self.rows = self._rows_from(data)
            if "add_rows" in data or not self.rows:
                self.rows += self._blank_rows()

    # --- input --------------------------------------------------------

    @staticmethod
    def _blank_rows() -> list[dict]:
        return [{name: "" for name in ROW_FIELDS} for _i in range(EXTRA_ROWS)]

    @staticmethod
    def _rows_from(data) -> list[dict]:
        count = data.get("rows", "")
        count = min(int(count), MAX_ROWS) if count.isdigit() else 0
        rows = []
        for index in range(count):
            row = {name: data.get(f"node-{index}-{name}", "").strip() for name in ROW_FIELDS}
            row["remove"] = bool(data.get(f"node-{index}-remove"))
            rows.append(row)
        return rows

    def _node(self, index: int, row: dict) -> dict:
        node: dict = {"type": row["type"]}
        for name in ROW_FIELDS[2:]:
            value = row[name]
            if not value:
                continue
            if name == "choices":
                choices, problem = parse_choices(value)
                if problem:
                    self.row_errors.setdefault(index, []).append(problem)
                    continue
                node[name] = choices
            elif name in INT_FIELDS and INT_RE.match(value):
                node[name] = int(value)
            else:
                node[name] = value
        return node

    def graph(self) -> tuple[str, dict, dict[str, int]]:
        """(start, nodes, node id → row index) from the rows; problems of a
        row on its own (no id, a taken id, unreadable choices) go to
        ``row_errors``."""
        nodes: dict = {}
        index_of: dict[str, int] = {}
        for index, row in enumerate(self.rows):
            filled = any(row[name] for name in ROW_FIELDS)
            if row.get("remove") or not filled:
                continue
            node_id = row["id"]
            if not node_id:
                self.row_errors.setdefault(index, []).append(_("Give the node an id."))
                continue
            if node_id in nodes:
                self.row_errors.setdefault(index, []).append(
                    _("Another row already uses the id “%(id)s”.") % {"id": node_id}
                )
                continue
            nodes[node_id] = self._node(index, row)
            index_of[node_id] = index
        start = (self.form.data.get("start") or "").strip()
        return start, nodes, index_of

    # --- saving -------------------------------------------------------

    def save(self, *, actor) -> IvrFlow | None:
        """Validate everything and save through ``flow_save``; None (with the
        messages placed) when anything is wrong."""
        form_ok = self.form.is_valid()
        start, nodes, index_of = self.graph()
        if not form_ok or self.row_errors:
            try:
                flow_validate(start=start, nodes=nodes)
            except InvalidData as exc:
                self._place(exc, index_of)
            if self.row_errors and not self.form.non_field_errors():
                self.form.add_error(None, _("The flow has errors; see the marked nodes."))
            return None
        try:
            return flow_save(
                actor=actor, flow=self.flow, start=start, nodes=nodes, **self._fields()
            )
        except DomainError as exc:
            if self.flow is not None:
                self.flow.refresh_from_db()
            self._place(exc, index_of)
            self.form.add_error(None, exc.message)
            return None

    def _fields(self) -> dict:
        data = self.form.cleaned_data
        return {"name": data["name"], "description": data.get("description", "")}

    def _place(self, exc: DomainError, index_of: dict[str, int]) -> None:
        details = exc.details if isinstance(exc.details, dict) else {}
        for key, messages in details.items():
            messages = [str(m) for m in messages] if isinstance(messages, list) else [str(messages)]
            if key in index_of:
                self.row_errors.setdefault(index_of[key], []).extend(messages)
            elif key in ("name", "start", "description"):
                for message in messages:
                    self.form.add_error(key, message)
            elif key not in ("permission",):
                for message in messages:
                    self.form.add_error(None, message)

    # --- output -------------------------------------------------------

    @staticmethod
    def legend() -> list[dict]:
        """Each node type with the fields it needs and may have."""
        prompt = _("prompt (text or audio)")
        result = []
        for kind in NODE_TYPES.values():
            required = [str(FIELD_LABELS[name]) for name in kind.required]
            optional = [str(FIELD_LABELS[name]) for name in kind.optional]
            if kind.prompt == "required":
                required.insert(0, prompt)
            elif kind.prompt == "optional":
                optional.insert(0, prompt)
            result.append(
                {"label": kind.label, "required": required, "optional": optional}
                | {"terminal": kind.terminal}
            )
        return result

    def _options(self, name: str, value: str):
        if name == "type":
            options = [(code, str(t.label)) for code, t in NODE_TYPES.items()]
        elif name == "queue":
            options = [(q.code, f"{q.code} · {q.name}") for q in Queue.objects.all()]
        elif name == "hours":
            options = [(str(h.pk), h.name) for h in BusinessHours.objects.all()]
        elif name == "source":
            options = [(key, str(lookup.label)) for key, lookup in LOOKUPS.items()]
        else:
            return None
        if value and value not in dict(options):
            options.append((value, value))
        return [("", "—"), *options]

    def _cell(self, index: int, name: str, value: str, options, kind) -> dict:
        label = _("Node id") if name == "id" else _("Type") if name == "type" else None
        return {
            "field": name,
            "name": f"node-{index}-{name}",
            "label": label or str(FIELD_LABELS.get(name, name)),
            "value": value,
            "options": options,
            "wide": name in WIDE_FIELDS,
            "main": name in MAIN_FIELDS,
            "types": " ".join(FIELD_TYPES.get(name, ())),
            # A field the row's type does not have (or a row without a type)
            # is shown only when filled.
            "hidden": not value and (kind is None or name not in kind.fields),
        }

    def table(self) -> list[dict]:
        """The rows as the template draws them: index, cells of the first and
        second line, errors and whether the row is marked for removal."""
        option_cache = {name: self._options(name, "") for name in ROW_FIELDS}
        result = []
        for index, row in enumerate(self.rows):
            kind = NODE_TYPES.get(row.get("type", ""))
            cells = []
            for name in ROW_FIELDS:
                value = row.get(name, "")
                options = option_cache[name]
                if options is not None and value and value not in dict(options):
                    options = [*options, (value, value)]
                cells.append(self._cell(index, name, value, options, kind))
            result.append(
                {
                    "index": index,
                    "main": [c for c in cells if c["main"]],
                    "more": [c for c in cells if not c["main"]],
                    "errors": self.row_errors.get(index, []),
                    "remove": row.get("remove", False),
                }
            )
        return result
