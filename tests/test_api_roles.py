"""/api/v1/roles and firm-wide role assignments."""

from typing import Any

import pytest

from loket.accounts.models import User
from loket.audit.models import Event
from loket.roles.actions import create_role
from loket.roles.models import Role, RoleAssignment
from tests.conftest import ClientFor, make_user
from tests.test_api_support import event_count, events, send, token_client

pytestmark = pytest.mark.django_db

CUSTOM = {
    "name": "Payroll clerk",
    "description": "Sees and adds files",
    "scope": "entity",
    "audience": "staff",
    "capabilities": ["entity.view", "files.view", "files.create"],
}


@pytest.fixture
def custom_role(firm_admin: User) -> Role:
    return create_role(
        name="Auditor",
        scope="entity",
        audience="staff",
        capabilities=["entity.view"],
        actor=firm_admin,
    )


REFUSALS = [
    ("get", "roles", "contact", 403),
    ("post", "roles", "contact", 403),
    ("post", "roles", "entity_admin", 403),
    ("get", "roles/{role}", "outsider", 404),
    ("patch", "roles/{role}", "outsider", 404),
    ("patch", "roles/{role}", "staff_admin", 403),
    ("get", "roles/{role}/assignments", "outsider", 404),
    ("get", "roles/{role}/assignments", "staff_member", 403),
    ("post", "roles/{role}/assignments", "contact", 404),
    ("post", "roles/{role}/assignments", "entity_admin", 403),
    ("delete", "roles/{role}/assignments/{assignment}", "outsider", 404),
    ("delete", "roles/{role}/assignments/{assignment}", "staff_admin", 403),
]


@pytest.mark.parametrize(("method", "path", "persona", "status"), REFUSALS)
def test_refusals(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    custom_role: Role,
    staff_member: User,
    method: str,
    path: str,
    persona: str,
    status: int,
) -> None:
    assignment = RoleAssignment.objects.create(role=custom_role, user=staff_member)
    user: User = request.getfixturevalue(persona)
    before = (event_count(), Role.objects.count(), RoleAssignment.objects.count())
    body: Any = None
    if method == "post" and path == "roles":
        body = CUSTOM
    elif method == "post":
        body = {"user": str(staff_member.uuid)}
    if method == "patch":
        body = {"name": "Changed"}
    url = path.format(role=custom_role.uuid, assignment=assignment.uuid)
    response = send(client_for(user), method, url, body)
    assert response.status_code == status
    assert response.json() == {"detail": "Forbidden" if status == 403 else "Not Found"}
    after = (event_count(), Role.objects.count(), RoleAssignment.objects.count())
    assert after == before
    custom_role.refresh_from_db()
    assert custom_role.name == "Auditor"


def test_staff_see_the_roles(client_for: ClientFor, staff_member: User) -> None:
    response = send(client_for(staff_member), "get", "roles")
    assert response.status_code == 200
    keys = {item["key"] for item in response.json()["items"]}
    assert {"administrator", "owner", "reader", "contact-entity-staff"} <= keys
    response = send(client_for(staff_member), "get", "roles?scope=firm")
    assert {item["scope"] for item in response.json()["items"]} == {"firm"}


def test_an_administrator_creates_a_custom_role(firm_admin: User) -> None:
    response = send(token_client(firm_admin), "post", "roles", CUSTOM)
    assert response.status_code == 201
    body = response.json()
    role = Role.objects.get(uuid=body["uuid"])
    assert role.key == "custom-payroll-clerk"
    assert not role.builtin
    assert sorted(role.capabilities) == ["entity.view", "files.create", "files.view"]
    (event,) = events(Event.Verb.ROLE_CREATED)
    assert event.actor == firm_admin
    assert event.target_id == str(role.uuid)


