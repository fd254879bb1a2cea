"""The telephony configuration: its services (permissions, queue rules,
agents, rows still in use) and its pages (the structured IVR flow editor,
the queue form, business hours as text, and 403 for agents)."""

import pytest
from django.test import Client
from django.urls import reverse

from hotline.core.exceptions import Conflict, InvalidData, NotAllowed
from hotline.telephony.models import (
    Agent,
    AgentSkill,
    BusinessHours,
    DialledNumber,
    Extension,
    IvrFlow,
    PauseReason,
    Queue,
    QueueMember,
    Skill,
)
from hotline.telephony.services import config as services


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def sales(db):
    return Queue.objects.create(code="sales", name="销售")


@pytest.fixture
def agents(org):
    return [
        Agent.objects.create(user=user, number=f"80{i}")
        for i, user in enumerate([org.agent_a1, org.agent_a2, org.agent_b1], start=1)
    ]


def queue_fields(**changes) -> dict:
    fields = {
        "code": "service",
        "name": "客服",
        "strategy": "longest_idle",
        "skill": None,
        "min_skill_level": 1,
        "ring_seconds": 20,
        "sticky_seconds": 30,
        "max_wait_seconds": 120,
        "overflow_action": "voicemail",
        "no_agent_action": "voicemail",
        "overflow_queue": None,
        "after_call_seconds": 15,
        "service_level_seconds": 20,
        "service_level_percent": 80,
        "recording": "always",
        "active": True,
    }
    return fields | changes


def simple_flow(queue_code="sales") -> dict:
    return {"q": {"type": "queue", "queue": queue_code}}


# --- services -------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda user: services.skill_save(actor=user, code="vip", name="VIP"),
        lambda user: services.pause_reason_save(actor=user, code="lunch", name="午饭"),
        lambda user: services.extension_save(actor=user, number="6001"),
        lambda user: services.queue_save(actor=user, **queue_fields()),
        lambda user: services.business_hours_save(
            actor=user, name="h", time_zone="Asia/Shanghai", weekly=[], holidays=[]
        ),
    ],
)
def test_services_refuse_agents_and_leads(org, call):
    for user in (org.agent_a1, org.lead_a):
        with pytest.raises(NotAllowed):
            call(user)
    assert not Skill.objects.exists() and not Queue.objects.exists()
    assert not Extension.objects.exists() and not PauseReason.objects.exists()
    assert not BusinessHours.objects.exists()
    call(org.admin)


def test_queue_save_checks_limits_and_overflow(org, sales):
    with pytest.raises(InvalidData) as caught:
        services.queue_save(
            actor=org.admin,
            **queue_fields(ring_seconds=0, max_wait_seconds=0, service_level_percent=120),
        )
    assert {"ring_seconds", "max_wait_seconds", "service_level_percent"} <= set(
        caught.value.details
    )
    with pytest.raises(InvalidData) as caught:
        services.queue_save(actor=org.admin, **queue_fields(overflow_action="queue"))
    assert "Choose the queue that takes the overflow" in caught.value.details["overflow_queue"][0]
    with pytest.raises(InvalidData) as caught:
        services.queue_save(actor=org.admin, **queue_fields(strategy="skills"))
    assert "skill" in caught.value.details
    assert Queue.objects.count() == 1
    service = services.queue_save(
        actor=org.admin, **queue_fields(no_agent_action="queue", overflow_queue=sales)
    )
    assert service.overflow_queue == sales


def test_queue_cannot_overflow_into_itself_or_in_a_ring(org, sales):
    with pytest.raises(InvalidData) as caught:
        services.queue_save(
            actor=org.admin, queue=sales, overflow_action="queue", overflow_queue=sales
        )
    assert "into itself" in caught.value.details["overflow_queue"][0]
    service = services.queue_save(
        actor=org.admin, **queue_fields(overflow_action="queue", overflow_queue=sales)
    )
    with pytest.raises(InvalidData) as caught:
        services.queue_save(
            actor=org.admin, queue=sales, overflow_action="queue", overflow_queue=service
        )
    assert "lead back" in caught.value.details["overflow_queue"][0]
    sales.refresh_from_db()
    assert sales.overflow_queue is None


