"""Personal API tokens (staff only): made and revoked here, each writing its
history, and looked up for `Authorization: Bearer lok_…`.

Only a token's SHA-256 is stored, so a lookup by hash is all it takes (no
timing leak about the token itself).
"""

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from loket import access
from loket.accounts.models import ApiToken, User
from loket.audit.actions import record
from loket.audit.models import Event

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
    if not access.is_staff(user):
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


NAME_MAX_LENGTH = ApiToken._meta.get_field("name").max_length or 100


@transaction.atomic
def create_api_token(
    user: User, *, name: str, actor: User, request: HttpRequest | None = None
) -> tuple[ApiToken, str]:
    """Make a token for `user`; returns it with the raw token, which is shown
    once and never stored (only its SHA-256 is)."""
    if not access.is_staff(user):
        raise ValidationError(
            _("Only staff members can have API tokens."), code="not_staff"
        )
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name.")}, code="required")
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(
            {
                "name": _("Keep the name under %(n)s characters.")
                % {"n": NAME_MAX_LENGTH}
            },
            code="max_length",
        )
    raw = new_token()
    token = ApiToken.objects.create(
        user=user, name=name, prefix=raw[:PREFIX_LENGTH], token_hash=hash_token(raw)
    )
    record(
        Event.Verb.API_TOKEN_CREATED,
        actor=actor,
        target=token,
        data={"name": name, "prefix": token.prefix, "user": str(user.uuid)},
        request=request,
    )
    return token, raw


@transaction.atomic
def revoke_api_token(
    token: ApiToken, *, actor: User, request: HttpRequest | None = None
) -> ApiToken:
    """The token stops working at once. Revoking twice changes nothing."""
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record(
        Event.Verb.API_TOKEN_REVOKED,
        actor=actor,
        target=token,
        data={"name": token.name, "prefix": token.prefix, "user": str(token.user.uuid)},
        request=request,
    )
    return token
