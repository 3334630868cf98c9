"""Changing an entity's files and folders. Every action writes its history event
in the same transaction; callers check the capabilities.

Names are unique among the present (not trashed) items of one folder, compared
without regard to case: a clash is refused, becomes a new version or a
"name (2).ext" copy, as the caller chooses — never a silent overwrite.
"""

import os
import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _

from loket import access
from loket.access import Capability
from loket.accounts.models import User
from loket.audit.actions import record
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.files import scanning, storage, uploads
from loket.files.models import File, FileVersion, Folder, Upload

ON_CLASH = ("ask", "version", "copy")
_NUMBERED = re.compile(r"^(?P<stem>.*) \((?P<number>\d+)\)$")


class NameClash(ValidationError):
    """A file of the same name is already in the folder; `file` is that file."""

    def __init__(self, file: File) -> None:
        super().__init__(
            _(
                "A file named “%(name)s” is already here. Add yours as a new "
                "version of it, or keep both."
            )
            % {"name": file.name},
            code="conflict",
        )
        self.file = file


# Reading.


def _folder(key: str, folder: Folder | None) -> dict[str, str | None]:
    """A folder in an event's data: its name under `key` (None: the top) and
    its uuid beside it."""
    if folder is None:
        return {key: None}
    return {key: folder.name, f"{key}_uuid": str(folder.uuid)}


def find_clash(
    entity: Entity, folder: Folder | None, name: str, *, exclude: File | None = None
) -> File | None:
    """The present file in `folder` whose name equals `name` (ignoring case)."""
    files = File.objects.present().filter(entity=entity, folder=folder)
    if exclude is not None:
        files = files.exclude(pk=exclude.pk)
    return files.filter(name__iexact=name).first()


def _folder_clash(
    entity: Entity, parent: Folder | None, name: str, *, exclude: Folder | None = None
) -> bool:
    folders = Folder.objects.filter(
        entity=entity, parent=parent, deleted_at__isnull=True, name__iexact=name
    )
    if exclude is not None:
        folders = folders.exclude(pk=exclude.pk)
    return folders.exists()


def free_name(names: Iterable[str], name: str) -> str:
    """`name`, or "stem (N).ext" with the lowest N ≥ 2 not among `names`
    (compared without regard to case)."""
    taken = {existing.casefold() for existing in names}
    if name.casefold() not in taken:
        return name
    stem, ext = os.path.splitext(name)
    numbered = _NUMBERED.match(stem)
    number = 2
    if numbered:
        stem, number = numbered["stem"], int(numbered["number"]) + 1
    while f"{stem} ({number}){ext}".casefold() in taken:
        number += 1
    return f"{stem} ({number}){ext}"


def _free_file_name(entity: Entity, folder: Folder | None, name: str) -> str:
    stem = _NUMBERED.sub(r"\g<stem>", os.path.splitext(name)[0])
    names = (
        File.objects.present()
        .filter(entity=entity, folder=folder, name__istartswith=stem)
        .values_list("name", flat=True)
    )
    return free_name(names, name)


def _free_folder_name(entity: Entity, parent: Folder | None, name: str) -> str:
    stem = _NUMBERED.sub(r"\g<stem>", name)
    names = Folder.objects.filter(
        entity=entity, parent=parent, deleted_at__isnull=True, name__istartswith=stem
    ).values_list("name", flat=True)
    return free_name(names, name)


def _check_folder(entity: Entity, folder: Folder | None) -> None:
    if folder is None:
        return
    if folder.entity_id != entity.pk:
        raise ValidationError(
            _("That folder belongs to another entity."), code="invalid_folder"
        )
    if folder.deleted_at is not None:
        raise ValidationError(_("That folder is in the trash."), code="invalid_folder")


def _check_on_clash(on_clash: str) -> None:
    if on_clash not in ON_CLASH:
        raise ValidationError(
            _("Choose a new version or keep both."), code="invalid_on_clash"
        )


def _version_data(version: FileVersion) -> dict[str, Any]:
    return {
        "version": version.number,
        "size": version.size,
        "sha256": version.sha256,
        "content_type": version.content_type,
    }


# Files and versions.


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
    _check_on_clash(on_clash)
    _check_folder(entity, folder)
    name = uploads.clean_filename(name)
    clash = find_clash(entity, folder, name)
    if clash is not None:
        if on_clash == "ask":
            raise NameClash(clash)
        if on_clash == "version":
            return add_version(clash, actor=actor, blob=blob, name=name)
        name = _free_file_name(entity, folder, name)
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
        | _folder("folder", folder)
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
    _check_on_clash(on_clash)
    _check_folder(entity, folder)
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
    _check_folder(file.entity, folder)
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
        data={"name": file.name} | _folder("from", old) | _folder("to", folder),
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
        data={"name": file.name} | _folder("folder", file.folder),
    )
    return file


