"""Every URL needs sign-in unless it is on the explicit public list."""

import uuid
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

# Pages anyone may open, by URL name.
PUBLIC = {
    "health",
    "accounts:sign-in",
    "accounts:activate",
    "accounts:activate-password",
    "accounts:activation-new-link",
    "accounts:password-reset",
    "accounts:password-reset-sent",
    "accounts:password-reset-confirm",
    "accounts:language",
    # One-click unsubscribe from an e-mail: a signed token is the authority.
    "notifications:unsubscribe",
    # The API root (a 404), its schema and its documentation page hold no data.
    "api:api-root",
    "api:openapi-json",
    "api:openapi-view",
}


def _patterns(
    resolver: URLResolver, prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            full_ns = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _patterns(entry, prefix + str(entry.pattern), full_ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace else (entry.name or "")
            yield name, prefix + str(entry.pattern)


def _concrete(route: str) -> str:
    path = route
    for converter, value in [
        ("<uuid:", str(uuid.uuid4())),
        ("<int:", "1"),
        ("<str:", "x"),
        ("<slug:", "x"),
        ("<path:", "x"),
        ("<", "x"),
    ]:
        while converter in path:
            start = path.index(converter)
            end = path.index(">", start)
            path = path[:start] + value + path[end + 1 :]
    path = path.lstrip("^").rstrip("$").replace("\\Z", "").replace("\\", "")
    return "/" + path


ROUTES = sorted(set(_patterns(get_resolver())))


def test_the_sweep_sees_the_routes_it_should() -> None:
    names = {name for name, _ in ROUTES}
    assert {"home", "accounts:sign-in", "contacts:list", "api:me"} <= names
    assert PUBLIC - names == set(), "a public name no longer exists"


@pytest.mark.parametrize(("name", "route"), ROUTES)
def test_anonymous_is_refused_everywhere_but_public_pages(
    client: Client, name: str, route: str
) -> None:
    url = _concrete(route)
    for method in ("get", "post"):
        response = getattr(client, method)(url)
        if name in PUBLIC:
            assert response.status_code != 401, url
            assert "/accounts/sign-in/?next=" not in response.get("Location", "")
        elif url.startswith("/api/"):
            assert response.status_code in (401, 405), (method, url)
            if response.status_code == 401:
                assert response.json() == {"detail": "Unauthorized"}
        else:
            assert response.status_code == 302, (method, url)
            assert response["Location"].startswith("/accounts/sign-in/?next="), url
