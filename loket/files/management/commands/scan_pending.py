from typing import Any

from django.core.management.base import BaseCommand, CommandError

from loket.files import scanning


class Command(BaseCommand):
    help = (
        "Scan again every version still waiting for its virus scan (after clamd "
        "was unreachable). Safe to run at any time, e.g. from cron."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not scanning.is_configured():
            raise CommandError("LOKET_CLAMD is not set: virus scanning is off.")
        count = scanning.rescan_pending()
        self.stdout.write(f"{count} pending version(s) queued for scanning.")
