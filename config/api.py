"""The HTTP API at /api/: one NinjaAPI, each app's ``api.router`` mounted at
/api/<app label>/, session or token authentication, one error format:

    {"error": {"code": "forbidden", "message": "…", "details": …}}
"""

import importlib
import logging

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyCookie, HttpBearer

from hotline.core.context import set_actor
from hotline.core.exceptions import DomainError

logger = logging.getLogger(__name__)


class SessionAuth(APIKeyCookie):
    """The browser's session, with Django's CSRF check on unsafe methods."""

    param_name = "sessionid"

    def authenticate(self, request, key):
        user = request.user
        if user.is_authenticated and user.is_active:
            return user
        return None


class TokenAuth(HttpBearer):
    """``Authorization: Bearer hl_…`` with a per-user API token."""

    def authenticate(self, request, token):
        from hotline.accounts.services import api_token_authenticate

        user = api_token_authenticate(token)
        if user is None:
            return None
        request.user = user
        set_actor(user, request.META.get("REMOTE_ADDR"))
        return user


api = NinjaAPI(
    title="Hotline API",
    version="1",
    description=(
        "Session authentication for the browser; `Authorization: Bearer <token>` with a "
        "personal API token for other systems. Errors are "
        '`{"error": {"code", "message", "details"}}`.'
    ),
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
    docs_url="/docs",
)


def error_response(request, status: int, code: str, message: str, details=None):
    return api.create_response(
        request,
        {"error": {"code": code, "message": str(message), "details": details}},
        status=status,
    )


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    return error_response(request, exc.status, exc.code, exc.message, exc.details)


@api.exception_handler(NinjaValidationError)
def _validation_error(request, exc: NinjaValidationError):
    return error_response(
        request, 422, "validation_error", _("The request is not valid."), exc.errors
    )


@api.exception_handler(DjangoValidationError)
def _django_validation_error(request, exc: DjangoValidationError):
    details = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
    return error_response(request, 422, "validation_error", " ".join(exc.messages), details)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return error_response(request, 401, "unauthenticated", _("Sign in or send a valid API token."))


@api.exception_handler(AuthorizationError)
@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    message = str(exc) or _("You do not have permission to do this.")
    return error_response(request, 403, "forbidden", message)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return error_response(request, 404, "not_found", _("Not found."))


HTTP_ERROR_CODES = {
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "validation_error",
}


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    code = HTTP_ERROR_CODES.get(exc.status_code, "error")
    return error_response(request, exc.status_code, code, exc.message)


@api.exception_handler(Exception)
def _server_error(request, exc):
    logger.exception("API error on %s %s", request.method, request.path)
    return error_response(request, 500, "server_error", _("Something went wrong on our side."))


def mount_app_routers() -> None:
    for config in apps.get_app_configs():
        if not config.name.startswith("hotline."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.api")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.api":
                raise
            continue
        api.add_router(f"/{config.label}/", module.router)


mount_app_routers()
