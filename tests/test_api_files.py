"""/api/v1: an entity's files and folders, versions and downloads, with the
same access and actions as the pages."""

from typing import Any
from urllib.parse import quote

import pytest

from loket.accounts.models import User
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.files import actions
from loket.files.models import File, FileVersion, Folder, Upload
from tests.conftest import ClientFor, grant, make_user
from tests.files_support import add, blob_exists, finished_upload, pdf, stored
from tests.test_api_support import event_count, send, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_editor(entity: Entity) -> User:
    user = make_user("eddy@firm.test", kind=User.Kind.STAFF)
    grant(user, "editor", entity)
    return user


@pytest.fixture
def place(entity: Entity, staff_owner: User) -> dict[str, Any]:
    file = add(entity, staff_owner, "jaarrekening.pdf")
    folder = actions.create_folder(entity, actor=staff_owner, name="2025")
    return {
        "entity": entity.uuid,
        "file": file.uuid,
        "version": file.versions.get().uuid,
        "folder": folder.uuid,
    }


# Refusals: the row's persona, the call, the status; nothing changes.

REFUSALS: list[tuple[str, str, str, Any, int]] = [
    ("outsider", "get", "entities/{entity}/files", None, 404),
    ("outsider", "get", "files/{file}", None, 404),
    ("outsider", "get", "files/{file}/download", None, 404),
    ("outsider", "get", "files/{file}/versions", None, 404),
    ("outsider", "patch", "files/{file}", {"name": "x.pdf"}, 404),
    ("outsider", "delete", "files/{file}", None, 404),
    ("outsider", "get", "folders/{folder}", None, 404),
    ("outsider", "delete", "folders/{folder}", None, 404),
    ("staff_member", "get", "files/{file}", None, 404),
    ("entity_admin", "get", "entities/{entity}/files", None, 404),
    ("viewer_contact", "post", "entities/{entity}/folders", {"name": "Mijn"}, 403),
    ("viewer_contact", "patch", "files/{file}", {"name": "x.pdf"}, 403),
    ("staff_reader", "delete", "files/{file}", None, 403),
    ("staff_reader", "patch", "files/{file}", {"folder": None}, 403),
    ("staff_reader", "patch", "folders/{folder}", {"name": "x"}, 403),
    ("staff_reader", "delete", "folders/{folder}", None, 403),
    ("staff_reader", "patch", "files/{file}", {"limited": True}, 403),
    ("staff_reader", "post", "files/{file}/versions/{version}/restore", None, 403),
    ("contact", "delete", "files/{file}", None, 403),
    ("staff_editor", "get", "entities/{entity}/trash", None, 403),
    ("staff_editor", "delete", "entities/{entity}/trash", None, 403),
    ("staff_editor", "put", "files/{file}/shared-with", {"people": []}, 403),
]


@pytest.mark.parametrize(("persona", "method", "path", "body", "status"), REFUSALS)
def test_refusals(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    place: dict[str, Any],
    persona: str,
    method: str,
    path: str,
    body: Any,
    status: int,
) -> None:
    user: User = request.getfixturevalue(persona)
    before = (event_count(), File.objects.present().count(), Folder.objects.count())
    response = send(client_for(user), method, path.format(**place), body)
    assert response.status_code == status, response.content
    assert response.json() == {"detail": "Forbidden" if status == 403 else "Not Found"}
    assert (
        event_count(),
        File.objects.present().count(),
        Folder.objects.count(),
    ) == before


def test_a_viewer_contact_cannot_add_a_file(
    client_for: ClientFor, entity: Entity, viewer_contact: User
) -> None:
    upload = finished_upload(viewer_contact, entity)
    response = send(
        client_for(viewer_contact),
        "post",
        f"entities/{entity.uuid}/files",
        {"upload": str(upload.uuid)},
    )
    assert response.status_code == 403
    assert Upload.objects.filter(pk=upload.pk).exists()
    assert not File.objects.exists()


# Listing and reading.