def test_queue_code_in_use_by_a_flow_cannot_change(org, sales):
    services.flow_save(actor=org.admin, name="f", start="q", nodes=simple_flow())
    with pytest.raises(Conflict):
        services.queue_save(actor=org.admin, queue=sales, code="sales2")
    sales.refresh_from_db()
    assert sales.code == "sales"
    with pytest.raises(Conflict):
        services.queue_delete(actor=org.admin, queue=sales)
    services.queue_save(actor=org.admin, queue=sales, name="销售部")  # other fields may change


def test_queue_members_set_keeps_order_and_login(org, sales, agents):
    a1, a2, b1 = agents
    services.queue_members_set(actor=org.admin, queue=sales, agent_ids=[a2.pk, a1.pk])
    QueueMember.objects.filter(agent=a1).update(logged_in=True)
    services.queue_members_set(actor=org.admin, queue=sales, agent_ids=[a1.pk, b1.pk])
    members = list(sales.memberships.order_by("position"))
    assert [(m.agent, m.position, m.logged_in) for m in members] == [
        (a1, 0, True),
        (b1, 1, False),
    ]
    with pytest.raises(InvalidData):
        services.queue_members_set(actor=org.admin, queue=sales, agent_ids=[a1.pk, 99999])
    with pytest.raises(NotAllowed):
        services.queue_members_set(actor=org.lead_a, queue=sales, agent_ids=[])
    assert sales.memberships.count() == 2


def test_agent_save_one_per_user_with_skill_levels(org):
    vip = services.skill_save(actor=org.admin, code="vip", name="VIP")
    en = services.skill_save(actor=org.admin, code="en", name="English")
    agent = services.agent_save(
        actor=org.admin, user=org.agent_a1, number="8001", skills={vip.pk: 3, en.pk: 1}
    )
    assert dict(agent.skill_levels.values_list("skill__code", "level")) == {"vip": 3, "en": 1}
    services.agent_save(
        actor=org.admin, agent=agent, user=org.agent_a1, number="8001", skills={en.pk: 5}
    )
    assert dict(agent.skill_levels.values_list("skill__code", "level")) == {"en": 5}
    with pytest.raises(Conflict):
        services.agent_save(actor=org.admin, user=org.agent_a1, number="8002")
    with pytest.raises(Conflict):
        services.agent_save(actor=org.admin, user=org.agent_a2, number="8001")
    with pytest.raises(InvalidData) as caught:
        services.agent_save(actor=org.admin, user=org.agent_a2, number="x", skills={vip.pk: 11})
    assert {"number", "skills"} <= set(caught.value.details)
    assert Agent.objects.count() == 1 and AgentSkill.objects.count() == 1


def test_rows_in_use_are_not_deleted(org, sales):
    hours = services.business_hours_save(
        actor=org.admin, name="h", time_zone="Asia/Shanghai", weekly=[], holidays=[]
    )
    nodes = {
        "h": {"type": "hours", "hours": hours.pk, "open": "q", "closed": "q"},
        "q": {"type": "queue", "queue": "sales"},
    }
    flow = services.flow_save(actor=org.admin, name="f", start="h", nodes=nodes)
    DialledNumber.objects.create(number="4008001234", flow=flow)
    with pytest.raises(Conflict):
        services.business_hours_delete(actor=org.admin, hours=hours)
    with pytest.raises(Conflict):
        services.flow_delete(actor=org.admin, flow=flow)
    skill = services.skill_save(actor=org.admin, code="vip", name="VIP")
    services.queue_save(actor=org.admin, queue=sales, strategy="skills", skill=skill)
    with pytest.raises(Conflict):
        services.skill_delete(actor=org.admin, skill=skill)
    assert BusinessHours.objects.exists() and IvrFlow.objects.exists() and Skill.objects.exists()


def test_dialled_number_is_cleaned_and_unique(org, sales):
    flow = services.flow_save(actor=org.admin, name="f", start="q", nodes=simple_flow())
    number = services.dialled_number_save(actor=org.admin, number="400-800 1234", flow=flow)
    assert number.number == "4008001234"
    with pytest.raises(Conflict):
        services.dialled_number_save(actor=org.admin, number="4008001234", flow=flow)
    with pytest.raises(InvalidData):
        services.dialled_number_save(actor=org.admin, number="hotline", flow=None)


