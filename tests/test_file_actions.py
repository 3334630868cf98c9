"""The business rules of loket/files/actions/, on the actions themselves:
names and clashes, versions, the trash, limits and sharing, folders."""

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from loket.accounts.models import User
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.files import actions, scanning
from loket.files.actions import files as file_actions
from loket.files.models import File, FileVersion, Folder, Upload
from loket.requests.models import Request, RequestFile
from tests.files_support import (
    PDF,
    add,
    blob_exists,
    finished_upload,
    partial_exists,
    pdf,
    stored,
)

pytestmark = pytest.mark.django_db

CaptureCommits = Callable[..., Any]


def _events(verb: Event.Verb) -> list[Event]:
    return list(Event.objects.filter(verb=verb).order_by("id"))


def _names(entity: Entity, folder: Folder | None = None) -> list[str]:
    files = File.objects.present().filter(entity=entity, folder=folder)
    return sorted(files.values_list("name", flat=True))


@pytest.fixture
def scanned(monkeypatch: pytest.MonkeyPatch) -> list[FileVersion]:
    """The versions handed to the virus scanner."""
    seen: list[FileVersion] = []
    monkeypatch.setattr(scanning, "scan_later", seen.append)
    return seen


# Adding a file.


def test_adding_a_file_makes_the_file_its_first_version_and_an_event(
    entity: Entity, staff_owner: User, scanned: list[FileVersion]
) -> None:
    blob = stored(PDF, "jaarrekening.pdf")
    version = actions.add_file(
        entity, actor=staff_owner, blob=blob, name="jaarrekening.pdf"
    )
    file = version.file
    assert (file.name, file.entity, file.folder, file.created_by) == (
        "jaarrekening.pdf",
        entity,
        None,
        staff_owner,
    )
    assert file.current_version == version
    assert (version.number, version.size, version.blob) == (1, len(PDF), blob.blob)
    assert version.sha256 == hashlib.sha256(PDF).hexdigest()
    assert version.content_type == "application/pdf"
    assert version.uploaded_by == staff_owner
    assert blob_exists(version)
    assert scanned == [version]
    (event,) = _events(Event.Verb.FILE_UPLOADED)
    assert event.entity == entity
    assert event.target_id == str(file.uuid)
    assert event.data["name"] == "jaarrekening.pdf"
    assert event.data["version"] == 1
    assert event.data["size"] == len(PDF)
    assert event.data["sha256"] == version.sha256


def test_a_name_is_cleaned_of_path_parts_and_control_characters(
    entity: Entity, staff_owner: User
) -> None:
    version = actions.add_file(
        entity,
        actor=staff_owner,
        blob=stored(),
        name="../../etc/\x07bel\x1b\u202eastingfdp.pdf",
    )
    assert version.file.name == "belastingfdp.pdf"
    assert version.original_name == "belastingfdp.pdf"


def test_a_name_of_nothing_but_dots_and_slashes_is_refused(
    entity: Entity, staff_owner: User
) -> None:
    with pytest.raises(ValidationError):
        actions.add_file(entity, actor=staff_owner, blob=stored(), name="../ . /..")
    assert not File.objects.exists()


def test_a_clash_asks_by_default_and_changes_nothing(
    entity: Entity, staff_owner: User
) -> None:
    first = add(entity, staff_owner, "Jaarrekening.pdf")
    with pytest.raises(actions.NameClash) as raised:
        actions.add_file(
            entity, actor=staff_owner, blob=stored(pdf("2")), name="jaarrekening.PDF"
        )
    assert raised.value.file == first
    assert "Jaarrekening.pdf" in raised.value.messages[0]
    assert File.objects.count() == 1
    assert FileVersion.objects.count() == 1
    assert len(_events(Event.Verb.FILE_UPLOADED)) == 1