def test_listing_an_entitys_files_by_folder_and_page(
    entity: Entity, staff_owner: User, staff_reader: User
) -> None:
    year = actions.create_folder(entity, actor=staff_owner, name="2025")
    for n in range(3):
        add(entity, staff_owner, f"{n}.pdf", pdf(str(n)))
    add(entity, staff_owner, "in-2025.pdf", folder=year)
    add(entity, staff_owner, "limited.pdf", limited=True)
    client = token_client(staff_reader)
    top = send(client, "get", f"entities/{entity.uuid}/files?limit=2").json()
    assert top["count"] == 3
    assert [item["name"] for item in top["items"]] == ["0.pdf", "1.pdf"]
    item = top["items"][0]
    assert set(item) == {
        "uuid",
        "name",
        "folder",
        "limited",
        "version",
        "size",
        "content_type",
        "sha256",
        "scan",
        "created_by",
        "created_at",
        "updated_at",
    }
    assert (item["version"], item["content_type"], item["folder"]) == (
        1,
        "application/pdf",
        None,
    )
    inside = send(client, "get", f"entities/{entity.uuid}/files?folder={year.uuid}")
    assert [item["name"] for item in inside.json()["items"]] == ["in-2025.pdf"]
    folders = send(client, "get", f"entities/{entity.uuid}/folders").json()
    assert [item["name"] for item in folders["items"]] == ["2025"]
    unknown = send(client, "get", f"entities/{entity.uuid}/files?folder={entity.uuid}")
    assert unknown.status_code == 422


def test_a_files_metadata_lists_its_versions(
    entity: Entity, staff_owner: User, staff_reader: User
) -> None:
    file = add(entity, staff_owner, content=pdf("1"))
    first = file.versions.get()
    actions.add_version(file, actor=staff_owner, blob=stored(pdf("2")))
    actions.restore_version(first, actor=staff_owner)
    client = token_client(staff_reader)
    body = send(client, "get", f"files/{file.uuid}").json()
    assert body["version"] == 3
    assert [v["number"] for v in body["versions"]] == [3, 2, 1]
    assert body["versions"][0]["restored_from"] == 1
    assert body["versions"][2]["sha256"] == first.sha256
    versions = send(client, "get", f"files/{file.uuid}/versions").json()
    assert versions["count"] == 3


# Adding files from finished uploads.


def test_adding_a_file_from_an_upload(
    client_for: ClientFor, entity: Entity, contact: User, staff_owner: User
) -> None:
    year = actions.create_folder(entity, actor=staff_owner, name="2025")
    upload = finished_upload(contact, entity, pdf("a"), "Kas ../\x7fboek.pdf")
    response = send(
        client_for(contact),
        "post",
        f"entities/{entity.uuid}/files",
        {"upload": str(upload.uuid), "folder": str(year.uuid)},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["name"], body["folder"]["uuid"], body["version"]) == (
        "boek.pdf",
        str(year.uuid),
        1,
    )
    file = File.objects.get(uuid=body["uuid"])
    assert file.current_version is not None
    assert blob_exists(file.current_version)
    assert not Upload.objects.exists()
    assert Event.objects.filter(verb=Event.Verb.FILE_UPLOADED).count() == 1


def test_a_clash_is_a_409_until_the_caller_chooses(
    entity: Entity, staff_owner: User
) -> None:
    first = add(entity, staff_owner, "scan.pdf")
    client = token_client(staff_owner)
    upload = finished_upload(staff_owner, entity, pdf("2"), "Scan.pdf")
    path = f"entities/{entity.uuid}/files"
    clash = send(client, "post", path, {"upload": str(upload.uuid)})
    assert clash.status_code == 409
    assert "scan.pdf" in clash.json()["detail"]
    assert Upload.objects.filter(pk=upload.pk).exists()

    version = send(
        client, "post", path, {"upload": str(upload.uuid), "on_clash": "version"}
    )
    assert version.status_code == 201
    assert (version.json()["uuid"], version.json()["version"]) == (str(first.uuid), 2)

    another = finished_upload(staff_owner, entity, pdf("3"), "scan.pdf")
    copy = send(client, "post", path, {"upload": str(another.uuid), "on_clash": "copy"})
    assert copy.json()["name"] == "scan (2).pdf"
    wrong = send(
        client, "post", path, {"upload": str(another.uuid), "on_clash": "overwrite"}
    )
    assert wrong.status_code == 422


