"""Virus scanning of stored versions through a ClamAV daemon (when configured).

Stub: the ClamAV work fills this in. Until then nothing is scanned and every
version stays `not_scanned` (available)."""

from loket.files.models import FileVersion


def scan_later(version: FileVersion) -> None:
    """Mark `version` as waiting for the scan and scan it in the background after
    the commit, when scanning is configured; else leave it available."""
