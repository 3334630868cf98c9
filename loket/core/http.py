"""Helpers for the pages of every feature."""

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

if TYPE_CHECKING:  # core imports no app at run time: it is the ground floor
    from loket.accounts.models import User


def signed_in_user(request: HttpRequest) -> "User":
    """The signed-in user of a page behind LoginRequiredMiddleware."""
    user = request.user
    assert user.is_authenticated, "login is required for this view"
    return user


def act_and_report(
    request: HttpRequest, act: Callable[[], object], done: str, then: str
) -> HttpResponse:
    """Run one action for a page's button: on success say `done`, on a broken
    rule say why; either way go to `then`."""
    try:
        act()
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, done)
    return redirect(then)
