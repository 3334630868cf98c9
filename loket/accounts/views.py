from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from loket import access
from loket.accounts import actions, api_tokens
from loket.accounts.forms import (
    ChoosePasswordForm,
    LanguageForm,
    PasswordResetRequestForm,
    SignInForm,
    TokenForm,
)
from loket.accounts.models import User
from loket.accounts.tokens import Check, check_invitation_token
from loket.core.http import signed_in_user

INVITATION_SESSION_KEY = "loket_invitation_token"


def _safe_next(request: HttpRequest, candidate: str | None) -> str | None:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return None


@login_not_required
@sensitive_post_parameters("password")
@never_cache
def sign_in(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.user.is_authenticated:
        return redirect(next_url or "home")
    form = SignInForm(request, data=request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            actions.sign_in(request, form.get_user())
            return redirect(next_url or "home")
        actions.record_failed_sign_in(
            request,
            email=request.POST.get("username", ""),
            locked_out=bool(getattr(request, "axes_locked_out", False)),
        )
    return render(request, "accounts/sign_in.html", {"form": form, "next": next_url})


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    actions.sign_out(request)
    messages.success(request, _("You have signed out."))
    return redirect("accounts:sign-in")


@login_not_required
@never_cache
def activate(request: HttpRequest, user_uuid: UUID, token: str) -> HttpResponse:
    """The invitation link: keep the token in the session and drop it from the
    address bar, so it cannot leak through the Referer header or history."""
    request.session[INVITATION_SESSION_KEY] = token
    response = redirect("accounts:activate-password", user_uuid=user_uuid)
    invitee = User.objects.filter(uuid=user_uuid).only("language").first()
    if invitee and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        # The page speaks the language the invitation was written in.
        _set_language_cookie(response, invitee.language)
    return response


@login_not_required
@sensitive_post_parameters()
@never_cache
def activate_password(request: HttpRequest, user_uuid: UUID) -> HttpResponse:
    user = User.objects.filter(uuid=user_uuid).first()
    token = request.session.get(INVITATION_SESSION_KEY, "")
    check = check_invitation_token(user, token) if user else Check.INVALID
    if check is not Check.VALID:
        return render(
            request,
            "accounts/activation_refused.html",
            {"check": check.value, "user_uuid": user_uuid},
            status=410 if check is Check.EXPIRED else 400,
        )
    assert user is not None
    form = ChoosePasswordForm(user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        request.session.pop(INVITATION_SESSION_KEY, None)
        actions.activate_account(
            user, password=form.cleaned_data["new_password1"], request=request
        )
        messages.success(request, _("Welcome! Your account is active."))
        return redirect("home")
    return render(request, "accounts/activate.html", {"form": form, "invitee": user})


@login_not_required
@require_POST
def activation_new_link(request: HttpRequest, user_uuid: UUID) -> HttpResponse:
    """Whoever holds a genuine but expired link may ask for a fresh one; it goes
    to the address the firm has on file, never anywhere else."""
    user = get_object_or_404(User, uuid=user_uuid)
    token = request.session.get(INVITATION_SESSION_KEY, "")
    if check_invitation_token(user, token) is Check.EXPIRED:
        actions.send_invitation(user, actor=None, request=request)
        request.session.pop(INVITATION_SESSION_KEY, None)
    return render(request, "accounts/activation_new_link_sent.html")


@login_not_required
@never_cache
def password_reset(request: HttpRequest) -> HttpResponse:
    form = PasswordResetRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        user = User.objects.filter(email__iexact=email).first()
        if user is not None:
            actions.request_password_reset(user, request=request)
        # The same answer whether or not the account exists.
        return redirect("accounts:password-reset-sent")
    return render(request, "accounts/password_reset.html", {"form": form})


@login_not_required
def password_reset_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_reset_sent.html")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = ChoosePasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:sign-in")

    def form_valid(self, form: Any) -> HttpResponse:
        actions.reset_password(
            self.user,
            password=form.cleaned_data["new_password1"],
            request=self.request,
        )
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        messages.success(
            self.request, _("Your password has been changed. You can sign in now.")
        )
        return HttpResponseRedirect(self.get_success_url())


password_reset_confirm = login_not_required(PasswordResetConfirmView.as_view())


@sensitive_post_parameters()
def profile(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = PasswordChangeForm(user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        actions.change_password(
            user, password=form.cleaned_data["new_password1"], request=request
        )
        messages.success(request, _("Your password has been changed."))
        return redirect("accounts:profile")
    # The API tokens page is for staff members.
    context = {"form": form, "can_manage_tokens": access.is_staff(user)}
    return render(request, "accounts/profile.html", context)


@login_not_required
@require_POST
def switch_language(request: HttpRequest) -> HttpResponse:
    form = LanguageForm(request.POST)
    next_url = _safe_next(request, request.POST.get("next")) or reverse("home")
    response = redirect(next_url)
    if form.is_valid():
        language = form.cleaned_data["language"]
        if isinstance(request.user, User):
            actions.set_language(request.user, language=language)
        _set_language_cookie(response, language)
    return response


def _set_language_cookie(response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 86400,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )


# The API tokens page in the profile: staff make and revoke their tokens.


def _staff_member(request: HttpRequest) -> User:
    user = signed_in_user(request)
    access.require(access.is_staff(user))
    return user


@never_cache
def token_list(request: HttpRequest) -> HttpResponse:
    """The tokens, and "New token": the new token is shown on this answer only."""
    user = _staff_member(request)
    form = TokenForm(request.POST if request.method == "POST" else None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = api_tokens.create_api_token(
                user, name=form.cleaned_data["name"], actor=user, request=request
            )
            form = TokenForm()
        except ValidationError as error:
            form.add_error(None, error)
    context = {"form": form, "tokens": user.api_tokens.all(), "created": created}
    return render(
        request, "accounts/api_tokens.html", context, status=400 if form.errors else 200
    )


@require_POST
def token_revoke(request: HttpRequest, token_uuid: UUID) -> HttpResponse:
    user = _staff_member(request)
    token = get_object_or_404(user.api_tokens.all(), uuid=token_uuid)
    api_tokens.revoke_api_token(token, actor=user, request=request)
    messages.success(
        request, _("The token “%(name)s” is revoked.") % {"name": token.name}
    )
    return redirect("api-tokens:list")
