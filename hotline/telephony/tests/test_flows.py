"""IVR flow graphs (TEL-4): each kind of error the validator refuses, a valid
day/night flow, the branches and outline the editor uses, the lookups, and
``flow_save`` saving nothing when the graph is wrong."""

import copy

import pytest

from hotline.core.exceptions import InvalidData, NotAllowed
from hotline.telephony.flows import (
    LOOKUPS,
    NODE_TYPES,
    TERMINAL_TYPES,
    flow_node_edges,
    flow_outline,
    flow_validate,
    order_status_lookup,
    register_lookup,
)
from hotline.telephony.models import BusinessHours, IvrFlow, Queue
from hotline.telephony.services.config import flow_save


@pytest.fixture
def sales(db):
    return Queue.objects.create(code="sales", name="销售")


@pytest.fixture
def office(db):
    return BusinessHours.objects.create(
        name="Office", weekly=[{"weekday": d, "start": "09:00", "end": "18:00"} for d in range(5)]
    )


def day_night(hours_id: int) -> dict:
    """A day/night flow touching every node type."""
    return {
        "welcome": {"type": "play", "text": "您好，欢迎致电", "next": "check"},
        "check": {"type": "hours", "hours": hours_id, "open": "main", "closed": "night"},
        "main": {
            "type": "menu",
            "text": "销售请按1，查订单请按2，转前台请按0",
            "choices": {"1": "sales", "2": "order", "0": "desk"},
            "timeout": 5,
            "retries": 2,
            "invalid": "bye",
        },
        "sales": {"type": "queue", "queue": "sales"},
        "desk": {"type": "transfer", "number": "4008001234"},
        "order": {
            "type": "collect",
            "audio": "ask-order.wav",
            "var": "order_no",
            "max_digits": 20,
            "terminator": "#",
            "next": "status",
        },
        "status": {
            "type": "lookup",
            "source": "order_status",
            "var": "order_no",
            "found": "survey",
            "not_found": "sales",
        },
        "survey": {"type": "survey", "text": "请为本次服务评分", "min": 1, "max": 5, "next": "bye"},
        "night": {"type": "voicemail", "text": "现在是下班时间，请留言", "queue": "sales"},
        "bye": {"type": "hangup", "text": "再见"},
    }


def problems(start, nodes) -> dict:
    with pytest.raises(InvalidData) as caught:
        flow_validate(start=start, nodes=nodes)
    return caught.value.details


def messages_of(details, key) -> str:
    return " ".join(details.get(key, []))


# --- a valid flow ---------------------------------------------------------


def test_a_day_night_flow_is_valid(sales, office):
    flow_validate(start="welcome", nodes=day_night(office.pk))


def test_every_type_is_known_and_terminals_are_the_four_ends():
    assert set(NODE_TYPES) == {
        "play",
        "menu",
        "collect",
        "lookup",
        "hours",
        "queue",
        "transfer",
        "voicemail",
        "survey",
        "hangup",
    }
    assert {"queue", "transfer", "voicemail", "hangup"} == TERMINAL_TYPES


def test_a_menu_looping_to_itself_with_a_way_out_is_fine(sales):
    nodes = {
        "menu": {"type": "menu", "text": "按1", "choices": {"1": "q"}, "invalid": "menu"},
        "q": {"type": "queue", "queue": "sales"},
    }
    flow_validate(start="menu", nodes=nodes)


# --- structure errors -----------------------------------------------------


def test_unknown_type_and_missing_type(db):
    details = problems(
        "a",
        {"a": {"type": "fax", "next": "b"}, "b": {"text": "x"}},
    )
    assert "Unknown node type “fax”" in messages_of(details, "a")
    assert "Choose the node type" in messages_of(details, "b")


def test_missing_and_extra_fields(db):
    details = problems(
        "a",
        {
            "a": {"type": "play", "text": "hi"},
            "b": {"type": "hangup", "next": "a"},
        },
    )
    assert "“next node” is required" in messages_of(details, "a")
    assert "A “hangup” node has no field “next”" in messages_of(details, "b")


def test_prompts_one_of_text_or_audio(db):
    details = problems(
        "a",
        {
            "a": {"type": "play", "next": "b"},
            "b": {"type": "play", "text": "hi", "audio": "hi.wav", "next": "c"},
            "c": {"type": "hangup", "audio": "../etc/passwd"},
        },
    )
    assert "needs a prompt" in messages_of(details, "a")
    assert "not both" in messages_of(details, "b")
    assert "file name" in messages_of(details, "c")


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("timeout", 0, "“timeout (s)” must lie between 1 and 60"),
        ("timeout", "5", "“timeout (s)” must be a whole number"),
        ("retries", 10, "“retries” must lie between 0 and 9"),
        ("retries", True, "“retries” must be a whole number"),
    ],
)
def test_bad_menu_numbers(db, field, value, expected):
    menu = {"type": "menu", "text": "按1", "choices": {"1": "end"}, "invalid": "end", field: value}
    details = problems("m", {"m": menu, "end": {"type": "hangup"}})
    assert expected in messages_of(details, "m")