# --- pages ----------------------------------------------------------------


def test_admin_pages_render(org, sales, agents):
    hours = BusinessHours.objects.create(
        name="h", weekly=[{"weekday": 0, "start": "09:00", "end": "18:00"}]
    )
    flow = services.flow_save(actor=org.admin, name="f", start="q", nodes=simple_flow())
    number = DialledNumber.objects.create(number="4008001234", flow=flow)
    skill = Skill.objects.create(code="vip", name="VIP")
    reason = PauseReason.objects.create(code="lunch", name="午饭")
    extension = Extension.objects.create(number="6001")
    client = client_for(org.admin)
    for name, row in [
        ("queue", sales),
        ("agent", agents[0]),
        ("extension", extension),
        ("skill", skill),
        ("pause_reason", reason),
        ("number", number),
        ("hours", hours),
    ]:
        for url in (
            reverse(f"telephony:{name}_list"),
            reverse(f"telephony:{name}_create"),
            reverse(f"telephony:{name}_edit", args=[row.pk]),
        ):
            assert client.get(url).status_code == 200, url
    for url in (
        reverse("telephony:flow_list"),
        reverse("telephony:flow_create"),
        reverse("telephony:flow_detail", args=[flow.pk]),
        reverse("telephony:flow_edit", args=[flow.pk]),
    ):
        assert client.get(url).status_code == 200, url
    # The paged lists answer htmx (their pagination) with the results only.
    partial = client.get(
        reverse("telephony:agent_list"), headers={"HX-Request": "true", "HX-Target": "results"}
    ).content.decode()
    assert partial.startswith('<div id="results">') and "<html" not in partial
    assert 'data-number="801"' in partial


def test_agents_get_403(org, sales):
    flow = services.flow_save(actor=org.admin, name="f", start="q", nodes=simple_flow())
    client = client_for(org.agent_a1)
    for url in (
        reverse("telephony:flow_list"),
        reverse("telephony:flow_create"),
        reverse("telephony:flow_detail", args=[flow.pk]),
        reverse("telephony:flow_edit", args=[flow.pk]),
        reverse("telephony:queue_create"),
        reverse("telephony:queue_edit", args=[sales.pk]),
        reverse("telephony:agent_list"),
        reverse("telephony:hours_list"),
        reverse("telephony:number_list"),
    ):
        assert client.get(url).status_code == 403, url
    response = client.post(reverse("telephony:flow_create"), {"name": "x", "rows": "0"})
    assert response.status_code == 403
    # Agents may look at the queues (view_queue) but not change them.
    page = client.get(reverse("telephony:queue_list")).content.decode()
    assert "sales" in page and reverse("telephony:queue_create") not in page


def editor_post(rows: list[dict], **fields) -> dict:
    data = {"name": "主流程", "description": "", "start": "welcome", "rows": str(len(rows) + 2)}
    data |= fields
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"node-{index}-{key}"] = value
    return data


DAY_NIGHT_ROWS = [
    {"id": "welcome", "type": "play", "text": "您好", "next": "check"},
    {"id": "check", "type": "hours", "hours": "HOURS", "open": "main", "closed": "night"},
    {
        "id": "main",
        "type": "menu",
        "text": "销售请按1，转前台请按0",
        "choices": "1=sales, 0=desk",
        "invalid": "bye",
        "timeout": "5",
        "retries": "2",
    },
    {"id": "sales", "type": "queue", "queue": "sales"},
    {"id": "desk", "type": "transfer", "number": "4008001234"},
    {"id": "night", "type": "voicemail", "text": "请留言", "queue": "sales", "max_seconds": "60"},
    {"id": "bye", "type": "hangup", "text": "再见"},
]


def day_night_rows(hours_id: int) -> list[dict]:
    return [
        {k: (str(hours_id) if v == "HOURS" else v) for k, v in row.items()}
        for row in DAY_NIGHT_ROWS
    ]


