from typing import Any

from django.core.management.base import BaseCommand, CommandError

from loket.audit.actions import verify_chain


class Command(BaseCommand):
    help = "Walk the history's hash chain and report whether it is intact."

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if not report.intact:
            raise CommandError(
                f"broken at event {report.broken_event_id}: {report.reason} "
                f"({report.count} events before it are intact)"
            )
        self.stdout.write(f"intact: {report.count} events")
