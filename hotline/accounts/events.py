from hotline.core.events import Audience, Event


class PermissionsChanged(Event):
    """A user's roles, permissions or scope changed: live connections
    re-subscribe so they receive exactly what the new rights allow."""

    type = "accounts.permissions_changed"
    user_id: int

    def audience(self) -> Audience:
        return Audience.users(self.user_id)
