"""django-axes hooks: lock the (e-mail, IP address) pair, answer in words."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def username_from_request(
    request: HttpRequest, credentials: dict[str, Any] | None
) -> str:
    raw = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(raw).strip().lower()


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    from loket.accounts.forms import SignInForm

    form = SignInForm(
        request, initial={"username": username_from_request(request, credentials)}
    )
    return render(
        request, "accounts/sign_in.html", {"form": form, "locked_out": True}, status=429
    )
