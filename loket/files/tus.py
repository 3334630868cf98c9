"""Resumable uploads: a tus 1.0.0 server at /api/v1/uploads/.

Extensions: creation, termination, expiration and checksum (sha1 or sha256,
per PATCH).
Authentication as the rest of the API: a personal token (`Authorization:
Bearer`) or the browser's session with its CSRF token (`X-CSRFToken`).

The body of a PATCH is read from the request in chunks and appended to the
upload's partial file, never held whole in memory; the SHA-256 of the whole
upload is computed on the way (see `_running_hash`). Finishing an upload only
marks it complete: nothing is visible to anyone until an action adds it
(`files.actions.add_upload`), which turns the partial into a blob by a rename.
"""

import base64
import binascii
import fcntl
import hashlib
import logging
import os
import queue
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja.utils import check_csrf

from loket import access
from loket.accounts.api_tokens import user_for_token
from loket.accounts.models import User
from loket.entities.lookups import get_entity_for_user
from loket.entities.models import Entity
from loket.files import storage, uploads
from loket.files.models import Upload

if TYPE_CHECKING:
    from hashlib import _Hash

logger = logging.getLogger(__name__)

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,termination,expiration,checksum"
PATCH_CONTENT_TYPE = "application/offset+octet-stream"
# The tus checksum extension's status for a chunk that does not match.
CHECKSUM_MISMATCH = 460
# sha1 is the one every tus server must support; sha256 is Loket's own hash.
CHECKSUM_ALGORITHMS = ("sha1", "sha256")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
HASH_CACHE_SIZE = 256


