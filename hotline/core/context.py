"""Who is acting right now, for the change log: set per request, API call,
WebSocket message or task, read by the change-log mixin."""

from contextlib import contextmanager
from contextvars import ContextVar

_actor: ContextVar = ContextVar("hotline_actor", default=None)
_remote_addr: ContextVar = ContextVar("hotline_remote_addr", default=None)


def current_actor():
    actor = _actor.get()
    if actor is not None and getattr(actor, "is_authenticated", False):
        return actor
    return None


def current_remote_addr() -> str | None:
    return _remote_addr.get()


def set_actor(user, remote_addr: str | None = None) -> None:
    _actor.set(user)
    if remote_addr is not None:
        _remote_addr.set(remote_addr)


@contextmanager
def acting_as(user, remote_addr: str | None = None):
    token = _actor.set(user)
    addr_token = _remote_addr.set(remote_addr)
    try:
        yield
    finally:
        _actor.reset(token)
        _remote_addr.reset(addr_token)
