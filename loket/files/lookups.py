"""Fetching the files' objects through access, for the pages and the API
alike (`access.fetch`): out of scope is a 404, the same as missing; each
helper returns the object and what the user holds on its entity, read once,
and refuses with 403 without the capability the caller needs (`need`)."""

from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from loket import access
from loket.access import AnyUser, Capability
from loket.accounts.models import User
from loket.entities.lookups import get_entity_for_user
from loket.entities.models import Entity
from loket.files import uploads
from loket.files.actions import find_clash
from loket.files.models import File, FileVersion, Folder, Upload

Caps = frozenset[str]


def get_files_entity_for_user(
    user: AnyUser, entity_uuid: UUID, *, need: Capability | None = None
) -> tuple[Entity, Caps]:
    """An entity whose files `user` sees: 404 when they do not see the entity
    or its files, 403 without `need`."""
    entity, caps = get_entity_for_user(user, entity_uuid)
    if Capability.FILES_VIEW not in caps:
        raise Http404
    access.require(need is None or need in caps)
    return entity, caps


def get_file_for_user(
    user: AnyUser, file_uuid: UUID, *, need: Capability | None = None
) -> tuple[File, Caps]:
    """A file `user` sees (not in the trash), with its entity, folder, creator
    and current version."""
    files = access.visible_files(user).select_related(
        "entity", "folder", "created_by", "current_version__uploaded_by"
    )
    return access.fetch(user, files, need=need, uuid=file_uuid)


def get_trashed_file_for_user(
    user: AnyUser,
    file_uuid: UUID,
    *,
    need: Capability | None = Capability.CONTENT_MANAGE,
) -> tuple[File, Caps]:
    """A file in the trash of an entity whose files `user` sees; only those
    who manage the entity's content may act on it (403)."""
    trashed = (
        File.objects.in_trash()
        .filter(entity__in=access.entities_with(user, Capability.FILES_VIEW))
        .select_related("entity", "folder")
    )
    return access.fetch(user, trashed, need=need, uuid=file_uuid)


def _folders(user: AnyUser, *, trashed: bool) -> QuerySet[Folder]:
    return Folder.objects.filter(
        entity__in=access.entities_with(user, Capability.FILES_VIEW),
        deleted_at__isnull=not trashed,
    ).select_related("entity", "parent")


def get_folder_for_user(
    user: AnyUser, folder_uuid: UUID, *, need: Capability | None = None
) -> tuple[Folder, Caps]:
    """A present folder of an entity whose files `user` sees."""
    return access.fetch(
        user, _folders(user, trashed=False), need=need, uuid=folder_uuid
    )


def get_trashed_folder_for_user(
    user: AnyUser,
    folder_uuid: UUID,
    *,
    need: Capability | None = Capability.CONTENT_MANAGE,
) -> tuple[Folder, Caps]:
    """A folder in the trash of an entity whose files `user` sees; only those
    who manage the entity's content may act on it (403)."""
    return access.fetch(user, _folders(user, trashed=True), need=need, uuid=folder_uuid)


def _entity_of_version(version: FileVersion) -> Entity:
    return version.file.entity


def get_version_for_user(
    user: AnyUser,
    version_uuid: UUID,
    *,
    need: Capability | None = None,
    file_uuid: UUID | None = None,
) -> tuple[FileVersion, Caps]:
    """A version of a file `user` sees (of the file `file_uuid`, when the
    address names it), with its file and the file's entity."""
    versions = FileVersion.objects.filter(
        file__in=access.visible_files(user)
    ).select_related("file__entity", "uploaded_by", "restored_from")
    lookup = {"uuid": version_uuid}
    if file_uuid is not None:
        lookup["file__uuid"] = file_uuid
    return access.fetch(
        user, versions, need=need, entity_of=_entity_of_version, **lookup
    )


class UnknownUpload(ValidationError):
    """No upload of the caller's goes by that uuid: the API's 422 (a body
    names what is not there), a page's 404."""

    def __init__(self) -> None:
        super().__init__({"upload": _("There is no such upload.")}, code="unknown")


def get_finished_upload(user: User, upload_uuid: object) -> Upload:
    """The caller's own finished upload (tus, or straight to S3) named by
    `upload_uuid` (a uuid, or what a form sent): UnknownUpload when they have
    none by that uuid, a ValidationError while its bytes are still coming.
    Whether it was made for the right entity is the action's to check."""
    try:
        wanted = UUID(str(upload_uuid))
    except ValueError:
        raise UnknownUpload from None
    upload = Upload.objects.filter(uuid=wanted, owner=user).first()
    if upload is None:
        raise UnknownUpload
    if not upload.is_complete:
        raise ValidationError(
            {"upload": _("The upload has not finished yet.")}, code="invalid"
        )
    return upload


def clashing_file(entity: Entity, folder: Folder | None, filename: str) -> File | None:
    """The present file of `folder` a new file named `filename` would clash
    with (None when the name is not valid: adding it is refused anyway)."""
    try:
        name = uploads.clean_filename(filename)
    except ValidationError:
        return None
    return find_clash(entity, folder, name)
