"""Demo telephony for `manage.py demo_data`: a hotline number with a day and
night flow (menu, order status by number, voicemail at night), two queues,
not-ready reasons, and three agents. agent1 answers in the browser; agent2
and agent3 sit at simulated phones that answer by themselves and are logged
in, so the simulated callers of `make run` reach someone. Skipped when
queues exist."""

from django.utils import timezone

from hotline.telephony.flows import flow_validate
from hotline.telephony.models import (
    Agent,
    AgentSkill,
    AgentState,
    AgentStateChange,
    BusinessHours,
    DialledNumber,
    Extension,
    IvrFlow,
    PauseReason,
    Queue,
    QueueMember,
    Skill,
    WrapUpCode,
)

HOTLINE = "4008001234"
PROGRAMME_LINE = "4008005678"
WRAPUP_CODES = [
    ("sale", "成交"),
    ("no_sale", "未成交"),
    ("enquiry", "咨询"),
    ("complaint", "投诉"),
    ("follow_up", "需回访"),
]
REASONS = [("break", "休息"), ("lunch", "午餐"), ("training", "培训"), ("paperwork", "整理资料")]
FLOW = {
    "hours": {"type": "hours", "hours": None, "open": "menu", "closed": "night"},
    "menu": {
        "type": "menu",
        "text": "欢迎致电好易购电视购物热线。购物请按1，售后服务请按2，查询订单状态请按3。",
        "choices": {"1": "sales", "2": "service", "3": "order_no"},
        "timeout": 5,
        "retries": 2,
        "invalid": "sales",
    },
    "sales": {"type": "queue", "queue": "sales"},
    "service": {"type": "queue", "queue": "service"},
    "order_no": {
        "type": "collect",
        "text": "请输入订单号后的数字，以井号键结束。",
        "var": "order_no",
        "max_digits": 20,
        "terminator": "#",
        "timeout": 8,
        "next": "lookup",
    },
    "lookup": {
        "type": "lookup",
        "source": "order_status",
        "var": "order_no",
        "found": "menu",
        "not_found": "not_found",
    },
    "not_found": {"type": "play", "text": "没有找到这个订单。", "next": "menu"},
    "night": {
        "type": "voicemail",
        "text": "现在是非工作时间，请在提示音后留言，我们会在工作时间回电。",
        "queue": "service",
        "max_seconds": 120,
    },
}
AGENTS = [
    # user, agent number, extension, kind, answers by itself, queues, skills
    (
        "agent1",
        "1001",
        "8001",
        Extension.Kind.WEBRTC,
        False,
        ["tv", "sales", "service"],
        {"sales": 3, "service": 2},
    ),
    ("agent2", "1002", "8002", Extension.Kind.SIM, True, ["sales"], {"sales": 2}),
    ("agent3", "1003", "8003", Extension.Kind.SIM, True, ["sales", "service"], {"service": 3}),
    # The team lead listens in from a simulated phone (supervisor monitoring).
    ("lead1", "1009", "8009", Extension.Kind.SIM, True, [], {}),
]


def _queues() -> dict[str, Queue]:
    sales = Queue.objects.create(
        code="sales",
        name="购物热线",
        strategy="longest_idle",
        max_wait_seconds=90,
        overflow_action="voicemail",
        after_call_seconds=15,
    )
    service = Queue.objects.create(
        code="service",
        name="售后服务",
        strategy="round_robin",
        max_wait_seconds=120,
        overflow_action="voicemail",
        after_call_seconds=20,
    )
    # The TV programme's own line, answered by the people at the browser.
    tv = Queue.objects.create(
        code="tv",
        name="节目专线",
        strategy="longest_idle",
        max_wait_seconds=120,
        overflow_action="queue",
        overflow_queue=sales,
        no_agent_action="queue",
        after_call_seconds=30,
    )
    return {"sales": sales, "service": service, "tv": tv}


def _flow() -> IvrFlow:
    hours = BusinessHours.objects.create(
        name="客服时间",
        weekly=[{"weekday": day, "start": "08:00", "end": "22:00"} for day in range(7)],
    )
    nodes = {**FLOW, "hours": {**FLOW["hours"], "hours": hours.pk}}
    flow_validate(start="hours", nodes=nodes)
    flow = IvrFlow.objects.create(
        name="热线日夜流程", description="营业时间菜单，夜间留言", start="hours", nodes=nodes
    )
    DialledNumber.objects.create(number=HOTLINE, label="电视购物热线", flow=flow)
    # The number shown during the TV programme rings its queue directly.
    direct = IvrFlow.objects.create(
        name="节目专线",
        description="直接进入节目专线队列",
        start="tv",
        nodes={"tv": {"type": "queue", "queue": "tv"}},
    )
    DialledNumber.objects.create(number=PROGRAMME_LINE, label="电视节目专线", flow=direct)
    return flow


def _agent(user, number, ext_number, kind, auto, queues, skills, all_queues, all_skills) -> Agent:
    ext = Extension.objects.create(number=ext_number, kind=kind, auto_answer=auto)
    agent = Agent.objects.create(
        user=user, number=number, default_extension=ext, after_call_seconds=None
    )
    for position, code in enumerate(queues):
        QueueMember.objects.create(
            queue=all_queues[code], agent=agent, position=position, logged_in=auto
        )
    for code, level in skills.items():
        AgentSkill.objects.create(agent=agent, skill=all_skills[code], level=level)
    if auto and queues:  # simulated agents start logged in and ready
        now = timezone.now()
        Agent.objects.filter(pk=agent.pk).update(
            state=AgentState.READY, state_since=now, extension=ext
        )
        AgentStateChange.objects.create(agent=agent, state=AgentState.READY, at=now)
    return agent


def load(builder, admin) -> list[str]:
    if Queue.objects.exists():
        return []
    for code, name in REASONS:
        PauseReason.objects.create(code=code, name=name)
    for code, name in WRAPUP_CODES:
        WrapUpCode.objects.create(code=code, name=name)
    skills = {
        code: Skill.objects.create(code=code, name=name)
        for code, name in [("sales", "购物"), ("service", "售后")]
    }
    queues = _queues()
    _flow()
    for username, number, ext, kind, auto, queue_codes, agent_skills in AGENTS:
        user = builder.users.get(username)
        if user is not None:
            _agent(user, number, ext, kind, auto, queue_codes, agent_skills, queues, skills)
    return [f"hotline {HOTLINE} with a day/night IVR flow, 2 queues and 3 agents (2 simulated)"]
