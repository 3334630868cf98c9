"""/api/v1/contacts."""

from typing import Any

import pytest
from django.core import mail

from loket.accounts.models import User
from loket.audit.models import Event
from loket.entities.models import Entity
from tests.conftest import ClientFor, make_user
from tests.test_api_support import event_count, events, send, token_client

pytestmark = pytest.mark.django_db


def new_contact_body(entity: Entity, **extra: Any) -> dict[str, Any]:
    return {
        "email": "Nieuw@Client.test",
        "first_name": "Nina",
        "last_name": "Nieuw",
        "language": "nl",
        "client_entity": str(entity.uuid),
        **extra,
    }


# Refusals: a contact sees no contacts (403 on the list, 404 on one), staff
# without contacts.manage may look but not change (403).
REFUSALS = [
    ("get", "contacts", "outsider", 403),
    ("post", "contacts", "outsider", 403),
    ("post", "contacts", "staff_member", 403),
    ("post", "contacts", "entity_admin", 403),
    ("get", "contacts/{contact}", "outsider", 404),
    ("patch", "contacts/{contact}", "outsider", 404),
    ("patch", "contacts/{contact}", "staff_member", 403),
    ("patch", "contacts/{contact}", "staff_owner", 403),
    ("post", "contacts/{new_contact}/invite", "outsider", 404),
    ("post", "contacts/{new_contact}/invite", "staff_member", 403),
    ("post", "contacts/{contact}/deactivate", "outsider", 404),
    ("post", "contacts/{contact}/deactivate", "contact", 404),
    ("post", "contacts/{contact}/deactivate", "staff_member", 403),
    ("post", "contacts/{contact}/reactivate", "outsider", 404),
    ("post", "contacts/{contact}/reactivate", "staff_member", 403),
]


@pytest.mark.parametrize(("method", "path", "persona", "status"), REFUSALS)
def test_refusals(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    entity: Entity,
    contact: User,
    new_contact: User,
    method: str,
    path: str,
    persona: str,
    status: int,
) -> None:
    user: User = request.getfixturevalue(persona)
    before = (event_count(), User.objects.count(), len(mail.outbox))
    url = path.format(contact=contact.uuid, new_contact=new_contact.uuid)
    body = new_contact_body(entity) if method == "post" and url == "contacts" else {}
    if method == "patch":
        body = {"first_name": "Changed"}
    response = send(client_for(user), method, url, body or None)
    assert response.status_code == status
    assert response.json() == {"detail": "Forbidden" if status == 403 else "Not Found"}
    assert (event_count(), User.objects.count(), len(mail.outbox)) == before
    contact.refresh_from_db()
    assert contact.first_name != "Changed"
    assert contact.state == User.State.ACTIVE


def test_staff_see_the_contacts_with_their_entity(
    client_for: ClientFor,
    staff_member: User,
    contact: User,
    outsider: User,
    entity: Entity,
) -> None:
    response = send(client_for(staff_member), "get", "contacts")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    by_email = {item["email"]: item for item in body["items"]}
    assert by_email[contact.email]["client_entity"] == {
        "uuid": str(entity.uuid),
        "name": entity.name,
    }
    assert "id" not in by_email[contact.email]
    assert staff_member.email not in by_email


def test_the_list_filters_by_name_state_and_entity(
    client_for: ClientFor,
    staff_member: User,
    contact: User,
    new_contact: User,
    outsider: User,
    other_entity: Entity,
) -> None:
    client = client_for(staff_member)

    def emails(query: str) -> set[str]:
        response = send(client, "get", f"contacts?{query}")
        assert response.status_code == 200
        return {item["email"] for item in response.json()["items"]}

    assert emails("q=femke") == {new_contact.email}
    assert emails("state=not_activated") == {new_contact.email}
    assert emails(f"entity={other_entity.uuid}") == {outsider.email}


def test_the_list_pages(
    client_for: ClientFor, staff_member: User, entity: Entity
) -> None:
    for n in range(5):
        make_user(f"c{n}@client.test", client_entity=entity)
    client = client_for(staff_member)
    first = send(client, "get", "contacts?limit=2").json()
    second = send(client, "get", "contacts?limit=2&offset=2").json()
    assert first["count"] == second["count"] == 5
    assert len(first["items"]) == len(second["items"]) == 2
    assert not {i["uuid"] for i in first["items"]} & {
        i["uuid"] for i in second["items"]
    }
    assert send(client, "get", "contacts?limit=1000").status_code == 422


def test_the_list_answers_in_a_bounded_number_of_queries(
    client_for: ClientFor,
    staff_member: User,
    entity: Entity,
    django_assert_max_num_queries: Any,
) -> None:
    client = client_for(staff_member)
    for n in range(3):
        make_user(f"c{n}@client.test", client_entity=entity)
    with django_assert_max_num_queries(8) as few:
        send(client, "get", "contacts")
    for n in range(3, 30):
        make_user(
            f"c{n}@client.test", client_entity=Entity.objects.create(name=f"E{n}")
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = send(client, "get", "contacts")
    assert response.json()["count"] == 30


def test_an_unknown_state_is_422(client_for: ClientFor, staff_member: User) -> None:
    response = send(client_for(staff_member), "get", "contacts?state=sleeping")
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)


