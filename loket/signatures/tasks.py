"""Signing work queued by a Loket from before 2026-12-04 under this module's
name; the task is `sealing.stamp_and_seal` now. Remove after a release every
installation has run its queue empty on (`sealing.requeue_signing` would pick
up a lost one anyway, after `sealing.LOST_AFTER`)."""

from django_tasks import task

from loket.signatures import sealing


@task()
def process_signatures(signing_id: int, attempt: int | None = None) -> None:
    """Signing work queued by the earlier release: run it as the new task does."""
    sealing.stamp_and_seal.call(signing_id, attempt)
