"""The e-mails other apps ask for outside a notification: each task loads by id
and calls one function of `emails`. (The news fan-out runs as `notify.tell_*`
tasks, e-mail delivery as `outbox.send_emails`.)"""

from django_tasks import task

from loket.accounts.models import User
from loket.notifications import emails


@task()
def send_invitation(user_id: int) -> None:
    emails.invitation(User.objects.get(pk=user_id))


@task()
def send_password_reset(user_id: int) -> None:
    emails.password_reset(User.objects.get(pk=user_id))
