"""IVR flow graphs (TEL-4): the node types, their checks, and the data
lookups a flow may read back to the caller.

A flow is ``start`` (the id of the first node) and ``nodes`` ({node id:
node}). Node ids are short slugs. A node that plays something has a prompt:
``"text"`` (spoken by TTS) or ``"audio"`` (the file name of an uploaded
prompt), never both.

======== ============================================================ ========
type     fields (``?`` optional, default)                             branches
======== ============================================================ ========
play     prompt, next                                                 next
menu     prompt, choices {key: id}, timeout? 5, retries? 2, invalid   keys,
                                                                      invalid
collect  prompt, var, max_digits 1-32, terminator? "#", timeout? 5,   next
         next
lookup   source (a registered lookup), var (set by a collect), found, found,
         not_found                                                    not_found
hours    hours (a BusinessHours id), open, closed                     open,
                                                                      closed
queue    queue (a Queue code)                                         terminal
transfer number                                                       terminal
voicemail prompt, queue?, max_seconds? 120                            terminal
survey   prompt, min? 1, max? 5, next                                 next
hangup   prompt?                                                      terminal
======== ============================================================ ========

``flow_validate`` refuses a graph a caller could get lost in: unknown types
and fields, bad values, branches to missing nodes, unknown queues, business
hours and lookups, nodes no path from the first node reaches, and loops a
caller can never leave (every node must be able to reach a terminal node).
The engine interprets exactly this format; the editor and the outline use
``flow_node_edges`` to follow the branches.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.core.exceptions import InvalidData

NODE_ID_RE = re.compile(r"^[a-z0-9_-]{1,40}$")
VAR_RE = re.compile(r"^[a-z_][a-z0-9_]{0,39}$")
AUDIO_RE = re.compile(r"^[\w][\w .\-]{0,199}$")
NUMBER_RE = re.compile(r"^\+?[0-9]{3,20}$")
DTMF_KEYS = "123456789*0#"
TERMINATOR_KEYS = "#*"
TEXT_MAX = 500  # as in the message of PLAIN_CHECKS["text"]
PROMPT_FIELDS = ("text", "audio")

DEFAULT_TIMEOUT = 5
DEFAULT_RETRIES = 2
DEFAULT_VOICEMAIL_SECONDS = 120
DEFAULT_SURVEY_MIN = 1
DEFAULT_SURVEY_MAX = 5

# Integer fields: (smallest, largest).
INT_LIMITS = {
    "timeout": (1, 60),
    "retries": (0, 9),
    "max_digits": (1, 32),
    "max_seconds": (5, 600),
    "min": (0, 9),
    "max": (0, 9),
}
# Fields that name another node, in the order their branches are listed.
BRANCH_FIELDS = ("next", "invalid", "found", "not_found", "open", "closed")


@dataclass(frozen=True)
class NodeType:
    code: str
    label: Promise
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    prompt: str = ""  # "required", "optional" or "" (plays nothing)
    terminal: bool = False

    @property
    def fields(self) -> tuple[str, ...]:
        prompt = PROMPT_FIELDS if self.prompt else ()
        return (*self.required, *self.optional, *prompt)


NODE_TYPES: dict[str, NodeType] = {
    t.code: t
    for t in (
        NodeType("play", gettext_lazy("Play a prompt"), ("next",), prompt="required"),
        NodeType(
            "menu",
            gettext_lazy("Menu (press a key)"),
            ("choices", "invalid"),
            ("timeout", "retries"),
            prompt="required",
        ),
        NodeType(
            "collect",
            gettext_lazy("Collect digits"),
            ("var", "max_digits", "next"),
            ("terminator", "timeout"),
            prompt="required",
        ),
        NodeType(
            "lookup",
            gettext_lazy("Look up and read out"),
            ("source", "var", "found", "not_found"),
        ),
        NodeType("hours", gettext_lazy("Business hours (day/night)"), ("hours", "open", "closed")),
        NodeType("queue", gettext_lazy("Queue"), ("queue",), terminal=True),
        NodeType("transfer", gettext_lazy("Transfer to a number"), ("number",), terminal=True),
        NodeType(
            "voicemail",
            gettext_lazy("Voicemail"),
            (),
            ("queue", "max_seconds"),
            prompt="required",
            terminal=True,
        ),
        NodeType(
            "survey",
            gettext_lazy("Satisfaction survey"),
            ("next",),
            ("min", "max"),
            prompt="required",
        ),
        NodeType("hangup", gettext_lazy("Hang up"), prompt="optional", terminal=True),
    )
}
TERMINAL_TYPES = frozenset(code for code, t in NODE_TYPES.items() if t.terminal)

FIELD_LABELS = {
    "text": gettext_lazy("prompt text"),
    "audio": gettext_lazy("prompt audio file"),
    "next": gettext_lazy("next node"),
    "choices": gettext_lazy("choices"),
    "invalid": gettext_lazy("after invalid input"),
    "timeout": gettext_lazy("timeout (s)"),
    "retries": gettext_lazy("retries"),
    "var": gettext_lazy("variable"),
    "max_digits": gettext_lazy("max digits"),
    "terminator": gettext_lazy("end key"),
    "source": gettext_lazy("lookup"),
    "found": gettext_lazy("when found"),
    "not_found": gettext_lazy("when not found"),
    "hours": gettext_lazy("business hours"),
    "open": gettext_lazy("when open"),
    "closed": gettext_lazy("when closed"),
    "queue": gettext_lazy("queue"),
    "number": gettext_lazy("number"),
    "max_seconds": gettext_lazy("max length (s)"),
    "min": gettext_lazy("lowest score"),
    "max": gettext_lazy("highest score"),
}


# --- lookups --------------------------------------------------------------


@dataclass(frozen=True)
class Lookup:
    """A data source a ``lookup`` node reads: ``fn(value, *, call)`` returns the
    text to speak, or None when nothing was found."""

    name: str
    label: str | Promise
    fn: Callable[..., str | None]


LOOKUPS: dict[str, Lookup] = {}


def register_lookup(name: str, label, fn: Callable[..., str | None]) -> Lookup:
    """Make ``name`` available to lookup nodes (a later registration of the
    same name replaces the earlier one)."""
    if not VAR_RE.match(name):
        raise ValueError(f"Lookup names are lower-case identifiers, not {name!r}")
    lookup = Lookup(name=name, label=label, fn=fn)
    LOOKUPS[name] = lookup
    return lookup


def _order_number(value: str) -> str:
    """Digits typed on a phone → an order number: ``20261001000123`` →
    ``20261001-000123`` (the keypad has no dash)."""
    digits = "".join(ch for ch in str(value) if ch.isdigit())
    return f"{digits[:8]}-{digits[8:]}" if len(digits) > 8 else str(value).strip()


def order_status_lookup(value: str, *, call) -> str | None:
    """The status of the order whose number the caller typed."""
    from hotline.orders.models import Order

    order = Order.objects.filter(number=_order_number(value)).first()
    if order is None:
        return None
    text = _("Order %(number)s: %(status)s.") % {
        "number": order.number,
        "status": order.get_status_display(),
    }
    if order.tracking_number:
        text += " " + _("Shipped with %(carrier)s, tracking number %(tracking)s.") % {
            "carrier": order.carrier or "—",
            "tracking": order.tracking_number,
        }
    return text


register_lookup("order_status", gettext_lazy("Order status by order number"), order_status_lookup)


# --- graph helpers --------------------------------------------------------


def flow_node_edges(node) -> dict[str, str]:
    """The branches of ``node``: {label: target node id}. Labels are the
    branch field (``next``, ``invalid``, ``found`` …) or, for a menu's
    choices, the key itself (``1``, ``#``). Malformed values are left out."""
    if not isinstance(node, dict):
        return {}
    edges: dict[str, str] = {}
    if node.get("type") == "menu" and isinstance(node.get("choices"), dict):
        for key, target in node["choices"].items():
            if isinstance(target, str) and target:
                edges[str(key)] = target
    known = NODE_TYPES.get(node.get("type"))
    for name in BRANCH_FIELDS:
        target = node.get(name)
        if known and name in known.fields and isinstance(target, str) and target:
            edges[name] = target
    return edges


def flow_node_settings(node) -> list[tuple[str, object]]:
    """The node's fields other than its type and branches, as (label, value)
    pairs in a stable order, for the outline."""
    if not isinstance(node, dict):
        return []
    known = NODE_TYPES.get(node.get("type"))
    names = (*PROMPT_FIELDS, *known.fields) if known else tuple(k for k in node if k != "type")
    names = tuple(dict.fromkeys(names))  # the prompt first, each field once
    return [
        (str(FIELD_LABELS.get(name, name)), node[name])
        for name in names
        if name in node and name not in BRANCH_FIELDS and name != "choices"
    ]


def _reach(start_ids, neighbours) -> set[str]:
    seen: set[str] = set()
    todo = [i for i in start_ids if i is not None]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo.extend(neighbours.get(current, ()))
    return seen


def flow_outline(start: str, nodes: dict) -> list[dict]:
    """The flow as an indented list, depth-first from the first node: each
    row is ``{"id", "node", "via", "depth", "repeat", "missing",
    "unreachable"}``; a node met again is listed with ``repeat`` and not
    expanded a second time; nodes no path reaches come last."""
    rows: list[dict] = []
    shown: set[str] = set()

    def visit(node_id, via, depth):
        node = nodes.get(node_id)
        row = {"id": node_id, "node": node, "via": via, "depth": depth}
        row.update(repeat=node_id in shown, missing=node is None, unreachable=False)
        rows.append(row)
        if node is None or node_id in shown:
            return
        shown.add(node_id)
        for label, target in flow_node_edges(node).items():
            visit(target, label, depth + 1)

    if start:
        visit(start, "", 0)
    for node_id, node in nodes.items():
        if node_id not in shown:
            rows.append(
                {"id": node_id, "node": node, "via": "", "depth": 0, "repeat": False}
                | {"missing": False, "unreachable": True}
            )
    return rows


# --- validation -----------------------------------------------------------


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_int(name, value) -> str | None:
    low, high = INT_LIMITS[name]
    if not _is_int(value):
        return _("“%(field)s” must be a whole number.") % {"field": FIELD_LABELS[name]}
    if not low <= value <= high:
        return _("“%(field)s” must lie between %(low)s and %(high)s.") % {
            "field": FIELD_LABELS[name],
            "low": low,
            "high": high,
        }
    return None


def _check_node_ref(name, value) -> str | None:
    if not isinstance(value, str) or not NODE_ID_RE.match(value):
        return _("“%(field)s” must name a node.") % {"field": FIELD_LABELS[name]}
    return None


def _check_choices(value) -> list[str]:
    if not isinstance(value, dict) or not value:
        return [_("A menu needs at least one choice (key → node).")]
    problems = []
    for key, target in value.items():
        if not (isinstance(key, str) and len(key) == 1 and key in DTMF_KEYS):
            problems.append(_("“%(key)s” is not a phone key (0–9, * or #).") % {"key": key})
        if not isinstance(target, str) or not NODE_ID_RE.match(target):
            problems.append(_("Key “%(key)s” must lead to a node.") % {"key": key})
    return problems


def _is_text(value) -> bool:
    return isinstance(value, str) and 0 < len(value.strip()) <= TEXT_MAX


def _is_audio(value) -> bool:
    return isinstance(value, str) and bool(AUDIO_RE.match(value)) and ".." not in value


def _matches(pattern):
    return lambda value: isinstance(value, str) and bool(pattern.match(value))


# Plain fields: a test of the value and the message when it fails.
PLAIN_CHECKS = {
    "text": (_is_text, gettext_lazy("The prompt text must be 1 to 500 characters.")),
    "audio": (_is_audio, gettext_lazy("The audio prompt must be a file name (no folders).")),
    "var": (
        _matches(VAR_RE),
        gettext_lazy("The variable name must be lower-case letters, digits and _ (at most 40)."),
    ),
    "terminator": (
        lambda value: isinstance(value, str) and len(value) == 1 and value in TERMINATOR_KEYS,
        gettext_lazy("The end key must be # or *."),
    ),
    "number": (
        _matches(NUMBER_RE),
        gettext_lazy("The number must be 3 to 20 digits, optionally with a leading +."),
    ),
    "hours": (_is_int, gettext_lazy("Choose business hours.")),
    "queue": (lambda value: isinstance(value, str), gettext_lazy("Choose a queue.")),
    "source": (lambda value: isinstance(value, str), gettext_lazy("Choose a lookup.")),
}


def _check_value(name, value) -> list[str]:
    if name == "choices":
        return _check_choices(value)
    if name in BRANCH_FIELDS:
        problem = _check_node_ref(name, value)
    elif name in INT_LIMITS:
        problem = _check_int(name, value)
    else:
        test, message = PLAIN_CHECKS[name]
        problem = None if test(value) else str(message)
    return [problem] if problem else []


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _node_shape(node) -> list[str]:
    """What is wrong with one node on its own (fields and values)."""
    if not isinstance(node, dict):
        return [_("A node must be a set of fields.")]
    if _is_blank(node.get("type")):
        return [_("Choose the node type.")]
    kind = NODE_TYPES.get(node.get("type"))
    if kind is None:
        return [_("Unknown node type “%(type)s”.") % {"type": node.get("type")}]
    problems = []
    for name in node:
        if name != "type" and name not in kind.fields:
            message = _("A “%(type)s” node has no field “%(field)s”.")
            problems.append(message % {"type": kind.code, "field": name})
    for name in kind.required:
        if _is_blank(node.get(name)):
            problems.append(_("“%(field)s” is required.") % {"field": FIELD_LABELS[name]})
    if kind.prompt:
        given = [name for name in PROMPT_FIELDS if not _is_blank(node.get(name))]
        if len(given) > 1:
            problems.append(_("Give either a prompt text or an audio file, not both."))
        elif not given and kind.prompt == "required":
            problems.append(_("The node needs a prompt: a text or an audio file."))
    for name in kind.fields:
        if name in node and not _is_blank(node[name]):
            problems += _check_value(name, node[name])
    if kind.code == "survey":
        low, high = node.get("min", DEFAULT_SURVEY_MIN), node.get("max", DEFAULT_SURVEY_MAX)
        if _is_int(low) and _is_int(high) and low >= high:
            problems.append(_("The lowest score must be below the highest."))
    return problems


def _references(nodes: dict) -> dict[str, list[str]]:
    """Branches to missing nodes, and queues, business hours and lookups that
    do not exist; and lookups of a variable no collect node sets."""
    from hotline.telephony.models import BusinessHours, Queue

    rows = [n for n in nodes.values() if isinstance(n, dict)]
    queue_codes = {n["queue"] for n in rows if isinstance(n.get("queue"), str)}
    hours_ids = {n["hours"] for n in rows if _is_int(n.get("hours"))}
    known_queues = set(Queue.objects.filter(code__in=queue_codes).values_list("code", flat=True))
    known_hours = set(BusinessHours.objects.filter(pk__in=hours_ids).values_list("pk", flat=True))
    collected = {
        n["var"] for n in rows if n.get("type") == "collect" and isinstance(n.get("var"), str)
    }
    problems: dict[str, list[str]] = {}
    for node_id, node in nodes.items():
        found = []
        for label, target in flow_node_edges(node).items():
            if target not in nodes:
                found.append(
                    _("Branch “%(branch)s” leads to “%(target)s”, which is not a node of the flow.")
                    % {"branch": label, "target": target}
                )
        kind = node.get("type") if isinstance(node, dict) else None
        queue = node.get("queue") if isinstance(node, dict) else None
        if kind in ("queue", "voicemail") and isinstance(queue, str) and queue:
            if queue not in known_queues:
                found.append(_("There is no queue with the code “%(code)s”.") % {"code": queue})
        if kind == "hours" and _is_int(node.get("hours")) and node["hours"] not in known_hours:
            found.append(_("The business hours #%(id)s do not exist.") % {"id": node["hours"]})
        if kind == "lookup":
            source, var = node.get("source"), node.get("var")
            if isinstance(source, str) and source and source not in LOOKUPS:
                found.append(_("“%(source)s” is not a known lookup.") % {"source": source})
            if isinstance(var, str) and var and var not in collected:
                found.append(
                    _("No collect node of the flow sets the variable “%(var)s”.") % {"var": var}
                )
        if found:
            problems[node_id] = found
    return problems


def _graph(start: str, nodes: dict, broken: set[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Nodes no path from ``start`` reaches, and nodes from which no path
    leads to an end. Nodes with errors of their own (``broken``) are given
    the benefit of the doubt: they may lead out once fixed. Returns the
    problems by node and the unreachable node ids."""
    edges = {
        node_id: [t for t in flow_node_edges(node).values() if t in nodes]
        for node_id, node in nodes.items()
    }
    reachable = _reach([start], edges)
    problems: dict[str, list[str]] = {}
    unreachable = [] if broken & reachable else [n for n in nodes if n not in reachable]
    for node_id in unreachable:
        problems[node_id] = [
            _("No path from the first node “%(start)s” leads to this node.") % {"start": start}
        ]
    reverse: dict[str, list[str]] = {}
    for source, targets in edges.items():
        for target in targets:
            reverse.setdefault(target, []).append(source)
    exits = {
        node_id
        for node_id, node in nodes.items()
        if node_id in broken or (isinstance(node, dict) and node.get("type") in TERMINAL_TYPES)
    }
    leads_out = _reach(exits, reverse)
    for node_id in reachable:
        if node_id not in leads_out:
            problems.setdefault(node_id, []).append(
                _(
                    "A caller here can never reach a queue, a transfer, voicemail or a hang-up: "
                    "the branches only loop."
                )
            )
    return problems, unreachable


def _summary(problems: dict[str, list[str]], unreachable: list[str]) -> str:
    parts = [f"“{node_id}”: {messages[0]}" for node_id, messages in list(problems.items())[:3]]
    text = _("The flow cannot be saved. %(problems)s") % {"problems": " ".join(parts)}
    if len(problems) > 3:
        text += " " + _("(%(count)s nodes have problems.)") % {"count": len(problems)}
    if unreachable:
        text += " " + _("Unreachable nodes: %(nodes)s.") % {"nodes": ", ".join(unreachable)}
    return text


def flow_validate(*, start: str, nodes: dict) -> None:
    """Refuse a flow graph with ``InvalidData`` whose ``details`` map each
    offending node id (or ``"start"``, or ``"nodes"``) to its messages."""
    if not isinstance(nodes, dict) or not nodes:
        raise InvalidData(
            _("A flow needs at least one node."),
            details={"nodes": [_("A flow needs at least one node.")]},
        )
    problems: dict[str, list[str]] = {}
    if _is_blank(start):
        problems["start"] = [_("Name the first node of the flow.")]
    elif start not in nodes:
        message = _("The first node “%(id)s” is not a node of the flow.")
        problems["start"] = [message % {"id": start}]
    for node_id, node in nodes.items():
        found = []
        if not isinstance(node_id, str) or not NODE_ID_RE.match(node_id):
            found.append(_("Node ids are 1 to 40 lower-case letters, digits, - or _."))
        found += _node_shape(node)
        if found:
            problems[node_id] = found
    for node_id, found in _references(nodes).items():
        problems.setdefault(node_id, []).extend(found)
    unreachable: list[str] = []
    if "start" not in problems:
        broken = {node_id for node_id in problems if node_id in nodes}
        found_by_node, unreachable = _graph(start, nodes, broken)
        for node_id, found in found_by_node.items():
            problems.setdefault(node_id, []).extend(found)
    if problems:
        raise InvalidData(_summary(problems, unreachable), details=problems)
