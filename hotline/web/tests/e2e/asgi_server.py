"""Browser tests against the ASGI application (HTTP and WebSocket) and a live
call engine.

pytest-django's ``live_server`` speaks WSGI only. ``asgi_live_server`` serves
``config.asgi.application`` with uvicorn in a thread of the test process, on
the same in-memory SQLite test database, as Django's LiveServerThread does:
every thread (uvicorn's request threads, the engine's ticker) uses the test
thread's connection. Requests and engine ticks take turns on it through
``DB_TURN``, so a tick's transaction never interleaves with a request's.

``live_engine`` runs a sim engine whose clock follows the wall clock, ticking
every 50 ms in a thread until the test ends. Tests place calls with::

    with live_engine.lock:
        live_engine.switch.inbound(caller=..., called=..., profile=CallerProfile(...))

Use it as a plugin: ``pytest_plugins = ["hotline.web.tests.e2e.asgi_server"]``
in a conftest, or import the fixtures.
"""

import asyncio
import gc
import socket
import threading
import time
from datetime import UTC, datetime

import pytest
from django.db import DEFAULT_DB_ALIAS, connections

TICK_SECONDS = 0.05
START_TIMEOUT = 10
DB_TURN = threading.Lock()


class _Turns:
    """ASGI wrapper: each HTTP request holds ``DB_TURN`` while it runs."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.application(scope, receive, send)
        while not DB_TURN.acquire(blocking=False):
            await asyncio.sleep(0.002)
        try:
            return await self.application(scope, receive, send)
        finally:
            DB_TURN.release()


def _share_connection(monkeypatch):
    """Make every thread use this thread's connection to the in-memory test
    database (a new connection would see an empty or locked database). Other
    threads get it without keeping it: long-lived worker threads (asgiref's
    executors) find their own connection again once the test is over.
    Returns the function that ends the sharing, or None when not needed."""
    shared = connections[DEFAULT_DB_ALIAS]
    if shared.vendor != "sqlite" or not shared.is_in_memory_db():
        return None
    shared.inc_thread_sharing()
    handler = connections
    original = type(handler).__getitem__

    def getitem(self, alias):
        if self is handler and alias == DEFAULT_DB_ALIAS:
            return shared
        return original(self, alias)

    monkeypatch.setattr(type(handler), "__getitem__", getitem)
    return shared.dec_thread_sharing


class AsgiLiveServer:
    def __init__(self, application, host: str = "127.0.0.1"):
        import uvicorn

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.host, self.port = self.sock.getsockname()
        config = uvicorn.Config(
            _Turns(application), lifespan="off", log_level="warning", access_log=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, name="asgi-live-server", daemon=True)
        self.error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __str__(self) -> str:
        return self.url

    def _run(self) -> None:
        try:
            self.server.run(sockets=[self.sock])
        except BaseException as exc:  # reported by start()
            self.error = exc

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self.server.started:
            if self.error is not None or not self.thread.is_alive():
                raise RuntimeError(f"The ASGI test server did not start: {self.error!r}")
            if time.monotonic() > deadline:
                raise RuntimeError("The ASGI test server did not start in time")
            time.sleep(0.01)

    def stop(self) -> None:
        from asgiref.sync import SyncToAsync

        self.server.should_exit = True
        self.thread.join(START_TIMEOUT)
        self.sock.close()
        # The WebSocket consumer's queries ran on asgiref's long-lived worker
        # thread; close what it holds so the test database can be dropped.
        SyncToAsync.single_thread_executor.submit(connections.close_all).result(START_TIMEOUT)
        gc.collect()  # connections of the request threads that have ended


@pytest.fixture
def asgi_live_server(transactional_db, monkeypatch):
    """``config.asgi.application`` (HTTP and WebSocket) on a free port; its
    base URL (``.url``, or ``str()``)."""
    from config.asgi import application

    release = _share_connection(monkeypatch)
    server = AsgiLiveServer(application)
    server.start()
    yield server
    server.stop()
    if release is not None:
        release()


class _Ticker:
    def __init__(self, engine):
        self.engine = engine
        self.stopped = threading.Event()
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, name="live-engine-ticker", daemon=True)

    def _run(self) -> None:
        from hotline.telephony.engine.runtime import _tick

        try:
            while not self.stopped.wait(TICK_SECONDS):
                with DB_TURN:
                    try:
                        _tick(self.engine)
                    except Exception as exc:  # reported when the test ends
                        self.errors.append(exc)
        finally:
            connections.close_all()  # this thread's own (not the shared in-memory one)

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(5)


@pytest.fixture
def live_engine(transactional_db, monkeypatch):
    """A sim engine on a clock that follows the wall clock, installed as the
    engine of this process, with the sim phones of the database registered
    and a ticker thread driving it; uninstalled when the test ends. Create the
    agents, extensions and flows it needs before asking for it."""
    from hotline.telephony.engine.core import engine_start
    from hotline.telephony.engine.runtime import (
        _wall_ms,
        engine_install,
        engine_uninstall,
        sim_engine,
        sim_register_phones,
    )

    release = _share_connection(monkeypatch)
    started = datetime.now(UTC)
    engine = sim_engine(seed=7, epoch=started, run=f"{int(started.timestamp() * 1000):x}")
    sim_register_phones(engine.switch)
    engine.wall = lambda: _wall_ms(engine)
    engine_start(engine)
    engine_install(engine)
    ticker = _Ticker(engine)
    ticker.thread.start()
    yield engine
    ticker.stop()
    engine_uninstall()
    if release is not None:
        release()
    assert not ticker.errors, f"The engine failed while ticking: {ticker.errors!r}"