def test_bad_dtmf_keys_and_empty_menu(db):
    details = problems(
        "m",
        {
            "m": {
                "type": "menu",
                "text": "x",
                "choices": {"A": "end", "12": "end"},
                "invalid": "n",
            },
            "n": {"type": "menu", "text": "x", "choices": {}, "invalid": "end"},
            "end": {"type": "hangup"},
        },
    )
    assert "“A” is not a phone key" in messages_of(details, "m")
    assert "“12” is not a phone key" in messages_of(details, "m")
    assert "at least one choice" in messages_of(details, "n")


def test_bad_collect_values(db):
    collect = {
        "type": "collect",
        "text": "请输入",
        "var": "Order No",
        "max_digits": 40,
        "terminator": "1",
        "next": "end",
    }
    details = problems("c", {"c": collect, "end": {"type": "hangup"}})
    text = messages_of(details, "c")
    assert "variable name" in text
    assert "“max digits” must lie between 1 and 32" in text
    assert "end key must be # or *" in text


def test_bad_survey_and_transfer(db):
    details = problems(
        "s",
        {
            "s": {"type": "survey", "text": "评分", "min": 5, "max": 3, "next": "t"},
            "t": {"type": "transfer", "number": "call me"},
        },
    )
    assert "lowest score must be below the highest" in messages_of(details, "s")
    assert "3 to 20 digits" in messages_of(details, "t")


def test_node_ids_are_slugs(db):
    details = problems("Bad Id", {"Bad Id": {"type": "hangup"}})
    assert "lower-case letters" in messages_of(details, "Bad Id")


def test_no_nodes_and_start_problems(db):
    with pytest.raises(InvalidData) as caught:
        flow_validate(start="a", nodes={})
    assert "at least one node" in caught.value.message
    assert "Name the first node" in messages_of(problems("", {"a": {"type": "hangup"}}), "start")
    details = problems("nowhere", {"a": {"type": "hangup"}})
    assert "“nowhere” is not a node" in messages_of(details, "start")


# --- references -----------------------------------------------------------


def test_dangling_branch(db):
    details = problems(
        "m",
        {
            "m": {"type": "menu", "text": "按1", "choices": {"1": "gone"}, "invalid": "end"},
            "end": {"type": "hangup"},
        },
    )
    assert "Branch “1” leads to “gone”, which is not a node" in messages_of(details, "m")
    assert list(details) == ["m"]  # the rest is fine: no follow-up noise


def test_unknown_queue_hours_and_lookup(db):
    details = problems(
        "h",
        {
            "h": {"type": "hours", "hours": 999, "open": "l", "closed": "v"},
            "l": {
                "type": "lookup",
                "source": "weather",
                "var": "city",
                "found": "q",
                "not_found": "q",
            },
            "q": {"type": "queue", "queue": "nope"},
            "v": {"type": "voicemail", "text": "留言", "queue": "nope"},
        },
    )
    assert "business hours #999 do not exist" in messages_of(details, "h")
    assert "“weather” is not a known lookup" in messages_of(details, "l")
    assert "No collect node of the flow sets the variable “city”" in messages_of(details, "l")
    assert "no queue with the code “nope”" in messages_of(details, "q")
    assert "no queue with the code “nope”" in messages_of(details, "v")


def test_registered_lookup_is_accepted(db, sales):
    register_lookup("member_points", "Points", lambda value, *, call: f"{value} points")
    try:
        nodes = {
            "ask": {
                "type": "collect",
                "text": "卡号",
                "var": "card",
                "max_digits": 12,
                "next": "l",
            },
            "l": {"type": "lookup", "source": "member_points", "var": "card"}
            | {"found": "q", "not_found": "q"},
            "q": {"type": "queue", "queue": "sales"},
        }
        flow_validate(start="ask", nodes=nodes)
        assert LOOKUPS["member_points"].fn("12", call=None) == "12 points"
    finally:
        LOOKUPS.pop("member_points")
    with pytest.raises(ValueError):
        register_lookup("Bad Name", "x", lambda value, *, call: None)


def test_order_status_lookup_reads_nothing_for_an_unknown_order(db):
    assert "order_status" in LOOKUPS
    assert order_status_lookup("20260101000001", call=None) is None


# --- graph ----------------------------------------------------------------