def test_admin_creates_a_flow_through_the_editor(org, sales):
    hours = BusinessHours.objects.create(name="office")
    response = client_for(org.admin).post(
        reverse("telephony:flow_create"), editor_post(day_night_rows(hours.pk))
    )
    flow = IvrFlow.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("telephony:flow_detail", args=[flow.pk])
    assert flow.start == "welcome"
    assert flow.nodes["main"] == {
        "type": "menu",
        "text": "销售请按1，转前台请按0",
        "choices": {"1": "sales", "0": "desk"},
        "invalid": "bye",
        "timeout": 5,
        "retries": 2,
    }
    assert flow.nodes["check"] == {
        "type": "hours",
        "hours": hours.pk,
        "open": "main",
        "closed": "night",
    }
    assert flow.nodes["night"]["max_seconds"] == 60
    assert set(flow.nodes) == {"welcome", "check", "main", "sales", "desk", "night", "bye"}
    detail = client_for(org.admin).get(response["Location"]).content.decode()
    assert 'data-node="desk"' in detail and "office" in detail


def test_an_invalid_flow_rerenders_with_errors_on_its_rows(org, sales):
    hours = BusinessHours.objects.create(name="office")
    rows = day_night_rows(hours.pk)
    rows[2]["choices"] = "1=sales, 0=desk, 9=nowhere"  # a dangling branch
    rows[4]["number"] = "front desk"  # a bad number
    response = client_for(org.admin).post(reverse("telephony:flow_create"), editor_post(rows))
    assert response.status_code == 200
    assert not IvrFlow.objects.exists()
    html = response.content.decode()
    main_row = html.split('id="node-row-2"')[1].split("</tbody>")[0]
    assert "Branch “9” leads to “nowhere”" in main_row
    assert 'value="1=sales, 0=desk, 9=nowhere"' in main_row  # what was typed is kept
    desk_row = html.split('id="node-row-4"')[1].split("</tbody>")[0]
    assert "3 to 20 digits" in desk_row and 'value="front desk"' in desk_row
    assert 'value="您好"' in html  # the valid rows are kept too


def test_editor_row_problems_and_loops(org, sales):
    rows = [
        {"id": "a", "type": "play", "text": "一", "next": "b"},
        {"id": "b", "type": "menu", "text": "二", "choices": "1 a", "invalid": "b"},
        {"id": "", "type": "hangup"},
        {"id": "a", "type": "hangup"},
    ]
    response = client_for(org.admin).post(
        reverse("telephony:flow_create"), editor_post(rows, start="a")
    )
    html = response.content.decode()
    assert not IvrFlow.objects.exists()
    assert "Write the choices like" in html.split('id="node-row-1"')[1].split("</tbody>")[0]
    assert "Give the node an id." in html.split('id="node-row-2"')[1].split("</tbody>")[0]
    assert "already uses the id “a”" in html.split('id="node-row-3"')[1].split("</tbody>")[0]
    rows[1]["choices"] = "1=a"
    rows[2:] = []
    response = client_for(org.admin).post(
        reverse("telephony:flow_create"), editor_post(rows, start="a")
    )
    assert "can never reach a queue" in response.content.decode()
    assert not IvrFlow.objects.exists()


def test_editor_adds_and_removes_rows(org, sales):
    client = client_for(org.admin)
    rows = [
        {"id": "q", "type": "queue", "queue": "sales"},
        {"id": "old", "type": "hangup", "remove": "1"},
    ]
    response = client.post(
        reverse("telephony:flow_create"), editor_post(rows, start="q", add_rows="1")
    )
    assert response.status_code == 200 and not IvrFlow.objects.exists()
    assert response.content.decode().count('id="node-row-') == len(rows) + 2 + 3
    response = client.post(reverse("telephony:flow_create"), editor_post(rows, start="q"))
    assert response.status_code == 302
    assert IvrFlow.objects.get().nodes == {"q": {"type": "queue", "queue": "sales"}}


def test_editing_a_flow_keeps_it_when_invalid(org, sales):
    flow = services.flow_save(actor=org.admin, name="f", start="q", nodes=simple_flow())
    client = client_for(org.admin)
    page = client.get(reverse("telephony:flow_edit", args=[flow.pk])).content.decode()
    assert 'name="node-0-id" value="q"' in page
    rows = [{"id": "q", "type": "queue", "queue": "gone"}]
    response = client.post(
        reverse("telephony:flow_edit", args=[flow.pk]), editor_post(rows, name="g", start="q")
    )
    assert "no queue with the code “gone”" in response.content.decode()
    flow.refresh_from_db()
    assert flow.name == "f" and flow.nodes == simple_flow()


