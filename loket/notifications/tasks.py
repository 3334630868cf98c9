"""Background tasks: each loads by id and calls one function."""

from django_tasks import task

from loket.accounts.models import User
from loket.notifications import emails, notify, outbox


@task()
def send_invitation(user_id: int) -> None:
    emails.invitation(User.objects.get(pk=user_id))


@task()
def send_password_reset(user_id: int) -> None:
    emails.password_reset(User.objects.get(pk=user_id))


@task()
def fan_out(event: str, *args: int | list[int] | None) -> int:
    """Tell the people concerned by `event` (see notify.FAN_OUT)."""
    return notify.FAN_OUT[event](*args)


@task()
def deliver(ids: list[int]) -> int:
    """Send the queued e-mails `ids` (see outbox.deliver)."""
    return outbox.deliver(ids)