def _present_ancestor(folder: Folder | None) -> Folder | None:
    """`folder`, or its nearest ancestor not in the trash (None: the top)."""
    while folder is not None and folder.deleted_at is not None:
        folder = folder.parent
    return folder


@transaction.atomic
def restore_file(file: File, *, actor: User) -> File:
    """Bring `file` back from the trash: into its folder, or the nearest one
    not in the trash; a name taken there meanwhile becomes "name (2).ext"."""
    if file.deleted_at is None:
        raise ValidationError(_("This file is not in the trash."), code="not_in_trash")
    folder = _present_ancestor(file.folder)
    name = file.name
    if find_clash(file.entity, folder, name, exclude=file) is not None:
        name = _free_file_name(file.entity, folder, name)
    data: dict[str, Any] = {"name": name} | _folder("folder", folder)
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


def _drop_unused_blobs(blobs: set[str]) -> None:
    """Delete, after the commit, the blobs no version points at any more."""
    used = set(
        FileVersion.objects.filter(blob__in=blobs).values_list("blob", flat=True)
    )
    unused = sorted(blobs - used)
    if unused:

        def drop() -> None:
            for blob in unused:
                storage.delete_blob(blob)

        transaction.on_commit(drop)


@transaction.atomic
def purge_file(file: File, *, actor: User) -> None:
    """Remove a trashed file for good: its rows go (its history stays) and,
    after the commit, the blobs no other version uses. A file something still
    points at (a request it is attached to) stays in the trash."""
    if file.deleted_at is None:
        raise ValidationError(
            _("Only a file in the trash can be removed for good."),
            code="not_in_trash",
        )
    versions = list(file.versions.values_list("number", "blob"))
    record(
        Event.Verb.FILE_PURGED,
        actor=actor,
        target=file,
        entity=file.entity,
        data={"name": file.name, "versions": len(versions)},
    )
    try:
        with transaction.atomic():
            File.objects.filter(pk=file.pk).update(current_version=None)
            file.shared_with.clear()
            file.versions.update(restored_from=None)
            FileVersion.objects.filter(file=file).delete()
            File.objects.filter(pk=file.pk).delete()
    except (ProtectedError, RestrictedError) as error:
        raise ValidationError(
            _("“%(name)s” is attached to a request, so it stays in the trash.")
            % {"name": file.name},
            code="protected",
        ) from error
    _drop_unused_blobs({blob for _number, blob in versions})


@transaction.atomic
def empty_trash(entity: Entity, *, actor: User) -> tuple[int, int]:
    """Remove every trashed file and folder of `entity` for good. Returns
    (removed, kept): files attached to a request stay."""
    removed = kept = 0
    for file in File.objects.in_trash().filter(entity=entity).order_by("pk"):
        try:
            purge_file(file, actor=actor)
        except ValidationError:
            kept += 1
        else:
            removed += 1
    # Folders go from the leaves up, as long as nothing is left in them.
    while True:
        empty = Folder.objects.filter(entity=entity, deleted_at__isnull=False).filter(
            ~Exists(Folder.objects.filter(parent=OuterRef("pk"))),
            ~Exists(File.objects.filter(folder=OuterRef("pk"))),
        )
        batch = list(empty)
        if not batch:
            break
        for folder in batch:
            record(
                Event.Verb.FOLDER_DELETED,
                actor=actor,
                target=folder,
                entity=entity,
                data={"name": folder.name, "for_good": True},
            )
        Folder.objects.filter(pk__in=[folder.pk for folder in batch]).delete()
    return removed, kept


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
        access.people_with(file.entity, Capability.FILES_VIEW)
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


# Folders.


def _descendants(folder: Folder) -> set[int]:
    """The ids of `folder` and every folder below it (one query)."""
    children: dict[int | None, list[int]] = {}
    rows = Folder.objects.filter(entity_id=folder.entity_id).values_list(
        "pk", "parent_id"
    )
    for pk, parent_id in rows:
        children.setdefault(parent_id, []).append(pk)
    found = {folder.pk}
    todo = [folder.pk]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _check_folder_name(
    entity: Entity, parent: Folder | None, name: str, exclude: Folder | None = None
) -> str:
    name = uploads.clean_filename(name)
    if _folder_clash(entity, parent, name, exclude=exclude):
        raise ValidationError(
            _("A folder named “%(name)s” is already here.") % {"name": name},
            code="duplicate_name",
        )
    return name


