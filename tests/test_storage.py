"""Blob storage: storing a stream, taking a finished upload by rename, and the
download response's headers."""

import hashlib
import io
import os
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import timezone

from loket.accounts.models import User
from loket.entities.models import Entity
from loket.files import storage
from loket.files.models import File, FileVersion, Upload

PDF = b"%PDF-1.7\n" + os.urandom(3 * 1024 * 1024)
BLOB_NAME = re.compile(r"^([0-9a-f]{2})/([0-9a-f]{2})/\1\2[0-9a-f]{28}$")


def stored_files() -> list[Path]:
    root = storage.files_storage().path("")
    return sorted(
        path
        for path in Path(root).rglob("*")
        if path.is_file() and storage.PARTIAL_FOLDER not in path.parts
    )


def partials() -> list[Path]:
    folder = storage.partial_dir()
    return sorted(folder.iterdir()) if folder.exists() else []


def test_store_stream_hashes_sniffs_and_writes_the_blob() -> None:
    blob = storage.store_stream(io.BytesIO(PDF), "jaarrekening.pdf")
    assert BLOB_NAME.match(blob.blob)
    assert blob.size == len(PDF)
    assert blob.sha256 == hashlib.sha256(PDF).hexdigest()
    assert blob.content_type == "application/pdf"
    path = storage.local_path(blob.blob)
    assert path is not None
    assert path.read_bytes() == PDF
    assert stored_files() == [path]
    assert partials() == []  # the temporary file became the blob
    with storage.open_blob(blob.blob) as stream:
        assert stream.read(8) == PDF[:8]