def test_an_entity_role_holds_entity_capabilities_only(
    client_for: ClientFor, firm_admin: User
) -> None:
    body = CUSTOM | {"capabilities": ["entity.view", "contacts.manage"]}
    response = send(client_for(firm_admin), "post", "roles", body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == (
        "An entity role can only hold entity capabilities."
    )
    assert not Role.objects.filter(name="Payroll clerk").exists()


def test_an_unknown_capability_is_422(client_for: ClientFor, firm_admin: User) -> None:
    body = CUSTOM | {"capabilities": ["entity.fly"]}
    response = send(client_for(firm_admin), "post", "roles", body)
    assert response.status_code == 422
    assert not Role.objects.filter(name="Payroll clerk").exists()


def test_an_administrator_changes_a_custom_role(
    client_for: ClientFor, firm_admin: User, custom_role: Role
) -> None:
    body = {"capabilities": ["entity.view", "files.view"]}
    response = send(client_for(firm_admin), "patch", f"roles/{custom_role.uuid}", body)
    assert response.status_code == 200
    custom_role.refresh_from_db()
    assert custom_role.capabilities == ["entity.view", "files.view"]
    assert custom_role.name == "Auditor"
    (event,) = events(Event.Verb.ROLE_CHANGED)
    assert event.data == {
        "capabilities": [str(["entity.view"]), str(["entity.view", "files.view"])]
    }


def test_a_builtin_role_cannot_be_changed(
    client_for: ClientFor, firm_admin: User
) -> None:
    owner = Role.objects.get(key="owner")
    response = send(
        client_for(firm_admin), "patch", f"roles/{owner.uuid}", {"name": "Boss"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == (
        "Built-in roles cannot be changed; create a custom role instead."
    )
    owner.refresh_from_db()
    assert owner.name == "Owner"
    assert events(Event.Verb.ROLE_CHANGED) == []


def test_an_administrator_gives_and_takes_a_firm_role(
    client_for: ClientFor, firm_admin: User, staff_member: User
) -> None:
    role = Role.objects.get(key="settings-administrator")
    client = client_for(firm_admin)
    url = f"roles/{role.uuid}/assignments"
    response = send(client, "post", url, {"user": str(staff_member.uuid)})
    assert response.status_code == 201
    assignment = RoleAssignment.objects.get(uuid=response.json()["uuid"])
    assert (assignment.user, assignment.entity) == (staff_member, None)
    (granted,) = events(Event.Verb.ACCESS_GRANTED)
    assert granted.data["scope"] == "firm"
    # Twice is a conflict.
    response = send(client, "post", url, {"user": str(staff_member.uuid)})
    assert response.status_code == 409
    listed = send(client, "get", url).json()["items"]
    assert [item["user"]["uuid"] for item in listed] == [str(staff_member.uuid)]

    response = send(client, "delete", f"{url}/{assignment.uuid}")
    assert response.status_code == 204
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    assert events(Event.Verb.ACCESS_REVOKED)[0].actor == firm_admin


def test_a_firm_role_is_not_for_contacts(
    client_for: ClientFor, firm_admin: User, contact: User
) -> None:
    role = Role.objects.get(key="settings-administrator")
    url = f"roles/{role.uuid}/assignments"
    response = send(client_for(firm_admin), "post", url, {"user": str(contact.uuid)})
    assert response.status_code == 422
    assert not RoleAssignment.objects.filter(role=role, user=contact).exists()


def test_a_principal_is_a_user_or_a_group_not_both(
    client_for: ClientFor, firm_admin: User, staff_member: User
) -> None:
    role = Role.objects.get(key="settings-administrator")
    response = send(
        client_for(firm_admin), "post", f"roles/{role.uuid}/assignments", {}
    )
    assert response.status_code == 422


def test_a_role_manager_hands_out_only_what_they_hold(
    client_for: ClientFor, firm_admin: User, staff_member: User
) -> None:
    manager_role = create_role(
        name="Role manager",
        scope="firm",
        audience="staff",
        capabilities=["roles.manage"],
        actor=firm_admin,
    )
    manager = make_user("rik@firm.test", kind=User.Kind.STAFF)
    RoleAssignment.objects.create(role=manager_role, user=manager)
    admin_role = Role.objects.get(key="administrator")
    body = {"user": str(staff_member.uuid)}
    url = f"roles/{admin_role.uuid}/assignments"
    response = send(client_for(manager), "post", url, body)
    assert response.status_code == 403
    assert not RoleAssignment.objects.filter(user=staff_member).exists()
    # Their own role they may hand out.
    url = f"roles/{manager_role.uuid}/assignments"
    assert send(client_for(manager), "post", url, body).status_code == 201


def test_the_last_administrator_stays(client_for: ClientFor, firm_admin: User) -> None:
    assignment = RoleAssignment.objects.get(user=firm_admin, role__key="administrator")
    url = f"roles/{assignment.role.uuid}/assignments/{assignment.uuid}"
    response = send(client_for(firm_admin), "delete", url)
    assert response.status_code == 422
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()
    assert events(Event.Verb.ACCESS_REVOKED) == []
