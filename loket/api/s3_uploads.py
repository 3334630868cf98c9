"""/api/v1/s3-uploads/: large uploads straight from the browser to the S3
bucket by multipart upload (`loket.files.s3_uploads`), when the files are
stored on S3; elsewhere these answer 422 and the tus endpoint is the way.

Begin (the same rule as tus: `files.create` or `activities.create` on the
entity), ask for pre-signed part URLs, PUT each part to the bucket, finish; then
commit the upload's uuid like a tus upload (e.g. POST
/api/v1/entities/{uuid}/files).
"""

from datetime import datetime
from uuid import UUID

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema

from loket import access
from loket.access import Capability
from loket.accounts.models import User
from loket.api.auth import caller
from loket.files import s3_uploads
from loket.files.models import Upload

router = Router(tags=["uploads"])


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


@router.post("/s3-uploads", response={201: BeginOut})
def begin(request: HttpRequest, payload: BeginIn) -> BeginOut:
    """Start a direct upload of `size` bytes; checked for name, type and size
    before any byte is sent."""
    user = caller(request)
    entity = access.visible_entities(user).filter(uuid=payload.entity).first()
    if entity is None:
        raise Http404
    caps = access.entity_capabilities(user, entity)
    access.require(bool(caps & {Capability.FILES_CREATE, Capability.ACTIVITIES_CREATE}))
    plan = s3_uploads.begin(
        entity, actor=user, filename=payload.filename, length=payload.size
    )
    return BeginOut(
        upload=plan.upload.uuid,
        part_size=plan.part_size,
        part_count=plan.part_count,
        expires_at=plan.upload.expires_at,
    )


@router.post("/s3-uploads/{upload_uuid}/parts", response=PartsOut)
def sign_parts(request: HttpRequest, upload_uuid: UUID, payload: PartsIn) -> PartsOut:
    """Pre-signed URLs to PUT the given parts (1-based) to, each exactly its
    part's size."""
    upload = _own(caller(request), upload_uuid)
    urls = s3_uploads.sign_parts(upload, payload.parts)
    return PartsOut(urls=urls, expires_in=s3_uploads.PART_URL_SECONDS)


@router.post("/s3-uploads/{upload_uuid}/finish", response=FinishOut)
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


@router.delete("/s3-uploads/{upload_uuid}", response={204: None})
def discard(request: HttpRequest, upload_uuid: UUID) -> None:
    """Stop a direct upload; the bucket forgets its parts."""
    s3_uploads.discard(_own(caller(request), upload_uuid))
