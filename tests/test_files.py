"""Who sees which files, and downloads: through access, recorded in the
history, refused while a version waits for its virus scan or is infected."""

from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from loket.accounts.models import User
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.files import actions
from loket.files.models import File, FileVersion
from tests.conftest import ClientFor
from tests.files_support import PDF, add, pdf, stored

pytestmark = pytest.mark.django_db


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def _downloads() -> list[Event]:
    return list(Event.objects.filter(verb=Event.Verb.FILE_DOWNLOADED).order_by("id"))


# Limited files.


@pytest.fixture
def limited(entity: Entity, contact: User) -> File:
    """A limited file a contact (Entity Staff) added."""
    return add(entity, contact, "salarisstrook.pdf", limited=True)


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("contact", True),  # the creator
        ("staff_owner", True),  # manages the entity's content
        ("staff_reader", False),
        ("viewer_contact", False),
        ("group_contact", False),
        ("outsider", False),
    ],
)
def test_a_limited_file_is_seen_by_its_creator_and_owners_only(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    entity: Entity,
    limited: File,
    persona: str,
    sees: bool,
) -> None:
    user: User = request.getfixturevalue(persona)
    client = client_for(user)
    expected = 200 if sees else 404
    assert client.get(f"/files/{limited.uuid}/").status_code == expected
    assert client.get(f"/files/{limited.uuid}/download/").status_code == expected
    version = limited.versions.get()
    assert (
        client.get(f"/files/versions/{version.uuid}/download/").status_code == expected
    )
    if persona != "outsider":
        tab = client.get(f"/entities/{entity.uuid}/files/")
        listed = [file.name for file in tab.context["page"].object_list]
        assert listed == (["salarisstrook.pdf"] if sees else [])
    assert len(_downloads()) == (2 if sees else 0)


def test_a_limited_file_shared_with_someone_is_theirs_to_see(
    client_for: ClientFor,
    entity: Entity,
    contact: User,
    staff_reader: User,
    viewer_contact: User,
    limited: File,
) -> None:
    actions.share_file(limited, actor=contact, users=[staff_reader])
    assert client_for(staff_reader).get(f"/files/{limited.uuid}/").status_code == 200
    response = client_for(staff_reader).get(f"/files/{limited.uuid}/download/")
    assert response.status_code == 200
    assert client_for(viewer_contact).get(f"/files/{limited.uuid}/").status_code == 404


# Downloads.


def test_a_download_sends_the_bytes_under_a_unicode_name_and_is_recorded(
    client_for: ClientFor, entity: Entity, staff_owner: User, viewer_contact: User
) -> None:
    name = "Jaarrekening 2025 – café “Zoë” 日本.pdf"
    file = add(entity, staff_owner, name, pdf("j"))
    response = client_for(viewer_contact).get(f"/files/{file.uuid}/download/")
    assert response.status_code == 200
    assert _body(response) == pdf("j")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=utf-8''{quote(name)}" in disposition
    assert response["X-Content-Type-Options"] == "nosniff"
    (event,) = _downloads()
    assert event.actor == viewer_contact
    assert event.entity == entity
    assert event.target_id == str(file.uuid)
    assert event.data["version"] == 1


def test_an_older_version_is_downloaded_by_its_own_link(
    client_for: ClientFor, entity: Entity, staff_owner: User, contact: User
) -> None:
    file = add(entity, staff_owner, content=pdf("1"))
    first = file.versions.get()
    actions.add_version(file, actor=staff_owner, blob=stored(pdf("2")))
    client = client_for(contact)
    assert _body(client.get(f"/files/{file.uuid}/download/")) == pdf("2")
    older = client.get(f"/files/versions/{first.uuid}/download/")
    assert _body(older) == pdf("1")
    assert [event.data["version"] for event in _downloads()] == [2, 1]


def test_a_file_in_the_trash_is_not_downloaded(
    client_for: ClientFor, entity: Entity, staff_owner: User
) -> None:
    file = add(entity, staff_owner)
    version = file.versions.get()
    actions.delete_file(file, actor=staff_owner)
    client = client_for(staff_owner)
    assert client.get(f"/files/{file.uuid}/download/").status_code == 404
    assert client.get(f"/files/versions/{version.uuid}/download/").status_code == 404
    assert _downloads() == []


def test_an_outsider_or_anonymous_visitor_downloads_nothing(
    client: Client,
    client_for: ClientFor,
    entity: Entity,
    staff_owner: User,
    outsider: User,
    staff_member: User,
) -> None:
    file = add(entity, staff_owner)
    for user in (outsider, staff_member):
        assert client_for(user).get(f"/files/{file.uuid}/download/").status_code == 404
    assert client.get(f"/files/{file.uuid}/download/").status_code == 302
    assert _downloads() == []


@pytest.mark.parametrize(
    ("scan", "says"),
    [
        (FileVersion.Scan.PENDING, "being scanned"),
        (FileVersion.Scan.INFECTED, "contains a virus"),
    ],
)
def test_a_version_waiting_for_its_scan_or_infected_is_refused_to_everyone(
    client_for: ClientFor,
    entity: Entity,
    contact: User,
    staff_owner: User,
    scan: str,
    says: str,
) -> None:
    file = add(entity, contact, content=PDF)
    FileVersion.objects.filter(file=file).update(scan=scan)
    version = file.versions.get()
    for user in (contact, staff_owner):
        client = client_for(user)
        for url in (
            f"/files/{file.uuid}/download/",
            f"/files/versions/{version.uuid}/download/",
        ):
            response = client.get(url)
            assert response.status_code == 403
            assert says in response.content.decode()
    assert _downloads() == []


def test_a_clean_or_unscanned_version_is_downloaded(
    client_for: ClientFor, entity: Entity, staff_owner: User
) -> None:
    file = add(entity, staff_owner)
    FileVersion.objects.filter(file=file).update(scan=FileVersion.Scan.CLEAN)
    assert (
        client_for(staff_owner).get(f"/files/{file.uuid}/download/").status_code == 200
    )
