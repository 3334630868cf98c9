"""Changing an entity's folders."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from loket.accounts.models import User
from loket.audit.actions import record
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.files import uploads
from loket.files.actions.naming import (
    check_folder,
    folder_clash,
    folder_data,
    free_folder_name,
    present_ancestor,
)
from loket.files.models import File, Folder


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
    if folder_clash(entity, parent, name, exclude=exclude):
        raise ValidationError(
            _("A folder named “%(name)s” is already here.") % {"name": name},
            code="duplicate_name",
        )
    return name


@transaction.atomic
def create_folder(
    entity: Entity, *, actor: User, name: str, parent: Folder | None = None
) -> Folder:
    check_folder(entity, parent)
    name = _check_folder_name(entity, parent, name)
    folder = Folder.objects.create(
        entity=entity, parent=parent, name=name, created_by=actor
    )
    record(
        Event.Verb.FOLDER_CREATED,
        actor=actor,
        target=folder,
        entity=entity,
        data={"name": name} | folder_data("parent", parent),
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
    check_folder(folder.entity, parent)
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
        data={"name": folder.name}
        | folder_data("from", old)
        | folder_data("to", parent),
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
    parent = present_ancestor(folder.parent)
    name = folder.name
    if folder_clash(folder.entity, parent, name, exclude=folder):
        name = free_folder_name(folder.entity, parent, name)
    inside = _descendants(folder)
    Folder.objects.filter(pk__in=inside, deleted_at=when).update(
        deleted_at=None, deleted_by=None
    )
    files = File.objects.filter(folder_id__in=inside, deleted_at=when).update(
        deleted_at=None, deleted_by=None, updated_at=timezone.now()
    )
    data: dict[str, Any] = {"name": name, "files": files} | folder_data(
        "parent", parent
    )
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
