"""/api/v1/entities/{uuid}/access: sharing an entity."""

from typing import Any

import pytest

from loket.accounts.models import User
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.groups.models import Group
from loket.roles.actions import create_role
from loket.roles.models import Role, RoleAssignment
from tests.conftest import ClientFor, grant, make_user
from tests.test_api_support import event_count, events, send, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def sharer(entity: Entity, firm_admin: User) -> User:
    """Staff who may share `entity` but only see it: they may hand out no more."""
    role = create_role(
        name="Sharer",
        scope="entity",
        audience="staff",
        capabilities=["entity.view", "entity.share"],
        actor=firm_admin,
    )
    user = make_user("sam@firm.test", kind=User.Kind.STAFF)
    RoleAssignment.objects.create(role=role, user=user, entity=entity)
    return user


def contact_assignment(contact: User, entity: Entity) -> RoleAssignment:
    return RoleAssignment.objects.get(user=contact, entity=entity)


REFUSALS = [
    ("get", "access", "outsider", 404),
    ("get", "access", "staff_member", 404),
    ("get", "access", "staff_reader", 403),
    ("get", "access", "contact", 403),
    ("post", "access", "outsider", 404),
    ("post", "access", "staff_reader", 403),
    ("post", "access", "sharer", 403),  # may not hand out Reader
    ("patch", "access/{assignment}", "outsider", 404),
    ("patch", "access/{assignment}", "contact", 403),
    ("patch", "access/{assignment}", "sharer", 403),
    ("delete", "access/{assignment}", "outsider", 404),
    ("delete", "access/{assignment}", "staff_reader", 403),
    ("delete", "access/{assignment}", "sharer", 403),
]


@pytest.mark.parametrize(("method", "path", "persona", "status"), REFUSALS)
def test_refusals(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    entity: Entity,
    contact: User,
    staff_member: User,
    method: str,
    path: str,
    persona: str,
    status: int,
) -> None:
    user: User = request.getfixturevalue(persona)
    assignment = contact_assignment(contact, entity)
    before = (event_count(), RoleAssignment.objects.count())
    body: Any = None
    if method == "post":
        body = {"principal": {"user": str(staff_member.uuid)}, "role": "reader"}
    if method == "patch":
        body = {"role": "contact-entity-access"}
    url = f"entities/{entity.uuid}/" + path.format(assignment=assignment.uuid)
    response = send(client_for(user), method, url, body)
    assert response.status_code == status
    assert response.json() == {"detail": "Forbidden" if status == 403 else "Not Found"}
    assert (event_count(), RoleAssignment.objects.count()) == before
    assignment.refresh_from_db()
    assert assignment.role.key == "contact-entity-staff"


def test_an_owner_lists_the_access(
    client_for: ClientFor,
    staff_owner: User,
    contact: User,
    contact_group: Group,
    entity: Entity,
    firm_admin: User,
) -> None:
    response = send(client_for(staff_owner), "get", f"entities/{entity.uuid}/access")
    assert response.status_code == 200
    items = response.json()["items"]
    principals = {
        (item["user"] or {}).get("email") or item["group"]["name"]: item["role"]["key"]
        for item in items
    }
    assert principals == {
        staff_owner.email: "owner",
        contact.email: "contact-entity-staff",
        contact_group.name: "contact-entity-staff",
    }
    assert firm_admin.email not in principals  # firm-wide roles are not listed


def test_an_owner_shares_with_a_colleague(
    staff_owner: User, staff_member: User, entity: Entity
) -> None:
    body = {"principal": {"user": str(staff_member.uuid)}, "role": "reader"}
    response = send(
        token_client(staff_owner), "post", f"entities/{entity.uuid}/access", body
    )
    assert response.status_code == 201
    assert response.json()["role"]["key"] == "reader"
    assert response.json()["user"]["uuid"] == str(staff_member.uuid)
    assignment = RoleAssignment.objects.get(uuid=response.json()["uuid"])
    assert (assignment.user, assignment.entity, assignment.role.key) == (
        staff_member,
        entity,
        "reader",
    )
    (event,) = events(Event.Verb.ACCESS_GRANTED)
    assert event.actor == staff_owner
    assert event.entity == entity
    assert event.data["user"] == str(staff_member.uuid)


def test_an_owner_shares_with_a_group_by_role_uuid(
    client_for: ClientFor, staff_owner: User, entity: Entity
) -> None:
    group = Group.objects.create(kind=Group.Kind.CONTACT, name="Boekhouding")
    role = Role.objects.get(key="contact-entity-access")
    body = {"principal": {"group": str(group.uuid)}, "role": str(role.uuid)}
    response = send(
        client_for(staff_owner), "post", f"entities/{entity.uuid}/access", body
    )
    assert response.status_code == 201
    assert response.json()["group"]["uuid"] == str(group.uuid)
    assert RoleAssignment.objects.filter(group=group, entity=entity, role=role).exists()
    assert events(Event.Verb.ACCESS_GRANTED)[0].data["group"] == str(group.uuid)


def test_a_sharer_hands_out_only_what_they_hold(
    client_for: ClientFor, sharer: User, contact: User, entity: Entity
) -> None:
    # Contact – Entity Access needs files.view and activities.view: too much.
    body = {"principal": {"user": str(contact.uuid)}, "role": "contact-entity-access"}
    url = f"entities/{entity.uuid}/access"
    assert send(client_for(sharer), "post", url, body).status_code == 403
    # A role within what they hold is theirs to hand out.
    viewer = create_role(
        name="Viewer",
        scope="entity",
        audience="contact",
        capabilities=["entity.view"],
        actor=sharer,
    )
    body["role"] = viewer.key
    response = send(client_for(sharer), "post", url, body)
    assert response.status_code == 201
    assert RoleAssignment.objects.filter(user=contact, role=viewer).exists()


