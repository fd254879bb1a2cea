from django.utils import translation

SESSION_LANGUAGE_KEY = "language"


def preferred_language(request) -> str:
    """The signed-in user's language, else the one chosen in this session
    (on the login page), else the browser's, else the default."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.language:
        return user.language
    chosen = request.session.get(SESSION_LANGUAGE_KEY) if hasattr(request, "session") else None
    return chosen or translation.get_language_from_request(request)


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        translation.activate(preferred_language(request))
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        response.headers.setdefault("Vary", "Accept-Language, Cookie")
        translation.deactivate()
        return response
