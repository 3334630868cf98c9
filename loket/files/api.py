"""/api/v1: an entity's files and folders, a file's versions and downloads,
and the direct-to-S3 uploads.

The same access and actions as the Files pages: out of reach is a 404, a
missing capability a 403; adding a file takes a finished resumable upload
(/api/v1/uploads/, tus) by its uuid.
"""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponseBase, JsonResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from pydantic import field_validator

from loket import access
from loket.access import Capability
from loket.accounts.models import User
from loket.api.auth import caller
from loket.api.common import Page, unknown
from loket.api.schemas import PersonRef
from loket.entities.lookups import get_entity_for_user
from loket.entities.models import Entity
from loket.files import actions, s3_uploads, storage
from loket.files.lookups import (
    clashing_file,
    get_file_for_user,
    get_files_entity_for_user,
    get_finished_upload,
    get_folder_for_user,
    get_trashed_file_for_user,
    get_trashed_folder_for_user,
    get_version_for_user,
)
from loket.files.models import File, FileVersion, Folder, Upload

router = Router(tags=["files"])


# Schemas.


class FolderRef(Schema):
    uuid: UUID
    name: str


class VersionOut(Schema):
    uuid: UUID
    number: int
    name: str = Field(..., alias="original_name")
    size: int
    content_type: str
    sha256: str
    scan: FileVersion.Scan
    uploaded_by: PersonRef
    uploaded_at: datetime
    restored_from: int | None = None

    @staticmethod
    def resolve_restored_from(obj: FileVersion) -> int | None:
        return obj.restored_from.number if obj.restored_from else None


class FileOut(Schema):
    uuid: UUID
    name: str
    folder: FolderRef | None
    limited: bool
    version: int
    size: int
    content_type: str
    sha256: str
    scan: FileVersion.Scan
    created_by: PersonRef
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_version(obj: File) -> int:
        return _current(obj).number

    @staticmethod
    def resolve_size(obj: File) -> int:
        return _current(obj).size

    @staticmethod
    def resolve_content_type(obj: File) -> str:
        return _current(obj).content_type

    @staticmethod
    def resolve_sha256(obj: File) -> str:
        return _current(obj).sha256

    @staticmethod
    def resolve_scan(obj: File) -> str:
        return _current(obj).scan


class FileDetailOut(FileOut):
    versions: list[VersionOut]
    shared_with: list[PersonRef]

    @staticmethod
    def resolve_versions(obj: File) -> list[FileVersion]:
        return list(
            obj.versions.select_related("uploaded_by", "restored_from").order_by(
                "-number"
            )
        )

    @staticmethod
    def resolve_shared_with(obj: File) -> list[User]:
        return list(obj.shared_with.order_by("email"))


class TrashedFileOut(FileOut):
    deleted_at: datetime
    deleted_by: PersonRef


class FolderOut(Schema):
    uuid: UUID
    name: str
    parent: FolderRef | None
    created_at: datetime


class FileIn(Schema):
    upload: UUID
    folder: UUID | None = None
    on_clash: Literal["ask", "version", "copy"] = "ask"
    limited: bool = False


class VersionIn(Schema):
    upload: UUID


