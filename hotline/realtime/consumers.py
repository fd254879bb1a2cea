import asyncio
import logging
from collections import deque

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth import get_user_model

from hotline.accounts.events import PermissionsChanged
from hotline.core.events import remember_server_loop
from hotline.realtime.subscriptions import groups_for_user

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401


class EventsConsumer(AsyncJsonWebsocketConsumer):
    """/ws/events/: every event the signed-in user may see, as JSON envelopes
    ``{"id", "type", "at", "data"}``. A client first loads initial state over
    HTTP, then applies these events."""

    async def connect(self):
        self.user = self.scope.get("user")
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.groups_joined: list[str] = []
        self.recent_ids: deque[str] = deque(maxlen=500)
        remember_server_loop(asyncio.get_running_loop())
        await self.accept()
        await self._subscribe()
        await self.send_json({"type": "hello", "user_id": self.user.pk})

    async def disconnect(self, code):
        await self._leave_all()

    async def receive_json(self, content, **kwargs):
        if content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def event_message(self, message):
        envelope = message["event"]
        if envelope["id"] in self.recent_ids:
            return  # reached us through two of our groups
        self.recent_ids.append(envelope["id"])
        if envelope["type"] == PermissionsChanged.type:
            await self._resubscribe()
        await self.send_json(envelope)

    async def _resubscribe(self):
        self.user = await database_sync_to_async(self._reload_user)()
        await self._leave_all()
        if not self.user.is_active:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        await self._subscribe()

    def _reload_user(self):
        return get_user_model().objects.get(pk=self.user.pk)

    async def _subscribe(self):
        self.groups_joined = await database_sync_to_async(groups_for_user)(self.user)
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)

    async def _leave_all(self):
        """Leave every group; one that fails (e.g. Redis busy while many
        clients close at once) does not keep the others joined."""
        for group in getattr(self, "groups_joined", []):
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:
                logger.warning("Could not leave group %s", group, exc_info=True)
        self.groups_joined = []
