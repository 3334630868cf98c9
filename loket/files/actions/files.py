"""Changing an entity's files and their versions."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from loket import access
from loket.accounts.models import User
from loket.audit.actions import record
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.files import scanning, storage, uploads
from loket.files.actions.naming import (
    NameClash,
    check_folder,
    check_on_clash,
    find_clash,
    folder_data,
    free_file_name,
    present_ancestor,
)
from loket.files.models import File, FileVersion, Folder, Upload


def _version_data(version: FileVersion) -> dict[str, Any]:
    return {
        "version": version.number,
        "size": version.size,
        "sha256": version.sha256,
        "content_type": version.content_type,
    }


def _new_version(
    file: File,
    *,
    actor: User,
    blob: storage.StoredBlob,
    name: str,
    number: int,
) -> FileVersion:
    version = FileVersion.objects.create(
        file=file,
        number=number,
        blob=blob.blob,
        original_name=name,
        size=blob.size,
        content_type=blob.content_type,
        sha256=blob.sha256,
        uploaded_by=actor,
    )
    file.current_version = version
    file.save(update_fields=["current_version", "updated_at"])
    return version


@transaction.atomic
def add_file(
    entity: Entity,
    *,
    actor: User,
    blob: storage.StoredBlob,
    name: str,
    folder: Folder | None = None,
    limited: bool = False,
    on_clash: str = "ask",
) -> FileVersion:
    """Add a stored blob to the entity as a file named `name` (cleaned) in
    `folder`. If a present file of that name is there already: "ask" raises
    NameClash, "version" adds the blob as its new version, "copy" adds a new
    file named "name (2).ext" (or the next free number)."""
    check_on_clash(on_clash)
    check_folder(entity, folder)
    name = uploads.clean_filename(name)
    clash = find_clash(entity, folder, name)
    if clash is not None:
        if on_clash == "ask":
            raise NameClash(clash)
        if on_clash == "version":
            return add_version(clash, actor=actor, blob=blob, name=name)
        name = free_file_name(entity, folder, name)
    file = File.objects.create(
        entity=entity, folder=folder, name=name, limited=limited, created_by=actor
    )
    version = _new_version(file, actor=actor, blob=blob, name=name, number=1)
    record(
        Event.Verb.FILE_UPLOADED,
        actor=actor,
        target=file,
        entity=entity,
        data={"name": name, "limited": limited}
        | folder_data("folder", folder)
        | _version_data(version),
    )
    scanning.scan_later(version)
    return version


def add_upload(
    entity: Entity,
    *,
    actor: User,
    upload: Upload,
    folder: Folder | None = None,
    limited: bool = False,
    on_clash: str = "ask",
) -> FileVersion:
    """Turn a complete resumable upload into a file (see add_file); the Upload
    row goes. On a refusal (a clash to ask about, a bad folder) nothing is taken:
    the upload stays, so the user can answer and commit it again."""
    _check_upload(entity, upload)
    check_on_clash(on_clash)
    check_folder(entity, folder)
    name = uploads.clean_filename(upload.filename)
    if on_clash == "ask":
        clash = find_clash(entity, folder, name)
        if clash is not None:
            raise NameClash(clash)
    return _add_from_upload(
        entity,
        actor=actor,
        upload=upload,
        name=name,
        folder=folder,
        limited=limited,
        on_clash=on_clash,
    )


def _check_upload(entity: Entity, upload: Upload) -> None:
    if upload.entity_id != entity.pk:
        raise ValidationError(
            _("This upload was made for another entity."), code="invalid_upload"
        )
    if not upload.is_complete:
        raise ValidationError(
            _("This upload has not finished yet."), code="upload_incomplete"
        )


def _stored(upload: Upload) -> storage.StoredBlob:
    """The upload's bytes as a blob; if what follows fails, the blob goes too."""
    blob = storage.take_upload(upload)
    upload.delete()
    return blob


