"""Names and places of files and folders: clashes, free "name (2)" names,
which folder an item may go into."""

import os
import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from loket.entities.models import Entity
from loket.files.models import File, Folder

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


def folder_data(key: str, folder: Folder | None) -> dict[str, str | None]:
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


def folder_clash(
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


def free_file_name(entity: Entity, folder: Folder | None, name: str) -> str:
    stem = _NUMBERED.sub(r"\g<stem>", os.path.splitext(name)[0])
    names = (
        File.objects.present()
        .filter(entity=entity, folder=folder, name__istartswith=stem)
        .values_list("name", flat=True)
    )
    return free_name(names, name)


def free_folder_name(entity: Entity, parent: Folder | None, name: str) -> str:
    stem = _NUMBERED.sub(r"\g<stem>", name)
    names = Folder.objects.filter(
        entity=entity, parent=parent, deleted_at__isnull=True, name__istartswith=stem
    ).values_list("name", flat=True)
    return free_name(names, name)


def check_folder(entity: Entity, folder: Folder | None) -> None:
    if folder is None:
        return
    if folder.entity_id != entity.pk:
        raise ValidationError(
            _("That folder belongs to another entity."), code="invalid_folder"
        )
    if folder.deleted_at is not None:
        raise ValidationError(_("That folder is in the trash."), code="invalid_folder")


def check_on_clash(on_clash: str) -> None:
    if on_clash not in ON_CLASH:
        raise ValidationError(
            _("Choose a new version or keep both."), code="invalid_on_clash"
        )


def present_ancestor(folder: Folder | None) -> Folder | None:
    """`folder`, or its nearest ancestor not in the trash (None: the top)."""
    while folder is not None and folder.deleted_at is not None:
        folder = folder.parent
    return folder