class TusError(Exception):
    def __init__(self, status: int, detail: str = "") -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _response(status: int, detail: str = "", **headers: str) -> HttpResponse:
    response: HttpResponse
    if detail:
        response = JsonResponse({"detail": detail}, status=status)
    else:
        response = HttpResponse(status=status)
    response["Tus-Resumable"] = TUS_VERSION
    response["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _options() -> HttpResponse:
    return _response(
        204,
        Tus_Version=TUS_VERSION,
        Tus_Extension=TUS_EXTENSIONS,
        Tus_Max_Size=str(settings.LOKET_MAX_UPLOAD_SIZE),
        Tus_Checksum_Algorithm=",".join(CHECKSUM_ALGORITHMS),
    )


def _handle(
    request: HttpRequest,
    handlers: dict[str, Callable[[HttpRequest, User], HttpResponse]],
) -> HttpResponse:
    """Authentication, protocol version and method, then the handler; a TusError
    becomes its status with a JSON detail."""
    method = request.method or ""
    override = request.headers.get("X-HTTP-Method-Override", "").upper()
    if method == "POST" and override in handlers:
        method = override
    if method == "OPTIONS":
        return _options()
    try:
        user = _caller(request, method)
        handler = handlers.get(method)
        if handler is None:
            response = _response(405, "Method Not Allowed")
            response["Allow"] = ", ".join(["OPTIONS", *handlers])
            return response
        if request.headers.get("Tus-Resumable") != TUS_VERSION:
            raise TusError(412, _("This server speaks tus version 1.0.0."))
        return handler(request, user)
    except TusError as error:
        response = _response(error.status, "" if method == "HEAD" else error.detail)
        if error.status == 412:
            response["Tus-Version"] = TUS_VERSION
        return response


def _caller(request: HttpRequest, method: str) -> User:
    """The user of a personal token or of the session (with the CSRF check on
    unsafe methods); else 401."""
    authorization = request.headers.get("Authorization", "")
    if authorization:
        scheme, _space, token = authorization.partition(" ")
        holder = user_for_token(token.strip()) if scheme.lower() == "bearer" else None
        if holder is None:
            raise TusError(401, "Unauthorized")
        translation.activate(holder.language)
        request.LANGUAGE_CODE = holder.language
        return holder
    user = request.user
    if not (isinstance(user, User) and user.is_active):
        raise TusError(401, "Unauthorized")
    if method not in SAFE_METHODS and check_csrf(request) is not None:
        raise TusError(403, _("The security token (CSRF) is missing or wrong."))
    return user


# --- Creation ------------------------------------------------------------------


@csrf_exempt
def uploads_view(request: HttpRequest) -> HttpResponse:
    """OPTIONS: what this server supports. POST: create an upload."""
    return _handle(request, {"POST": _create})


def _create(request: HttpRequest, user: User) -> HttpResponse:
    if "Upload-Defer-Length" in request.headers:
        raise TusError(400, _("The length of the upload must be known at the start."))
    length = _header_int(request, "Upload-Length")
    metadata = _metadata(request.headers.get("Upload-Metadata", ""))
    filename = metadata.get("filename") or metadata.get("name") or ""
    if not filename:
        raise TusError(400, _("The upload has no file name."))
    entity, caps = _entity(user, metadata.get("entity", ""))
    if not access.may_upload(caps):
        raise TusError(403, _("You may not upload files to this entity."))
    try:
        name = uploads.check_upload(filename, length)
    except ValidationError as error:
        status = 413 if error.code == "too_large" else 422
        raise TusError(status, " ".join(error.messages)) from None

    partial = storage.new_partial_name()
    storage.new_partial_file(partial)
    upload = Upload.objects.create(
        owner=user,
        entity=entity,
        filename=name,
        length=length,
        # What the client said, cleaned (PostgreSQL stores no NUL in JSON).
        metadata={
            "filename": name,
            "filetype": _printable(metadata.get("filetype") or metadata.get("type")),
            "entity": str(entity.uuid),
        },
        partial=partial,
        expires_at=timezone.now() + settings.LOKET_UPLOAD_EXPIRY,
    )
    location = request.build_absolute_uri(reverse("uploads:detail", args=[upload.uuid]))
    return _response(
        201, Location=location, Upload_Expires=http_date(upload.expires_at.timestamp())
    )


def _printable(value: str | None) -> str:
    return "".join(char for char in value or "" if char.isprintable())[:255]


def _entity(user: User, raw: str) -> tuple[Entity, frozenset[str]]:
    """The entity named in the metadata and what `user` holds there; 404 when
    they do not see it."""
    try:
        return get_entity_for_user(user, uuid.UUID(raw))
    except (ValueError, Http404):
        raise TusError(404, "Not Found") from None


def _metadata(header: str) -> dict[str, str]:
    """Upload-Metadata: comma-separated `key base64(value)` pairs."""
    found: dict[str, str] = {}
    for pair in header.split(","):
        key, _space, value = pair.strip().partition(" ")
        if not key:
            continue
        try:
            found[key] = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise TusError(400, _("The upload's metadata is not valid.")) from None
    return found


def _header_int(request: HttpRequest, name: str) -> int:
    raw = request.headers.get(name, "")
    if not raw.isascii() or not raw.isdigit():
        raise TusError(
            400, _("The %(header)s header is missing or not valid.") % {"header": name}
        )
    return int(raw)


# --- One upload ----------------------------------------------------------------


@csrf_exempt
def upload_view(request: HttpRequest, upload_uuid: uuid.UUID) -> HttpResponse:
    """HEAD: how far the upload is. PATCH: append bytes. DELETE: stop it."""
    handlers: dict[str, Callable[[HttpRequest, User], HttpResponse]] = {
        "HEAD": lambda request, user: _head(request, _owned(user, upload_uuid)),
        "PATCH": lambda request, user: _patch(request, _owned(user, upload_uuid)),
        "DELETE": lambda request, user: _terminate(_owned(user, upload_uuid)),
    }
    return _handle(request, handlers)


def _owned(user: User, upload_uuid: uuid.UUID) -> Upload:
    """The caller's own upload; another's is missing (404), an expired one gone."""
    # A direct-to-S3 upload (s3_uploads) takes no bytes through tus.
    mine = Upload.objects.filter(uuid=upload_uuid, owner=user)
    upload = mine.exclude(metadata__has_key="s3").first()
    if upload is None:
        raise TusError(404, "Not Found")
    if upload.expires_at <= timezone.now():
        raise TusError(410, _("This upload has expired; upload the file again."))
    return upload


def _head(request: HttpRequest, upload: Upload) -> HttpResponse:
    metadata = ",".join(
        f"{key} {base64.b64encode(str(value).encode()).decode()}"
        for key, value in upload.metadata.items()
    )
    return _response(
        200,
        Upload_Offset=str(upload.offset),
        Upload_Length=str(upload.length),
        Upload_Expires=http_date(upload.expires_at.timestamp()),
        Upload_Metadata=metadata,
    )


def _terminate(upload: Upload) -> HttpResponse:
    with _locked(upload):
        storage.delete_partial(upload)
        upload.delete()
    _forget_hashes(upload.pk)
    return _response(204)


def _patch(request: HttpRequest, upload: Upload) -> HttpResponse:
    if request.content_type != PATCH_CONTENT_TYPE:
        raise TusError(
            415, _("A PATCH must be sent as %(type)s.") % {"type": PATCH_CONTENT_TYPE}
        )
    offset = _header_int(request, "Upload-Offset")
    checksum = _checksum(request.headers.get("Upload-Checksum"))
    body_length = _body_length(request)
    if offset != upload.offset:
        raise TusError(
            409,
            _("The upload is at byte %(offset)s, not %(sent)s.")
            % {"offset": upload.offset, "sent": offset},
        )
    if body_length is not None and offset + body_length > upload.length:
        raise TusError(413, _("This would go past the end of the upload."))
    if upload.is_complete:
        return _patched(upload)

    with _locked(upload) as fd:
        upload.refresh_from_db(fields=["offset"])
        on_disk = os.fstat(fd).st_size
        if on_disk < upload.offset:
            # Bytes counted but lost (a crash before they reached the disk).
            Upload.objects.filter(pk=upload.pk).update(offset=on_disk)
            _forget_hashes(upload.pk)
            upload.offset = on_disk
        if offset != upload.offset:
            raise TusError(
                409,
                _("The upload is at byte %(offset)s, not %(sent)s.")
                % {"offset": upload.offset, "sent": offset},
            )
        received = _receive(request, upload, fd, body_length, checksum)
        if not Upload.objects.filter(pk=upload.pk, offset=offset).update(
            offset=offset + received,
            expires_at=timezone.now() + settings.LOKET_UPLOAD_EXPIRY,
        ):
            raise TusError(404, "Not Found")
        upload.refresh_from_db()
        if upload.offset == upload.length:
            _complete(upload, fd)
    return _patched(upload)


def _patched(upload: Upload) -> HttpResponse:
    return _response(
        204,
        Upload_Offset=str(upload.offset),
        Upload_Expires=http_date(upload.expires_at.timestamp()),
    )


def _checksum(header: str | None) -> tuple[str, bytes] | None:
    """The algorithm and digest an Upload-Checksum header gives for the chunk."""
    if header is None:
        return None
    algorithm, _space, encoded = header.strip().partition(" ")
    algorithm = algorithm.lower()
    if algorithm not in CHECKSUM_ALGORITHMS:
        raise TusError(
            400,
            _("Checksums must be one of: %(algorithms)s.")
            % {"algorithms": ", ".join(CHECKSUM_ALGORITHMS)},
        )
    try:
        digest = base64.b64decode(encoded.strip(), validate=True)
    except binascii.Error:
        digest = b""
    if len(digest) != hashlib.new(algorithm).digest_size:
        raise TusError(400, _("The Upload-Checksum header is not valid."))
    return algorithm, digest


def _body_length(request: HttpRequest) -> int | None:
    """The body's length, or None for a chunked body of unknown length."""
    raw = request.META.get("CONTENT_LENGTH") or ""
    if raw.isdigit():
        return int(raw)
    if request.META.get(
        "HTTP_TRANSFER_ENCODING", ""
    ).lower() == "chunked" and request.META.get("wsgi.input_terminated"):
        return None
    return 0


def _receive(
    request: HttpRequest,
    upload: Upload,
    fd: int,
    body_length: int | None,
    checksum: tuple[str, bytes] | None,
) -> int:
    """Append the request's body to the partial file at the upload's offset and
    return how many bytes were kept. A lost connection keeps what arrived,
    unless a checksum was sent, which can then not be verified."""
    offset = upload.offset
    room = upload.length - offset
    os.ftruncate(fd, offset)  # bytes past the last synced offset are not trusted
    whole = _running_hash(upload.pk, offset, fd)
    before = whole.copy() if checksum is not None else None
    chunk_hash = hashlib.new(checksum[0]) if checksum is not None else None
    read = request.read if body_length is not None else request.META["wsgi.input"].read
    expected = room + 1 if body_length is None else body_length

    def undo() -> None:
        os.ftruncate(fd, offset)
        _forget_hashes(upload.pk)
        if before is not None:
            _remember_hash(upload.pk, offset, before)

    hashes = [whole] if chunk_hash is None else [whole, chunk_hash]
    writer = _Writer(fd, offset, hashes)
    received = 0
    too_much = False
    try:
        while received < expected:
            try:
                data = read(min(storage.CHUNK_SIZE, expected - received))
            except OSError:
                break  # the connection was lost: keep what arrived
            if not data:
                break
            if received + len(data) > room:
                too_much = True
                break
            if not writer.put(data):
                break
            received += len(data)
    finally:
        writer.close()
    if writer.error is not None:
        undo()
        logger.error(
            "Could not write to the partial upload %s",
            upload.uuid,
            exc_info=writer.error,
        )
        raise TusError(
            507, _("The server could not store the file just now; try again later.")
        )
    if too_much:
        undo()
        raise TusError(413, _("This would go past the end of the upload."))

    lost = body_length is not None and received < body_length
    if checksum is not None and chunk_hash is not None:
        mismatch = chunk_hash.digest() != checksum[1]
    else:
        mismatch = False
    if chunk_hash is not None and (lost or mismatch):
        undo()
        if lost:
            raise TusError(400, _("The connection was lost."))
        raise TusError(
            CHECKSUM_MISMATCH,
            _("The chunk was damaged on the way (checksum mismatch); send it again."),
        )
    os.fdatasync(fd)
    _remember_hash(upload.pk, offset + received, whole)
    return received


class _Writer:
    """Writes and hashes a PATCH's chunks in a thread of its own while the
    request's thread reads the next ones from the socket: hashing, the costliest
    step, then runs beside the reading (both release the GIL). At most a few
    chunks wait in between."""

    def __init__(self, fd: int, position: int, hashes: "list[_Hash]") -> None:
        self.fd = fd
        self.position = position
        self.hashes = hashes
        self.behind = storage.WriteBehind(fd, position)
        self.error: BaseException | None = None
        self.queue: queue.Queue[bytes | None] = queue.Queue(maxsize=4)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def put(self, data: bytes) -> bool:
        """Queue `data`; False once writing has failed."""
        if self.error is not None:
            return False
        self.queue.put(data)
        return True

    def close(self) -> None:
        """Wait until every queued chunk is written."""
        self.queue.put(None)
        self.thread.join()

    def _run(self) -> None:
        while (data := self.queue.get()) is not None:
            if self.error is not None:
                continue  # drain, so that put() never blocks for good
            try:
                _write_all(self.fd, data, self.position)
                for running in self.hashes:
                    running.update(data)
                self.position += len(data)
                self.behind.wrote_up_to(self.position)
            except BaseException as error:  # handed to the request's thread
                self.error = error


def _write_all(fd: int, data: bytes, position: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, position)
        view = view[written:]
        position += written


def _complete(upload: Upload, fd: int) -> None:
    """The last byte is in: keep the hash and the sniffed type, or refuse a
    program and forget the upload."""
    whole = _running_hash(upload.pk, upload.length, fd)
    _forget_hashes(upload.pk)
    try:
        content_type = uploads.sniff(
            os.pread(fd, uploads.HEAD_SIZE, 0),
            upload.filename,
            lambda offset, size: os.pread(fd, size, offset),
        )
    except ValidationError as error:
        storage.delete_partial(upload)
        upload.delete()
        raise TusError(422, " ".join(error.messages)) from None
    upload.completed_at = timezone.now()
    upload.sha256 = whole.hexdigest()
    upload.content_type = content_type
    upload.save(update_fields=["completed_at", "sha256", "content_type"])


class _locked:
    """The partial file, open and locked against a concurrent PATCH or DELETE
    (423 Locked while another request holds it)."""

    def __init__(self, upload: Upload) -> None:
        self.upload = upload
        self.fd = -1

    def __enter__(self) -> int:
        try:
            self.fd = os.open(storage.partial_path(self.upload), os.O_RDWR)
        except FileNotFoundError:
            with transaction.atomic():
                self.upload.delete()
            raise TusError(
                410, _("This upload is no longer available; upload the file again.")
            ) from None
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            raise TusError(
                423, _("This upload is busy with another request; try again.")
            ) from None
        return self.fd

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)  # closing releases the lock


