"""Forget e-mail log entries (and finished background tasks) older than the
firm's retention period. Run it daily."""

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from loket.notifications import outbox
from loket.notifications.models import EmailSettings


class Command(BaseCommand):
    help = "Remove e-mail log entries older than the retention period."

    def handle(self, *args: Any, **options: Any) -> None:
        days = EmailSettings.load().log_retention_days
        removed = outbox.prune(days)
        tasks = 0
        from django.apps import apps

        if apps.is_installed("django_tasks_db"):
            from django_tasks_db.models import DBTaskResult

            cutoff = timezone.now() - timedelta(days=days)
            tasks, _ = (
                DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
            )
        self.stdout.write(
            f"removed {removed} e-mail log entries and {tasks} finished tasks "
            f"older than {days} days"
        )