def test_a_clash_answered_with_version_adds_a_version(
    entity: Entity, staff_owner: User, contact: User
) -> None:
    first = add(entity, staff_owner, "jaarrekening.pdf")
    version = actions.add_file(
        entity,
        actor=contact,
        blob=stored(pdf("2")),
        name="JAARREKENING.pdf",
        on_clash="version",
    )
    assert version.file == first
    assert version.number == 2
    assert version.original_name == "JAARREKENING.pdf"
    first.refresh_from_db()
    assert first.name == "jaarrekening.pdf"
    assert first.current_version == version
    assert File.objects.count() == 1
    (event,) = _events(Event.Verb.FILE_VERSION_ADDED)
    assert (event.data["version"], event.actor) == (2, contact)


def test_a_clash_answered_with_copy_keeps_both_with_the_next_free_number(
    entity: Entity, staff_owner: User
) -> None:
    add(entity, staff_owner, "scan.pdf")
    names = [
        actions.add_file(
            entity,
            actor=staff_owner,
            blob=stored(pdf(str(n))),
            name=name,
            on_clash="copy",
        ).file.name
        for n, name in enumerate(["scan.pdf", "scan.pdf", "scan (2).pdf", "SCAN.pdf"])
    ]
    assert names == ["scan (2).pdf", "scan (3).pdf", "scan (4).pdf", "SCAN (5).pdf"]
    assert _names(entity) == sorted(
        ["scan.pdf", "scan (2).pdf", "scan (3).pdf", "scan (4).pdf", "SCAN (5).pdf"]
    )


@pytest.mark.parametrize(
    ("taken", "name", "expected"),
    [
        ([], "a.pdf", "a.pdf"),
        (["a.pdf"], "a.pdf", "a (2).pdf"),
        (["a.pdf", "a (2).pdf"], "a.pdf", "a (3).pdf"),
        (["a.pdf", "a (3).pdf"], "a.pdf", "a (2).pdf"),
        (["a (2).pdf"], "a (2).pdf", "a (3).pdf"),
        (["README"], "readme", "readme (2)"),
        ([".env"], ".env", ".env (2)"),
        (["archief.tar.gz"], "archief.tar.gz", "archief.tar (2).gz"),
    ],
)
def test_free_name(taken: list[str], name: str, expected: str) -> None:
    assert actions.free_name(taken, name) == expected


def test_an_unknown_clash_answer_is_refused(entity: Entity, staff_owner: User) -> None:
    with pytest.raises(ValidationError):
        actions.add_file(
            entity, actor=staff_owner, blob=stored(), name="a.pdf", on_clash="overwrite"
        )
    assert not File.objects.exists()


def test_names_clash_only_among_present_files_of_one_folder(
    entity: Entity, other_entity: Entity, staff_owner: User
) -> None:
    folder = actions.create_folder(entity, actor=staff_owner, name="2025")
    trashed = add(entity, staff_owner, "a.pdf")
    actions.delete_file(trashed, actor=staff_owner)
    add(entity, staff_owner, "a.pdf")
    add(entity, staff_owner, "a.pdf", folder=folder)
    add(other_entity, staff_owner, "a.pdf")
    assert File.objects.filter(name="a.pdf").count() == 4


def test_a_folder_of_another_entity_or_in_the_trash_is_refused(
    entity: Entity, other_entity: Entity, staff_owner: User
) -> None:
    elsewhere = actions.create_folder(other_entity, actor=staff_owner, name="X")
    trashed = actions.create_folder(entity, actor=staff_owner, name="Y")
    actions.delete_folder(trashed, actor=staff_owner)
    for folder in (elsewhere, trashed):
        with pytest.raises(ValidationError):
            actions.add_file(
                entity, actor=staff_owner, blob=stored(), name="a.pdf", folder=folder
            )
    assert not File.objects.exists()


# Adding a finished resumable upload.


def test_an_upload_becomes_a_file_and_goes(
    entity: Entity,
    contact: User,
    django_capture_on_commit_callbacks: CaptureCommits,
) -> None:
    upload = finished_upload(contact, entity, pdf("u"), "../Loonstrook\x1b maart.pdf")
    with django_capture_on_commit_callbacks(execute=True):
        version = actions.add_upload(entity, actor=contact, upload=upload)
    assert version.file.name == "Loonstrook maart.pdf"
    assert version.sha256 == hashlib.sha256(pdf("u")).hexdigest()
    assert blob_exists(version)
    assert not Upload.objects.exists()
    assert not partial_exists(upload)
    assert len(_events(Event.Verb.FILE_UPLOADED)) == 1


