"""Who is calling the API: a personal API token, or the browser's session.

A token is sent as `Authorization: Bearer lok_…`. Only its SHA-256 is stored,
so a lookup by hash is all it takes (no timing leak about the token itself).
"""

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone, translation
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from loket.accounts.models import ApiToken, User

TOKEN_PREFIX = "lok_"  # noqa: S105 (not a secret: every token starts so)
PREFIX_LENGTH = 12
# last_used_at is written at most this often, so busy clients cost no writes.
LAST_USED_GRANULARITY = timedelta(minutes=1)


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def user_for_token(raw: str) -> User | None:
    """The active staff member a live token belongs to, or None.

    A token dies when revoked, while its user is not active, and when the
    user's sessions were revoked after it was made (deactivation, password
    reset), so a reactivated account does not revive old tokens.
    """
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_token(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None:
        return None
    user = token.user
    if not (user.is_active and user.is_staff_member):
        return None
    if user.sessions_revoked_at and token.created_at < user.sessions_revoked_at:
        return None
    now = timezone.now()
    stale = now - LAST_USED_GRANULARITY
    if token.last_used_at is None or token.last_used_at < stale:
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale)
        ).update(last_used_at=now)
    return user


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
