"""Helpers for the files tests (no tests here): stored blobs, files and
finished resumable uploads, arranged without going through the pages."""

import hashlib
import io
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from loket.accounts.models import User
from loket.entities.models import Entity
from loket.files import actions, storage
from loket.files.models import File, FileVersion, Folder, Upload

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def pdf(text: str = "") -> bytes:
    """A small PDF whose bytes differ by `text`."""
    return PDF + text.encode() + b"\n"


def stored(content: bytes = PDF, name: str = "jaarrekening.pdf") -> storage.StoredBlob:
    return storage.store_stream(io.BytesIO(content), name)


def add(
    entity: Entity,
    actor: User,
    name: str = "jaarrekening.pdf",
    content: bytes = PDF,
    *,
    folder: Folder | None = None,
    limited: bool = False,
) -> File:
    version = actions.add_file(
        entity,
        actor=actor,
        blob=stored(content, name),
        name=name,
        folder=folder,
        limited=limited,
    )
    return version.file


def blob_path(blob: str) -> Path:
    path = storage.local_path(blob)
    assert path is not None, "the tests store files on the local disk"
    return path


def blob_exists(version: FileVersion | str) -> bool:
    blob = version if isinstance(version, str) else version.blob
    return blob_path(blob).exists()


def finished_upload(
    owner: User, entity: Entity, content: bytes = PDF, filename: str = "scan.pdf"
) -> Upload:
    """A resumable upload whose bytes have all arrived, as the tus endpoint
    leaves it."""
    partial = storage.new_partial_name()
    path = storage.partial_dir() / partial
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    now = timezone.now()
    return Upload.objects.create(
        owner=owner,
        entity=entity,
        filename=filename,
        length=len(content),
        offset=len(content),
        partial=partial,
        content_type="application/pdf",
        sha256=hashlib.sha256(content).hexdigest(),
        expires_at=now + timedelta(days=1),
        completed_at=now,
    )


def partial_exists(upload: Upload) -> bool:
    return storage.partial_path(upload).exists()