def test_loop_without_exit_is_refused(db):
    details = problems(
        "a",
        {
            "a": {"type": "play", "text": "一", "next": "b"},
            "b": {"type": "menu", "text": "二", "choices": {"1": "a"}, "invalid": "b"},
        },
    )
    assert "can never reach a queue" in messages_of(details, "a")
    assert "can never reach a queue" in messages_of(details, "b")


def test_a_loop_that_only_some_nodes_cannot_leave(db, sales):
    nodes = {
        "a": {"type": "menu", "text": "一", "choices": {"1": "q", "2": "b"}, "invalid": "a"},
        "b": {"type": "play", "text": "二", "next": "c"},
        "c": {"type": "play", "text": "三", "next": "b"},
        "q": {"type": "queue", "queue": "sales"},
    }
    details = problems("a", nodes)
    assert set(details) == {"b", "c"}


def test_unreachable_nodes_are_named(db):
    with pytest.raises(InvalidData) as caught:
        flow_validate(
            start="a",
            nodes={
                "a": {"type": "hangup"},
                "lost": {"type": "play", "text": "x", "next": "a"},
                "orphan": {"type": "hangup"},
            },
        )
    assert "No path from the first node “a”" in messages_of(caught.value.details, "lost")
    assert "Unreachable nodes: lost, orphan." in caught.value.message


def test_edges_of_each_kind():
    menu = {"type": "menu", "choices": {"1": "a", "#": "b"}, "invalid": "c"}
    assert flow_node_edges(menu) == {"1": "a", "#": "b", "invalid": "c"}
    lookup = {"type": "lookup", "found": "x", "not_found": "y"}
    assert flow_node_edges(lookup) == {"found": "x", "not_found": "y"}
    assert flow_node_edges({"type": "hours", "open": "d", "closed": "n"}) == {
        "open": "d",
        "closed": "n",
    }
    assert flow_node_edges({"type": "queue", "queue": "sales", "next": "x"}) == {}
    assert flow_node_edges("garbage") == {}


def test_outline_marks_repeats_and_unreachable():
    nodes = {
        "a": {"type": "menu", "choices": {"1": "b"}, "invalid": "a"},
        "b": {"type": "hangup"},
        "z": {"type": "hangup"},
    }
    rows = flow_outline("a", nodes)
    assert [(r["id"], r["via"], r["depth"], r["repeat"]) for r in rows[:3]] == [
        ("a", "", 0, False),
        ("b", "1", 1, False),
        ("a", "invalid", 1, True),
    ]
    assert rows[-1]["id"] == "z" and rows[-1]["unreachable"]


# --- saving ---------------------------------------------------------------


def test_flow_save_by_an_administrator(org, sales, office):
    nodes = day_night(office.pk)
    flow = flow_save(
        actor=org.admin, name="主流程", description="日夜", start="welcome", nodes=nodes
    )
    flow.refresh_from_db()
    assert flow.nodes == nodes and flow.start == "welcome"


def test_an_invalid_flow_saves_nothing(org, sales, office):
    nodes = day_night(office.pk)
    flow = flow_save(actor=org.admin, name="主流程", start="welcome", nodes=nodes)
    broken = copy.deepcopy(nodes)
    broken["main"]["choices"]["3"] = "nowhere"
    with pytest.raises(InvalidData) as caught:
        flow_save(actor=org.admin, flow=flow, name="改名", start="welcome", nodes=broken)
    assert "nowhere" in " ".join(caught.value.details["main"])
    flow.refresh_from_db()
    assert flow.name == "主流程" and flow.nodes == nodes
    with pytest.raises(InvalidData):
        flow_save(actor=org.admin, name="新流程", start="welcome", nodes=broken)
    assert IvrFlow.objects.count() == 1


def test_flow_save_needs_the_permission(org, sales, office):
    with pytest.raises(NotAllowed):
        flow_save(actor=org.lead_a, name="x", start="welcome", nodes=day_night(office.pk))
    flow = flow_save(actor=org.admin, name="x", start="welcome", nodes=day_night(office.pk))
    with pytest.raises(NotAllowed):
        flow_save(actor=org.agent_a1, flow=flow, name="y", start="welcome", nodes=flow.nodes)
    assert IvrFlow.objects.get().name == "x"


def test_flow_name_is_required_and_unique(org, sales, office):
    with pytest.raises(InvalidData) as caught:
        flow_save(actor=org.admin, name=" ", start="welcome", nodes=day_night(office.pk))
    assert "name" in caught.value.details
    flow_save(actor=org.admin, name="x", start="welcome", nodes=day_night(office.pk))
    with pytest.raises(Exception) as conflict:
        flow_save(actor=org.admin, name="x", start="welcome", nodes=day_night(office.pk))
    assert conflict.value.status == 409
