"""A live engine on the real `sip` switch, listening on 127.0.0.1, with a
hotline number whose menu sends key 1 to the queue ``sales``.

The engine's runner takes turns on the shared test database with the test
thread through ``DB_TURN`` (see ``hotline/web/tests/e2e/asgi_server.py``).
"""

import os
import shutil
import threading
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import connections

from hotline.telephony.models import (
    Agent,
    DialledNumber,
    Extension,
    IvrFlow,
    Queue,
    QueueMember,
    SipTrunk,
)
from hotline.telephony.tests.realsip.peers import CARRIER_ADDRESS
from hotline.web.tests.e2e.asgi_server import DB_TURN, _share_connection

HOTLINE = "4008001234"
PASSWORD = "phone-secret-8002"
MENU_TEXT = "欢迎致电。购物请按1。"
NEEDED = ("sipp", "baresip", "espeak-ng", "sox")


def pytest_collection_modifyitems(items):
    missing = [tool for tool in NEEDED if shutil.which(tool) is None]
    if missing and not os.environ.get("CI"):
        skip = pytest.mark.skip(reason=f"needs {', '.join(missing)} (Debian packages)")
        for item in items:
            if "realsip" in str(item.fspath):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def prompts_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("prompts")


@pytest.fixture
def sip_world(transactional_db, org):
    """Queue ``sales`` with agent_a1 at SIP phone 8002 and agent_a2 at the
    browser softphone 8003; the hotline's menu; recording always; a carrier
    trunk calling from 127.0.0.2."""
    sales = Queue.objects.create(code="sales", name="Sales", max_wait_seconds=120)
    phone = Extension.objects.create(number="8002", kind=Extension.Kind.SIP, recording="always")
    phone.set_sip_password(PASSWORD, settings.TELEPHONY["SIP_REALM"])
    phone.save()
    browser = Extension.objects.create(
        number="8003", kind=Extension.Kind.WEBRTC, recording="always"
    )
    agents = {}
    for user, number, extension in ((org.agent_a1, "2002", phone), (org.agent_a2, "2003", browser)):
        agents[extension.number] = Agent.objects.create(
            user=user, number=number, default_extension=extension
        )
        QueueMember.objects.create(queue=sales, agent=agents[extension.number], position=0)
    flow = IvrFlow.objects.create(
        name="hotline",
        start="menu",
        nodes={
            "menu": {
                "type": "menu",
                "text": MENU_TEXT,
                "choices": {"1": "sales"},
                "timeout": 8,
                "retries": 1,
                "invalid": "goodbye",
            },
            "sales": {"type": "queue", "queue": "sales"},
            # Only a recognised "1" leads to the queue: anything else hangs up.
            "goodbye": {"type": "hangup", "text": "再见。"},
        },
    )
    DialledNumber.objects.create(number=HOTLINE, flow=flow)
    SipTrunk.objects.create(name="carrier", inbound_addresses=CARRIER_ADDRESS)
    return SimpleNamespace(queue=sales, agents=agents, org=org, phone=phone, browser=browser)


class Runner:
    """Drives the engine from the switch's events, like the live process."""

    def __init__(self, engine):
        self.engine = engine
        self.stopped = threading.Event()
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, name="sip-engine-runner", daemon=True)

    def _run(self) -> None:
        switch = self.engine.switch
        try:
            while not self.stopped.is_set():
                switch.wake.wait(0.05)
                with DB_TURN:
                    try:
                        with self.engine.step():
                            switch.deliver()
                    except Exception as exc:  # reported when the test ends
                        self.errors.append(exc)
        finally:
            connections.close_all()

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(5)


@pytest.fixture
def sip_live(sip_world, monkeypatch, prompts_dir):
    """The engine on a started `sip` switch (SIP on a free port of
    127.0.0.1), installed for this process; ``.engine``, ``.switch``,
    ``.run(method, **kw)`` (a step under the database turn)."""
    from hotline.telephony.engine.runtime import (
        engine_install,
        engine_uninstall,
        sip_engine,
        sip_reload,
        sip_switch_from_settings,
    )
    from hotline.telephony.tests.realsip.peers import free_port

    release = _share_connection(monkeypatch)
    switch = sip_switch_from_settings(
        host="127.0.0.1",
        port=free_port(),
        public_host="127.0.0.1",
        prompts_dir=prompts_dir,
        webrtc_hosts=["127.0.0.1"],
    )
    switch.start()
    engine = sip_engine(switch)
    engine_install(engine)
    runner = Runner(engine)
    runner.thread.start()

    def run(method: str, **kwargs):
        with DB_TURN, engine.step():
            return getattr(engine, method)(**kwargs)

    def login(extension: str) -> None:
        agent = sip_world.agents[extension]
        run(
            "agent_login",
            agent=agent,
            extension=agent.default_extension,
            queue_ids=[sip_world.queue.pk],
            ready=True,
        )

    def reload() -> None:
        with DB_TURN:
            sip_reload(engine)

    live = SimpleNamespace(
        engine=engine, switch=switch, run=run, login=login, reload=reload, world=sip_world
    )
    yield live
    runner.stop()
    engine_uninstall()
    open_legs = switch.open_legs()
    switch.stop()
    if release is not None:
        release()
    assert not runner.errors, f"The engine failed: {runner.errors!r}"
    assert not open_legs, f"Legs left open on the switch: {open_legs}"


def db_read(function):
    """Read the database from the test thread while the runner is idle."""
    with DB_TURN:
        return function()


def answered_leg(kind: str, *, timeout: float = 15, what: str = "the phone to answer"):
    """Wait for a call leg of ``kind`` to be answered; that leg."""
    from hotline.telephony.models import CallLeg
    from hotline.telephony.tests.realsip.peers import wait_until

    return wait_until(
        lambda: db_read(
            lambda: CallLeg.objects.filter(kind=kind, answered_at__isnull=False).first()
        ),
        timeout=timeout,
        what=what,
    )


@pytest.fixture
def phone_8002(sip_live, tmp_path):
    """agent_a1's baresip phone, registered as extension 8002, answering by
    itself; the agent logged in with it and ready."""
    from hotline.telephony.tests.realsip.peers import Baresip, wait_until

    phone = Baresip(
        workdir=tmp_path, extension="8002", password=PASSWORD, registrar_port=sip_live.switch.port
    ).start()
    try:
        wait_until(
            lambda: "8002" in sip_live.switch.registered(),
            timeout=15,
            what=f"baresip to register:\n{phone.output()}",
        )
        sip_live.login("8002")
        yield phone
    finally:
        phone.stop()
