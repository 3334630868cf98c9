"""The one door through which an action promises background work."""

from functools import partial
from typing import Any, ParamSpec

from django.db import transaction
from django_tasks.base import Task

P = ParamSpec("P")


def promise(task: Task[P, Any], *args: P.args, **kwargs: P.kwargs) -> None:
    """Run `task(*args, **kwargs)` in the background once the caller's
    transaction commits: a rolled-back change promises nothing, and the web
    request never waits for the work. Call it inside the action. A failed
    enqueue is logged, not raised: the change itself is already committed."""
    # Every promised effect passes here, so this is where a durable record of
    # each (written in the same transaction, re-run after a lease) can go.
    transaction.on_commit(partial(task.enqueue, *args, **kwargs), robust=True)
