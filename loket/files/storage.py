"""Blobs: the bytes of stored files, in Django's "files" storage.

A blob has a generated name (`ab/cd/<uuid hex>`) and never changes; the rows
(FileVersion) keep the original name, size, sniffed content type and SHA-256.
Bytes are hashed and sniffed in the one pass that writes them, and never held
whole in memory.

On a local file system (the storage has `path()`), partial uploads live in
`LOKET_FILES_DIR/partial/`, on the same file system as the blobs, so a finished
upload becomes a blob by a hard link or rename, not a copy. Other storages
(S3) are handled in the branches marked "Remote storage".
"""

import ctypes
import errno
import hashlib
import io
import logging
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.http import FileResponse, HttpResponse, HttpResponseBase
from django.http.response import HttpResponseRedirect
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from loket.files import uploads

if TYPE_CHECKING:
    from loket.files.models import FileVersion, Upload

logger = logging.getLogger(__name__)

# Bytes read and written at a time: large enough that Python's per-call cost
# disappears, small enough to stay well clear of the memory budget.
CHUNK_SIZE = 1024 * 1024
PARTIAL_FOLDER = "partial"

# Content types a browser may show inline (the `inline=True` download); any
# other is always sent as an attachment, so an uploaded HTML or SVG file never
# runs in the portal's origin.
INLINE_TYPES = frozenset(
    {
        "application/pdf",
        "image/gif",
        "image/jpeg",
        "image/png",
        "image/webp",
        "text/plain",
    }
)


@dataclass(frozen=True)
class StoredBlob:
    """Bytes kept in the files storage, ready to become a file version."""

    blob: str
    size: int
    sha256: str
    content_type: str


def files_storage() -> Storage:
    return storages["files"]


def local_path(blob: str) -> Path | None:
    """Where `blob` is on the local disk, or None on a remote storage."""
    try:
        return Path(files_storage().path(blob))
    except NotImplementedError:
        return None


def new_blob_name() -> str:
    name = uuid.uuid4().hex
    return f"{name[:2]}/{name[2:4]}/{name}"


def partial_dir() -> Path:
    """Where partial uploads are written: inside LOKET_FILES_DIR, so on the
    same file system as the blobs."""
    return Path(settings.LOKET_FILES_DIR) / PARTIAL_FOLDER


def partial_path(upload: "Upload") -> Path:
    return partial_dir() / upload.partial


def new_partial_name() -> str:
    return uuid.uuid4().hex


def new_partial_file(name: str) -> Path:
    """An empty partial file, with the permissions of a stored file (it becomes
    one by a rename; a front web server may have to read it)."""
    folder = partial_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.touch(exist_ok=False)
    if settings.FILE_UPLOAD_PERMISSIONS is not None:
        path.chmod(settings.FILE_UPLOAD_PERMISSIONS)
    return path


class _HashingReader:
    """Reads a stream once, hashing every byte and keeping the head for sniffing.

    Refuses (ValidationError) a stream longer than the largest upload."""

    def __init__(self, stream: IO[bytes], filename: str) -> None:
        self.stream = stream
        self.filename = filename
        self.hasher = hashlib.sha256()
        self.head = b""
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(CHUNK_SIZE if size is None or size < 0 else size)
        if data:
            self.hasher.update(data)
            self.size += len(data)
            if len(self.head) < uploads.HEAD_SIZE:
                self.head += data[: uploads.HEAD_SIZE - len(self.head)]
            if self.size > settings.LOKET_MAX_UPLOAD_SIZE:
                uploads.check_upload(self.filename, self.size)
        return data

    def blob(self, name: str, read_at: uploads.ReadAt) -> StoredBlob:
        """The StoredBlob for what was read; ValidationError for an empty file
        or a program."""
        uploads.check_upload(self.filename, self.size)
        content_type = uploads.sniff(self.head, self.filename, read_at)
        return StoredBlob(name, self.size, self.hasher.hexdigest(), content_type)


