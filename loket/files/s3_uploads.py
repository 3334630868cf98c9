"""Uploads straight from the browser to the S3 bucket, by multipart upload.

Only when the "files" storage is S3 (`S3BlobStorage`). The server never sees
the upload's bytes go by:

1. `begin` checks the name and size (`uploads.check_upload`), starts a
   multipart upload at a generated blob name and records an `Upload` row
   (`metadata["s3"]` holds the key and S3's upload id; no partial file).
2. `sign_parts` gives pre-signed PUT URLs for parts, each valid for
   PART_URL_SECONDS and signed with that part's exact Content-Length, so the
   bucket refuses a part of another size (and the total cannot exceed the
   size that was checked).
3. `finish` completes the multipart upload, checks the object's size, then
   reads the object back once from the bucket to hash it (SHA-256) and sniff
   its type; a program or a wrong size is deleted and refused. The row is then
   complete, and the usual commit (`actions.add_upload`) turns it into a file
   version without copying: the object is already at its blob name.
4. `discard` aborts the multipart upload (or deletes the object) and the row.

Why the server reads the object back: the SHA-256 of the whole file is kept on
the row. S3's own checksums cannot give it: Ceph radosgw before Reef ignores
`x-amz-checksum-sha256` (a part with a wrong one is accepted), and on AWS a
multipart upload's checksum is a checksum of the parts' checksums, not of the
file. The read-back is bucket → server traffic at internal network speed,
memory stays flat, and the web worker never carries the upload itself.
"""

import contextlib
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from loket.accounts.models import User
from loket.entities.models import Entity
from loket.files import storage, uploads
from loket.files.models import Upload
from loket.files.s3 import S3BlobStorage

# S3's rules: parts of at least 5 MiB (but the last), at most 10,000 of them.
MIN_PART_SIZE = 8 * 1024 * 1024
MAX_PARTS = 10_000
PART_URL_SECONDS = 15 * 60


@dataclass(frozen=True)
class Plan:
    upload: Upload
    part_size: int
    part_count: int


def bucket_storage() -> S3BlobStorage | None:
    files = storage.files_storage()
    return files if isinstance(files, S3BlobStorage) else None


def direct_upload_url() -> str:
    """Where the upload widget begins a direct upload (`data-s3-uploads`), or
    "" when the files are not on S3 (the widget then uses tus)."""
    return reverse("api:begin") if bucket_storage() is not None else ""


def _require_bucket() -> S3BlobStorage:
    files = bucket_storage()
    if files is None:
        raise ValidationError(
            _("Direct uploads need S3 storage; use the resumable upload instead."),
            code="not_s3",
        )
    return files


def is_direct(upload: Upload) -> bool:
    return "s3" in upload.metadata


def part_size_for(length: int) -> int:
    size = max(MIN_PART_SIZE, math.ceil(length / MAX_PARTS))
    mib = 1024 * 1024
    return math.ceil(size / mib) * mib


def part_length(upload: Upload, number: int) -> int:
    """The exact size of part `number` (1-based); ValidationError past the end."""
    size = upload.metadata["s3"]["part_size"]
    count = math.ceil(upload.length / size)
    if not 1 <= number <= count:
        raise ValidationError(
            _("There is no part %(number)s in this upload.") % {"number": number},
            code="invalid_part",
        )
    return int(min(size, upload.length - (number - 1) * size))


def begin(entity: Entity, *, actor: User, filename: str, length: int) -> Plan:
    """Start a direct upload of `length` bytes named `filename` to `entity`.
    The caller has checked that `actor` may upload there."""
    files = _require_bucket()
    name = uploads.check_upload(filename, length)
    blob = storage.new_blob_name()
    key = files.key(blob)
    part_size = part_size_for(length)
    created = files.client.create_multipart_upload(
        Bucket=files.bucket_name, Key=key, ContentType="application/octet-stream"
    )
    upload = Upload.objects.create(
        owner=actor,
        entity=entity,
        filename=name,
        length=length,
        metadata={
            "filename": filename,
            "entity": str(entity.uuid),
            "s3": {
                "blob": blob,
                "key": key,
                "upload_id": created["UploadId"],
                "part_size": part_size,
            },
        },
        # No partial file: the bytes go to the bucket. A name that never exists
        # keeps the partial-file housekeeping harmless.
        partial=storage.new_partial_name(),
        expires_at=timezone.now() + settings.LOKET_UPLOAD_EXPIRY,
    )
    return Plan(upload, part_size, math.ceil(length / part_size))


