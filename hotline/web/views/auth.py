from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from hotline.accounts.middleware import SESSION_LANGUAGE_KEY
from hotline.accounts.services import user_set_language
from hotline.accounts.throttle import login_is_throttled, throttle_minutes
from hotline.core.exceptions import DomainError


class LoginForm(AuthenticationForm):
    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            username = (self.cleaned_data.get("username") or "").strip()
            if username and login_is_throttled(username=username, request=self.request):
                raise ValidationError(
                    _("Too many failed logins. Try again in %(minutes)d minutes.")
                    % {"minutes": throttle_minutes()},
                    code="throttled",
                ) from None
            raise


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return "/"


@never_cache
@csrf_protect
def login_view(request):
    if request.user.is_authenticated:
        return redirect(_next_url(request))
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        login(request, user)
        if user.language:
            request.session[SESSION_LANGUAGE_KEY] = user.language
        return redirect(_next_url(request))
    return render(request, "web/login.html", {"form": form, "next": _next_url(request)})


@require_POST
def logout_view(request):
    logout(request)
    return redirect("web:login")


@require_POST
def set_language_view(request):
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        messages.error(request, _("Unsupported language: %s") % language)
        return redirect(_next_url(request))
    if request.user.is_authenticated:
        try:
            user_set_language(user=request.user, language=language)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(_next_url(request))
    request.session[SESSION_LANGUAGE_KEY] = language
    return redirect(_next_url(request))