def test_an_upload_that_clashes_stays_to_be_answered(
    entity: Entity,
    contact: User,
    django_capture_on_commit_callbacks: CaptureCommits,
) -> None:
    first = add(entity, contact, "scan.pdf")
    upload = finished_upload(contact, entity, pdf("2"), "scan.pdf")
    with pytest.raises(actions.NameClash):
        actions.add_upload(entity, actor=contact, upload=upload)
    assert Upload.objects.filter(pk=upload.pk).exists()
    assert partial_exists(upload)
    with django_capture_on_commit_callbacks(execute=True):
        version = actions.add_upload(
            entity, actor=contact, upload=upload, on_clash="version"
        )
    assert (version.file, version.number) == (first, 2)
    assert not Upload.objects.exists()


def test_an_upload_for_another_entity_or_unfinished_is_refused(
    entity: Entity, other_entity: Entity, contact: User
) -> None:
    elsewhere = finished_upload(contact, other_entity)
    unfinished = finished_upload(contact, entity)
    Upload.objects.filter(pk=unfinished.pk).update(completed_at=None)
    unfinished.refresh_from_db()
    for upload in (elsewhere, unfinished):
        with pytest.raises(ValidationError):
            actions.add_upload(entity, actor=contact, upload=upload)
    assert Upload.objects.count() == 2
    assert not File.objects.exists()