def test_store_stream_reads_in_chunks() -> None:
    sizes: list[int] = []

    class Recording(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            sizes.append(-1 if size is None else size)
            return super().read(size)

    storage.store_stream(Recording(PDF), "a.pdf")
    assert sizes
    assert all(0 < size <= storage.CHUNK_SIZE for size in sizes)


def test_store_stream_refuses_a_program_and_keeps_nothing() -> None:
    elf = b"\x7fELF\x02\x01\x01\x00" + b"\0" * 5000
    with pytest.raises(ValidationError) as refused:
        storage.store_stream(io.BytesIO(elf), "factuur.pdf")
    assert refused.value.code == "blocked_type"
    assert stored_files() == []
    assert partials() == []


def test_store_stream_refuses_an_empty_file() -> None:
    with pytest.raises(ValidationError) as refused:
        storage.store_stream(io.BytesIO(b""), "leeg.pdf")
    assert refused.value.code == "empty"
    assert stored_files() == []
    assert partials() == []


def test_store_stream_stops_at_the_size_limit(settings: Any) -> None:
    settings.LOKET_MAX_UPLOAD_SIZE = 1024 * 1024
    with pytest.raises(ValidationError) as refused:
        storage.store_stream(io.BytesIO(PDF), "groot.pdf")
    assert refused.value.code == "too_large"
    assert stored_files() == []
    assert partials() == []


def test_delete_blob_removes_the_bytes() -> None:
    blob = storage.store_stream(io.BytesIO(PDF), "a.pdf")
    storage.delete_blob(blob.blob)
    assert stored_files() == []


# --- take_upload ------------------------------------------------------------


def complete_upload(contact: User, entity: Entity, data: bytes = PDF) -> Upload:
    upload = Upload.objects.create(
        owner=contact,
        entity=entity,
        filename="jaarrekening.pdf",
        length=len(data),
        offset=len(data),
        partial=storage.new_partial_name(),
        expires_at=timezone.now() + timedelta(hours=1),
        completed_at=timezone.now(),
        sha256=hashlib.sha256(data).hexdigest(),
        content_type="application/pdf",
    )
    storage.partial_dir().mkdir(parents=True, exist_ok=True)
    storage.partial_path(upload).write_bytes(data)
    return upload


def test_take_upload_renames_the_partial_without_copying(
    contact: User,
    entity: Entity,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    upload = complete_upload(contact, entity)
    partial = storage.partial_path(upload)
    before = partial.stat()
    with django_capture_on_commit_callbacks(execute=True):
        blob = storage.take_upload(upload)
    path = storage.local_path(blob.blob)
    assert path is not None
    after = path.stat()
    # The same inode on the same device: the bytes were not copied.
    assert (after.st_ino, after.st_dev) == (before.st_ino, before.st_dev)
    assert path.read_bytes() == PDF
    assert not partial.exists()
    assert blob == storage.StoredBlob(
        blob.blob, len(PDF), hashlib.sha256(PDF).hexdigest(), "application/pdf"
    )


def test_a_rolled_back_take_leaves_the_upload_to_try_again(
    contact: User,
    entity: Entity,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    upload = complete_upload(contact, entity)
    with django_capture_on_commit_callbacks(execute=False):
        storage.take_upload(upload)
    assert storage.partial_path(upload).read_bytes() == PDF


def test_take_upload_refuses_an_unfinished_upload(
    contact: User, entity: Entity
) -> None:
    upload = complete_upload(contact, entity)
    upload.completed_at = None
    with pytest.raises(ValidationError) as refused:
        storage.take_upload(upload)
    assert refused.value.code == "upload_incomplete"
    assert stored_files() == []


def test_take_upload_refuses_a_partial_of_the_wrong_size(
    contact: User, entity: Entity
) -> None:
    upload = complete_upload(contact, entity)
    storage.partial_path(upload).write_bytes(PDF[:100])
    with pytest.raises(ValidationError) as refused:
        storage.take_upload(upload)
    assert refused.value.code == "upload_gone"
    assert stored_files() == []


# --- download_response ------------------------------------------------------


def version_of(
    uploader: User, entity: Entity, name: str, data: bytes = PDF
) -> FileVersion:
    blob = storage.store_stream(io.BytesIO(data), name)
    file = File.objects.create(entity=entity, name=name, created_by=uploader)
    return FileVersion.objects.create(
        file=file,
        number=1,
        blob=blob.blob,
        original_name=name,
        size=blob.size,
        content_type=blob.content_type,
        sha256=blob.sha256,
        uploaded_by=uploader,
    )


def body(response: Any) -> bytes:
    data = b"".join(response.streaming_content)
    discard(response)
    return data


def discard(response: Any) -> None:
    # Not response.close(): it sends request_finished, which would close the
    # test's database connection.
    response.file_to_stream.close()


def test_a_download_streams_the_bytes_under_a_unicode_name(
    contact: User, entity: Entity
) -> None:
    version = version_of(contact, entity, "Jaarrekening € 2025 – ‘definitief’.pdf")
    response = storage.download_response(version)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''"
        "Jaarrekening%20%E2%82%AC%202025%20%E2%80%93%20%E2%80%98definitief%E2%80%99.pdf"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Content-Length"] == str(len(PDF))
    assert body(response) == PDF


def test_an_ascii_name_is_quoted(contact: User, entity: Entity) -> None:
    version = version_of(contact, entity, 'say "hi".pdf')
    response = storage.download_response(version)
    assert response["Content-Disposition"] == 'attachment; filename="say \\"hi\\".pdf"'
    discard(response)


def test_inline_only_for_types_a_browser_shows_safely(
    contact: User, entity: Entity
) -> None:
    pdf = version_of(contact, entity, "a.pdf")
    response = storage.download_response(pdf, inline=True)
    assert response["Content-Disposition"] == 'inline; filename="a.pdf"'
    discard(response)
    # HTML is shown as plain text, never rendered.
    html = version_of(contact, entity, "page.html", b"<html><script>x</script>")
    response = storage.download_response(html, inline=True)
    assert response["Content-Type"] == "text/plain"
    discard(response)
    data = version_of(contact, entity, "data.bin", b"\0\1\2\3")
    response = storage.download_response(data, inline=True)
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="data.bin"'
    discard(response)


def test_x_accel_redirect_hands_the_bytes_to_nginx(
    contact: User, entity: Entity, settings: Any
) -> None:
    settings.LOKET_SENDFILE = "x-accel-redirect"
    settings.LOKET_SENDFILE_PREFIX = "/protected-files/"
    version = version_of(contact, entity, "Overzicht ë.pdf")
    response = storage.download_response(version)
    assert isinstance(response, HttpResponse)
    assert response["X-Accel-Redirect"] == f"/protected-files/{version.blob}"
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''Overzicht%20%C3%AB.pdf"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content == b""


def test_x_sendfile_names_the_path(
    contact: User, entity: Entity, settings: Any
) -> None:
    settings.LOKET_SENDFILE = "x-sendfile"
    version = version_of(contact, entity, "a.pdf")
    response = storage.download_response(version)
    assert isinstance(response, HttpResponse)
    assert response["X-Sendfile"] == str(storage.local_path(version.blob))
    assert response.content == b""


def test_the_sendfile_setting_is_checked_at_start_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib

    from django.core.exceptions import ImproperlyConfigured

    import config.settings

    monkeypatch.setenv("LOKET_SENDFILE", "x-accel")
    with pytest.raises(ImproperlyConfigured, match="LOKET_SENDFILE"):
        importlib.reload(config.settings)
    monkeypatch.delenv("LOKET_SENDFILE")
    importlib.reload(config.settings)
