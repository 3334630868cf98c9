"""The scheduler: cron or a systemd timer runs this every few minutes.

It enqueues again any e-mail, and any signing retry, the queue lost or could
not defer, then, in the firm's morning hour, sends the day's reminders and
digests. Idempotent: running it twice sends nothing twice.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from loket.notifications import outbox, reminders
from loket.signatures import sealing


class Command(BaseCommand):
    help = "Send due reminders and daily digests; re-enqueue lost e-mails."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run reminders and digests now, outside the firm's sending hour.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        requeued = outbox.requeue()
        signing = sealing.requeue_signing()
        report = reminders.run(force=options["force"])
        self.stdout.write(
            f"reminders: {report.reminders} ({report.reminder_emails} e-mails), "
            f"digests: {report.digests}, e-mails enqueued again: {requeued}, "
            f"signature requests enqueued again: {signing}"
        )
