"""/api/v1/me, the signed-in user; /api/v1/tokens, the caller's own API tokens.
Tokens are made on the profile page only, so a leaked token cannot mint
others."""

from datetime import datetime
from uuid import UUID

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.pagination import paginate

from loket.accounts import api_tokens
from loket.accounts.models import ApiToken, User
from loket.api.auth import caller
from loket.api.common import Page

router = Router()


class MeOut(Schema):
    uuid: str
    email: str
    first_name: str
    last_name: str
    kind: str
    language: str


class TokenOut(Schema):
    uuid: UUID
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@router.get("/me", response=MeOut, tags=["accounts"])
def me(request: HttpRequest) -> MeOut:
    """The signed-in user."""
    user: User = caller(request)
    return MeOut(
        uuid=str(user.uuid),
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        kind=user.kind,
        language=user.language,
    )


@router.get("/tokens", response=list[TokenOut], tags=["tokens"])
@paginate(Page)
def list_tokens(request: HttpRequest) -> QuerySet[ApiToken]:
    """The caller's tokens, newest first; the tokens themselves are never shown."""
    return caller(request).api_tokens.order_by("-created_at", "-pk")


@router.delete("/tokens/{token_uuid}", response={204: None}, tags=["tokens"])
def revoke_token(request: HttpRequest, token_uuid: UUID) -> None:
    """Revoke one of the caller's tokens (the one in use, too)."""
    user = caller(request)
    token = get_object_or_404(user.api_tokens.all(), uuid=token_uuid)
    api_tokens.revoke_api_token(token, actor=user, request=request)
