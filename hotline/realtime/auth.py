from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware


class TokenAuthMiddleware(BaseMiddleware):
    """Other systems connect with ``Authorization: Bearer <API token>``; the
    browser uses its session (AuthMiddlewareStack underneath)."""

    async def __call__(self, scope, receive, send):
        user = scope.get("user")
        if user is None or not user.is_authenticated:
            key = _bearer(scope)
            if key:
                found = await database_sync_to_async(_authenticate)(key)
                if found is not None:
                    scope["user"] = found
        return await super().__call__(scope, receive, send)


def _bearer(scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"authorization":
            kind, _sep, key = value.decode("latin-1").partition(" ")
            if kind.lower() == "bearer" and key.strip():
                return key.strip()
    return None


def _authenticate(key: str):
    from hotline.accounts.services import api_token_authenticate

    return api_token_authenticate(key)
