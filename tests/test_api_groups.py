"""/api/v1/groups and their members."""

from typing import Any

import pytest

from loket.accounts.models import User
from loket.audit.models import Event
from loket.groups.models import Group, GroupMembership
from tests.conftest import ClientFor
from tests.test_api_support import event_count, events, send, token_client

pytestmark = pytest.mark.django_db

# Contacts see no groups (403 on the list, 404 on one); staff without
# groups.manage may look but not change (403).
REFUSALS = [
    ("get", "groups", "outsider", 403),
    ("post", "groups", "outsider", 403),
    ("post", "groups", "staff_member", 403),
    ("post", "groups", "staff_admin", 403),
    ("get", "groups/{group}", "group_contact", 404),
    ("patch", "groups/{group}", "outsider", 404),
    ("patch", "groups/{group}", "staff_owner", 403),
    ("get", "groups/{group}/members", "group_contact", 404),
    ("put", "groups/{group}/members/{contact}", "outsider", 404),
    ("put", "groups/{group}/members/{contact}", "staff_member", 403),
    ("delete", "groups/{group}/members/{group_contact}", "group_contact", 404),
    ("delete", "groups/{group}/members/{group_contact}", "staff_member", 403),
]


@pytest.mark.parametrize(("method", "path", "persona", "status"), REFUSALS)
def test_refusals(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    contact_group: Group,
    contact: User,
    group_contact: User,
    method: str,
    path: str,
    persona: str,
    status: int,
) -> None:
    user: User = request.getfixturevalue(persona)
    before = (event_count(), Group.objects.count(), GroupMembership.objects.count())
    body: Any = None
    if method == "post":
        body = {"kind": "staff", "name": "Team"}
    if method == "patch":
        body = {"name": "Changed"}
    url = path.format(
        group=contact_group.uuid, contact=contact.uuid, group_contact=group_contact.uuid
    )
    response = send(client_for(user), method, url, body)
    assert response.status_code == status
    assert response.json() == {"detail": "Forbidden" if status == 403 else "Not Found"}
    after = (event_count(), Group.objects.count(), GroupMembership.objects.count())
    assert after == before
    contact_group.refresh_from_db()
    assert contact_group.name == "Directie De Vries"


def test_staff_see_groups_with_their_member_count(
    client_for: ClientFor,
    staff_member: User,
    contact_group: Group,
    group_contact: User,
) -> None:
    Group.objects.create(kind=Group.Kind.STAFF, name="Team Noord")
    response = send(client_for(staff_member), "get", "groups")
    assert response.status_code == 200
    items = {item["name"]: item for item in response.json()["items"]}
    assert items["Directie De Vries"]["member_count"] == 1
    assert items["Directie De Vries"]["kind"] == "contact"
    assert items["Team Noord"]["member_count"] == 0
    response = send(client_for(staff_member), "get", "groups?kind=staff")
    assert [item["name"] for item in response.json()["items"]] == ["Team Noord"]


def test_an_entity_administrator_creates_a_group_with_members(
    entity_admin: User, staff_member: User, staff_owner: User
) -> None:
    body = {
        "kind": "staff",
        "name": "Team Zuid",
        "description": "Payroll",
        "members": [str(staff_member.uuid), str(staff_owner.uuid)],
    }
    response = send(token_client(entity_admin), "post", "groups", body)
    assert response.status_code == 201
    assert response.json()["member_count"] == 2
    group = Group.objects.get(uuid=response.json()["uuid"])
    assert group.kind == Group.Kind.STAFF
    assert set(group.members.all()) == {staff_member, staff_owner}
    (created,) = events(Event.Verb.GROUP_CREATED)
    assert created.actor == entity_admin
    assert len(events(Event.Verb.GROUP_MEMBER_ADDED)) == 2


def test_a_duplicate_group_name_is_409(
    client_for: ClientFor, entity_admin: User, contact_group: Group
) -> None:
    body = {"kind": "contact", "name": "directie de vries"}
    response = send(client_for(entity_admin), "post", "groups", body)
    assert response.status_code == 409
    assert response.json() == {"detail": "There is already a group with this name."}
    assert Group.objects.count() == 1