def test_a_failure_after_taking_the_upload_leaves_no_blob(
    entity: Entity, contact: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    upload = finished_upload(contact, entity)
    created: list[str] = []
    original = file_actions._new_version

    def failing(*args: Any, **kwargs: Any) -> FileVersion:
        created.append(kwargs["blob"].blob)
        raise IntegrityError("simulated")

    monkeypatch.setattr(file_actions, "_new_version", failing)
    with pytest.raises(IntegrityError):
        actions.add_upload(entity, actor=contact, upload=upload)
    monkeypatch.setattr(file_actions, "_new_version", original)
    assert created
    assert not blob_exists(created[0])
    assert not File.objects.exists()
    assert partial_exists(upload)


# Versions.


def test_versions_are_numbered_in_order(entity: Entity, staff_owner: User) -> None:
    file = add(entity, staff_owner)
    numbers = [
        actions.add_version(file, actor=staff_owner, blob=stored(pdf(str(n)))).number
        for n in range(3)
    ]
    assert numbers == [2, 3, 4]
    file.refresh_from_db()
    assert file.current_version is not None
    assert file.current_version.number == 4
    assert file.name == "jaarrekening.pdf"
    events = _events(Event.Verb.FILE_VERSION_ADDED)
    assert [event.data["version"] for event in events] == [2, 3, 4]


def test_a_version_from_an_upload_keeps_the_file_name(
    entity: Entity,
    contact: User,
    django_capture_on_commit_callbacks: CaptureCommits,
) -> None:
    file = add(entity, contact, "begroting.xlsx", pdf("1"))
    upload = finished_upload(contact, entity, pdf("2"), "begroting-v2.pdf")
    with django_capture_on_commit_callbacks(execute=True):
        version = actions.add_version_from_upload(file, actor=contact, upload=upload)
    assert (version.number, version.original_name) == (2, "begroting-v2.pdf")
    file.refresh_from_db()
    assert (file.name, file.current_version) == ("begroting.xlsx", version)
    assert not Upload.objects.exists()
    assert not partial_exists(upload)


def test_a_trashed_file_takes_no_new_version(entity: Entity, staff_owner: User) -> None:
    file = add(entity, staff_owner)
    actions.delete_file(file, actor=staff_owner)
    with pytest.raises(ValidationError):
        actions.add_version(file, actor=staff_owner, blob=stored(pdf("2")))
    assert file.versions.count() == 1


def test_restoring_a_version_points_a_new_version_at_the_old_blob(
    entity: Entity, staff_owner: User, staff_reader: User
) -> None:
    file = add(entity, staff_owner, content=pdf("1"))
    first = file.versions.get()
    actions.add_version(file, actor=staff_owner, blob=stored(pdf("2")))
    restored = actions.restore_version(first, actor=staff_owner)
    assert restored.number == 3
    assert restored.restored_from == first
    assert (restored.blob, restored.sha256, restored.size) == (
        first.blob,
        first.sha256,
        first.size,
    )
    file.refresh_from_db()
    assert file.current_version == restored
    (event,) = _events(Event.Verb.FILE_VERSION_RESTORED)
    assert (event.data["version"], event.data["restored_from"]) == (3, 1)


def test_the_current_or_an_infected_version_is_not_restored(
    entity: Entity, staff_owner: User
) -> None:
    file = add(entity, staff_owner)
    first = file.versions.get()
    with pytest.raises(ValidationError):
        actions.restore_version(first, actor=staff_owner)
    actions.add_version(file, actor=staff_owner, blob=stored(pdf("2")))
    FileVersion.objects.filter(pk=first.pk).update(scan=FileVersion.Scan.INFECTED)
    first.refresh_from_db()
    with pytest.raises(ValidationError):
        actions.restore_version(first, actor=staff_owner)
    assert file.versions.count() == 2


# Renaming and moving.


def test_renaming_records_old_and_new_names(entity: Entity, staff_owner: User) -> None:
    file = add(entity, staff_owner, "concept.pdf")
    actions.rename_file(file, actor=staff_owner, name="../definitief\t.pdf ")
    file.refresh_from_db()
    assert file.name == "definitief .pdf"
    (event,) = _events(Event.Verb.FILE_RENAMED)
    assert event.data == {"old": "concept.pdf", "new": "definitief .pdf"}


def test_renaming_onto_another_files_name_is_refused_but_case_may_change(
    entity: Entity, staff_owner: User
) -> None:
    add(entity, staff_owner, "a.pdf")
    file = add(entity, staff_owner, "b.pdf")
    with pytest.raises(ValidationError):
        actions.rename_file(file, actor=staff_owner, name="A.PDF")
    actions.rename_file(file, actor=staff_owner, name="B.pdf")
    file.refresh_from_db()
    assert file.name == "B.pdf"
    assert _names(entity) == ["B.pdf", "a.pdf"]


def test_moving_a_file_within_its_entity(
    entity: Entity, other_entity: Entity, staff_owner: User
) -> None:
    folder = actions.create_folder(entity, actor=staff_owner, name="2025")
    elsewhere = actions.create_folder(other_entity, actor=staff_owner, name="2025")
    file = add(entity, staff_owner, "a.pdf")
    with pytest.raises(ValidationError):
        actions.move_file(file, actor=staff_owner, folder=elsewhere)
    actions.move_file(file, actor=staff_owner, folder=folder)
    file.refresh_from_db()
    assert file.folder == folder
    (event,) = _events(Event.Verb.FILE_MOVED)
    assert event.data["from"] is None
    assert (event.data["to"], event.data["to_uuid"]) == ("2025", str(folder.uuid))


def test_moving_onto_a_taken_name_is_refused(entity: Entity, staff_owner: User) -> None:
    folder = actions.create_folder(entity, actor=staff_owner, name="2025")
    add(entity, staff_owner, "a.pdf", folder=folder)
    file = add(entity, staff_owner, "a.pdf")
    with pytest.raises(ValidationError):
        actions.move_file(file, actor=staff_owner, folder=folder)
    file.refresh_from_db()
    assert file.folder is None


# The trash.


def test_deleting_sends_a_file_to_the_trash(entity: Entity, staff_owner: User) -> None:
    file = add(entity, staff_owner)
    actions.delete_file(file, actor=staff_owner)
    file.refresh_from_db()
    assert file.deleted_at is not None
    assert file.deleted_by == staff_owner
    assert blob_exists(file.versions.get())
    assert len(_events(Event.Verb.FILE_DELETED)) == 1
    with pytest.raises(ValidationError):
        actions.delete_file(file, actor=staff_owner)


def test_restoring_a_file_whose_name_was_taken_meanwhile_keeps_both(
    entity: Entity, staff_owner: User
) -> None:
    file = add(entity, staff_owner, "a.pdf")
    actions.delete_file(file, actor=staff_owner)
    add(entity, staff_owner, "a.pdf")
    actions.restore_file(file, actor=staff_owner)
    file.refresh_from_db()
    assert (file.name, file.deleted_at, file.deleted_by) == ("a (2).pdf", None, None)
    (event,) = _events(Event.Verb.FILE_RESTORED)
    assert event.data["renamed_from"] == "a.pdf"


def test_restoring_a_file_whose_folder_is_in_the_trash_puts_it_above(
    entity: Entity, staff_owner: User
) -> None:
    outer = actions.create_folder(entity, actor=staff_owner, name="outer")
    inner = actions.create_folder(entity, actor=staff_owner, name="inner", parent=outer)
    file = add(entity, staff_owner, folder=inner)
    actions.delete_file(file, actor=staff_owner)
    actions.delete_folder(inner, actor=staff_owner)
    file.refresh_from_db()
    actions.restore_file(file, actor=staff_owner)
    file.refresh_from_db()
    assert file.folder == outer
    assert file.deleted_at is None


def test_purging_removes_the_rows_and_the_blob_after_the_commit_but_not_the_history(
    entity: Entity,
    staff_owner: User,
    django_capture_on_commit_callbacks: CaptureCommits,
) -> None:
    file = add(entity, staff_owner, content=pdf("1"))
    first = file.versions.get()
    second = actions.add_version(file, actor=staff_owner, blob=stored(pdf("2")))
    actions.restore_version(first, actor=staff_owner)
    actions.delete_file(file, actor=staff_owner)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        actions.purge_file(file, actor=staff_owner)
        assert blob_exists(first)
        assert blob_exists(second)
    assert not File.objects.exists()
    assert not FileVersion.objects.exists()
    for callback in callbacks:
        callback()
    assert not blob_exists(first)
    assert not blob_exists(second)
    (event,) = _events(Event.Verb.FILE_PURGED)
    assert event.data == {"name": "jaarrekening.pdf", "versions": 3}
    assert len(_events(Event.Verb.FILE_UPLOADED)) == 1


def test_a_blob_still_used_by_another_version_is_kept(
    entity: Entity,
    staff_owner: User,
    django_capture_on_commit_callbacks: CaptureCommits,
) -> None:
    file = add(entity, staff_owner, "a.pdf")
    other = add(entity, staff_owner, "b.pdf")
    shared = file.versions.get().blob
    FileVersion.objects.filter(file=other).update(blob=shared)
    actions.delete_file(file, actor=staff_owner)
    with django_capture_on_commit_callbacks(execute=True):
        actions.purge_file(file, actor=staff_owner)
    assert blob_exists(shared)


def test_only_a_trashed_file_is_purged(entity: Entity, staff_owner: User) -> None:
    file = add(entity, staff_owner)
    with pytest.raises(ValidationError):
        actions.purge_file(file, actor=staff_owner)
    assert File.objects.filter(pk=file.pk).exists()


def test_a_file_attached_to_a_request_stays_in_the_trash(
    entity: Entity,
    staff_owner: User,
    django_capture_on_commit_callbacks: CaptureCommits,
) -> None:
    file = add(entity, staff_owner)
    request = Request.objects.create(
        entity=entity, subject="Jaarstukken", created_by=staff_owner
    )
    RequestFile.objects.create(
        request=request,
        file=file,
        role=RequestFile.Role.ATTACHMENT,
        added_by=staff_owner,
    )
    actions.delete_file(file, actor=staff_owner)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(ValidationError):
            actions.purge_file(file, actor=staff_owner)
        assert actions.empty_trash(entity, actor=staff_owner) == (0, 1)
    file.refresh_from_db()
    assert file.current_version is not None
    assert blob_exists(file.current_version)
    assert not _events(Event.Verb.FILE_PURGED)


def test_emptying_the_trash_removes_trashed_files_and_folders_only(
    entity: Entity,
    other_entity: Entity,
    staff_owner: User,
    django_capture_on_commit_callbacks: CaptureCommits,
) -> None:
    kept = add(entity, staff_owner, "kept.pdf")
    elsewhere = add(other_entity, staff_owner, "elsewhere.pdf")
    actions.delete_file(elsewhere, actor=staff_owner)
    folder = actions.create_folder(entity, actor=staff_owner, name="oud")
    inner = actions.create_folder(
        entity, actor=staff_owner, name="ouder", parent=folder
    )
    gone = [
        add(entity, staff_owner, "a.pdf", folder=folder),
        add(entity, staff_owner, "b.pdf", folder=inner),
        add(entity, staff_owner, "c.pdf"),
    ]
    actions.delete_file(gone[2], actor=staff_owner)
    actions.delete_folder(folder, actor=staff_owner)
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.empty_trash(entity, actor=staff_owner) == (3, 0)
    assert list(File.objects.filter(entity=entity)) == [kept]
    assert not Folder.objects.filter(entity=entity).exists()
    assert File.objects.filter(pk=elsewhere.pk).exists()
    assert len(_events(Event.Verb.FILE_PURGED)) == 3
    purged_folders = [
        event
        for event in _events(Event.Verb.FOLDER_DELETED)
        if event.data.get("for_good")
    ]
    assert len(purged_folders) == 2


def test_the_trash_lists_what_was_deleted_on_its_own(
    entity: Entity, staff_owner: User
) -> None:
    folder = actions.create_folder(entity, actor=staff_owner, name="oud")
    inner = actions.create_folder(
        entity, actor=staff_owner, name="ouder", parent=folder
    )
    add(entity, staff_owner, "with-folder.pdf", folder=inner)
    alone = add(entity, staff_owner, "alone.pdf", folder=inner)
    actions.delete_file(alone, actor=staff_owner)
    loose = add(entity, staff_owner, "loose.pdf")
    actions.delete_file(loose, actor=staff_owner)
    actions.delete_folder(folder, actor=staff_owner)
    folders, files = actions.trash_of(entity)
    assert [f.name for f in folders] == ["oud"]
    assert sorted(f.name for f in files) == ["alone.pdf", "loose.pdf"]


# Limits and sharing.


def test_limiting_records_an_event_once(entity: Entity, contact: User) -> None:
    file = add(entity, contact)
    actions.set_limited(file, actor=contact, limited=True)
    actions.set_limited(file, actor=contact, limited=True)
    file.refresh_from_db()
    assert file.limited is True
    (event,) = _events(Event.Verb.FILE_LIMITED)
    assert event.data["limited"] is True


def test_sharing_replaces_the_list_and_records_who_was_added_and_removed(
    entity: Entity,
    staff_owner: User,
    staff_reader: User,
    contact: User,
    viewer_contact: User,
) -> None:
    file = add(entity, staff_owner, limited=True)
    actions.share_file(file, actor=staff_owner, users=[staff_reader, contact])
    actions.share_file(file, actor=staff_owner, users=[contact, viewer_contact])
    assert set(file.shared_with.all()) == {contact, viewer_contact}
    first, second = _events(Event.Verb.FILE_SHARED)
    assert first.data["added"] == sorted([staff_reader.email, contact.email])
    assert second.data["added"] == [viewer_contact.email]
    assert second.data["removed"] == [staff_reader.email]


def test_sharing_with_someone_who_cannot_see_the_files_is_refused(
    entity: Entity, staff_owner: User, outsider: User, staff_member: User
) -> None:
    file = add(entity, staff_owner, limited=True)
    for person in (outsider, staff_member):
        with pytest.raises(ValidationError):
            actions.share_file(file, actor=staff_owner, users=[person])
    assert not file.shared_with.exists()
    assert not _events(Event.Verb.FILE_SHARED)


def test_a_download_is_recorded_with_its_version(
    entity: Entity, staff_owner: User, viewer_contact: User
) -> None:
    file = add(entity, staff_owner)
    version = actions.add_version(file, actor=staff_owner, blob=stored(pdf("2")))
    actions.record_download(version, actor=viewer_contact)
    (event,) = _events(Event.Verb.FILE_DOWNLOADED)
    assert event.actor == viewer_contact
    assert event.entity == entity
    assert (event.data["version"], event.data["sha256"]) == (2, version.sha256)


# Folders.


def test_sibling_folders_have_different_names(
    entity: Entity, staff_owner: User
) -> None:
    year = actions.create_folder(entity, actor=staff_owner, name="2025")
    with pytest.raises(ValidationError):
        actions.create_folder(entity, actor=staff_owner, name="2025")
    actions.create_folder(entity, actor=staff_owner, name="2025", parent=year)
    other = actions.create_folder(entity, actor=staff_owner, name="2024")
    with pytest.raises(ValidationError):
        actions.rename_folder(other, actor=staff_owner, name="2025")
    actions.rename_folder(other, actor=staff_owner, name="Archief/2023\x00")
    other.refresh_from_db()
    assert other.name == "2023"
    assert Folder.objects.count() == 3
    (event,) = _events(Event.Verb.FOLDER_RENAMED)
    assert event.data == {"old": "2024", "new": "2023"}


def test_a_folder_cannot_move_into_itself_or_below(
    entity: Entity, staff_owner: User
) -> None:
    top = actions.create_folder(entity, actor=staff_owner, name="top")
    middle = actions.create_folder(entity, actor=staff_owner, name="middle", parent=top)
    low = actions.create_folder(entity, actor=staff_owner, name="low", parent=middle)
    for target in (top, middle, low):
        with pytest.raises(ValidationError):
            actions.move_folder(top, actor=staff_owner, parent=target)
    actions.move_folder(low, actor=staff_owner, parent=None)
    low.refresh_from_db()
    assert low.parent is None
    (event,) = _events(Event.Verb.FOLDER_MOVED)
    assert (event.data["from"], event.data["to"]) == ("middle", None)


def test_deleting_a_folder_sends_its_content_to_the_trash_and_restoring_brings_it_back(
    entity: Entity, staff_owner: User
) -> None:
    top = actions.create_folder(entity, actor=staff_owner, name="top")
    inner = actions.create_folder(entity, actor=staff_owner, name="inner", parent=top)
    went_with = [
        add(entity, staff_owner, "a.pdf", folder=top),
        add(entity, staff_owner, "b.pdf", folder=inner),
    ]
    earlier = add(entity, staff_owner, "earlier.pdf", folder=inner)
    actions.delete_file(earlier, actor=staff_owner)
    outside = add(entity, staff_owner, "outside.pdf")
    actions.delete_folder(top, actor=staff_owner)
    assert not Folder.objects.filter(deleted_at__isnull=True).exists()
    assert list(File.objects.present()) == [outside]
    (event,) = _events(Event.Verb.FOLDER_DELETED)
    assert (event.data["files"], event.data["folders"]) == (2, 1)

    add(entity, staff_owner, "placeholder.pdf")
    actions.create_folder(entity, actor=staff_owner, name="top")
    actions.restore_folder(top, actor=staff_owner)
    top.refresh_from_db()
    assert top.name == "top (2)"
    assert top.deleted_at is None
    assert set(File.objects.present().filter(folder__in=[top, inner])) == set(went_with)
    earlier.refresh_from_db()
    assert earlier.deleted_at is not None
    (restored,) = _events(Event.Verb.FOLDER_RESTORED)
    assert restored.data["renamed_from"] == "top"
    assert restored.data["files"] == 2
