"""The one way out for e-mail.

`send()` writes the e-mail's log row in the caller's transaction and, once
that transaction commits, enqueues the `send_emails` task for it: a rolled-back
change sends nothing, and a web request never waits on SMTP. The task runs
`send_queued()`, which claims rows with one conditional UPDATE, so two workers
never send the same e-mail, sends them over one SMTP connection, and puts a
temporary failure back in the queue with back-off (1, 5, 25, 125, 625 minutes);
after the last try, or on a permanent refusal (5xx for the recipient or the
message), the row is marked failed with the error. The row is the record: if an
enqueue is lost (a crash right after the commit, Redis down), `requeue()`, run
by the scheduler, finds the row and enqueues it again.
"""

import base64
import logging
import smtplib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from email.mime.image import MIMEImage
from email.utils import formataddr, parseaddr
from typing import Any
from uuid import uuid4

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import SafeMIMEMultipart
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from loket.accounts.models import User
from loket.audit.actions import Entry, record_many
from loket.audit.models import Event
from loket.core.effects import enqueue_at, promise
from loket.entities.models import Entity
from loket.notifications.models import OutgoingEmail
from loket.requests.models import Request

logger = logging.getLogger(__name__)

# Waits before the 2nd, 3rd… try; after the last one the e-mail has failed.
RETRY_DELAYS = tuple(timedelta(minutes=m) for m in (1, 5, 25, 125, 625))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# How many e-mails one delivery task sends over one SMTP connection.
BATCH_SIZE = 50
# A row claimed this long ago whose worker never reported back is tried again.
STALE_CLAIM = timedelta(minutes=15)
# A due row nobody picked up this long is enqueued again by `requeue()`.
LOST_AFTER = timedelta(minutes=10)


@dataclass
class Attachment:
    name: str
    content: bytes
    mimetype: str