def queue_post(**changes) -> dict:
    data = {k: ("" if v is None else v) for k, v in queue_fields().items()}
    data["active"] = "on"
    return data | changes


def test_queue_form_validation_and_members(org, sales, agents):
    client = client_for(org.admin)
    response = client.post(reverse("telephony:queue_create"), queue_post(overflow_action="queue"))
    assert response.status_code == 200
    assert "Choose the queue that takes the overflow" in response.content.decode()
    response = client.post(reverse("telephony:queue_create"), queue_post(ring_seconds="0"))
    assert response.status_code == 200
    assert Queue.objects.count() == 1
    response = client.post(
        reverse("telephony:queue_create"),
        queue_post(
            overflow_action="queue",
            overflow_queue=str(sales.pk),
            members=[agents[0].pk, agents[2].pk],
        ),
    )
    assert response.status_code == 302
    service = Queue.objects.get(code="service")
    assert service.overflow_queue == sales
    assert set(service.members.all()) == {agents[0], agents[2]}
    response = client.post(
        reverse("telephony:queue_edit", args=[sales.pk]),
        queue_post(
            code="sales", name="销售", overflow_action="queue", overflow_queue=str(service.pk)
        ),
    )
    assert "lead back to this queue" in response.content.decode()


def test_business_hours_form_reads_text(org):
    client = client_for(org.admin)
    response = client.post(
        reverse("telephony:hours_create"),
        {
            "name": "客服",
            "time_zone": "Asia/Shanghai",
            "weekly": "Mon-Fri 09:00-18:00\nSat 10:00-13:00",
            "holidays": "2026-10-01..2026-10-07 closed",
        },
    )
    assert response.status_code == 302
    hours = BusinessHours.objects.get()
    assert len(hours.weekly) == 6 and len(hours.holidays) == 7
    edit = client.get(reverse("telephony:hours_edit", args=[hours.pk])).content.decode()
    assert "Sat 10:00-13:00" in edit
    response = client.post(
        reverse("telephony:hours_edit", args=[hours.pk]),
        {
            "name": "客服",
            "time_zone": "Asia/Shanghai",
            "weekly": "Mon 18:00-09:00\nWhenever",
            "holidays": "",
        },
    )
    html = response.content.decode()
    assert "Line 2: “Whenever”" in html
    response = client.post(
        reverse("telephony:hours_edit", args=[hours.pk]),
        {"name": "客服", "time_zone": "Asia/Shanghai", "weekly": "Mon 18:00-09:00", "holidays": ""},
    )
    assert "the end must come after the start" in response.content.decode()
    hours.refresh_from_db()
    assert len(hours.weekly) == 6


def test_agent_form_with_skills(org):
    skill = Skill.objects.create(code="vip", name="VIP")
    response = client_for(org.admin).post(
        reverse("telephony:agent_create"),
        {"user": org.agent_a1.pk, "number": "8001", f"skill_{skill.pk}": "4"},
    )
    assert response.status_code == 302
    agent = Agent.objects.get()
    assert agent.user == org.agent_a1
    assert agent.skill_levels.get().level == 4
    page = client_for(org.admin).get(reverse("telephony:agent_create")).content.decode()
    assert f'value="{org.agent_a1.pk}"' not in page  # already an agent: not offered again


def test_delete_actions(org, sales):
    skill = Skill.objects.create(code="vip", name="VIP")
    flow = services.flow_save(actor=org.admin, name="f", start="q", nodes=simple_flow())
    client = client_for(org.admin)
    response = client.post(reverse("telephony:queue_delete", args=[sales.pk]), follow=True)
    assert "IVR flows send callers" in response.content.decode()
    assert Queue.objects.exists()
    client.post(reverse("telephony:flow_delete", args=[flow.pk]))
    client.post(reverse("telephony:skill_delete", args=[skill.pk]))
    assert not IvrFlow.objects.exists() and not Skill.objects.exists()
    response = client_for(org.agent_a1).post(
        reverse("telephony:queue_delete", args=[sales.pk]), follow=True
    )
    assert "You do not have the permission" in response.content.decode()
    assert Queue.objects.exists()
    client.post(reverse("telephony:queue_delete", args=[sales.pk]))
    assert not Queue.objects.exists()
