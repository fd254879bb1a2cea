"""The typed event bus.

Services publish events with ``publish(event)``; the event is dispatched only
after the surrounding transaction commits, first to in-process subscribers,
then to the WebSocket groups of the users allowed to see it (see
``Audience``). Payloads are pydantic models that forbid unknown fields.
"""

import asyncio
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import ClassVar

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone
from pydantic import BaseModel, ConfigDict

logger = logging.getLogger(__name__)

EVENT_TYPES: dict[str, type["Event"]] = {}
_subscribers: dict[type["Event"], list[Callable]] = defaultdict(list)


@dataclass(frozen=True)
class Audience:
    """Who may receive an event over the WebSocket.

    ``permission`` alone: every user holding it. With ``owner``: users whose
    data scope for ``permission`` covers a row owned by that user. ``user_ids``:
    those users, whatever their permissions.
    """

    permission: str | None = None
    owner_id: int | None = None
    owner_team_id: int | None = None
    owner_department_ids: tuple[int, ...] = ()
    scoped: bool = False
    user_ids: tuple[int, ...] = field(default_factory=tuple)

    @classmethod
    def holders_of(cls, permission: str) -> "Audience":
        return cls(permission=permission)

    @classmethod
    def scoped_to_owner(cls, permission: str, owner) -> "Audience":
        """``owner`` is the owning user (or None for an unowned row)."""
        if owner is None:
            return cls(permission=permission, scoped=True)
        return cls(
            permission=permission,
            owner_id=owner.pk,
            owner_team_id=owner.team_id,
            owner_department_ids=tuple(owner.department_ancestor_ids()),
            scoped=True,
        )

    @classmethod
    def scoped_to_owner_id(cls, permission: str, owner_id: int | None) -> "Audience":
        """As ``scoped_to_owner``, from the owner's id; the owner's team and
        department chain are looked up once a second at most per owner, so a
        batch of events does not cost a query each."""
        if owner_id is None:
            return cls(permission=permission, scoped=True)
        team_id, department_ids = _owner_route(owner_id)
        return cls(
            permission=permission,
            owner_id=owner_id,
            owner_team_id=team_id,
            owner_department_ids=department_ids,
            scoped=True,
        )

    @classmethod
    def users(cls, *user_ids: int) -> "Audience":
        return cls(user_ids=tuple(user_ids))

    def groups(self) -> list[str]:
        names = [user_group(uid) for uid in self.user_ids]
        if self.permission and not self.scoped:
            names.append(permission_group(self.permission))
        if self.permission and self.scoped:
            perm = self.permission
            names.append(scope_group(perm, "all"))
            if self.owner_id:
                names.append(scope_group(perm, "u", self.owner_id))
            if self.owner_team_id:
                names.append(scope_group(perm, "t", self.owner_team_id))
            names += [scope_group(perm, "d", d) for d in self.owner_department_ids]
        return names


ROUTE_SECONDS = 1.0
_routes: dict[int, tuple[float, int | None, tuple[int, ...]]] = {}


def _owner_route(owner_id: int) -> tuple[int | None, tuple[int, ...]]:
    now = time.monotonic()
    cached = _routes.get(owner_id)
    if cached and now - cached[0] < ROUTE_SECONDS:
        return cached[1], cached[2]
    from django.contrib.auth import get_user_model

    owner = get_user_model().objects.select_related("department").filter(pk=owner_id).first()
    route = (owner.team_id, tuple(owner.department_ancestor_ids())) if owner else (None, ())
    if len(_routes) > 10_000:
        _routes.clear()
    _routes[owner_id] = (now, *route)
    return route


def forget_owner_routes(*owner_ids: int) -> None:
    """Drop cached routes (all when no id is given), e.g. after a team change."""
    if not owner_ids:
        _routes.clear()
    for owner_id in owner_ids:
        _routes.pop(owner_id, None)


def user_group(user_id: int) -> str:
    return f"u.{user_id}"


def permission_group(permission: str) -> str:
    return f"p.{permission}"


def scope_group(permission: str, level: str, ident: int | None = None) -> str:
    return f"s.{permission}.{level}" + (f".{ident}" if ident is not None else "")


class Event(BaseModel):
    """Base of every event. Subclasses set ``type`` and define ``audience``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: ClassVar[str]
    # Permissions whose holders may receive this kind of event; the realtime
    # layer subscribes a connection only to the groups of these permissions.
    permissions: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "type" in cls.__dict__:
            if cls.type in EVENT_TYPES and EVENT_TYPES[cls.type] is not cls:
                raise ValueError(f"Event type {cls.type!r} is defined twice")
            EVENT_TYPES[cls.type] = cls

    def audience(self) -> Audience:
        raise NotImplementedError

    def envelope(self, event_id: str, at: datetime) -> dict:
        return {
            "id": event_id,
            "type": self.type,
            "at": at.isoformat(),
            "data": self.model_dump(mode="json"),
        }


def routed_permissions() -> set[str]:
    return {perm for cls in EVENT_TYPES.values() for perm in cls.permissions}


def subscribe(event_type: type[Event]):
    """Decorator: call the function with each committed event of that type."""

    def register(handler: Callable[[Event], None]):
        _subscribers[event_type].append(handler)
        return handler

    return register


def unsubscribe(event_type: type[Event], handler: Callable) -> None:
    _subscribers[event_type].remove(handler)


def publish(event: Event) -> None:
    """Announce ``event`` once the current transaction commits (at once when
    there is none); a rolled-back change announces nothing."""
    publish_all([event])


def publish_all(events: list[Event]) -> None:
    """Announce events once the transaction commits, in order, with one trip
    to the channel layer for all of them (the call engine announces a step's
    changes together)."""
    if events:
        transaction.on_commit(partial(dispatch, list(events), timezone.now()))


def _notify_subscribers(event: Event) -> None:
    for handler in list(_subscribers[type(event)]):
        try:
            handler(event)
        except Exception:
            logger.exception("Subscriber %r failed on %s", handler, event.type)


def dispatch(events: list[Event], at: datetime) -> None:
    """In-process subscribers first, then the WebSocket groups of each event."""
    batch = []
    for event in events:
        _notify_subscribers(event)
        message = {"type": "event.message", "event": event.envelope(str(uuid.uuid4()), at)}
        batch.append((event.audience().groups(), message, event.type))
    layer = get_channel_layer()
    if layer is not None:
        _run_sends(_send_batch, layer, batch)


_server_loop: asyncio.AbstractEventLoop | None = None


def remember_server_loop(loop: asyncio.AbstractEventLoop) -> None:
    """The event loop that serves the WebSocket connections of this process
    (the consumer tells it when a client connects)."""
    global _server_loop
    _server_loop = loop


def _run_sends(coroutine_function, *args) -> None:
    """Hand the sends to the server's event loop when called from another
    thread: the in-memory layer's queues belong to that loop, and a put from
    elsewhere would not wake it. Without a running server loop (management
    commands, tests without connections) the sends run here."""
    loop = _server_loop
    if loop is not None and loop.is_running() and not loop.is_closed():
        try:
            current = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        if current is not loop:
            asyncio.run_coroutine_threadsafe(coroutine_function(*args), loop)
            return
    async_to_sync(coroutine_function)(*args)


async def _send_to_groups(layer, groups: list[str], message: dict, event_type: str) -> None:
    for group in groups:
        try:
            await layer.group_send(group, message)
        except Exception:
            logger.exception("Could not send %s to group %s", event_type, group)


async def _send_batch(layer, batch) -> None:
    for groups, message, event_type in batch:
        await _send_to_groups(layer, groups, message, event_type)