def test_sharing_twice_is_409(
    client_for: ClientFor, staff_owner: User, contact: User, entity: Entity
) -> None:
    body = {"principal": {"user": str(contact.uuid)}, "role": "contact-entity-staff"}
    before = event_count()
    response = send(
        client_for(staff_owner), "post", f"entities/{entity.uuid}/access", body
    )
    assert response.status_code == 409
    assert response.json() == {"detail": "They already hold this role."}
    assert event_count() == before


def test_a_staff_role_is_not_for_a_contact(
    client_for: ClientFor, entity_admin: User, outsider: User, entity: Entity
) -> None:
    body = {"principal": {"user": str(outsider.uuid)}, "role": "reader"}
    response = send(
        client_for(entity_admin), "post", f"entities/{entity.uuid}/access", body
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == (
        "A staff role can only be given to staff members and staff groups."
    )
    assert not RoleAssignment.objects.filter(user=outsider, entity=entity).exists()


@pytest.mark.parametrize(
    "body",
    [
        {
            "principal": {"user": "00000000-0000-4000-8000-000000000000"},
            "role": "reader",
        },
        {
            "principal": {"group": "00000000-0000-4000-8000-000000000000"},
            "role": "reader",
        },
        {"principal": {}, "role": "reader"},
        {"principal": {"user": "not-a-uuid"}, "role": "reader"},
        {"role": "reader"},
    ],
)
def test_a_bad_principal_is_422(
    client_for: ClientFor, entity_admin: User, entity: Entity, body: dict[str, Any]
) -> None:
    before = RoleAssignment.objects.count()
    response = send(
        client_for(entity_admin), "post", f"entities/{entity.uuid}/access", body
    )
    assert response.status_code == 422
    assert RoleAssignment.objects.count() == before


def test_an_unknown_role_is_422(
    client_for: ClientFor, entity_admin: User, staff_member: User, entity: Entity
) -> None:
    body = {"principal": {"user": str(staff_member.uuid)}, "role": "emperor"}
    response = send(
        client_for(entity_admin), "post", f"entities/{entity.uuid}/access", body
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "role"]


def test_an_owner_changes_a_role(
    client_for: ClientFor, staff_owner: User, contact: User, entity: Entity
) -> None:
    assignment = contact_assignment(contact, entity)
    response = send(
        client_for(staff_owner),
        "patch",
        f"entities/{entity.uuid}/access/{assignment.uuid}",
        {"role": "contact-entity-access"},
    )
    assert response.status_code == 200
    assignment.refresh_from_db()
    assert assignment.role.key == "contact-entity-access"
    (event,) = events(Event.Verb.ACCESS_CHANGED)
    assert event.data["role"] == ["contact-entity-staff", "contact-entity-access"]
    assert event.actor == staff_owner


def test_changing_to_a_role_held_already_is_409(
    client_for: ClientFor, staff_owner: User, contact: User, entity: Entity
) -> None:
    grant(contact, "contact-entity-access", entity)
    assignment = RoleAssignment.objects.get(
        user=contact, entity=entity, role__key="contact-entity-staff"
    )
    response = send(
        client_for(staff_owner),
        "patch",
        f"entities/{entity.uuid}/access/{assignment.uuid}",
        {"role": "contact-entity-access"},
    )
    assert response.status_code == 409
    assignment.refresh_from_db()
    assert assignment.role.key == "contact-entity-staff"


def test_an_owner_revokes_access(
    client_for: ClientFor, staff_owner: User, contact: User, entity: Entity
) -> None:
    assignment = contact_assignment(contact, entity)
    response = send(
        client_for(staff_owner),
        "delete",
        f"entities/{entity.uuid}/access/{assignment.uuid}",
    )
    assert response.status_code == 204
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    (event,) = events(Event.Verb.ACCESS_REVOKED)
    assert event.actor == staff_owner
    assert event.entity == entity
    # The contact no longer sees the entity.
    response = send(client_for(contact), "get", f"entities/{entity.uuid}")
    assert response.status_code == 404


def test_an_assignment_of_another_entity_is_404(
    client_for: ClientFor,
    entity_admin: User,
    outsider: User,
    entity: Entity,
    other_entity: Entity,
) -> None:
    theirs = RoleAssignment.objects.get(user=outsider, entity=other_entity)
    response = send(
        client_for(entity_admin),
        "delete",
        f"entities/{entity.uuid}/access/{theirs.uuid}",
    )
    assert response.status_code == 404
    assert RoleAssignment.objects.filter(pk=theirs.pk).exists()


def test_the_list_answers_in_a_bounded_number_of_queries(
    client_for: ClientFor,
    staff_owner: User,
    entity: Entity,
    django_assert_max_num_queries: Any,
) -> None:
    client = client_for(staff_owner)
    url = f"entities/{entity.uuid}/access"
    with django_assert_max_num_queries(10) as few:
        send(client, "get", url)
    for n in range(15):
        grant(make_user(f"r{n}@firm.test", kind=User.Kind.STAFF), "reader", entity)
        group = Group.objects.create(kind=Group.Kind.CONTACT, name=f"G{n}")
        grant(group, "contact-entity-access", entity)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = send(client, "get", url)
    assert response.json()["count"] == 31
