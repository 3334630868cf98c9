"""Access questions of the files that loket/access.py does not answer (yet):
who a limited file can be shared with, who may limit it, and how a name clash
with a file the user cannot see is answered."""

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from loket import access
from loket.access import Capability
from loket.accounts.models import User
from loket.entities.models import Entity
from loket.files import uploads
from loket.files.models import File, Folder
from loket.groups.models import GroupMembership
from loket.roles.models import RoleAssignment


def people_with(entity: Entity, capability: Capability) -> QuerySet[User]:
    """Users not deactivated who hold `capability` on `entity`, directly or
    through a group, on the entity or firm-wide. Two queries."""
    role_ids = access.roles_with(capability)
    here = Q(entity=entity) | Q(entity__isnull=True)
    direct = (
        RoleAssignment.objects.filter(here, role_id__in=role_ids, user__isnull=False)
        .order_by()
        .values("user_id")
    )
    through_groups = GroupMembership.objects.filter(
        Q(group__assignments__entity=entity)
        | Q(group__assignments__entity__isnull=True),
        group__assignments__role_id__in=role_ids,
    ).values("user_id")
    return (
        User.objects.filter(id__in=direct.union(through_groups))
        .exclude(state=User.State.DEACTIVATED)
        .order_by("kind", "first_name", "last_name", "email")
    )


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
