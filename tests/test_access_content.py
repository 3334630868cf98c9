"""Who sees which files and requests: access.visible_files and
access.visible_requests, per entity and across entities, for every persona."""

import pytest

from loket import access
from loket.accounts.models import User
from loket.entities.models import Entity
from loket.files.models import File
from loket.groups.models import Group
from loket.requests.models import Recipient, Request
from tests.conftest import grant, make_user

pytestmark = pytest.mark.django_db


def _file(entity: Entity, creator: User, name: str, **fields: object) -> File:
    return File.objects.create(entity=entity, created_by=creator, name=name, **fields)


def _request(
    entity: Entity,
    creator: User,
    subject: str,
    to: list[User],
    status: str = Request.Status.AWAITING,
    limited: bool = False,
) -> Request:
    request = Request.objects.create(
        entity=entity,
        created_by=creator,
        subject=subject,
        status=status,
        limited=limited,
    )
    for user in to:
        Recipient.objects.create(request=request, user=user)
    return request


def _names(files: "object") -> set[str]:
    return {f.name for f in files}  # type: ignore[attr-defined]


def _subjects(requests: "object") -> set[str]:
    return {r.subject for r in requests}  # type: ignore[attr-defined]


@pytest.fixture
def files(
    entity: Entity, other_entity: Entity, staff_owner: User, contact: User
) -> None:
    _file(entity, staff_owner, "jaarrekening.pdf")
    _file(entity, staff_owner, "memo-intern.pdf", limited=True)
    _file(entity, contact, "bonnetjes.zip", limited=True)
    _file(entity, staff_owner, "oud.pdf", deleted_at="2026-01-01T00:00:00Z")
    _file(other_entity, staff_owner, "garage.pdf")


@pytest.mark.usefixtures("files")
def test_owner_sees_every_present_file_limited_ones_included(
    staff_owner: User, entity: Entity
) -> None:
    expected = {"jaarrekening.pdf", "memo-intern.pdf", "bonnetjes.zip"}
    assert _names(access.visible_files(staff_owner, entity)) == expected
    assert _names(access.visible_files(staff_owner)) == expected


@pytest.mark.usefixtures("files")
def test_reader_does_not_see_limited_files_of_others(
    staff_reader: User, entity: Entity
) -> None:
    assert _names(access.visible_files(staff_reader, entity)) == {"jaarrekening.pdf"}
    assert _names(access.visible_files(staff_reader)) == {"jaarrekening.pdf"}


@pytest.mark.usefixtures("files")
def test_creator_sees_their_limited_file(contact: User, entity: Entity) -> None:
    expected = {"jaarrekening.pdf", "bonnetjes.zip"}
    assert _names(access.visible_files(contact, entity)) == expected
    assert _names(access.visible_files(contact)) == expected


@pytest.mark.usefixtures("files")
def test_a_limited_file_shared_with_someone_is_visible_to_them(
    viewer_contact: User, entity: Entity
) -> None:
    memo = File.objects.get(name="memo-intern.pdf")
    memo.shared_with.add(viewer_contact)
    expected = {"jaarrekening.pdf", "memo-intern.pdf"}
    assert _names(access.visible_files(viewer_contact, entity)) == expected
    assert _names(access.visible_files(viewer_contact)) == expected


@pytest.mark.usefixtures("files")
def test_outsider_and_roleless_staff_see_no_file_of_the_entity(
    outsider: User, staff_member: User, entity: Entity
) -> None:
    assert not access.visible_files(outsider, entity).exists()
    assert _names(access.visible_files(outsider)) == {"garage.pdf"}
    assert not access.visible_files(staff_member).exists()


@pytest.mark.usefixtures("files")
def test_group_contact_sees_files_through_the_group(
    group_contact: User, entity: Entity
) -> None:
    assert _names(access.visible_files(group_contact)) == {"jaarrekening.pdf"}


@pytest.mark.usefixtures("files")
def test_administrator_sees_every_file_of_every_entity(firm_admin: User) -> None:
    assert _names(access.visible_files(firm_admin)) == {
        "jaarrekening.pdf",
        "memo-intern.pdf",
        "bonnetjes.zip",
        "garage.pdf",
    }


@pytest.mark.usefixtures("files")
def test_deactivated_users_see_nothing(contact: User) -> None:
    contact.state = User.State.DEACTIVATED
    contact.save()
    assert not access.visible_files(contact).exists()
    assert not access.visible_requests(contact).exists()


