"""Changing an entity's files and folders. Every action writes its history event
in the same transaction; callers check the capabilities.

Names are unique among the present (not trashed) items of one folder, compared
without regard to case: a clash is refused, becomes a new version or a
"name (2).ext" copy, as the caller chooses — never a silent overwrite.

One module per feature: `naming` (clashes and free names), `files` (files and
their versions), `folders`, `trash`. Callers use this package's names.
"""

from loket.files.actions.files import (
    add_file,
    add_upload,
    add_version,
    add_version_from_upload,
    delete_file,
    move_file,
    record_download,
    rename_file,
    restore_file,
    restore_version,
    set_limited,
    share_file,
)
from loket.files.actions.folders import (
    create_folder,
    delete_folder,
    move_folder,
    rename_folder,
    restore_folder,
)
from loket.files.actions.naming import ON_CLASH, NameClash, find_clash, free_name
from loket.files.actions.trash import empty_trash, purge_file, trash_of

__all__ = [
    "ON_CLASH",
    "NameClash",
    "add_file",
    "add_upload",
    "add_version",
    "add_version_from_upload",
    "create_folder",
    "delete_file",
    "delete_folder",
    "empty_trash",
    "find_clash",
    "free_name",
    "move_file",
    "move_folder",
    "purge_file",
    "record_download",
    "rename_file",
    "rename_folder",
    "restore_file",
    "restore_folder",
    "restore_version",
    "set_limited",
    "share_file",
    "trash_of",
]
