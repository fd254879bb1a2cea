from hotline.core.context import acting_as


def client_address(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class CurrentActorMiddleware:
    """Makes the signed-in user the actor of every change made by the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with acting_as(request.user, client_address(request)):
            return self.get_response(request)
