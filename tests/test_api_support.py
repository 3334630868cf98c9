"""Helpers for the API tests (no tests here)."""

import json
from typing import TYPE_CHECKING, Any

from django.test import Client

from loket.accounts.api_tokens import create_api_token
from loket.accounts.models import User
from loket.audit.models import Event

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

API = "/api/v1"


def raw_token_for(user: User, name: str = "test") -> str:
    _token, raw = create_api_token(user, name=name, actor=user)
    return raw


def token_client(user: User) -> Client:
    """A client that authenticates with a fresh API token of `user`."""
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw_token_for(user)}")


def send(client: Client, method: str, path: str, body: Any = None) -> "Response":
    """Call the API; a dict or list body is sent as JSON."""
    url = path if path.startswith("/") else f"{API}/{path}"
    call = getattr(client, method.lower())
    if body is None:
        response: Response = call(url)
    else:
        response = call(url, json.dumps(body), content_type="application/json")
    return response


def events(verb: Event.Verb) -> list[Event]:
    return list(Event.objects.filter(verb=verb).order_by("id"))


def event_count() -> int:
    return Event.objects.count()