# --- The running hash ------------------------------------------------------------
# Hash while receiving: the SHA-256 object of each upload in progress is kept in
# this process, keyed by (upload, offset it has hashed up to). A PATCH that
# arrives at another worker, or after a restart, rebuilds it once by reading the
# partial's prefix.

_hashes: "OrderedDict[tuple[int, int], _Hash]" = OrderedDict()
_hashes_lock = threading.Lock()


def _running_hash(upload_pk: int, offset: int, fd: int) -> "_Hash":
    with _hashes_lock:
        found = _hashes.pop((upload_pk, offset), None)
    if found is not None:
        return found
    rebuilt = hashlib.sha256()
    position = 0
    while position < offset:
        data = os.pread(fd, min(storage.CHUNK_SIZE, offset - position), position)
        if not data:
            break
        rebuilt.update(data)
        position += len(data)
    return rebuilt


def _remember_hash(upload_pk: int, offset: int, running: "_Hash") -> None:
    with _hashes_lock:
        _hashes[(upload_pk, offset)] = running
        while len(_hashes) > HASH_CACHE_SIZE:
            _hashes.popitem(last=False)


def _forget_hashes(upload_pk: int) -> None:
    with _hashes_lock:
        for key in [key for key in _hashes if key[0] == upload_pk]:
            del _hashes[key]


app_name = "uploads"
urlpatterns = [
    path("", uploads_view, name="create"),
    path("<uuid:upload_uuid>", upload_view, name="detail"),
]
