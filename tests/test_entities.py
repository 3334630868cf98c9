"""The Entities pages: the list, New → Entity, and the Overview, Edit, Files and
Activities tabs, with archive and restore."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from loket.accounts.models import User
from loket.audit.models import Event
from loket.entities.models import Entity
from tests.conftest import ClientFor, grant

pytestmark = pytest.mark.django_db

NEW_ENTITY = {
    "name": "Kapsalon Knip BV",
    "client_number": "C-3003",
    "type": "company",
    "street": "Dorpsstraat 1",
    "postal_code": "1234 AB",
    "city": "Utrecht",
    "country": "Nederland",
    "email": "info@knip.test",
    "phone": "030 123 4567",
    "notes": "Books close in March.",
}


def _details(entity: Entity, **changes: str) -> dict[str, str]:
    fields = {name: str(getattr(entity, name)) for name in NEW_ENTITY}
    return fields | changes


def _names(response: object) -> list[str]:
    return [entity.name for entity in response.context["page"].object_list]  # type: ignore[attr-defined]


def _urls(entity: Entity) -> list[str]:
    base = f"/entities/{entity.uuid}/"
    return [base, base + "edit/", base + "files/", base + "activities/"]


# Anonymous visitors.


def test_anonymous_is_sent_to_sign_in(client: Client, entity: Entity) -> None:
    urls = ["/entities/", "/entities/new/", *_urls(entity)]
    urls += [f"/entities/{entity.uuid}/archive/", f"/entities/{entity.uuid}/restore/"]
    for url in urls:
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith("/accounts/sign-in/?next="), url


# The list.


def test_contact_sees_only_their_entities(
    client_for: ClientFor, contact: User, other_entity: Entity
) -> None:
    response = client_for(contact).get("/entities/")
    assert response.status_code == 200
    assert _names(response) == ["Bakkerij de Vries BV"]


def test_group_contact_sees_the_entity_of_their_group(
    client_for: ClientFor, group_contact: User, other_entity: Entity
) -> None:
    response = client_for(group_contact).get("/entities/")
    assert _names(response) == ["Bakkerij de Vries BV"]


def test_staff_member_without_a_grant_sees_no_entities(
    client_for: ClientFor, staff_member: User, entity: Entity
) -> None:
    response = client_for(staff_member).get("/entities/")
    assert response.status_code == 200
    assert _names(response) == []
    assert b"There are no entities for you yet." in response.content


def test_firm_admin_and_entity_admin_see_every_entity(
    client_for: ClientFor,
    firm_admin: User,
    entity_admin: User,
    entity: Entity,
    other_entity: Entity,
) -> None:
    for user in (firm_admin, entity_admin):
        response = client_for(user).get("/entities/")
        assert _names(response) == ["Bakkerij de Vries BV", "Garage Jansen VOF"]


def test_list_searches_name_and_client_number(
    client_for: ClientFor, firm_admin: User, entity: Entity, other_entity: Entity
) -> None:
    client = client_for(firm_admin)
    assert _names(client.get("/entities/?q=garage")) == ["Garage Jansen VOF"]
    assert _names(client.get("/entities/?q=c-1001")) == ["Bakkerij de Vries BV"]
    response = client.get("/entities/?q=nothing-like-it")
    assert _names(response) == []
    assert b"No entities match." in response.content


def test_list_shows_active_entities_unless_asked_for_archived(
    client_for: ClientFor, firm_admin: User, entity: Entity, other_entity: Entity
) -> None:
    client = client_for(firm_admin)
    client.post(f"/entities/{other_entity.uuid}/archive/")
    assert _names(client.get("/entities/")) == ["Bakkerij de Vries BV"]
    assert _names(client.get("/entities/?state=archived")) == ["Garage Jansen VOF"]
    assert _names(client.get("/entities/?state=all")) == [
        "Bakkerij de Vries BV",
        "Garage Jansen VOF",
    ]


def test_list_pages_by_fifty(client_for: ClientFor, firm_admin: User) -> None:
    Entity.objects.bulk_create(Entity(name=f"Client {n:03}") for n in range(60))
    client = client_for(firm_admin)
    assert len(_names(client.get("/entities/"))) == 50
    assert _names(client.get("/entities/?page=2"))[0] == "Client 050"


def test_new_entity_button_shows_only_to_entity_managers(
    client_for: ClientFor, entity_admin: User, staff_owner: User
) -> None:
    assert (
        b'href="/entities/new/"' in client_for(entity_admin).get("/entities/").content
    )
    assert (
        b'href="/entities/new/"'
        not in client_for(staff_owner).get("/entities/").content
    )


def _list_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/entities/").status_code == 200
    return len(queries)


@pytest.mark.parametrize("persona", ["firm_admin", "staff_owner", "contact"])
def test_list_uses_a_bounded_number_of_queries(
    request: pytest.FixtureRequest, client_for: ClientFor, persona: str, entity: Entity
) -> None:
    user: User = request.getfixturevalue(persona)
    client = client_for(user)
    client.get("/entities/")
    small = _list_queries(client)
    role = "contact-entity-staff" if user.is_contact else "owner"
    for extra in Entity.objects.bulk_create(
        Entity(name=f"Client {n:02}") for n in range(40)
    ):
        grant(user, role, extra)
    assert len(_names(client.get("/entities/"))) == 41
    assert _list_queries(client) == small


@pytest.mark.parametrize(
    ("persona", "page", "most"),
    # Measured, session and menu included (before the capabilities were read
    # once per page: 11, 11 and 10).
    [("firm_admin", "", 10), ("firm_admin", "edit/", 10), ("contact", "", 9)],
)
def test_the_entity_pages_read_the_capabilities_once(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    entity: Entity,
    persona: str,
    page: str,
    most: int,
) -> None:
    client = client_for(request.getfixturevalue(persona))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/entities/{entity.uuid}/{page}").status_code == 200
    assert len(queries) <= most


# New → Entity.


def test_entity_admin_creates_an_entity(
    client_for: ClientFor, entity_admin: User
) -> None:
    response = client_for(entity_admin).post("/entities/new/", NEW_ENTITY)
    entity = Entity.objects.get(client_number="C-3003")
    assert response.status_code == 302
    assert response["Location"] == f"/entities/{entity.uuid}/"
    assert entity.name == "Kapsalon Knip BV"
    assert entity.city == "Utrecht"
    assert entity.email == "info@knip.test"
    event = Event.objects.get(verb=Event.Verb.ENTITY_CREATED)
    assert event.entity == entity
    assert event.actor == entity_admin
    assert event.data["name"] == "Kapsalon Knip BV"


def test_create_form_shows_to_entity_managers(
    client_for: ClientFor, firm_admin: User
) -> None:
    response = client_for(firm_admin).get("/entities/new/")
    assert response.status_code == 200
    assert b'name="client_number"' in response.content


@pytest.mark.parametrize("persona", ["staff_owner", "staff_member", "contact"])
def test_only_entity_managers_may_create_entities(
    request: pytest.FixtureRequest, client_for: ClientFor, persona: str
) -> None:
    client = client_for(request.getfixturevalue(persona))
    assert client.get("/entities/new/").status_code == 403
    assert client.post("/entities/new/", NEW_ENTITY).status_code == 403
    assert not Entity.objects.filter(client_number="C-3003").exists()


def test_a_duplicate_client_number_is_refused_with_a_message(
    client_for: ClientFor, entity_admin: User, entity: Entity
) -> None:
    details = NEW_ENTITY | {"client_number": "c-1001"}
    response = client_for(entity_admin).post("/entities/new/", details)
    assert response.status_code == 400
    assert response.context["form"].errors["client_number"] == [
        "Another entity has this client number."
    ]
    assert b"Another entity has this client number." in response.content
    assert not Entity.objects.filter(name="Kapsalon Knip BV").exists()
    assert not Event.objects.filter(verb=Event.Verb.ENTITY_CREATED).exists()


def test_a_missing_name_is_refused(client_for: ClientFor, entity_admin: User) -> None:
    response = client_for(entity_admin).post(
        "/entities/new/", NEW_ENTITY | {"name": ""}
    )
    assert response.status_code == 400
    assert "name" in response.context["form"].errors
    assert not Entity.objects.filter(client_number="C-3003").exists()


def test_entities_without_client_number_may_be_many(
    client_for: ClientFor, entity_admin: User
) -> None:
    client = client_for(entity_admin)
    for name in ("One", "Two"):
        client.post("/entities/new/", NEW_ENTITY | {"name": name, "client_number": ""})
    assert Entity.objects.filter(client_number="").count() == 2


# The Overview tab and Edit.


def test_overview_shows_the_details(
    client_for: ClientFor, contact: User, entity: Entity
) -> None:
    response = client_for(contact).get(f"/entities/{entity.uuid}/")
    assert response.status_code == 200
    assert b"Bakkerij de Vries BV" in response.content
    assert b"C-1001" in response.content
    assert f'href="/entities/{entity.uuid}/edit/"'.encode() not in response.content
    assert b"/archive/" not in response.content


def test_overview_offers_edit_to_owners_and_archive_to_entity_managers(
    client_for: ClientFor, staff_owner: User, entity_admin: User, entity: Entity
) -> None:
    edit_link = f'href="/entities/{entity.uuid}/edit/"'.encode()
    owner_page = client_for(staff_owner).get(f"/entities/{entity.uuid}/").content
    assert edit_link in owner_page
    assert b"/archive/" not in owner_page
    admin_page = client_for(entity_admin).get(f"/entities/{entity.uuid}/").content
    assert edit_link in admin_page
    assert f"/entities/{entity.uuid}/archive/".encode() in admin_page


def test_outsider_gets_404_on_our_entity(
    client_for: ClientFor, outsider: User, entity: Entity
) -> None:
    client = client_for(outsider)
    for url in _urls(entity):
        assert client.get(url).status_code == 404, url
    for action in ("archive", "restore"):
        assert client.post(f"/entities/{entity.uuid}/{action}/").status_code == 404


def test_staff_member_without_a_grant_gets_404(
    client_for: ClientFor, staff_member: User, entity: Entity
) -> None:
    assert client_for(staff_member).get(f"/entities/{entity.uuid}/").status_code == 404


def test_staff_owner_edits_the_entity(
    client_for: ClientFor, staff_owner: User, entity: Entity
) -> None:
    client = client_for(staff_owner)
    assert client.get(f"/entities/{entity.uuid}/edit/").status_code == 200
    details = _details(entity, name="Bakkerij De Vries Holding BV", city="Zeist")
    response = client.post(f"/entities/{entity.uuid}/edit/", details)
    assert response.status_code == 302
    entity.refresh_from_db()
    assert entity.name == "Bakkerij De Vries Holding BV"
    assert entity.city == "Zeist"
    event = Event.objects.get(verb=Event.Verb.ENTITY_CHANGED)
    assert event.actor == staff_owner
    assert event.entity == entity
    assert event.data == {
        "name": ["Bakkerij de Vries BV", "Bakkerij De Vries Holding BV"],
        "city": ["", "Zeist"],
    }


def test_saving_without_changes_records_nothing(
    client_for: ClientFor, staff_owner: User, entity: Entity
) -> None:
    client_for(staff_owner).post(f"/entities/{entity.uuid}/edit/", _details(entity))
    assert not Event.objects.filter(verb=Event.Verb.ENTITY_CHANGED).exists()


def test_staff_reader_may_not_edit(
    client_for: ClientFor, staff_reader: User, entity: Entity
) -> None:
    client = client_for(staff_reader)
    assert client.get(f"/entities/{entity.uuid}/edit/").status_code == 403
    details = _details(entity, name="Hijacked")
    assert client.post(f"/entities/{entity.uuid}/edit/", details).status_code == 403
    entity.refresh_from_db()
    assert entity.name == "Bakkerij de Vries BV"


def test_contact_may_not_edit(
    client_for: ClientFor, contact: User, entity: Entity
) -> None:
    response = client_for(contact).post(
        f"/entities/{entity.uuid}/edit/", _details(entity, name="Mine")
    )
    assert response.status_code == 403


def test_edit_refuses_another_entitys_client_number(
    client_for: ClientFor, staff_owner: User, entity: Entity, other_entity: Entity
) -> None:
    response = client_for(staff_owner).post(
        f"/entities/{entity.uuid}/edit/", _details(entity, client_number="C-2002")
    )
    assert response.status_code == 400
    assert response.context["form"].errors["client_number"] == [
        "Another entity has this client number."
    ]
    entity.refresh_from_db()
    assert entity.client_number == "C-1001"
    assert not Event.objects.filter(verb=Event.Verb.ENTITY_CHANGED).exists()


def test_edit_keeps_its_own_client_number_in_another_case(
    client_for: ClientFor, staff_owner: User, entity: Entity
) -> None:
    response = client_for(staff_owner).post(
        f"/entities/{entity.uuid}/edit/", _details(entity, client_number="c-1001")
    )
    assert response.status_code == 302
    entity.refresh_from_db()
    assert entity.client_number == "c-1001"


# Archive and restore.


def test_entity_admin_archives_and_restores(
    client_for: ClientFor, entity_admin: User, entity: Entity
) -> None:
    client = client_for(entity_admin)
    response = client.post(f"/entities/{entity.uuid}/archive/")
    assert response.status_code == 302
    entity.refresh_from_db()
    assert entity.is_archived
    assert b"Restore" in client.get(f"/entities/{entity.uuid}/").content
    client.post(f"/entities/{entity.uuid}/restore/")
    entity.refresh_from_db()
    assert not entity.is_archived
    verbs = list(
        Event.objects.filter(entity=entity)
        .order_by("id")
        .values_list("verb", flat=True)
    )
    assert verbs == [Event.Verb.ENTITY_ARCHIVED, Event.Verb.ENTITY_RESTORED]
    assert Event.objects.filter(actor=entity_admin).count() == 2


def test_archive_needs_post(
    client_for: ClientFor, entity_admin: User, entity: Entity
) -> None:
    client = client_for(entity_admin)
    assert client.get(f"/entities/{entity.uuid}/archive/").status_code == 405
    entity.refresh_from_db()
    assert not entity.is_archived


def test_owner_may_not_archive(
    client_for: ClientFor, staff_owner: User, entity: Entity
) -> None:
    client = client_for(staff_owner)
    assert client.post(f"/entities/{entity.uuid}/archive/").status_code == 403
    entity.refresh_from_db()
    assert not entity.is_archived
    assert not Event.objects.filter(verb=Event.Verb.ENTITY_ARCHIVED).exists()


def test_an_archived_entity_stays_open_to_those_who_see_it(
    client_for: ClientFor, entity_admin: User, contact: User, entity: Entity
) -> None:
    client_for(entity_admin).post(f"/entities/{entity.uuid}/archive/")
    response = client_for(contact).get(f"/entities/{entity.uuid}/")
    assert response.status_code == 200
    assert b"Archived" in response.content


# The tabs and their capabilities.


def test_viewer_contact_sees_files_and_activities_but_not_history(
    client_for: ClientFor, viewer_contact: User, entity: Entity
) -> None:
    client = client_for(viewer_contact)
    overview = client.get(f"/entities/{entity.uuid}/")
    tab_keys = [tab["key"] for tab in overview.context["tabs"]]
    assert tab_keys == ["overview", "files", "activities"]
    files = client.get(f"/entities/{entity.uuid}/files/")
    assert files.status_code == 200
    assert b"No files yet." in files.content
    activities = client.get(f"/entities/{entity.uuid}/activities/")
    assert activities.status_code == 200
    assert b"No activities yet." in activities.content
    assert client.get(f"/entities/{entity.uuid}/history/").status_code == 403


def test_staff_reader_sees_the_history_tab(
    client_for: ClientFor, staff_reader: User, entity: Entity
) -> None:
    client = client_for(staff_reader)
    overview = client.get(f"/entities/{entity.uuid}/")
    tab_keys = [tab["key"] for tab in overview.context["tabs"]]
    assert tab_keys == ["overview", "files", "activities", "history"]
    assert client.get(f"/entities/{entity.uuid}/history/").status_code == 200


def test_entity_admin_without_files_capability_gets_403_on_files(
    client_for: ClientFor, entity_admin: User, entity: Entity
) -> None:
    # The Entity Administrator sees and edits entities but holds no files.view.
    client = client_for(entity_admin)
    assert client.get(f"/entities/{entity.uuid}/").status_code == 200
    assert client.get(f"/entities/{entity.uuid}/files/").status_code == 403
    assert client.get(f"/entities/{entity.uuid}/activities/").status_code == 403
