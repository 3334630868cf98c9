"""Background work on stored files."""

from django_tasks import task

from loket.files import scanning
from loket.files.models import FileVersion

# --- Virus scanning ---------------------------------------------------------


@task()
def scan_version(version_id: int) -> None:
    """Scan one pending version with clamd (see `scanning`)."""
    version = FileVersion.objects.filter(pk=version_id).first()
    if version is not None:
        scanning.scan(version)