def store_stream(stream: IO[bytes], filename: str) -> StoredBlob:
    """Store the bytes of `stream` as a new blob: read in chunks, hashed and
    sniffed on the way. An empty, over-size or program file is refused
    (ValidationError) and nothing is kept."""
    name = new_blob_name()
    reader = _HashingReader(stream, filename)
    destination = local_path(name)
    if destination is None:
        # Remote storage: the storage reads the stream; delete on refusal.
        storage = files_storage()
        try:
            saved = storage.save(name, File(cast(IO[bytes], reader), name=name))
            return reader.blob(saved, _storage_reader(saved))
        except BaseException:
            if storage.exists(name):
                storage.delete(name)
            raise
    # Local disk: write beside the blobs, then rename into place, so a blob
    # appears whole or not at all.
    partial_dir().mkdir(parents=True, exist_ok=True)
    temporary = partial_dir() / f"store-{uuid.uuid4().hex}"
    try:
        with temporary.open("xb", buffering=0) as out:
            behind = WriteBehind(out.fileno(), 0)
            while data := reader.read(CHUNK_SIZE):
                view = memoryview(data)
                while view:
                    view = view[out.write(view) or 0 :]
                behind.wrote_up_to(reader.size)
            os.fdatasync(out.fileno())
        blob = reader.blob(name, _file_reader(temporary))
        _move_into_place(temporary, destination)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return blob


def take_upload(upload: "Upload") -> StoredBlob:
    """The bytes of a complete tus upload, as a new blob, without copying them:
    the partial file is hard-linked (or renamed) into place. The partial goes
    when the caller's transaction commits, so a rolled-back action leaves the
    upload intact to try again. The caller deletes the Upload row."""
    if not upload.is_complete or not upload.sha256:
        raise ValidationError(
            _("This upload has not finished yet."), code="upload_incomplete"
        )
    if "s3" in upload.metadata:
        # A direct upload (s3_uploads) is in the bucket already, hashed.
        blob: str = upload.metadata["s3"]["blob"]
        return StoredBlob(blob, upload.length, upload.sha256, upload.content_type)
    source = partial_path(upload)
    try:
        size = source.stat().st_size
    except FileNotFoundError:
        size = -1
    if size != upload.length:
        raise ValidationError(
            _("This upload is no longer available; upload the file again."),
            code="upload_gone",
        )
    name = new_blob_name()
    destination = local_path(name)
    if destination is None:
        # Remote storage: send the partial's bytes to the storage.
        with source.open("rb") as partial:
            name = files_storage().save(name, File(partial, name=name))
    else:
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, destination)
        except OSError as error:
            if error.errno != errno.EXDEV:
                raise
            logger.warning(
                "Partial uploads (%s) are not on the file system of the stored "
                "files; copying. Keep LOKET_FILES_DIR and the files storage on "
                "one file system.",
                partial_dir(),
            )
            _copy(source, destination)
        _sync_directory(destination.parent)
    transaction.on_commit(lambda: source.unlink(missing_ok=True))
    return StoredBlob(name, upload.length, upload.sha256, upload.content_type)


def store_bytes(data: bytes, filename: str) -> StoredBlob:
    """`store_stream` for bytes a program made in memory (a signed PDF)."""
    return store_stream(io.BytesIO(data), filename)


def open_blob(blob: str) -> IO[bytes]:
    return cast(IO[bytes], files_storage().open(blob, "rb"))


def read_blob(blob: str) -> bytes:
    """A blob's bytes, whole: for a document a program reads in memory anyway
    (a PDF to inspect, render or sign)."""
    with open_blob(blob) as stream:
        return stream.read()


def delete_blob(blob: str) -> None:
    files_storage().delete(blob)


def delete_partial(upload: "Upload") -> None:
    partial_path(upload).unlink(missing_ok=True)


# --- Downloads -------------------------------------------------------------