def test_an_upload_of_someone_else_is_unknown(
    client_for: ClientFor, entity: Entity, contact: User, group_contact: User
) -> None:
    upload = finished_upload(contact, entity)
    response = send(
        client_for(group_contact),
        "post",
        f"entities/{entity.uuid}/files",
        {"upload": str(upload.uuid)},
    )
    assert response.status_code == 422
    assert not File.objects.exists()


def test_a_new_version_from_an_upload_and_restoring_an_older_one(
    entity: Entity, staff_owner: User
) -> None:
    file = add(entity, staff_owner, content=pdf("1"))
    first = file.versions.get()
    client = token_client(staff_owner)
    upload = finished_upload(staff_owner, entity, pdf("2"), "v2.pdf")
    added = send(
        client, "post", f"files/{file.uuid}/versions", {"upload": str(upload.uuid)}
    )
    assert added.status_code == 201
    assert (added.json()["number"], added.json()["name"]) == (2, "v2.pdf")
    restored = send(client, "post", f"files/{file.uuid}/versions/{first.uuid}/restore")
    assert restored.status_code == 201
    assert restored.json()["restored_from"] == 1
    file.refresh_from_db()
    assert file.current_version is not None
    assert file.current_version.blob == first.blob
    current = send(
        client, "post", f"files/{file.uuid}/versions/{restored.json()['uuid']}/restore"
    )
    assert current.status_code == 422


# Changing, deleting, restoring.


def test_renaming_moving_and_limiting_in_one_patch(
    entity: Entity, staff_owner: User
) -> None:
    year = actions.create_folder(entity, actor=staff_owner, name="2025")
    file = add(entity, staff_owner, "concept.pdf")
    client = token_client(staff_owner)
    response = send(
        client,
        "patch",
        f"files/{file.uuid}",
        {"name": "definitief.pdf", "folder": str(year.uuid), "limited": True},
    )
    assert response.status_code == 200, response.content
    file.refresh_from_db()
    assert (file.name, file.folder, file.limited) == ("definitief.pdf", year, True)
    verbs = set(Event.objects.values_list("verb", flat=True))
    assert {
        Event.Verb.FILE_RENAMED,
        Event.Verb.FILE_MOVED,
        Event.Verb.FILE_LIMITED,
    } <= verbs
    back = send(client, "patch", f"files/{file.uuid}", {"folder": None})
    assert back.json()["folder"] is None
    assert (
        send(client, "patch", f"files/{file.uuid}", {"name": None}).status_code == 422
    )


def test_a_patch_that_breaks_a_rule_changes_nothing(
    entity: Entity, staff_owner: User
) -> None:
    add(entity, staff_owner, "taken.pdf")
    file = add(entity, staff_owner, "concept.pdf")
    response = send(
        token_client(staff_owner),
        "patch",
        f"files/{file.uuid}",
        {"limited": True, "name": "TAKEN.pdf"},
    )
    assert response.status_code == 409
    file.refresh_from_db()
    assert (file.name, file.limited) == ("concept.pdf", False)


def test_the_trash_through_the_api(
    entity: Entity, staff_owner: User, staff_editor: User
) -> None:
    file = add(entity, staff_owner)
    editor = token_client(staff_editor)
    assert send(editor, "delete", f"files/{file.uuid}").status_code == 204
    assert send(editor, "get", f"files/{file.uuid}").status_code == 404
    assert send(editor, "post", f"files/{file.uuid}/restore").status_code == 403
    owner = token_client(staff_owner)
    trash = send(owner, "get", f"entities/{entity.uuid}/trash").json()
    assert [item["name"] for item in trash["items"]] == ["jaarrekening.pdf"]
    assert trash["items"][0]["deleted_by"]["email"] == staff_editor.email
    assert send(owner, "post", f"files/{file.uuid}/restore").status_code == 200
    send(owner, "delete", f"files/{file.uuid}")
    emptied = send(owner, "delete", f"entities/{entity.uuid}/trash")
    assert emptied.json() == {"removed": 1, "kept": 0}
    assert not File.objects.exists()


