"""My account: language, password and API tokens of the signed-in user."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from hotline.accounts import selectors, services
from hotline.accounts.middleware import SESSION_LANGUAGE_KEY
from hotline.core.exceptions import DomainError
from hotline.web.forms import ApiTokenForm, LanguageForm, OwnPasswordForm
from hotline.web.views.common import show_domain_error


def _render(request, status=200, **forms):
    user = request.user
    context = {
        "language_form": forms.get("language_form")
        or LanguageForm(initial={"language": user.language or request.LANGUAGE_CODE}),
        "password_form": forms.get("password_form") or OwnPasswordForm(user=user),
        "token_form": forms.get("token_form") or ApiTokenForm(),
        "new_key": forms.get("new_key"),
        "new_token": forms.get("new_token"),
        "tokens": selectors.api_token_list(actor=user),
        "may_create_tokens": user.has_perm("accounts.add_apitoken"),
        # After a POST the language switch returns to the page, not the action.
        "language_next": reverse("web:account"),
    }
    return render(request, "web/account/account.html", context, status=status)


@never_cache
@login_required
def account(request):
    return _render(request)


@require_POST
@login_required
def account_language(request):
    form = LanguageForm(request.POST)
    if form.is_valid():
        try:
            services.user_set_language(user=request.user, language=form.cleaned_data["language"])
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            request.session[SESSION_LANGUAGE_KEY] = request.user.language
            messages.success(request, _("Your language was saved."))
            return redirect("web:account")
    return _render(request, language_form=form)


@require_POST
@login_required
def account_password(request):
    form = OwnPasswordForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.user_set_password(
                actor=request.user, user=request.user, password=form.cleaned_data["new_password1"]
            )
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password was changed."))
            return redirect("web:account")
    return _render(request, password_form=form)


@never_cache
@require_POST
@login_required
def account_token_create(request):
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            token, key = services.api_token_create(
                user=request.user, name=form.cleaned_data["name"], expires_at=form.expires_at()
            )
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            # The key is not stored: this response is the only time it is shown.
            return _render(request, new_key=key, new_token=token)
    return _render(request, token_form=form)


@require_POST
@login_required
def account_token_revoke(request, pk: int):
    token = get_object_or_404(selectors.api_token_list(actor=request.user), pk=pk)
    services.api_token_revoke(actor=request.user, token=token)
    if getattr(request, "htmx", None):
        return render(request, "web/account/_token_row.html", {"token": token})
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("web:account")
