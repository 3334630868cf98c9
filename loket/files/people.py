"""Access questions of the files that loket/access.py does not answer (yet):
who may limit a file, and how a name clash with a file the user cannot see is
answered. (Who a limited file can be shared with: `access.people_with`.)"""

from django.core.exceptions import ValidationError

from loket import access
from loket.access import Capability
from loket.accounts.models import User
from loket.entities.models import Entity
from loket.files import uploads
from loket.files.models import File, Folder


def may_limit(user: User, file: File, caps: frozenset[str]) -> bool:
    """Who may limit a file and choose whom it is shared with: its creator and
    whoever manages the entity's content (`caps`: the user's there)."""
    return file.created_by_id == user.pk or Capability.CONTENT_MANAGE in caps


def clash_answer(
    user: User, entity: Entity, folder: Folder | None, filename: str, on_clash: str
) -> str:
    """`on_clash`, unless the name clashes with a file `user` cannot see
    (someone's limited file): that one is neither revealed nor versioned, and
    the new file is kept beside it ("copy")."""
    from loket.files.actions import find_clash

    try:
        name = uploads.clean_filename(filename)
    except ValidationError:
        return on_clash
    clash = find_clash(entity, folder, name)
    if clash is None:
        return on_clash
    if access.visible_files(user, entity).filter(pk=clash.pk).exists():
        return on_clash
    return "copy"
