"""A small telephony world on the `sim` switch and a virtual clock: queues,
agents with simulated phones, a flow on a dialled number, and an engine."""

import pytest

from hotline.telephony.engine.core import engine_start
from hotline.telephony.engine.runtime import engine_install, engine_uninstall, sim_engine
from hotline.telephony.models import (
    Agent,
    AgentSkill,
    DialledNumber,
    Extension,
    IvrFlow,
    Queue,
    QueueMember,
    Skill,
)
from hotline.telephony.switch.sim import CallerProfile, PhoneProfile

HOTLINE = "4008001234"


class World:
    def __init__(self, seed: int = 1):
        self.engine = sim_engine(seed=seed)
        self.switch, self.clock = self.engine.switch, self.engine.clock
        engine_install(self.engine)

    def queue(self, code: str, **fields) -> Queue:
        return Queue.objects.create(code=code, name=code.title(), **fields)

    def skill(self, code: str) -> Skill:
        return Skill.objects.get_or_create(code=code, defaults={"name": code})[0]

    def agent(
        self,
        user,
        number: str,
        *,
        queues=(),
        skills=None,
        auto_answer=True,
        answer_ms=2000,
        recording="always",
        **fields,
    ) -> Agent:
        ext = Extension.objects.create(
            number=f"8{number}", kind=Extension.Kind.SIM, recording=recording
        )
        agent = Agent.objects.create(user=user, number=number, default_extension=ext, **fields)
        for position, queue in enumerate(queues):
            QueueMember.objects.create(queue=queue, agent=agent, position=position)
        for code, level in (skills or {}).items():
            AgentSkill.objects.create(agent=agent, skill=self.skill(code), level=level)
        self.switch.register_phone(
            ext.number, PhoneProfile(auto_answer=auto_answer, answer_ms=answer_ms)
        )
        return agent

    def flow(self, nodes: dict, start: str = "start", number: str = HOTLINE) -> IvrFlow:
        flow = IvrFlow.objects.create(name=f"flow {number}", start=start, nodes=nodes)
        DialledNumber.objects.create(number=number, flow=flow)
        return flow

    def queue_flow(self, code: str, number: str = HOTLINE) -> IvrFlow:
        return self.flow({"start": {"type": "queue", "queue": code}}, number=number)

    def start(self):
        engine_start(self.engine)
        return self

    def login(self, agent: Agent, *queues, ready=True):
        with self.engine.step():
            ids = [q.pk for q in queues] or list(
                agent.memberships.values_list("queue_id", flat=True)
            )
            self.engine.agent_login(
                agent=agent, extension=agent.default_extension, queue_ids=ids, ready=ready
            )

    def call(self, caller: str, *, called: str = HOTLINE, **profile) -> str:
        return self.switch.inbound(caller=caller, called=called, profile=CallerProfile(**profile))

    def advance(self, seconds: float) -> None:
        self.engine.advance_seconds(seconds)

    def run(self, method: str, **kwargs):
        with self.engine.step():
            return getattr(self.engine, method)(**kwargs)


@pytest.fixture
def world(db, org):
    world = World()
    yield world
    engine_uninstall()
