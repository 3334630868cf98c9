"""The files' rules of several conditions: asked once by a page or an API
endpoint with the capabilities it has already read (`caps`: what the user
holds on the entity), and handed to templates as booleans."""

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from loket.access.capabilities import Capability
from loket.access.people import people_with
from loket.access.visibility import visible_files
from loket.accounts.models import User
from loket.entities.models import Entity

if TYPE_CHECKING:
    from loket.files.models import File, FileVersion


def may_upload(caps: frozenset[str]) -> bool:
    """May one who holds `caps` on an entity send it an upload (tus, or straight
    to S3)? With `files.create` for its files, or with `activities.create` for
    what goes with a request (attachments, responses)."""
    return Capability.FILES_CREATE in caps or Capability.ACTIVITIES_CREATE in caps


def may_limit(user: User, file: "File", caps: frozenset[str]) -> bool:
    """May `user` limit `file` and choose whom it is shared with? Its creator
    and whoever manages the entity's content."""
    return file.created_by_id == user.pk or Capability.CONTENT_MANAGE in caps


def may_restore_version(
    caps: frozenset[str], file: "File", version: "FileVersion"
) -> bool:
    """May one who holds `caps` make `version` of `file` current again? With
    `files.create`, for an older version that is not infected (no query)."""
    from loket.files.models import FileVersion

    return (
        Capability.FILES_CREATE in caps
        and version.pk != file.current_version_id
        and version.scan != FileVersion.Scan.INFECTED
    )


def people_to_share_with(file: "File") -> QuerySet[User]:
    """Who a limited file can be shared with: whoever sees its entity's files
    (two queries, see `people_with`)."""
    return people_with(file.entity, Capability.FILES_VIEW)


def clash_answer(
    user: User,
    entity: Entity,
    caps: frozenset[str],
    clash: "File | None",
    on_clash: str,
) -> str:
    """How a new file of `entity` whose name clashes with `clash` is added
    for `user`: as they asked (`on_clash`), unless `clash` is a file they
    cannot see (someone's limited file). That one is neither revealed nor
    versioned: the new file is kept beside it ("copy"). At most one query."""
    if clash is None:
        return on_clash
    if visible_files(user, entity, caps=caps).filter(pk=clash.pk).exists():
        return on_clash
    return "copy"
