"""Personal API tokens: made and revoked here, each writing its history."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from loket.accounts.models import ApiToken, User
from loket.api.auth import PREFIX_LENGTH, hash_token, new_token
from loket.audit.actions import record
from loket.audit.models import Event

NAME_MAX_LENGTH = ApiToken._meta.get_field("name").max_length or 100


@transaction.atomic
def create_api_token(
    user: User, *, name: str, actor: User, request: HttpRequest | None = None
) -> tuple[ApiToken, str]:
    """Make a token for `user`; returns it with the raw token, which is shown
    once and never stored (only its SHA-256 is)."""
    if not user.is_staff_member:
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