@transaction.atomic
def create_folder(
    entity: Entity, *, actor: User, name: str, parent: Folder | None = None
) -> Folder:
    _check_folder(entity, parent)
    name = _check_folder_name(entity, parent, name)
    folder = Folder.objects.create(
        entity=entity, parent=parent, name=name, created_by=actor
    )
    record(
        Event.Verb.FOLDER_CREATED,
        actor=actor,
        target=folder,
        entity=entity,
        data={"name": name} | _folder("parent", parent),
    )
    return folder


@transaction.atomic
def rename_folder(folder: Folder, *, actor: User, name: str) -> Folder:
    new = _check_folder_name(folder.entity, folder.parent, name, exclude=folder)
    old = folder.name
    if new == old:
        return folder
    folder.name = new
    folder.save(update_fields=["name"])
    record(
        Event.Verb.FOLDER_RENAMED,
        actor=actor,
        target=folder,
        entity=folder.entity,
        data={"old": old, "new": new},
    )
    return folder


@transaction.atomic
def move_folder(folder: Folder, *, actor: User, parent: Folder | None) -> Folder:
    """Move `folder` under `parent` (None: the top) of the same entity; never
    into itself or a folder below it."""
    _check_folder(folder.entity, parent)
    if parent == folder.parent:
        return folder
    if parent is not None and parent.pk in _descendants(folder):
        raise ValidationError(
            _("A folder cannot be moved into itself or a folder inside it."),
            code="cycle",
        )
    _check_folder_name(folder.entity, parent, folder.name, exclude=folder)
    old = folder.parent
    folder.parent = parent
    folder.save(update_fields=["parent"])
    record(
        Event.Verb.FOLDER_MOVED,
        actor=actor,
        target=folder,
        entity=folder.entity,
        data={"name": folder.name} | _folder("from", old) | _folder("to", parent),
    )
    return folder


@transaction.atomic
def delete_folder(folder: Folder, *, actor: User) -> Folder:
    """Move `folder`, the folders in it and their files to the trash, all with
    the same time, so that restoring the folder brings back what went with it."""
    if folder.deleted_at is not None:
        raise ValidationError(
            _("This folder is already in the trash."), code="in_trash"
        )
    now = timezone.now()
    inside = _descendants(folder)
    folders = Folder.objects.filter(pk__in=inside, deleted_at__isnull=True).update(
        deleted_at=now, deleted_by=actor
    )
    files = (
        File.objects.present()
        .filter(folder_id__in=inside)
        .update(deleted_at=now, deleted_by=actor, updated_at=now)
    )
    folder.deleted_at, folder.deleted_by = now, actor
    record(
        Event.Verb.FOLDER_DELETED,
        actor=actor,
        target=folder,
        entity=folder.entity,
        data={"name": folder.name, "folders": folders - 1, "files": files},
    )
    return folder


@transaction.atomic
def restore_folder(folder: Folder, *, actor: User) -> Folder:
    """Bring `folder` back with what went to the trash with it, into its parent
    or the nearest folder not in the trash; a name taken there becomes
    "name (2)"."""
    if folder.deleted_at is None:
        raise ValidationError(
            _("This folder is not in the trash."), code="not_in_trash"
        )
    when = folder.deleted_at
    parent = _present_ancestor(folder.parent)
    name = folder.name
    if _folder_clash(folder.entity, parent, name, exclude=folder):
        name = _free_folder_name(folder.entity, parent, name)
    inside = _descendants(folder)
    Folder.objects.filter(pk__in=inside, deleted_at=when).update(
        deleted_at=None, deleted_by=None
    )
    files = File.objects.filter(folder_id__in=inside, deleted_at=when).update(
        deleted_at=None, deleted_by=None, updated_at=timezone.now()
    )
    data: dict[str, Any] = {"name": name, "files": files} | _folder("parent", parent)
    if name != folder.name:
        data["renamed_from"] = folder.name
    folder.name, folder.parent = name, parent
    folder.deleted_at, folder.deleted_by = None, None
    folder.save(update_fields=["name", "parent", "deleted_at", "deleted_by"])
    record(
        Event.Verb.FOLDER_RESTORED,
        actor=actor,
        target=folder,
        entity=folder.entity,
        data=data,
    )
    return folder


def trash_of(entity: Entity) -> tuple[Any, Any]:
    """What the entity's trash shows: the folders and files deleted on their
    own (not those that went with a deleted folder around them)."""
    folders = (
        Folder.objects.filter(entity=entity, deleted_at__isnull=False)
        .exclude(parent__deleted_at=F("deleted_at"))
        .select_related("deleted_by")
    )
    files = (
        File.objects.in_trash()
        .filter(entity=entity)
        .exclude(folder__deleted_at=F("deleted_at"))
        .select_related("deleted_by", "current_version", "folder")
    )
    return folders, files
