"""The API tokens page in the profile: staff make and revoke their tokens."""

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from loket import access
from loket.accounts.models import User
from loket.api import actions
from loket.api.forms import TokenForm
from loket.core.http import signed_in_user


def _staff_member(request: HttpRequest) -> User:
    user = signed_in_user(request)
    access.require(user.is_staff_member)
    return user


@never_cache
def token_list(request: HttpRequest) -> HttpResponse:
    """The tokens, and "New token": the new token is shown on this answer only."""
    user = _staff_member(request)
    form = TokenForm(request.POST if request.method == "POST" else None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = actions.create_api_token(
                user, name=form.cleaned_data["name"], actor=user, request=request
            )
            form = TokenForm()
        except ValidationError as error:
            form.add_error(None, error)
    context = {"form": form, "tokens": user.api_tokens.all(), "created": created}
    return render(
        request, "api/tokens.html", context, status=400 if form.errors else 200
    )


@require_POST
def token_revoke(request: HttpRequest, token_uuid: UUID) -> HttpResponse:
    user = _staff_member(request)
    token = get_object_or_404(user.api_tokens.all(), uuid=token_uuid)
    actions.revoke_api_token(token, actor=user, request=request)
    messages.success(
        request, _("The token “%(name)s” is revoked.") % {"name": token.name}
    )
    return redirect("api-tokens:list")