def sign_parts(upload: Upload, numbers: list[int]) -> dict[int, str]:
    """Pre-signed PUT URLs for the parts `numbers` of a direct upload."""
    files = _require_bucket()
    _check_open(upload)
    state = upload.metadata["s3"]
    return {
        number: files.client.generate_presigned_url(
            "upload_part",
            Params={
                "Bucket": files.bucket_name,
                "Key": state["key"],
                "UploadId": state["upload_id"],
                "PartNumber": number,
                "ContentLength": part_length(upload, number),
            },
            ExpiresIn=PART_URL_SECONDS,
        )
        for number in numbers
    }


def finish(upload: Upload, parts: list[tuple[int, str]]) -> Upload:
    """Complete a direct upload from its parts (number, ETag), check, hash and
    sniff the object; ValidationError (and nothing kept) when it is not right."""
    files = _require_bucket()
    _check_open(upload)
    state = upload.metadata["s3"]
    expected = math.ceil(upload.length / state["part_size"])
    numbers = sorted(number for number, _etag in parts)
    if numbers != list(range(1, expected + 1)):
        raise ValidationError(
            _("The upload is missing parts; send every part, then finish."),
            code="missing_parts",
        )
    try:
        files.client.complete_multipart_upload(
            Bucket=files.bucket_name,
            Key=state["key"],
            UploadId=state["upload_id"],
            MultipartUpload={
                "Parts": [
                    {"PartNumber": number, "ETag": etag}
                    for number, etag in sorted(parts)
                ]
            },
        )
    except files.client.exceptions.ClientError as error:
        raise ValidationError(
            _("The bucket did not accept the parts; upload the file again."),
            code="incomplete",
        ) from error
    try:
        blob = _hash_and_sniff(files, upload)
    except BaseException:
        files.delete(state["blob"])
        _delete_row(upload)
        raise
    upload.offset = upload.length
    upload.sha256 = blob.sha256
    upload.content_type = blob.content_type
    upload.completed_at = timezone.now()
    upload.save(update_fields=["offset", "sha256", "content_type", "completed_at"])
    return upload


def _hash_and_sniff(files: S3BlobStorage, upload: Upload) -> storage.StoredBlob:
    blob = upload.metadata["s3"]["blob"]
    size = files.client.head_object(
        Bucket=files.bucket_name, Key=upload.metadata["s3"]["key"]
    )["ContentLength"]
    if size != upload.length:
        raise ValidationError(
            _("The file received is not the size announced; upload it again."),
            code="size_mismatch",
        )
    with storage.open_blob(blob) as stream:
        reader = storage._HashingReader(stream, upload.filename)
        while reader.read(storage.CHUNK_SIZE):
            pass
    return reader.blob(blob, storage._storage_reader(blob))


def discard(upload: Upload) -> None:
    """Stop a direct upload: abort it in the bucket and delete the row. A
    finished one that was not committed loses its object too."""
    files = bucket_storage()
    state: dict[str, Any] = upload.metadata["s3"]
    if files is not None:
        if upload.is_complete:
            files.delete(state["blob"])
        else:
            # Already gone is fine.
            with contextlib.suppress(files.client.exceptions.ClientError):
                files.client.abort_multipart_upload(
                    Bucket=files.bucket_name,
                    Key=state["key"],
                    UploadId=state["upload_id"],
                )
    _delete_row(upload)


def _check_open(upload: Upload) -> None:
    if upload.is_complete:
        raise ValidationError(
            _("This upload has already finished."), code="upload_complete"
        )
    if upload.expires_at <= timezone.now():
        raise ValidationError(
            _("This upload has expired; upload the file again."), code="expired"
        )


def _delete_row(upload: Upload) -> None:
    with transaction.atomic():
        Upload.objects.filter(pk=upload.pk).delete()
