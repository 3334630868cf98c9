"""Removes abandoned uploads: expired Upload rows with their partial files, and
partial files that no row knows (a crash between writing and recording).

Safe to run at any time and as often as wanted (cron, every hour): an upload
receiving bytes right now is left alone."""

import fcntl
import os
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from loket.files import s3_uploads, storage
from loket.files.models import Upload

# A partial file without a row is left alone this long: its row may be about to
# be written, or a store_stream may be writing it.
ORPHAN_GRACE_SECONDS = 3600


class Command(BaseCommand):
    help = "Delete expired resumable uploads and orphan partial files."

    def handle(self, *args: Any, **options: Any) -> None:
        expired = 0
        for upload in Upload.objects.filter(expires_at__lte=timezone.now()):
            if "s3" in upload.metadata:
                # Direct to the bucket: abort the multipart upload there.
                s3_uploads.discard(upload)
                expired += 1
                continue
            if _busy(storage.partial_path(upload)):
                continue
            storage.delete_partial(upload)
            upload.delete()
            expired += 1

        orphans = 0
        folder = storage.partial_dir()
        if folder.is_dir():
            known = set(Upload.objects.values_list("partial", flat=True))
            cutoff = time.time() - ORPHAN_GRACE_SECONDS
            for path in folder.iterdir():
                if path.name in known or not path.is_file():
                    continue
                if path.stat().st_mtime > cutoff or _busy(path):
                    continue
                path.unlink(missing_ok=True)
                orphans += 1
        self.stdout.write(
            f"Removed {expired} expired uploads and {orphans} orphan partial files."
        )


def _busy(path: os.PathLike[str]) -> bool:
    """True while a request holds the partial file's lock (bytes arriving)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