@transaction.atomic
def _add_from_upload(
    entity: Entity,
    *,
    actor: User,
    upload: Upload,
    name: str,
    folder: Folder | None,
    limited: bool,
    on_clash: str,
) -> FileVersion:
    blob = _stored(upload)
    try:
        with transaction.atomic():
            return add_file(
                entity,
                actor=actor,
                blob=blob,
                name=name,
                folder=folder,
                limited=limited,
                on_clash=on_clash,
            )
    except Exception:
        storage.delete_blob(blob.blob)
        raise


@transaction.atomic
def add_version(
    file: File,
    *,
    actor: User,
    blob: storage.StoredBlob,
    name: str | None = None,
) -> FileVersion:
    """Add `blob` as the newest version of `file`. `name` is the name the
    bytes were uploaded under (the file keeps its own name)."""
    locked = File.objects.select_for_update().get(pk=file.pk)
    if locked.deleted_at is not None:
        raise ValidationError(
            _("This file is in the trash; restore it first."), code="in_trash"
        )
    last = locked.versions.order_by("-number").values_list("number", flat=True)
    number = (last.first() or 0) + 1
    version = _new_version(
        file,
        actor=actor,
        blob=blob,
        name=uploads.clean_filename(name) if name else file.name,
        number=number,
    )
    record(
        Event.Verb.FILE_VERSION_ADDED,
        actor=actor,
        target=file,
        entity=file.entity,
        data={"name": file.name, "uploaded_as": version.original_name}
        | _version_data(version),
    )
    scanning.scan_later(version)
    return version


@transaction.atomic
def add_version_from_upload(file: File, *, actor: User, upload: Upload) -> FileVersion:
    """A complete resumable upload becomes the newest version of `file`."""
    _check_upload(file.entity, upload)
    if file.deleted_at is not None:
        raise ValidationError(
            _("This file is in the trash; restore it first."), code="in_trash"
        )
    name = upload.filename
    blob = _stored(upload)
    try:
        with transaction.atomic():
            return add_version(file, actor=actor, blob=blob, name=name)
    except Exception:
        storage.delete_blob(blob.blob)
        raise


@transaction.atomic
def restore_version(version: FileVersion, *, actor: User) -> FileVersion:
    """Make an older version current again: a new version pointing at the old
    blob (nothing is copied), with `restored_from` set."""
    file = File.objects.select_for_update().get(pk=version.file_id)
    if file.deleted_at is not None:
        raise ValidationError(
            _("This file is in the trash; restore it first."), code="in_trash"
        )
    if version.pk == file.current_version_id:
        raise ValidationError(
            _("This is already the current version."), code="current_version"
        )
    if version.scan == FileVersion.Scan.INFECTED:
        raise ValidationError(
            _("This version is infected and cannot be restored."), code="infected"
        )
    number = (file.versions.order_by("-number").values_list("number", flat=True)[0]) + 1
    restored = FileVersion.objects.create(
        file=file,
        number=number,
        blob=version.blob,
        original_name=version.original_name,
        size=version.size,
        content_type=version.content_type,
        sha256=version.sha256,
        scan=version.scan,
        uploaded_by=actor,
        restored_from=version,
    )
    file.current_version = restored
    file.save(update_fields=["current_version", "updated_at"])
    record(
        Event.Verb.FILE_VERSION_RESTORED,
        actor=actor,
        target=file,
        entity=file.entity,
        data={"name": file.name, "restored_from": version.number}
        | _version_data(restored),
    )
    return restored


@transaction.atomic
def rename_file(file: File, *, actor: User, name: str) -> File:
    new = uploads.clean_filename(name)
    old = file.name
    if new == old:
        return file
    if find_clash(file.entity, file.folder, new, exclude=file) is not None:
        raise ValidationError(
            _("A file named “%(name)s” is already here.") % {"name": new},
            code="duplicate_name",
        )
    file.name = new
    file.save(update_fields=["name", "updated_at"])
    record(
        Event.Verb.FILE_RENAMED,
        actor=actor,
        target=file,
        entity=file.entity,
        data={"old": old, "new": new},
    )
    return file


