"""Scans queued by a Loket from before 2026-12-04 under this module's name; the
task is `scanning.scan_version` now. Remove after a release every installation
has run its queue empty on (a scan lost meanwhile stays pending for
`manage.py scan_pending`)."""

from django_tasks import task

from loket.files import scanning


@task()
def scan_version(version_id: int) -> None:
    """A scan queued by the earlier release: run it as the new task does."""
    scanning.scan_version.call(version_id)
