"""Who is calling the API: a personal API token, or the browser's session.

A token is sent as `Authorization: Bearer lok_…`. Only its SHA-256 is stored,
so a lookup by hash is all it takes (no timing leak about the token itself).
"""

from typing import Any

from django.http import HttpRequest
from django.utils import translation
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from loket.accounts.api_tokens import user_for_token
from loket.accounts.models import User


class ApiTokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`; a wrong token is a 401, whatever else
    the request carries."""

    def authenticate(self, request: HttpRequest, token: str) -> User:
        user = user_for_token(token.strip())
        if user is None:
            raise AuthenticationError
        # The session's language middleware does not see token callers.
        translation.activate(user.language)
        request.LANGUAGE_CODE = user.language
        return user


class SessionAuth(NinjaSessionAuth):
    """The browser's session, with ninja's CSRF check on unsafe methods.

    Without a signed-in user this answers "not authenticated" (401) before any
    CSRF check, which would otherwise turn an anonymous POST into a 403.
    """

    def __call__(self, request: HttpRequest) -> Any:
        user = request.user
        if not (isinstance(user, User) and user.is_active):
            return None
        return super().__call__(request)


API_AUTH = [ApiTokenAuth(), SessionAuth()]


def caller(request: HttpRequest) -> User:
    """The authenticated user of an API request."""
    user = getattr(request, "auth", None)
    assert isinstance(user, User), "the API requires authentication"
    return user