def test_folders_through_the_api(entity: Entity, staff_owner: User) -> None:
    client = token_client(staff_owner)
    path = f"entities/{entity.uuid}/folders"
    year = send(client, "post", path, {"name": "2025"})
    assert year.status_code == 201
    quarter = send(client, "post", path, {"name": "Q1", "parent": year.json()["uuid"]})
    assert quarter.json()["parent"]["name"] == "2025"
    assert send(client, "post", path, {"name": "2025"}).status_code == 409
    cycle = send(
        client,
        "patch",
        f"folders/{year.json()['uuid']}",
        {"parent": quarter.json()["uuid"]},
    )
    assert cycle.status_code == 422
    moved = send(
        client,
        "patch",
        f"folders/{quarter.json()['uuid']}",
        {"parent": None, "name": "Kwartaal 1"},
    )
    assert (moved.json()["parent"], moved.json()["name"]) == (None, "Kwartaal 1")
    assert send(client, "delete", f"folders/{year.json()['uuid']}").status_code == 204
    assert send(client, "get", f"folders/{year.json()['uuid']}").status_code == 404
    restored = send(client, "post", f"folders/{year.json()['uuid']}/restore")
    assert restored.status_code == 200
    assert Folder.objects.filter(deleted_at__isnull=True).count() == 2


def test_sharing_a_limited_file(
    entity: Entity, staff_owner: User, contact: User, outsider: User
) -> None:
    file = add(entity, staff_owner, limited=True)
    client = token_client(staff_owner)
    path = f"files/{file.uuid}/shared-with"
    shared = send(client, "put", path, {"people": [str(contact.uuid)]})
    assert shared.status_code == 200
    assert [p["email"] for p in shared.json()["shared_with"]] == [contact.email]
    refused = send(client, "put", path, {"people": [str(outsider.uuid)]})
    assert refused.status_code == 422
    assert list(file.shared_with.all()) == [contact]


# Downloads.


def test_a_download_through_the_api_is_recorded(
    entity: Entity, staff_owner: User, staff_reader: User
) -> None:
    name = "Notulen – ÄLV 2025.pdf"
    file = add(entity, staff_owner, name, pdf("n"))
    first = file.versions.get()
    actions.add_version(file, actor=staff_owner, blob=stored(pdf("2")))
    client = token_client(staff_reader)
    response = send(client, "get", f"files/{file.uuid}/download")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf("2")  # type: ignore[attr-defined]
    assert quote(name) in response["Content-Disposition"]
    older = send(client, "get", f"files/{file.uuid}/versions/{first.uuid}/download")
    assert b"".join(older.streaming_content) == pdf("n")  # type: ignore[attr-defined]
    events = Event.objects.filter(verb=Event.Verb.FILE_DOWNLOADED).order_by("id")
    assert [(e.actor, e.data["version"]) for e in events] == [
        (staff_reader, 2),
        (staff_reader, 1),
    ]


def test_a_version_being_scanned_is_refused_with_a_reason(
    entity: Entity, staff_owner: User
) -> None:
    file = add(entity, staff_owner)
    FileVersion.objects.filter(file=file).update(scan=FileVersion.Scan.PENDING)
    response = send(token_client(staff_owner), "get", f"files/{file.uuid}/download")
    assert response.status_code == 403
    assert "scanned" in response.json()["detail"]
    assert not Event.objects.filter(verb=Event.Verb.FILE_DOWNLOADED).exists()


def test_a_limited_file_is_invisible_to_other_callers(
    entity: Entity, staff_owner: User, staff_reader: User
) -> None:
    file = add(entity, staff_owner, limited=True)
    client = token_client(staff_reader)
    assert send(client, "get", f"files/{file.uuid}").status_code == 404
    assert send(client, "get", f"files/{file.uuid}/download").status_code == 404
    listed = send(client, "get", f"entities/{entity.uuid}/files").json()
    assert listed["count"] == 0