class FilePatch(Schema):
    """Rename (`name`), move (`folder`, null for the top) or limit (`limited`);
    a field left out is not changed."""

    name: str | None = None
    folder: UUID | None = None
    limited: bool | None = None

    @field_validator("name", "limited", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null")
        return value


class FolderIn(Schema):
    name: str
    parent: UUID | None = None


class FolderPatch(Schema):
    """Rename (`name`) or move (`parent`, null for the top)."""

    name: str | None = None
    parent: UUID | None = None

    @field_validator("name", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null")
        return value


class SharedWithIn(Schema):
    people: list[UUID]


def _current(file: File) -> FileVersion:
    version = file.current_version
    assert version is not None, "every file has a version"
    return version


# What a body names.


def _target_folder(
    entity: Entity, folder_uuid: UUID | None, field: str
) -> Folder | None:
    """A present folder of `entity` named in a body (422 if there is none)."""
    if folder_uuid is None:
        return None
    folder = Folder.objects.filter(
        entity=entity, uuid=folder_uuid, deleted_at__isnull=True
    ).first()
    if folder is None:
        raise unknown(field, _("There is no such folder."))
    return folder


def _with_file(file: File) -> File:
    return File.objects.select_related("folder", "created_by", "current_version").get(
        pk=file.pk
    )


# An entity's files and folders.


@router.get("/entities/{entity_uuid}/files", response=list[FileOut])
@paginate(Page)
def list_files(
    request: HttpRequest, entity_uuid: UUID, folder: UUID | None = None
) -> QuerySet[File]:
    """The files the caller sees in the entity's top folder, or in `folder`."""
    user = caller(request)
    entity, caps = get_files_entity_for_user(user, entity_uuid)
    place = _target_folder(entity, folder, "folder") if folder else None
    return (
        access.visible_files(user, entity, caps=caps)
        .filter(folder=place)
        .select_related("folder", "created_by", "current_version")
        .order_by("name", "pk")
    )


@router.post("/entities/{entity_uuid}/files", response={201: FileDetailOut})
def add_file(request: HttpRequest, entity_uuid: UUID, payload: FileIn) -> File:
    """Add a finished upload as a file. A file of that name already there is a
    409 unless `on_clash` says "version" (a new version of it) or "copy"
    (kept as "name (2).ext")."""
    user = caller(request)
    entity, caps = get_files_entity_for_user(
        user, entity_uuid, need=Capability.FILES_CREATE
    )
    upload = get_finished_upload(user, payload.upload)
    folder = _target_folder(entity, payload.folder, "folder")
    clash = clashing_file(entity, folder, upload.filename)
    on_clash = access.clash_answer(user, entity, caps, clash, payload.on_clash)
    version = actions.add_upload(
        entity,
        actor=user,
        upload=upload,
        folder=folder,
        limited=payload.limited,
        on_clash=on_clash,
    )
    return _with_file(version.file)


@router.get("/entities/{entity_uuid}/folders", response=list[FolderOut])
@paginate(Page)
def list_folders(
    request: HttpRequest, entity_uuid: UUID, parent: UUID | None = None
) -> QuerySet[Folder]:
    """The folders in the entity's top folder, or in `parent`."""
    user = caller(request)
    entity, _caps = get_files_entity_for_user(user, entity_uuid)
    place = _target_folder(entity, parent, "parent") if parent else None
    return (
        Folder.objects.filter(entity=entity, parent=place, deleted_at__isnull=True)
        .select_related("parent")
        .order_by("name", "pk")
    )


@router.post("/entities/{entity_uuid}/folders", response={201: FolderOut})
def create_folder(request: HttpRequest, entity_uuid: UUID, payload: FolderIn) -> Folder:
    user = caller(request)
    entity, _caps = get_files_entity_for_user(
        user, entity_uuid, need=Capability.FILES_CREATE
    )
    parent = _target_folder(entity, payload.parent, "parent")
    return actions.create_folder(entity, actor=user, name=payload.name, parent=parent)


@router.get("/entities/{entity_uuid}/trash", response=list[TrashedFileOut])
@paginate(Page)
def list_trash(request: HttpRequest, entity_uuid: UUID) -> QuerySet[File]:
    """Files in the entity's trash (for those who manage its content)."""
    user = caller(request)
    entity, _caps = get_files_entity_for_user(
        user, entity_uuid, need=Capability.CONTENT_MANAGE
    )
    return (
        File.objects.in_trash()
        .filter(entity=entity)
        .select_related("folder", "created_by", "current_version", "deleted_by")
        .order_by("-deleted_at", "pk")
    )


class EmptiedOut(Schema):
    removed: int
    kept: int


@router.delete("/entities/{entity_uuid}/trash", response=EmptiedOut)
def empty_trash(request: HttpRequest, entity_uuid: UUID) -> EmptiedOut:
    """Remove everything in the trash for good; files attached to a request
    stay (`kept`)."""
    user = caller(request)
    entity, _caps = get_files_entity_for_user(
        user, entity_uuid, need=Capability.CONTENT_MANAGE
    )
    removed, kept = actions.empty_trash(entity, actor=user)
    return EmptiedOut(removed=removed, kept=kept)


# One file.


@router.get("/files/{file_uuid}", response=FileDetailOut)
def get_file(request: HttpRequest, file_uuid: UUID) -> File:
    file, _caps = get_file_for_user(caller(request), file_uuid)
    return file


@router.patch("/files/{file_uuid}", response=FileDetailOut)
def update_file(request: HttpRequest, file_uuid: UUID, payload: FilePatch) -> File:
    """Rename and move need `entity.edit`; limiting is for the file's creator
    and those who manage the entity's content."""
    user = caller(request)
    file, caps = get_file_for_user(user, file_uuid)
    given = payload.model_dump(exclude_unset=True)
    if "name" in given or "folder" in given:
        access.require(Capability.ENTITY_EDIT in caps)
    if "limited" in given:
        access.require(access.may_limit(user, file, caps))
    folder = (
        _target_folder(file.entity, given["folder"], "folder")
        if "folder" in given
        else file.folder
    )
    with transaction.atomic():
        if "folder" in given:
            actions.move_file(file, actor=user, folder=folder)
        if "name" in given:
            actions.rename_file(file, actor=user, name=given["name"])
        if "limited" in given:
            actions.set_limited(file, actor=user, limited=given["limited"])
    return _with_file(file)


@router.delete("/files/{file_uuid}", response={204: None})
def delete_file(request: HttpRequest, file_uuid: UUID) -> None:
    """Move the file to the entity's trash."""
    user = caller(request)
    file, _caps = get_file_for_user(user, file_uuid, need=Capability.CONTENT_DELETE)
    actions.delete_file(file, actor=user)


@router.post("/files/{file_uuid}/restore", response=FileDetailOut)
def restore_file(request: HttpRequest, file_uuid: UUID) -> File:
    """Bring a file back from the trash (for those who manage the content)."""
    user = caller(request)
    file, _caps = get_trashed_file_for_user(user, file_uuid)
    actions.restore_file(file, actor=user)
    return _with_file(file)


@router.put("/files/{file_uuid}/shared-with", response=FileDetailOut)
def share_file(request: HttpRequest, file_uuid: UUID, payload: SharedWithIn) -> File:
    """Whom a limited file is shared with: the list replaces the former one.
    Each person must see the entity's files."""
    user = caller(request)
    file, caps = get_file_for_user(user, file_uuid)
    access.require(access.may_limit(user, file, caps))
    wanted = set(payload.people)
    people = list(access.people_to_share_with(file).filter(uuid__in=wanted))
    if len(people) != len(wanted):
        raise unknown(
            "people", _("Someone in the list cannot see this entity's files.")
        )
    actions.share_file(file, actor=user, users=people)
    return _with_file(file)


def _serve(user: User, version: FileVersion) -> HttpResponseBase:
    if not version.is_available:
        message = (
            _("This version contains a virus and has been quarantined.")
            if version.scan == FileVersion.Scan.INFECTED
            else _("This version is being scanned for viruses; try again shortly.")
        )
        return JsonResponse({"detail": message}, status=403)
    actions.record_download(version, actor=user)
    return storage.download_response(version)


@router.get("/files/{file_uuid}/download")
def download_file(request: HttpRequest, file_uuid: UUID) -> HttpResponseBase:
    """The bytes of the current version (recorded in the history)."""
    user = caller(request)
    file, _caps = get_file_for_user(user, file_uuid)
    version = _current(file)
    version.file = file
    return _serve(user, version)


@router.get("/files/{file_uuid}/versions", response=list[VersionOut])
@paginate(Page)
def list_versions(request: HttpRequest, file_uuid: UUID) -> QuerySet[FileVersion]:
    file, _caps = get_file_for_user(caller(request), file_uuid)
    return file.versions.select_related("uploaded_by", "restored_from").order_by(
        "-number"
    )


@router.post("/files/{file_uuid}/versions", response={201: VersionOut})
def add_version(
    request: HttpRequest, file_uuid: UUID, payload: VersionIn
) -> FileVersion:
    """A finished upload becomes the file's newest version."""
    user = caller(request)
    file, _caps = get_file_for_user(user, file_uuid, need=Capability.FILES_CREATE)
    upload = get_finished_upload(user, payload.upload)
    return actions.add_version_from_upload(file, actor=user, upload=upload)


@router.get("/files/{file_uuid}/versions/{version_uuid}/download")
def download_version(
    request: HttpRequest, file_uuid: UUID, version_uuid: UUID
) -> HttpResponseBase:
    user = caller(request)
    version, _caps = get_version_for_user(user, version_uuid, file_uuid=file_uuid)
    return _serve(user, version)


@router.post(
    "/files/{file_uuid}/versions/{version_uuid}/restore", response={201: VersionOut}
)
def restore_version(
    request: HttpRequest, file_uuid: UUID, version_uuid: UUID
) -> FileVersion:
    """Make an older version current again, as a new version."""
    user = caller(request)
    version, _caps = get_version_for_user(
        user, version_uuid, need=Capability.FILES_CREATE, file_uuid=file_uuid
    )
    return actions.restore_version(version, actor=user)


# One folder.


@router.get("/folders/{folder_uuid}", response=FolderOut)
def get_folder(request: HttpRequest, folder_uuid: UUID) -> Folder:
    folder, _caps = get_folder_for_user(caller(request), folder_uuid)
    return folder


@router.patch("/folders/{folder_uuid}", response=FolderOut)
def update_folder(
    request: HttpRequest, folder_uuid: UUID, payload: FolderPatch
) -> Folder:
    user = caller(request)
    folder, _caps = get_folder_for_user(user, folder_uuid, need=Capability.ENTITY_EDIT)
    given = payload.model_dump(exclude_unset=True)
    with transaction.atomic():
        if "parent" in given:
            parent = _target_folder(folder.entity, given["parent"], "parent")
            actions.move_folder(folder, actor=user, parent=parent)
        if "name" in given:
            actions.rename_folder(folder, actor=user, name=given["name"])
    return folder


@router.delete("/folders/{folder_uuid}", response={204: None})
def delete_folder(request: HttpRequest, folder_uuid: UUID) -> None:
    """Move the folder and what is in it to the trash."""
    user = caller(request)
    folder, _caps = get_folder_for_user(
        user, folder_uuid, need=Capability.CONTENT_DELETE
    )
    actions.delete_folder(folder, actor=user)


@router.post("/folders/{folder_uuid}/restore", response=FolderOut)
def restore_folder(request: HttpRequest, folder_uuid: UUID) -> Folder:
    user = caller(request)
    folder, _caps = get_trashed_folder_for_user(user, folder_uuid)
    return actions.restore_folder(folder, actor=user)


# /api/v1/s3-uploads/: large uploads straight from the browser to the S3 bucket
# by multipart upload (`loket.files.s3_uploads`), when the files are stored on
# S3; elsewhere these answer 422 and the tus endpoint is the way. Begin (the
# same rule as tus: `access.may_upload`), ask for pre-signed part URLs, PUT each
# part to the bucket, finish; then commit the upload's uuid like a tus upload
# (e.g. POST /api/v1/entities/{uuid}/files).


s3_router = Router(tags=["uploads"])


class BeginIn(Schema):
    entity: UUID
    filename: str = Field(..., max_length=1000)
    size: int


class BeginOut(Schema):
    upload: UUID
    part_size: int
    part_count: int
    expires_at: datetime


class PartsIn(Schema):
    parts: list[int] = Field(..., min_length=1, max_length=1000)


class PartsOut(Schema):
    urls: dict[int, str]
    expires_in: int


class PartIn(Schema):
    number: int
    etag: str = Field(..., max_length=200)


class FinishIn(Schema):
    parts: list[PartIn] = Field(..., min_length=1, max_length=s3_uploads.MAX_PARTS)


class FinishOut(Schema):
    upload: UUID
    size: int
    sha256: str
    content_type: str


def _own(user: User, upload_uuid: UUID) -> Upload:
    upload = Upload.objects.filter(uuid=upload_uuid, owner=user).first()
    if upload is None or not s3_uploads.is_direct(upload):
        raise Http404
    return upload


@s3_router.post("/s3-uploads", response={201: BeginOut})
def begin(request: HttpRequest, payload: BeginIn) -> BeginOut:
    """Start a direct upload of `size` bytes; checked for name, type and size
    before any byte is sent."""
    user = caller(request)
    entity, caps = get_entity_for_user(user, payload.entity)
    access.require(access.may_upload(caps))
    plan = s3_uploads.begin(
        entity, actor=user, filename=payload.filename, length=payload.size
    )
    return BeginOut(
        upload=plan.upload.uuid,
        part_size=plan.part_size,
        part_count=plan.part_count,
        expires_at=plan.upload.expires_at,
    )


@s3_router.post("/s3-uploads/{upload_uuid}/parts", response=PartsOut)
def sign_parts(request: HttpRequest, upload_uuid: UUID, payload: PartsIn) -> PartsOut:
    """Pre-signed URLs to PUT the given parts (1-based) to, each exactly its
    part's size."""
    upload = _own(caller(request), upload_uuid)
    urls = s3_uploads.sign_parts(upload, payload.parts)
    return PartsOut(urls=urls, expires_in=s3_uploads.PART_URL_SECONDS)


@s3_router.post("/s3-uploads/{upload_uuid}/finish", response=FinishOut)
def finish(request: HttpRequest, upload_uuid: UUID, payload: FinishIn) -> FinishOut:
    """Assemble the parts (numbers and the ETags the bucket answered); the
    server checks the size, hashes and sniffs the file."""
    upload = _own(caller(request), upload_uuid)
    parts = [(part.number, part.etag) for part in payload.parts]
    upload = s3_uploads.finish(upload, parts)
    return FinishOut(
        upload=upload.uuid,
        size=upload.length,
        sha256=upload.sha256,
        content_type=upload.content_type,
    )


@s3_router.delete("/s3-uploads/{upload_uuid}", response={204: None})
def discard(request: HttpRequest, upload_uuid: UUID) -> None:
    """Stop a direct upload; the bucket forgets its parts."""
    s3_uploads.discard(_own(caller(request), upload_uuid))
