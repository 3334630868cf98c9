"""An entity's folders read once: breadcrumbs, sub-folders and move targets
without a query per folder."""

from dataclasses import dataclass, field
from uuid import UUID

from django.http import Http404

from loket.entities.models import Entity
from loket.files.models import Folder


@dataclass
class Tree:
    """The present (not trashed) folders of one entity."""

    by_id: dict[int, Folder]
    by_uuid: dict[UUID, Folder] = field(default_factory=dict)
    children_of: dict[int | None, list[Folder]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for folder in self.by_id.values():
            self.by_uuid[folder.uuid] = folder
            self.children_of.setdefault(folder.parent_id, []).append(folder)
        for children in self.children_of.values():
            children.sort(key=lambda folder: (folder.name.casefold(), folder.pk))

    def get(self, folder_uuid: str | UUID | None) -> Folder | None:
        """The folder named by `folder_uuid` (None or "": the top); 404 if it
        is not a present folder of this entity."""
        if not folder_uuid:
            return None
        try:
            key = folder_uuid if isinstance(folder_uuid, UUID) else UUID(folder_uuid)
        except ValueError as error:
            raise Http404 from error
        folder = self.by_uuid.get(key)
        if folder is None:
            raise Http404
        return folder

    def path(self, folder: Folder | None) -> list[Folder]:
        """The folders from the top down to `folder`."""
        found: list[Folder] = []
        seen: set[int] = set()
        current = self.by_id.get(folder.pk) if folder is not None else None
        while current is not None and current.pk not in seen:
            seen.add(current.pk)
            found.append(current)
            current = self.by_id.get(current.parent_id) if current.parent_id else None
        return found[::-1]

    def label(self, folder: Folder | None) -> str:
        return " / ".join(item.name for item in self.path(folder))

    def children(self, folder: Folder | None) -> list[Folder]:
        return self.children_of.get(folder.pk if folder is not None else None, [])

    def below(self, folder: Folder) -> set[int]:
        """The ids of `folder` and every folder inside it."""
        found = {folder.pk}
        todo = [folder]
        while todo:
            for child in self.children(todo.pop()):
                if child.pk not in found:
                    found.add(child.pk)
                    todo.append(child)
        return found

    def choices(self, exclude: set[int] | None = None) -> list[tuple[str, str]]:
        """(uuid, "A / B") for every folder but `exclude`, in path order."""
        exclude = exclude or set()
        labelled = [
            (str(folder.uuid), self.label(folder))
            for folder in self.by_id.values()
            if folder.pk not in exclude
        ]
        return sorted(labelled, key=lambda choice: choice[1].casefold())


def tree_of(entity: Entity) -> Tree:
    """The entity's present folders, in one query."""
    folders = Folder.objects.filter(entity=entity, deleted_at__isnull=True)
    return Tree({folder.pk: folder for folder in folders})
