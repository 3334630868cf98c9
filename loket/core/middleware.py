import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.middleware import (
    LoginRequiredMiddleware as DjangoLoginRequiredMiddleware,
)
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.utils import translation

from loket.core.views import bad_request

SIGNED_IN_AT = "loket_signed_in_at"


class SessionTimeoutMiddleware:
    """Ends a session past its absolute age, or after its user was deactivated.

    The idle timeout is the session cookie's age, renewed on every request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            # Every sign-in goes through accounts.actions.sign_in, which stamps
            # the session; a session without the stamp is not trusted.
            signed_in_at = request.session.get(SIGNED_IN_AT, 0)
            revoked = user.sessions_revoked_at
            too_old = (
                time.time() - signed_in_at > settings.LOKET_SESSION_ABSOLUTE_SECONDS
            )
            if too_old or (revoked is not None and signed_in_at < revoked.timestamp()):
                auth.logout(request)
        return self.get_response(request)


class UserLanguageMiddleware:
    """A signed-in user sees the portal in their preferred language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            translation.activate(request.user.language)
            request.LANGUAGE_CODE = request.user.language
        return self.get_response(request)


class LoginRequiredMiddleware(DjangoLoginRequiredMiddleware):
    """Every page needs sign-in unless marked @login_not_required.

    The API answers 401 itself (django-ninja authentication) instead of
    redirecting to the sign-in page.
    """

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponseBase | None:
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class RejectNullCharactersMiddleware:
    """Input holding a NUL character is refused with a 400 before any view runs:
    PostgreSQL cannot store it, and no person types it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _holds_nul(request):
            if request.path_info.startswith("/api/"):
                message = "Null characters are not allowed in the input."
                return JsonResponse({"detail": message}, status=400)
            return bad_request(request, ValueError("NUL character"))
        return self.get_response(request)


def _holds_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path_info:
        return True
    if any("\x00" in value for _key, values in request.GET.lists() for value in values):
        return True
    content_type = request.content_type or ""
    if content_type == "application/json":
        return b"\\u0000" in request.body
    if request.method == "POST" and content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        return any(
            "\x00" in value for _key, values in request.POST.lists() for value in values
        )
    return False