@transaction.atomic
def move_file(file: File, *, actor: User, folder: Folder | None) -> File:
    """Move `file` into `folder` (None: the top) of the same entity."""
    check_folder(file.entity, folder)
    if folder == file.folder:
        return file
    if find_clash(file.entity, folder, file.name, exclude=file) is not None:
        raise ValidationError(
            _("A file named “%(name)s” is already in that folder.")
            % {"name": file.name},
            code="duplicate_name",
        )
    old = file.folder
    file.folder = folder
    file.save(update_fields=["folder", "updated_at"])
    record(
        Event.Verb.FILE_MOVED,
        actor=actor,
        target=file,
        entity=file.entity,
        data={"name": file.name} | folder_data("from", old) | folder_data("to", folder),
    )
    return file


@transaction.atomic
def delete_file(file: File, *, actor: User) -> File:
    """Move `file` to the entity's trash."""
    if file.deleted_at is not None:
        raise ValidationError(_("This file is already in the trash."), code="in_trash")
    file.deleted_at = timezone.now()
    file.deleted_by = actor
    file.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
    record(
        Event.Verb.FILE_DELETED,
        actor=actor,
        target=file,
        entity=file.entity,
        data={"name": file.name} | folder_data("folder", file.folder),
    )
    return file


@transaction.atomic
def restore_file(file: File, *, actor: User) -> File:
    """Bring `file` back from the trash: into its folder, or the nearest one
    not in the trash; a name taken there meanwhile becomes "name (2).ext"."""
    if file.deleted_at is None:
        raise ValidationError(_("This file is not in the trash."), code="not_in_trash")
    folder = present_ancestor(file.folder)
    name = file.name
    if find_clash(file.entity, folder, name, exclude=file) is not None:
        name = free_file_name(file.entity, folder, name)
    data: dict[str, Any] = {"name": name} | folder_data("folder", folder)
    if name != file.name:
        data["renamed_from"] = file.name
    file.name, file.folder = name, folder
    file.deleted_at, file.deleted_by = None, None
    file.save(
        update_fields=["name", "folder", "deleted_at", "deleted_by", "updated_at"]
    )
    record(
        Event.Verb.FILE_RESTORED,
        actor=actor,
        target=file,
        entity=file.entity,
        data=data,
    )
    return file


@transaction.atomic
def set_limited(file: File, *, actor: User, limited: bool) -> File:
    """Limit `file` to its creator, the people it is shared with and those who
    manage the entity's content — or open it to everyone who sees files."""
    if file.limited == limited:
        return file
    file.limited = limited
    file.save(update_fields=["limited", "updated_at"])
    record(
        Event.Verb.FILE_LIMITED,
        actor=actor,
        target=file,
        entity=file.entity,
        data={"name": file.name, "limited": limited},
    )
    return file


@transaction.atomic
def share_file(file: File, *, actor: User, users: Iterable[User]) -> File:
    """Share a limited file with exactly `users` (the list replaces the former
    one). Each must be able to see the entity's files."""
    wanted = {user.pk: user for user in users}
    allowed = set(
        access.people_to_share_with(file)
        .filter(pk__in=wanted)
        .values_list("pk", flat=True)
    )
    refused = sorted(user.email for pk, user in wanted.items() if pk not in allowed)
    if refused:
        raise ValidationError(
            _("%(people)s cannot see this entity's files.")
            % {"people": ", ".join(refused)},
            code="invalid_people",
        )
    before = {user.pk: user for user in file.shared_with.all()}
    added = [user for pk, user in wanted.items() if pk not in before]
    removed = [user for pk, user in before.items() if pk not in wanted]
    if not added and not removed:
        return file
    file.shared_with.set(list(wanted.values()))
    record(
        Event.Verb.FILE_SHARED,
        actor=actor,
        target=file,
        entity=file.entity,
        data={
            "name": file.name,
            "added": sorted(user.email for user in added),
            "removed": sorted(user.email for user in removed),
        },
    )
    return file


def record_download(version: FileVersion, *, actor: User) -> None:
    """Who downloaded which version, when."""
    file = version.file
    record(
        Event.Verb.FILE_DOWNLOADED,
        actor=actor,
        target=file,
        entity=file.entity,
        data={"name": file.name} | _version_data(version),
    )