def test_a_contact_cannot_join_a_staff_group(
    client_for: ClientFor, entity_admin: User, contact: User
) -> None:
    body = {"kind": "staff", "name": "Team", "members": [str(contact.uuid)]}
    response = send(client_for(entity_admin), "post", "groups", body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == (
        "A staff group holds only staff members."
    )
    assert not Group.objects.filter(name="Team").exists()


def test_an_unknown_member_is_422(client_for: ClientFor, entity_admin: User) -> None:
    body = {
        "kind": "staff",
        "name": "Team",
        "members": ["00000000-0000-4000-8000-000000000000"],
    }
    response = send(client_for(entity_admin), "post", "groups", body)
    assert response.status_code == 422
    assert not Group.objects.filter(name="Team").exists()


def test_an_entity_administrator_renames_a_group_and_keeps_its_members(
    client_for: ClientFor,
    entity_admin: User,
    contact_group: Group,
    group_contact: User,
) -> None:
    response = send(
        client_for(entity_admin),
        "patch",
        f"groups/{contact_group.uuid}",
        {"name": "Directie"},
    )
    assert response.status_code == 200
    assert response.json()["member_count"] == 1
    contact_group.refresh_from_db()
    assert contact_group.name == "Directie"
    assert list(contact_group.members.all()) == [group_contact]
    (event,) = events(Event.Verb.GROUP_CHANGED)
    assert event.data == {"name": ["Directie De Vries", "Directie"]}
    assert events(Event.Verb.GROUP_MEMBER_REMOVED) == []


def test_a_patch_with_members_sets_them_exactly(
    client_for: ClientFor,
    entity_admin: User,
    contact_group: Group,
    group_contact: User,
    contact: User,
) -> None:
    response = send(
        client_for(entity_admin),
        "patch",
        f"groups/{contact_group.uuid}",
        {"members": [str(contact.uuid)]},
    )
    assert response.status_code == 200
    assert list(contact_group.members.all()) == [contact]
    assert len(events(Event.Verb.GROUP_MEMBER_ADDED)) == 1
    assert len(events(Event.Verb.GROUP_MEMBER_REMOVED)) == 1


def test_staff_list_the_members(
    client_for: ClientFor, staff_member: User, contact_group: Group, group_contact: User
) -> None:
    response = send(
        client_for(staff_member), "get", f"groups/{contact_group.uuid}/members"
    )
    assert response.status_code == 200
    assert response.json()["count"] == 1
    (member,) = response.json()["items"]
    assert member["uuid"] == str(group_contact.uuid)
    assert member["kind"] == "contact"


def test_an_entity_administrator_adds_and_removes_a_member(
    client_for: ClientFor, entity_admin: User, contact_group: Group, contact: User
) -> None:
    client = client_for(entity_admin)
    url = f"groups/{contact_group.uuid}/members/{contact.uuid}"
    response = send(client, "put", url)
    assert response.status_code == 204
    assert contact_group.members.filter(pk=contact.pk).exists()
    (added,) = events(Event.Verb.GROUP_MEMBER_ADDED)
    assert added.actor == entity_admin
    assert added.data["member"] == str(contact.uuid)
    # Adding again changes nothing.
    assert send(client, "put", url).status_code == 204
    assert len(events(Event.Verb.GROUP_MEMBER_ADDED)) == 1

    response = send(client, "delete", url)
    assert response.status_code == 204
    assert not contact_group.members.filter(pk=contact.pk).exists()
    (removed,) = events(Event.Verb.GROUP_MEMBER_REMOVED)
    assert removed.data["member"] == str(contact.uuid)


def test_an_unknown_member_in_the_path_is_404(
    client_for: ClientFor, entity_admin: User, contact_group: Group
) -> None:
    url = f"groups/{contact_group.uuid}/members/00000000-0000-4000-8000-000000000000"
    response = send(client_for(entity_admin), "put", url)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_a_staff_member_cannot_join_a_contact_group(
    client_for: ClientFor, entity_admin: User, contact_group: Group, staff_member: User
) -> None:
    url = f"groups/{contact_group.uuid}/members/{staff_member.uuid}"
    response = send(client_for(entity_admin), "put", url)
    assert response.status_code == 422
    assert not contact_group.members.filter(pk=staff_member.pk).exists()


def test_the_list_answers_in_a_bounded_number_of_queries(
    client_for: ClientFor,
    staff_member: User,
    group_contact: User,
    django_assert_max_num_queries: Any,
) -> None:
    client = client_for(staff_member)
    with django_assert_max_num_queries(7) as few:
        send(client, "get", "groups")
    for n in range(20):
        group = Group.objects.create(kind=Group.Kind.CONTACT, name=f"G{n}")
        GroupMembership.objects.create(group=group, user=group_contact)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = send(client, "get", "groups")
    assert response.json()["count"] == 21