@dataclass
class Message:
    """A rendered e-mail, ready to be queued."""

    subject: str
    text: str
    html: str
    from_email: str = ""
    reply_to: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)
    # (content id, bytes, MIME subtype): images the HTML shows as cid:<id>.
    images: list[tuple[str, bytes, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "from": self.from_email,
            "reply_to": self.reply_to,
            "headers": self.headers,
            "text": self.text,
            "html": self.html,
            "attachments": [
                {
                    "name": a.name,
                    "type": a.mimetype,
                    "content": base64.b64encode(a.content).decode(),
                }
                for a in self.attachments
            ],
            "images": [
                {"cid": cid, "type": subtype, "content": base64.b64encode(b).decode()}
                for cid, b, subtype in self.images
            ],
        }


class _Email(EmailMultiAlternatives):
    """Text and HTML alternatives, with inline images related to the HTML."""

    def __init__(
        self, *args: Any, images: Sequence[tuple[str, bytes, str]] = (), **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.images = list(images)

    def _create_alternatives(self, msg: Any) -> Any:
        msg = super()._create_alternatives(msg)  # type: ignore[misc]
        if not self.images:
            return msg
        related = SafeMIMEMultipart(
            _subtype="related", encoding=self.encoding or settings.DEFAULT_CHARSET
        )
        related.attach(msg)
        for cid, content, subtype in self.images:
            image = MIMEImage(content, _subtype=subtype)
            image["Content-ID"] = f"<{cid}>"
            image["Content-Disposition"] = f'inline; filename="{cid}.{subtype}"'
            related.attach(image)
        return related


def _row(
    kind: str,
    to: User | str,
    message: Message,
    entity: Entity | None,
    request: Request | None,
) -> OutgoingEmail:
    user = to if isinstance(to, User) else None
    address = to.email if isinstance(to, User) else to
    return OutgoingEmail(
        kind=kind,
        user=user,
        to=address,
        subject=message.subject[:300],
        entity=entity if entity is not None else (request.entity if request else None),
        request=request,
        message=message.as_json(),
    )


def send(
    kind: str,
    to: User | str,
    message: Message,
    *,
    entity: Entity | None = None,
    request: Request | None = None,
) -> OutgoingEmail:
    """Queue one e-mail: its log row now, its delivery after the commit."""
    row = _row(kind, to, message, entity, request)
    row.save()
    promise(send_emails, [row.pk])
    return row


def send_many(
    emails: Iterable[tuple[str, User | str, Message, Entity | None, Request | None]],
) -> list[OutgoingEmail]:
    """Queue many e-mails at once (a request to many recipients): one insert per
    batch, one delivery task per `BATCH_SIZE` e-mails."""
    rows = [_row(*email) for email in emails]
    OutgoingEmail.objects.bulk_create(rows, batch_size=500)
    ids = [row.pk for row in rows]
    if ids and ids[0] is None:  # a database that does not return the ids
        created = {row.uuid for row in rows}
        ids = list(
            OutgoingEmail.objects.filter(uuid__in=created).values_list("pk", flat=True)
        )
    for start in range(0, len(ids), BATCH_SIZE):
        promise(send_emails, ids[start : start + BATCH_SIZE])
    return rows


@task()
def send_emails(ids: list[int]) -> int:
    """Send the queued e-mails `ids` that are due (see `send_queued`)."""
    return send_queued(ids)


def _claim(ids: Sequence[int]) -> list[OutgoingEmail]:
    """Take the rows that are due, so no other worker sends them."""
    token = uuid4().hex
    now = timezone.now()
    with transaction.atomic():
        OutgoingEmail.objects.due().filter(pk__in=ids).update(
            status=OutgoingEmail.Status.SENDING,
            claimed_at=now,
            claim=token,
        )
    return list(
        OutgoingEmail.objects.filter(
            pk__in=ids, status=OutgoingEmail.Status.SENDING, claim=token
        ).select_related("entity", "request")
    )


def build(row: OutgoingEmail) -> EmailMultiAlternatives:
    """The Django e-mail for a queued row."""
    data = row.message
    host = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "loket"
    headers = {"Message-ID": f"<{row.uuid}@{host}>", **(data.get("headers") or {})}
    email = _Email(
        subject=row.subject,
        body=data.get("text", ""),
        from_email=data.get("from") or settings.DEFAULT_FROM_EMAIL,
        to=[row.to],
        reply_to=[data["reply_to"]] if data.get("reply_to") else None,
        headers=headers,
        images=[
            (image["cid"], base64.b64decode(image["content"]), image["type"])
            for image in data.get("images", [])
        ],
    )
    if data.get("html"):
        email.attach_alternative(data["html"], "text/html")
    for attachment in data.get("attachments", []):
        content = base64.b64decode(attachment["content"])
        mimetype = attachment["type"]
        if mimetype.startswith("text/"):
            email.attach(attachment["name"], content.decode(), mimetype)
        else:
            email.attach(attachment["name"], content, mimetype)
    return email


def is_permanent(error: BaseException) -> bool:
    """A refusal that no retry will change: the server said 5xx about the
    recipient or the message, or the message cannot be built."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPDataError):
        return error.smtp_code >= 500
    return isinstance(error, ValueError | UnicodeError)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def send_queued(ids: Sequence[int]) -> int:
    """Send the due rows among `ids` over one SMTP connection; return how many
    went out."""
    rows = _claim(ids)
    if not rows:
        return 0
    connection = get_connection()
    sent: list[OutgoingEmail] = []
    failed: list[OutgoingEmail] = []
    retry: list[OutgoingEmail] = []
    broken: BaseException | None = None
    try:
        connection.open()
    except Exception as error:  # the server is down: the whole batch waits
        broken = error
    for row in rows:
        if broken is not None:
            _retry_later(row, broken, retry, failed)
            continue
        try:
            connection.send_messages([build(row)])
        except Exception as error:
            if is_permanent(error):
                _fail(row, error, failed)
            else:
                # The connection may be gone: the rest of the batch waits too.
                broken = error
                _retry_later(row, error, retry, failed)
        else:
            _sent(row, sent)
    if broken is None:
        try:
            connection.close()
        except Exception:  # the server hung up after the last message
            logger.warning("closing the SMTP connection failed", exc_info=True)
    _record(sent, failed)
    for row in retry:
        enqueue_at(row.next_attempt_at, send_emails, [row.pk])
    return len(sent)


def _sent(row: OutgoingEmail, sent: list[OutgoingEmail]) -> None:
    row.status = OutgoingEmail.Status.SENT
    row.sent_at = timezone.now()
    row.attempts += 1
    row.error = ""
    row.message = {}  # the log keeps who, what and when; not the content
    row.save(update_fields=["status", "sent_at", "attempts", "error", "message"])
    sent.append(row)


def _fail(
    row: OutgoingEmail, error: BaseException, failed: list[OutgoingEmail]
) -> None:
    row.status = OutgoingEmail.Status.FAILED
    row.attempts += 1
    row.error = _describe(error)
    row.save(update_fields=["status", "attempts", "error"])
    failed.append(row)


def _retry_later(
    row: OutgoingEmail,
    error: BaseException,
    retry: list[OutgoingEmail],
    failed: list[OutgoingEmail],
) -> None:
    if row.attempts + 1 >= MAX_ATTEMPTS:
        _fail(row, error, failed)
        return
    row.status = OutgoingEmail.Status.QUEUED
    row.enqueued_at = timezone.now()
    row.next_attempt_at = row.enqueued_at + RETRY_DELAYS[row.attempts]
    row.attempts += 1
    row.error = _describe(error)
    row.save(
        update_fields=["status", "enqueued_at", "next_attempt_at", "attempts", "error"]
    )
    retry.append(row)


def _record(sent: list[OutgoingEmail], failed: list[OutgoingEmail]) -> None:
    """Sent and failed notifications go into their entity's history."""
    entries = []
    for verb, rows in (
        (Event.Verb.NOTIFICATION_SENT, sent),
        (Event.Verb.NOTIFICATION_FAILED, failed),
    ):
        for row in rows:
            if row.entity is None:
                continue
            data = {"to": row.to, "kind": row.kind, "subject": row.subject}
            if verb == Event.Verb.NOTIFICATION_FAILED:
                data["error"] = row.error[:200]
            entries.append(
                Entry(
                    verb,
                    None,
                    target=row.request or row.entity,
                    entity=row.entity,
                    data=data,
                )
            )
    record_many(entries)


def requeue() -> int:
    """Enqueue again what the queue lost or could not defer: due rows nobody
    picked up, and rows whose worker died while sending them. Returns how many."""
    now = timezone.now()
    with transaction.atomic():
        stale = OutgoingEmail.objects.filter(
            status=OutgoingEmail.Status.SENDING, claimed_at__lt=now - STALE_CLAIM
        )
        released = list(stale.values_list("pk", flat=True))
        stale.filter(pk__in=released).update(
            status=OutgoingEmail.Status.QUEUED, next_attempt_at=now
        )
    lost = Q(next_attempt_at__lte=now - LOST_AFTER, enqueued_at__lte=now - LOST_AFTER)
    if not send_emails.get_backend().supports_defer:
        lost |= Q(next_attempt_at__lte=now, attempts__gt=0)
    lost |= Q(pk__in=released)
    waiting = OutgoingEmail.objects.filter(lost, status=OutgoingEmail.Status.QUEUED)
    ids = list(waiting.order_by("next_attempt_at").values_list("pk", flat=True))
    OutgoingEmail.objects.filter(pk__in=ids).update(enqueued_at=now)
    for start in range(0, len(ids), BATCH_SIZE):
        send_emails.enqueue(ids[start : start + BATCH_SIZE])
    return len(ids)


def prune(retention_days: int) -> int:
    """Forget sent and failed e-mails older than the retention period."""
    cutoff = timezone.now() - timedelta(days=retention_days)
    deleted, _ = (
        OutgoingEmail.objects.filter(
            status__in=[OutgoingEmail.Status.SENT, OutgoingEmail.Status.FAILED],
            created_at__lt=cutoff,
        )
        .only("pk")
        .delete()
    )
    return deleted


def sender(name: str) -> str:
    """The From header: the firm's sender name on the configured address."""
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or settings.DEFAULT_FROM_EMAIL
    return formataddr((name, address)) if name else settings.DEFAULT_FROM_EMAIL
