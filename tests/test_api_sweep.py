"""Every operation in the OpenAPI schema refuses a caller without valid
authentication with 401 in JSON, whatever its parameters."""

import re
import uuid
from typing import TYPE_CHECKING

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from config.api import api
from loket.accounts.api_tokens import create_api_token, revoke_api_token
from loket.accounts.models import User

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

SCHEMA = api.get_openapi_schema()
OPERATIONS = sorted(
    (method, path)
    for path, operations in SCHEMA["paths"].items()
    for method in operations
)
UNAUTHORIZED = {"detail": "Unauthorized"}


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda _match: str(uuid.uuid4()), path)


def call(client: Client, method: str, path: str) -> "Response":
    if method == "get":
        return client.get(concrete(path))
    return getattr(client, method)(  # type: ignore[no-any-return]
        concrete(path), '{"name": "x"}', content_type="application/json"
    )


def test_the_schema_lists_every_resource() -> None:
    paths = set(SCHEMA["paths"])
    for resource in ("contacts", "staff", "groups", "entities", "roles", "tokens"):
        assert f"/api/v1/{resource}" in paths
    assert "/api/v1/entities/{entity_uuid}/access/{assignment_uuid}" in paths
    assert "/api/v1/groups/{group_uuid}/members/{user_uuid}" in paths
    assert "/api/v1/entities/{entity_uuid}/files" in paths
    assert "/api/v1/files/{file_uuid}/versions/{version_uuid}/download" in paths
    assert len(OPERATIONS) >= 40


def test_the_schema_covers_every_api_route() -> None:
    (resolver,) = [
        entry
        for entry in get_resolver().url_patterns
        if isinstance(entry, URLResolver) and entry.namespace == "api"
    ]
    routes = {
        "/api/v1/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(p.pattern))
        for p in resolver.url_patterns
        if isinstance(p, URLPattern)
        and p.name not in {"openapi-json", "openapi-view", "api-root", "not-found"}
    }
    assert routes == set(SCHEMA["paths"])


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_every_operation_is_tagged_and_secured(method: str, path: str) -> None:
    operation = SCHEMA["paths"][path][method]
    assert operation.get("tags"), (method, path)
    schemes = {name for entry in operation["security"] for name in entry}
    assert schemes == {"ApiTokenAuth", "SessionAuth"}


def test_the_bearer_scheme_is_declared() -> None:
    schemes = SCHEMA["components"]["securitySchemes"]
    assert schemes["ApiTokenAuth"] == {"type": "http", "scheme": "bearer"}


def test_no_schema_exposes_an_integer_id() -> None:
    for name, component in SCHEMA["components"]["schemas"].items():
        properties = component.get("properties", {})
        assert "id" not in properties, name
        assert "pk" not in properties, name


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_anonymous_gets_401(client: Client, method: str, path: str) -> None:
    response = call(client, method, path)
    assert response.status_code == 401, (method, path)
    assert response.json() == UNAUTHORIZED


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_a_revoked_token_gets_401(firm_admin: User, method: str, path: str) -> None:
    token, raw = create_api_token(firm_admin, name="old", actor=firm_admin)
    revoke_api_token(token, actor=firm_admin)
    response = call(Client(HTTP_AUTHORIZATION=f"Bearer {raw}"), method, path)
    assert response.status_code == 401, (method, path)
    assert response.json() == UNAUTHORIZED