def download_response(
    version: "FileVersion", *, inline: bool = False
) -> HttpResponseBase:
    """The response that sends `version`'s bytes under its original name.

    Access is the caller's job. Shown inline only for types a browser renders
    safely; else an attachment. The front web server sends the bytes when
    LOKET_SENDFILE says so; a remote storage answers with a short-lived
    pre-signed redirect."""
    filename = version.original_name
    content_type = version.content_type or "application/octet-stream"
    as_attachment = not (inline and content_type in INLINE_TYPES)

    url = presigned_download_url(version, as_attachment=as_attachment)
    if url is not None:
        response: HttpResponseBase = HttpResponseRedirect(url)
    elif settings.LOKET_SENDFILE == "x-accel-redirect":
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = settings.LOKET_SENDFILE_PREFIX + quote(
            version.blob
        )
        response["Content-Disposition"] = _disposition(as_attachment, filename)
    elif settings.LOKET_SENDFILE == "x-sendfile":
        response = HttpResponse(content_type=content_type)
        response["X-Sendfile"] = str(files_storage().path(version.blob))
        response["Content-Disposition"] = _disposition(as_attachment, filename)
    else:
        file_response = FileResponse(
            open_blob(version.blob),
            as_attachment=as_attachment,
            filename=filename,
            content_type=content_type,
        )
        file_response.block_size = CHUNK_SIZE
        response = file_response
    response["X-Content-Type-Options"] = "nosniff"
    # Even a file shown inline runs no script and loads nothing.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-cache"
    return response


def presigned_download_url(
    version: "FileVersion", *, as_attachment: bool
) -> str | None:
    """Remote storage: a short-lived pre-signed URL for `version`'s blob, with
    the name and type it is to be saved under; None when the bytes are sent by
    this server (local disk)."""
    from loket.files.s3 import S3BlobStorage

    storage = files_storage()
    if not isinstance(storage, S3BlobStorage):
        return None
    return storage.presigned_get(
        version.blob,
        content_disposition=content_disposition_header(
            as_attachment, version.original_name
        )
        or "attachment",
        content_type=version.content_type or "application/octet-stream",
        seconds=settings.LOKET_S3_URL_SECONDS,
    )


# --- Writing behind -------------------------------------------------------------

# Linux's sync_file_range(2) flags.
_WAIT_BEFORE, _WRITE, _WAIT_AFTER = 1, 2, 4


def _load_sync_file_range() -> "Callable[[int, int, int, int], int] | None":
    try:
        function = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (AttributeError, OSError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    function.restype = ctypes.c_int
    return cast("Callable[[int, int, int, int], int]", function)


_sync_file_range = _load_sync_file_range()


class WriteBehind:
    """Sends a file's new bytes to the disk while more arrive, so the fsync at
    the end waits for the last window only, not for the whole upload.

    The page cache would otherwise hold every byte until the fsync (the kernel
    starts writing only past gigabytes of dirty memory) and the upload would
    take the time to receive it plus the time to write it. After each window,
    the window before is waited for and the new one started (Linux; elsewhere
    this does nothing and the fsync does it all)."""

    WINDOW = 8 * 1024 * 1024

    def __init__(self, fd: int, start: int) -> None:
        self.fd = fd
        self.started = start  # writing has been started up to here
        self.previous = start  # ... and the window before began here

    def wrote_up_to(self, end: int) -> None:
        if _sync_file_range is None or end - self.started < self.WINDOW:
            return
        if self.started > self.previous:
            _sync_file_range(
                self.fd,
                self.previous,
                self.started - self.previous,
                _WAIT_BEFORE | _WRITE | _WAIT_AFTER,
            )
        _sync_file_range(self.fd, self.started, end - self.started, _WRITE)
        self.previous, self.started = self.started, end


# --- Helpers ---------------------------------------------------------------


def _disposition(as_attachment: bool, filename: str) -> str:
    return content_disposition_header(as_attachment, filename) or "attachment"


def _move_into_place(source: Path, destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(source, destination)
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        _copy(source, destination)
        source.unlink()
    _sync_directory(destination.parent)


def _copy(source: Path, destination: Path) -> None:
    with source.open("rb") as src, destination.open("xb") as dst:
        shutil.copyfileobj(src, dst, CHUNK_SIZE)
        dst.flush()
        os.fsync(dst.fileno())


def _sync_directory(path: Path) -> None:
    """Make a rename or link in `path` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _file_reader(path: Path) -> Callable[[int, int], bytes]:
    def read_at(offset: int, size: int) -> bytes:
        with path.open("rb") as file:
            file.seek(offset)
            return file.read(size)

    return read_at


def _storage_reader(name: str) -> Callable[[int, int], bytes]:
    def read_at(offset: int, size: int) -> bytes:
        with files_storage().open(name, "rb") as file:
            file.seek(offset)
            return cast(bytes, file.read(size))

    return read_at


def read_partial_at(upload: "Upload") -> Callable[[int, int], bytes]:
    return _file_reader(partial_path(upload))
