"""The trash: removing files and folders for good."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, ProtectedError, RestrictedError
from django.utils.translation import gettext as _

from loket.accounts.models import User
from loket.audit.actions import record
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.files import storage
from loket.files.models import File, FileVersion, Folder


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