@pytest.fixture
def requests(
    entity: Entity,
    other_entity: Entity,
    staff_owner: User,
    staff_reader: User,
    contact: User,
    viewer_contact: User,
    group_contact: User,
) -> None:
    _request(entity, staff_reader, "Jaarstukken", [contact, group_contact])
    _request(entity, staff_reader, "Concept", [contact], status="not_sent")
    _request(entity, staff_owner, "Vertrouwelijk", [viewer_contact], limited=True)
    _request(entity, staff_owner, "Intern", [], limited=True)
    _request(entity, contact, "Vraag van de klant", [])
    _request(other_entity, staff_owner, "Garage", [])


@pytest.mark.usefixtures("requests")
def test_reader_sees_every_unlimited_request_of_the_entity(
    staff_reader: User, entity: Entity
) -> None:
    expected = {"Jaarstukken", "Concept", "Vraag van de klant"}
    assert _subjects(access.visible_requests(staff_reader, entity)) == expected
    assert _subjects(access.visible_requests(staff_reader)) == expected


@pytest.mark.usefixtures("requests")
def test_owner_sees_limited_requests_too(staff_owner: User, entity: Entity) -> None:
    expected = {
        "Jaarstukken",
        "Concept",
        "Vertrouwelijk",
        "Intern",
        "Vraag van de klant",
    }
    assert _subjects(access.visible_requests(staff_owner, entity)) == expected
    assert _subjects(access.visible_requests(staff_owner)) == expected


@pytest.mark.usefixtures("requests")
def test_contact_sees_sent_requests_addressed_to_them_and_their_own(
    contact: User, entity: Entity
) -> None:
    expected = {"Jaarstukken", "Vraag van de klant"}
    assert _subjects(access.visible_requests(contact, entity)) == expected
    assert _subjects(access.visible_requests(contact)) == expected


@pytest.mark.usefixtures("requests")
def test_a_limited_request_is_visible_to_its_recipient(
    viewer_contact: User, entity: Entity
) -> None:
    assert _subjects(access.visible_requests(viewer_contact)) == {"Vertrouwelijk"}


@pytest.mark.usefixtures("requests")
def test_group_contact_sees_requests_addressed_to_them(group_contact: User) -> None:
    assert _subjects(access.visible_requests(group_contact)) == {"Jaarstukken"}


@pytest.mark.usefixtures("requests")
def test_a_recipient_who_lost_access_no_longer_sees_the_request(
    group_contact: User, contact_group: Group
) -> None:
    contact_group.assignments.all().delete()
    assert not access.visible_requests(group_contact).exists()


@pytest.mark.usefixtures("requests")
def test_outsider_and_roleless_staff_see_no_request_of_the_entity(
    outsider: User, staff_member: User, entity: Entity
) -> None:
    assert not access.visible_requests(outsider, entity).exists()
    assert not access.visible_requests(outsider).exists()
    assert not access.visible_requests(staff_member).exists()


@pytest.mark.usefixtures("requests")
def test_administrator_sees_every_request(firm_admin: User) -> None:
    assert len(access.visible_requests(firm_admin)) == 6


@pytest.mark.usefixtures("requests")
def test_entities_with_lists_where_a_capability_is_held(
    contact: User, staff_reader: User, entity: Entity, other_entity: Entity
) -> None:
    C = access.Capability
    assert list(access.entities_with(contact, C.FILES_CREATE)) == [entity]
    assert not access.entities_with(staff_reader, C.FILES_CREATE).exists()
    grant(staff_reader, "editor", other_entity)
    assert list(access.entities_with(staff_reader, C.FILES_CREATE)) == [other_entity]


def test_a_heavily_shared_user_gets_the_same_answers(
    entity: Entity, staff_owner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beyond MANY_ASSIGNMENTS the filters are per-row EXISTS, not id lists."""
    monkeypatch.setattr(access, "MANY_ASSIGNMENTS", 1)
    reader = make_user("ruud@firm.test", kind=User.Kind.STAFF)
    grant(reader, "reader", entity)
    grant(reader, "reader", Entity.objects.create(name="Tweede BV"))
    _file(entity, staff_owner, "open.pdf")
    _file(entity, staff_owner, "dicht.pdf", limited=True)
    _request(entity, staff_owner, "Open", [])
    _request(entity, staff_owner, "Dicht", [], limited=True)
    assert _names(access.visible_files(reader)) == {"open.pdf"}
    assert _subjects(access.visible_requests(reader)) == {"Open"}
