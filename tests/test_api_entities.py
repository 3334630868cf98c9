"""/api/v1/entities."""

from typing import Any

import pytest

from loket.accounts.models import User
from loket.audit.models import Event
from loket.entities.models import Entity
from tests.conftest import ClientFor
from tests.test_api_support import event_count, events, send, token_client

pytestmark = pytest.mark.django_db

REFUSALS = [
    ("post", "entities", "staff_owner", 403),
    ("post", "entities", "contact", 403),
    ("get", "entities/{entity}", "outsider", 404),
    ("get", "entities/{entity}", "staff_member", 404),
    ("patch", "entities/{entity}", "outsider", 404),
    ("patch", "entities/{entity}", "staff_reader", 403),
    ("patch", "entities/{entity}", "contact", 403),
    ("post", "entities/{entity}/archive", "outsider", 404),
    ("post", "entities/{entity}/archive", "staff_owner", 403),
    ("post", "entities/{entity}/restore", "outsider", 404),
    ("post", "entities/{entity}/restore", "staff_owner", 403),
]


@pytest.mark.parametrize(("method", "path", "persona", "status"), REFUSALS)
def test_refusals(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    entity: Entity,
    method: str,
    path: str,
    persona: str,
    status: int,
) -> None:
    user: User = request.getfixturevalue(persona)
    before = (event_count(), Entity.objects.count())
    body: Any = None
    if path == "entities":
        body = {"name": "Nieuw BV"}
    if method == "patch":
        body = {"name": "Changed"}
    response = send(client_for(user), method, path.format(entity=entity.uuid), body)
    assert response.status_code == status
    assert response.json() == {"detail": "Forbidden" if status == 403 else "Not Found"}
    assert (event_count(), Entity.objects.count()) == before
    entity.refresh_from_db()
    assert entity.name == "Bakkerij de Vries BV"
    assert entity.archived_at is None


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("firm_admin", {"Bakkerij de Vries BV", "Garage Jansen VOF"}),
        ("staff_owner", {"Bakkerij de Vries BV"}),
        ("contact", {"Bakkerij de Vries BV"}),
        ("group_contact", {"Bakkerij de Vries BV"}),
        ("outsider", {"Garage Jansen VOF"}),
        ("staff_member", set()),
    ],
)
def test_the_list_holds_only_visible_entities(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    entity: Entity,
    other_entity: Entity,
    persona: str,
    expected: set[str],
) -> None:
    user: User = request.getfixturevalue(persona)
    response = send(client_for(user), "get", "entities")
    assert response.status_code == 200
    assert {item["name"] for item in response.json()["items"]} == expected
    assert response.json()["count"] == len(expected)


def test_the_list_filters_by_name_and_archive(
    client_for: ClientFor, firm_admin: User, entity: Entity, other_entity: Entity
) -> None:
    Entity.objects.filter(pk=other_entity.pk).update(archived_at=entity.created_at)
    client = client_for(firm_admin)

    def names(query: str) -> list[str]:
        return [
            i["name"] for i in send(client, "get", f"entities?{query}").json()["items"]
        ]

    assert names("q=c-1001") == ["Bakkerij de Vries BV"]
    assert names("archived=true") == ["Garage Jansen VOF"]
    assert names("archived=false") == ["Bakkerij de Vries BV"]


def test_contacts_do_not_see_the_firms_notes(
    client_for: ClientFor, contact: User, staff_reader: User, entity: Entity
) -> None:
    Entity.objects.filter(pk=entity.pk).update(notes="Pays late")
    own = send(client_for(contact), "get", f"entities/{entity.uuid}").json()
    assert own["notes"] is None
    staff = send(client_for(staff_reader), "get", f"entities/{entity.uuid}").json()
    assert staff["notes"] == "Pays late"


def test_an_entity_administrator_creates_an_entity(entity_admin: User) -> None:
    body = {"name": "Nieuw BV", "client_number": "C-3003", "type": "trust"}
    response = send(token_client(entity_admin), "post", "entities", body)
    assert response.status_code == 201
    created = Entity.objects.get(uuid=response.json()["uuid"])
    assert (created.name, created.client_number, created.type) == (
        "Nieuw BV",
        "C-3003",
        "trust",
    )
    (event,) = events(Event.Verb.ENTITY_CREATED)
    assert event.actor == entity_admin
    assert event.entity == created


def test_a_duplicate_client_number_is_409(
    client_for: ClientFor, entity_admin: User, entity: Entity
) -> None:
    body = {"name": "Nieuw BV", "client_number": "c-1001"}
    response = send(client_for(entity_admin), "post", "entities", body)
    assert response.status_code == 409
    assert response.json() == {"detail": "Another entity has this client number."}
    assert Entity.objects.count() == 1


def test_an_entity_needs_a_name(client_for: ClientFor, entity_admin: User) -> None:
    response = send(client_for(entity_admin), "post", "entities", {"name": ""})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "name"]
    assert not Entity.objects.exists()


def test_an_unknown_type_is_422(client_for: ClientFor, entity_admin: User) -> None:
    body = {"name": "X", "type": "spaceship"}
    response = send(client_for(entity_admin), "post", "entities", body)
    assert response.status_code == 422
    assert not Entity.objects.exists()


def test_an_owner_changes_the_entity(
    client_for: ClientFor, staff_owner: User, entity: Entity
) -> None:
    response = send(
        client_for(staff_owner), "patch", f"entities/{entity.uuid}", {"city": "Delft"}
    )
    assert response.status_code == 200
    entity.refresh_from_db()
    assert entity.city == "Delft"
    assert entity.name == "Bakkerij de Vries BV"
    (event,) = events(Event.Verb.ENTITY_CHANGED)
    assert event.actor == staff_owner
    assert event.data == {"city": ["", "Delft"]}


def test_changing_to_a_taken_client_number_is_409(
    client_for: ClientFor, firm_admin: User, entity: Entity, other_entity: Entity
) -> None:
    response = send(
        client_for(firm_admin),
        "patch",
        f"entities/{entity.uuid}",
        {"client_number": other_entity.client_number},
    )
    assert response.status_code == 409
    entity.refresh_from_db()
    assert entity.client_number == "C-1001"


def test_an_entity_administrator_archives_and_restores(
    client_for: ClientFor, entity_admin: User, entity: Entity
) -> None:
    client = client_for(entity_admin)
    response = send(client, "post", f"entities/{entity.uuid}/archive")
    assert response.status_code == 200
    assert response.json()["archived_at"] is not None
    entity.refresh_from_db()
    assert entity.is_archived
    assert events(Event.Verb.ENTITY_ARCHIVED)[0].actor == entity_admin
    response = send(client, "post", f"entities/{entity.uuid}/restore")
    assert response.status_code == 200
    entity.refresh_from_db()
    assert not entity.is_archived
    assert events(Event.Verb.ENTITY_RESTORED)[0].entity == entity
