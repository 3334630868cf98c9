"""Virus scanning of stored versions through a ClamAV daemon (when configured).

With `LOKET_CLAMD` set, every new version waits (`scan = pending`, not
available to download) until clamd has seen its bytes: the scan task runs after
the commit that added it. Clean → `clean` and a FILE_SCANNED event. Infected →
`infected`: the blob moves to `quarantine/` in the same storage (kept, not
deleted, so an administrator can examine or release a false positive), and a
FILE_QUARANTINED event names the signature; the file page shows it to the
uploader. clamd unreachable → the version stays pending; `manage.py
scan_pending` (run it from cron) scans every pending version again.

Versions larger than `LOKET_CLAMD_MAX_SIZE` (which must not exceed clamd's
StreamMaxLength) are not scanned and stay available, as clamd itself passes
files over its MaxFileSize; the history says so ("too_large"). Without
`LOKET_CLAMD` nothing is scanned and versions stay `not_scanned` (available).
"""

import logging
import os
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django_tasks import task

from loket.audit.actions import record
from loket.audit.models import Event
from loket.core.effects import promise
from loket.files import clamd, storage
from loket.files.models import FileVersion

logger = logging.getLogger(__name__)

QUARANTINE_FOLDER = "quarantine"


def is_configured() -> bool:
    return bool(settings.LOKET_CLAMD)


def scan_later(version: FileVersion) -> None:
    """Mark `version` as waiting for the scan and scan it in the background after
    the commit, when scanning is configured; else leave it available."""
    if not is_configured():
        return
    if version.size > settings.LOKET_CLAMD_MAX_SIZE:
        # Past clamd's stream limit: left available, like clamd's MaxFileSize.
        record(
            Event.Verb.FILE_SCANNED,
            actor=None,
            target=version,
            entity=version.file.entity,
            data={
                "result": "too_large",
                "version": version.number,
                "limit": settings.LOKET_CLAMD_MAX_SIZE,
            },
        )
        return
    if version.scan != FileVersion.Scan.PENDING:
        version.scan = FileVersion.Scan.PENDING
        version.save(update_fields=["scan"])
    _enqueue(version.pk)


def _enqueue(version_id: int) -> None:
    promise(scan_version, version_id)


@task()
def scan_version(version_id: int) -> None:
    """Scan one pending version with clamd, in the background."""
    version = FileVersion.objects.filter(pk=version_id).first()
    if version is not None:
        scan(version)


def rescan_pending() -> int:
    """Enqueue the scan of every pending version (after clamd was down); return
    how many. Scanning a version twice is harmless: only the first verdict is
    recorded."""
    ids = list(
        FileVersion.objects.filter(scan=FileVersion.Scan.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for version_id in ids:
        scan_version.enqueue(version_id)
    return len(ids)


def scan(version: FileVersion) -> clamd.Verdict | None:
    """Scan a pending version now and record the verdict; None when nothing was
    recorded (not pending, or clamd gave no verdict: it stays pending). The
    bytes are streamed, outside any transaction."""
    pending = FileVersion.objects.filter(pk=version.pk, scan=FileVersion.Scan.PENDING)
    if not is_configured() or not pending.exists():
        return None
    try:
        with storage.open_blob(version.blob) as stream:
            verdict = clamd.scan_stream(settings.LOKET_CLAMD, stream)
    except (clamd.ClamdError, OSError) as error:
        logger.warning("Virus scan of version %s postponed: %s", version.uuid, error)
        return None
    if verdict.infected:
        recorded = quarantine(version, signature=verdict.signature)
    else:
        recorded = mark_clean(version)
    return verdict if recorded else None


@transaction.atomic
def mark_clean(version: FileVersion) -> bool:
    """Record a clean verdict (once); True when recorded now."""
    version = (
        FileVersion.objects.select_for_update()
        .select_related("file")
        .get(pk=version.pk)
    )
    if version.scan != FileVersion.Scan.PENDING:
        return False
    version.scan = FileVersion.Scan.CLEAN
    version.save(update_fields=["scan"])
    record(
        Event.Verb.FILE_SCANNED,
        actor=None,
        target=version,
        entity=version.file.entity,
        data={"result": "clean", "version": version.number, "sha256": version.sha256},
    )
    return True


@transaction.atomic
def quarantine(version: FileVersion, *, signature: str) -> bool:
    """Record an infected verdict (once): the blob moves to the quarantine area
    and every version that shares it becomes infected. True when recorded now."""
    version = (
        FileVersion.objects.select_for_update()
        .select_related("file")
        .get(pk=version.pk)
    )
    if version.scan != FileVersion.Scan.PENDING:
        return False
    old_blob = version.blob
    new_blob = f"{QUARANTINE_FOLDER}/{old_blob}"
    sharing = FileVersion.objects.filter(blob=old_blob)
    sharing.update(blob=new_blob, scan=FileVersion.Scan.INFECTED)
    version.refresh_from_db()
    record(
        Event.Verb.FILE_QUARANTINED,
        actor=None,
        target=version,
        entity=version.file.entity,
        data={
            "result": "infected",
            "signature": signature,
            "version": version.number,
            "sha256": version.sha256,
            "uploaded_by": version.uploaded_by.email,
        },
    )
    # Moved last: a failure rolls the rows back and leaves the blob in place.
    _move_blob(old_blob, new_blob)
    return True


def _move_blob(old: str, new: str) -> None:
    from loket.files.s3 import S3BlobStorage

    files = storage.files_storage()
    source = storage.local_path(old)
    if source is not None:
        destination = Path(files.path(new))
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, destination)
    elif isinstance(files, S3BlobStorage):
        files.move(old, new)
    else:
        with storage.open_blob(old) as stream:
            files.save(new, stream)
        files.delete(old)


def quarantine_signatures(versions: Iterable[FileVersion]) -> dict[int, str]:
    """For the infected ones among `versions`: version id → the signature clamd
    found (one query), for the file page's "quarantined: <signature>"."""
    infected = {
        str(v.uuid): v.pk for v in versions if v.scan == FileVersion.Scan.INFECTED
    }
    if not infected:
        return {}
    events = Event.objects.filter(
        verb=Event.Verb.FILE_QUARANTINED,
        target_type=FileVersion._meta.label_lower,
        target_id__in=list(infected),
    ).values_list("target_id", "data")
    return {infected[target]: data.get("signature", "") for target, data in events}
