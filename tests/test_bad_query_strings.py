"""Garbled query strings get a page or a clear 400, never a 500."""

import pytest

from loket.accounts.models import User
from loket.entities.models import Entity
from tests.conftest import ClientFor

pytestmark = pytest.mark.django_db

GARBAGE = [
    "page=abc",
    "page=-1",
    "page=99999999999999999999",
    "state=zzz",
    "q=%00%ff",
    "entity=not-a-uuid",
    "kind=nonsense",
    "from=2026-13-45&to=yesterday",
    "what=no.such.verb",
    "show=everything",
]

PAGES = [
    "/contacts/",
    "/contacts/export.csv",
    "/contacts/export.xlsx",
    "/groups/",
    "/entities/",
    "/entities/{entity}/history/",
    "/entities/{entity}/history.csv",
    "/entities/{entity}/share/",
    "/entities/{entity}/files/",
    "/files/entity/{entity}/trash/",
    "/settings/staff/",
    "/settings/history/",
    "/settings/history/export.csv",
    "/api/v1/contacts",
    "/api/v1/entities",
    "/api/v1/entities/{entity}/files",
    "/api/v1/groups",
]


@pytest.mark.parametrize("query", GARBAGE)
@pytest.mark.parametrize("page", PAGES)
def test_garbled_query_strings_never_break_a_page(
    client_for: ClientFor, firm_admin: User, entity: Entity, page: str, query: str
) -> None:
    response = client_for(firm_admin).get(page.format(entity=entity.uuid) + "?" + query)
    assert response.status_code in (200, 400, 422), (page, query)


def test_a_nul_character_in_a_form_is_refused_before_anything_is_written(
    client_for: ClientFor, firm_admin: User
) -> None:
    response = client_for(firm_admin).post(
        "/groups/new/contact/", {"name": "Bad\x00name", "description": ""}
    )
    assert response.status_code == 400
    from loket.groups.models import Group

    assert not Group.objects.filter(name__startswith="Bad").exists()


def test_a_nul_character_in_api_json_is_a_400_in_json(
    client_for: ClientFor, firm_admin: User, entity: Entity
) -> None:
    response = client_for(firm_admin).post(
        "/api/v1/entities",
        data='{"name": "Bad\\u0000name"}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "detail" in response.json()
    assert not Entity.objects.filter(name__startswith="Bad").exists()
