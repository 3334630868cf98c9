"""The one door through which Loket hands work to the background queue.

An action *promises* work (`promise`, `promise_at`): it is enqueued once the
caller's transaction commits, so a rolled-back change promises nothing and
the web request never waits for the work. The scheduler and the worker,
which run outside an action, enqueue at once (`enqueue_at`). Every promised
effect passes here, so this is where a durable record of each (written in
the same transaction, re-run after a lease) can go.
"""

import logging
from datetime import datetime
from functools import partial
from typing import Any, ParamSpec

from django.db import transaction
from django_tasks.base import Task

P = ParamSpec("P")
logger = logging.getLogger(__name__)


def promise(task: Task[P, Any], *args: P.args, **kwargs: P.kwargs) -> None:
    """Run `task(*args, **kwargs)` in the background once the caller's
    transaction commits. Call it inside the action. A failed enqueue is
    logged, not raised: the change itself is already committed."""
    transaction.on_commit(partial(task.enqueue, *args, **kwargs), robust=True)


def promise_at(
    run_after: datetime | None, task: Task[P, Any], *args: P.args, **kwargs: P.kwargs
) -> None:
    """`promise`, to run no sooner than `run_after` (see `enqueue_at`)."""
    transaction.on_commit(
        partial(enqueue_at, run_after, task, *args, **kwargs), robust=True
    )


def enqueue_at(
    run_after: datetime | None, task: Task[P, Any], *args: P.args, **kwargs: P.kwargs
) -> bool:
    """Enqueue `task(*args, **kwargs)` now, to run no sooner than `run_after`
    (at once when None). A queue that cannot defer (the immediate backend)
    enqueues nothing for later: the scheduler's re-enqueueing of what is due
    (`outbox.requeue`, `sealing.requeue_signing`) runs it then. Returns whether
    it was enqueued."""
    if run_after is not None:
        if not task.get_backend().supports_defer:
            return False
        task = task.using(run_after=run_after)
    task.enqueue(*args, **kwargs)
    return True
