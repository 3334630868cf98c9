"""/api/v1/tokens: the caller's own API tokens. They are made on the profile
page only, so a leaked token cannot mint others."""

from uuid import UUID

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router
from ninja.pagination import paginate

from loket.accounts.models import ApiToken
from loket.api import actions
from loket.api.auth import caller
from loket.api.common import Page
from loket.api.schemas import TokenOut

router = Router(tags=["tokens"])


@router.get("", response=list[TokenOut])
@paginate(Page)
def list_tokens(request: HttpRequest) -> QuerySet[ApiToken]:
    """The caller's tokens, newest first; the tokens themselves are never shown."""
    return caller(request).api_tokens.order_by("-created_at", "-pk")


@router.delete("/{token_uuid}", response={204: None})
def revoke_token(request: HttpRequest, token_uuid: UUID) -> None:
    """Revoke one of the caller's tokens (the one in use, too)."""
    user = caller(request)
    token = get_object_or_404(user.api_tokens.all(), uuid=token_uuid)
    actions.revoke_api_token(token, actor=user, request=request)