def test_a_staff_administrator_creates_a_contact(
    staff_admin: User, entity: Entity
) -> None:
    response = send(
        token_client(staff_admin), "post", "contacts", new_contact_body(entity)
    )
    assert response.status_code == 201
    body = response.json()
    created = User.objects.get(uuid=body["uuid"])
    assert created.email == "nieuw@client.test"
    assert created.kind == User.Kind.CONTACT
    assert created.state == User.State.NOT_ACTIVATED
    assert created.client_entity == entity
    assert body["client_entity"]["uuid"] == str(entity.uuid)
    (event,) = events(Event.Verb.CONTACT_CREATED)
    assert event.actor == staff_admin
    assert event.target_id == str(created.uuid)
    assert event.entity == entity


def test_a_duplicate_email_is_409(
    client_for: ClientFor, staff_admin: User, contact: User, entity: Entity
) -> None:
    before = User.objects.count()
    body = new_contact_body(entity, email=contact.email.upper())
    response = send(client_for(staff_admin), "post", "contacts", body)
    assert response.status_code == 409
    assert response.json() == {"detail": "A user with this e-mail address exists."}
    assert User.objects.count() == before


def test_a_bad_email_is_422(
    client_for: ClientFor, staff_admin: User, entity: Entity
) -> None:
    before = event_count()
    body = new_contact_body(entity, email="not an address")
    response = send(client_for(staff_admin), "post", "contacts", body)
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "email"]
    assert error["msg"] == "Enter a valid email address."
    assert not User.objects.filter(first_name="Nina").exists()
    assert event_count() == before


def test_an_unknown_client_entity_is_422(
    client_for: ClientFor, staff_admin: User, entity: Entity
) -> None:
    body = new_contact_body(
        entity, client_entity="00000000-0000-4000-8000-000000000000"
    )
    response = send(client_for(staff_admin), "post", "contacts", body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "client_entity"]
    assert not User.objects.filter(first_name="Nina").exists()


def test_a_missing_field_is_422(
    client_for: ClientFor, staff_admin: User, entity: Entity
) -> None:
    body = new_contact_body(entity)
    del body["client_entity"]
    response = send(client_for(staff_admin), "post", "contacts", body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "client_entity"


def test_staff_see_one_contact(
    client_for: ClientFor, staff_member: User, contact: User
) -> None:
    response = send(client_for(staff_member), "get", f"contacts/{contact.uuid}")
    assert response.status_code == 200
    assert response.json()["email"] == contact.email


def test_a_staff_member_is_not_a_contact(
    client_for: ClientFor, staff_admin: User, staff_member: User
) -> None:
    response = send(client_for(staff_admin), "get", f"contacts/{staff_member.uuid}")
    assert response.status_code == 404


def test_a_staff_administrator_changes_a_contact(
    client_for: ClientFor, staff_admin: User, contact: User, other_entity: Entity
) -> None:
    body = {"first_name": "Daniël", "client_entity": str(other_entity.uuid)}
    response = send(client_for(staff_admin), "patch", f"contacts/{contact.uuid}", body)
    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.first_name == "Daniël"
    assert contact.client_entity == other_entity
    assert contact.last_name == "Tester"
    (event,) = events(Event.Verb.CONTACT_CHANGED)
    assert event.actor == staff_admin
    assert event.data["first_name"] == ["Daan", "Daniël"]


def test_null_is_refused_in_a_change(
    client_for: ClientFor, staff_admin: User, contact: User
) -> None:
    response = send(
        client_for(staff_admin), "patch", f"contacts/{contact.uuid}", {"email": None}
    )
    assert response.status_code == 422
    contact.refresh_from_db()
    assert contact.email == "daan@client.test"


def test_changing_to_a_taken_email_is_409(
    client_for: ClientFor, staff_admin: User, contact: User, viewer_contact: User
) -> None:
    body = {"email": viewer_contact.email}
    response = send(client_for(staff_admin), "patch", f"contacts/{contact.uuid}", body)
    assert response.status_code == 409
    contact.refresh_from_db()
    assert contact.email == "daan@client.test"


def test_a_staff_administrator_invites_a_contact(
    client_for: ClientFor, staff_admin: User, new_contact: User
) -> None:
    response = send(
        client_for(staff_admin), "post", f"contacts/{new_contact.uuid}/invite"
    )
    assert response.status_code == 200
    assert response.json()["state"] == "invited"
    new_contact.refresh_from_db()
    assert new_contact.state == User.State.INVITED
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [new_contact.email]
    (event,) = events(Event.Verb.INVITATION_SENT)
    assert event.actor == staff_admin
    assert event.target_id == str(new_contact.uuid)


def test_an_active_contact_cannot_be_invited(
    client_for: ClientFor, staff_admin: User, contact: User
) -> None:
    response = send(client_for(staff_admin), "post", f"contacts/{contact.uuid}/invite")
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["msg"] == "Only an account that is not yet active can be invited."
    assert error["type"] == "not_invitable"
    assert mail.outbox == []


def test_a_staff_administrator_deactivates_and_reactivates_a_contact(
    client_for: ClientFor, staff_admin: User, contact: User
) -> None:
    client = client_for(staff_admin)
    response = send(client, "post", f"contacts/{contact.uuid}/deactivate")
    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.state == User.State.DEACTIVATED
    assert events(Event.Verb.DEACTIVATED)[0].actor == staff_admin
    response = send(client, "post", f"contacts/{contact.uuid}/reactivate")
    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.state == User.State.ACTIVE
    assert events(Event.Verb.REACTIVATED)[0].target_id == str(contact.uuid)


def test_reactivating_an_active_contact_is_422(
    client_for: ClientFor, staff_admin: User, contact: User
) -> None:
    response = send(
        client_for(staff_admin), "post", f"contacts/{contact.uuid}/reactivate"
    )
    assert response.status_code == 422
    assert events(Event.Verb.REACTIVATED) == []
