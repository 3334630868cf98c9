"""The e-mails other apps ask for outside a notification: each task loads by id
and calls one function of `emails`. (The news fan-out runs as `notify.tell_*`
tasks, e-mail delivery as `outbox.send_emails`.)"""

from django_tasks import task
from django_tasks.base import Task

from loket.accounts.models import User
from loket.notifications import emails, notify, outbox


@task()
def send_invitation(user_id: int) -> None:
    emails.invitation(User.objects.get(pk=user_id))


@task()
def send_password_reset(user_id: int) -> None:
    emails.password_reset(User.objects.get(pk=user_id))


# Tasks queued by a Loket from before 2026-12-04, when the news fan-out was one
# string-keyed task: a queue drained by a new worker still tells everyone.
# Remove after a release every installation has run its queue empty on.
_QUEUED_BEFORE: dict[str, str] = {
    "request_sent": "tell_request_sent",
    "request_returned": "tell_request_returned",
    "response_received": "tell_response_received",
    "request_completed": "tell_request_completed",
    "comment": "tell_comment_added",
    "access_granted": "tell_access_granted",
    "signature_requested": "tell_signature_requested",
    "document_signed": "tell_document_signed",
    "signing_failed": "tell_signing_failed",
    "reminder_now": "remind_now",
}


@task()
def fan_out(event: str, *args: int | list[int] | None) -> int:
    """A fan-out queued by the earlier release: run the task that replaced it."""
    replaced_by: Task[..., int] = getattr(notify, _QUEUED_BEFORE[event])
    return replaced_by.call(*args)


@task()
def deliver(ids: list[int]) -> int:
    """A delivery queued by the earlier release (now `outbox.send_emails`)."""
    return outbox.send_queued(ids)
