"""One function per e-mail. Each renders templates/emails/<name>-subject.txt,
<name>.txt and <name>.html in the recipient's language, with the firm's sender
name, reply-to address, footer and logo (sent inside the e-mail: no remote
images), and returns the message; `outbox` queues it.

With *detailed notifications* off an e-mail names no entity, subject, file or
comment: it says that something is waiting, and links to it. The additional
message a staff member wrote for the e-mail is always included.
"""

import re
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from loket.accounts.models import User
from loket.accounts.tokens import make_invitation_token
from loket.entities.models import Entity
from loket.files import storage
from loket.files.models import FileVersion
from loket.notifications import calendar, outbox
from loket.notifications.models import (
    ESSENTIAL,
    EmailSettings,
    Kind,
    Notification,
    OutgoingEmail,
)
from loket.notifications.outbox import Attachment, Message
from loket.requests.models import Comment, Request, RequestFile

UNSUBSCRIBE_SALT = "loket.notifications.unsubscribe"
_BLANK_LINES = re.compile(r"\n\s*\n(\s*\n)+")
LOGO_CID = "firm-logo"
# Signed documents go with the e-mail up to this size in all; above, the link.
SIGNED_ATTACHMENTS_MAX = 10 * 1024 * 1024


def absolute_url(path: str) -> str:
    return f"{settings.LOKET_BASE_URL}{path}"


def unsubscribe_token(user: User, kind: str) -> str:
    return signing.dumps([str(user.uuid), kind], salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[str, str] | None:
    """The (user uuid, kind) a link was made for, or None if it was tampered with."""
    try:
        value = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(part, str) for part in value)
    ):
        return None
    return value[0], value[1]


def request_link(request: Request) -> str:
    # Kept on the instance: a fan-out asks for it once per recipient.
    link: str | None = request.__dict__.get("_notification_link")
    if link is None:
        link = absolute_url(request.get_absolute_url())
        request.__dict__["_notification_link"] = link
    return link


def _render(
    name: str,
    user: User,
    firm: EmailSettings,
    *,
    kind: str,
    context: dict[str, Any],
    attachments: Sequence[Attachment] = (),
) -> Message:
    unsubscribe = ""
    if kind not in ESSENTIAL:
        path = reverse(
            "notifications:unsubscribe", args=[unsubscribe_token(user, kind)]
        )
        unsubscribe = absolute_url(path)
    logo = bytes(firm.logo or b"")
    with translation.override(user.language):
        context = {
            "user": user,
            "LANGUAGE_CODE": user.language,
            "firm_name": settings.LOKET_FIRM_NAME,
            "detailed": firm.detailed,
            "footer": firm.footer,
            "logo_cid": LOGO_CID if logo else "",
            "unsubscribe_link": unsubscribe,
            "kind_label": str(Kind(kind).label),
            "preferences_link": absolute_url(reverse("notifications:preferences")),
            **context,
        }
        subject = render_to_string(f"emails/{name}-subject.txt", context)
        text = render_to_string(f"emails/{name}.txt", context)
        html = render_to_string(f"emails/{name}.html", context)
    headers = {}
    if unsubscribe:
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return Message(
        subject=" ".join(subject.split()),
        text=_BLANK_LINES.sub("\n\n", text).strip() + "\n",
        html=html,
        from_email=outbox.sender(firm.sender_name or settings.LOKET_FIRM_NAME),
        reply_to=firm.reply_to,
        headers=headers,
        attachments=list(attachments),
        images=[(LOGO_CID, logo, firm.logo_type.partition("/")[2] or "png")]
        if logo
        else [],
    )


def _due_date_ics(
    user: User, request: Request, firm: EmailSettings
) -> list[Attachment]:
    """The due date as a calendar event, in the recipient's language."""
    if request.due_date is None:
        return []
    with translation.override(user.language):
        if firm.detailed:
            summary = translation.gettext("Due: %(subject)s") % {
                "subject": request.subject
            }
        else:
            summary = translation.gettext("Due: a request from %(firm)s") % {
                "firm": settings.LOKET_FIRM_NAME
            }
        description = translation.gettext("Open the request: %(link)s") % {
            "link": request_link(request)
        }
    content = calendar.due_date_event(
        uid=f"request-{request.uuid}",
        due=request.due_date,
        summary=summary,
        description=description,
        url=request_link(request),
    )
    return [Attachment("due-date.ics", content, "text/calendar; method=PUBLISH")]


def _request_context(request: Request, firm: EmailSettings) -> dict[str, Any]:
    context: dict[str, Any] = {
        "request": request,
        "link": request_link(request),
        "due_date": request.due_date,
        "sender_name": request.created_by.full_name or request.created_by.email,
        "additional_message": request.additional_message.strip(),
    }
    if firm.detailed:
        context["entity_name"] = request.entity.name
        # .all(): the fan-out prefetched them, once for every recipient.
        context["files"] = [
            link.file.name
            for link in request.request_files.all()
            if link.role == RequestFile.Role.ATTACHMENT
        ]
    return context


# Account e-mails: sent at once, whatever the firm's notification settings.


def invitation(user: User) -> OutgoingEmail:
    token = make_invitation_token(user)
    path = reverse("accounts:activate", args=[user.uuid, token])
    message = _render(
        "invitation",
        user,
        EmailSettings.load(),
        kind=Kind.INVITATION,
        context={"link": absolute_url(path), "days": settings.LOKET_INVITATION_DAYS},
    )
    return outbox.send(Kind.INVITATION, user, message)


def password_reset(user: User) -> OutgoingEmail:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:password-reset-confirm", args=[uid, token])
    message = _render(
        "password-reset",
        user,
        EmailSettings.load(),
        kind=Kind.PASSWORD_RESET,
        context={
            "link": absolute_url(path),
            "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        },
    )
    return outbox.send(Kind.PASSWORD_RESET, user, message)


# Notifications: each returns the message for one recipient.


def request_sent(user: User, request: Request, firm: EmailSettings) -> Message:
    """A new request addressed to `user`, with the staff member's message."""
    return _render(
        "request-sent",
        user,
        firm,
        kind=Kind.REQUEST_SENT,
        context=_request_context(request, firm),
        attachments=_due_date_ics(user, request, firm),
    )


def request_returned(
    user: User, request: Request, comment: Comment | None, firm: EmailSettings
) -> Message:
    """Staff sent `user`'s response back, with why."""
    context = _request_context(request, firm)
    context["comment"] = comment.body if comment and firm.detailed else ""
    return _render(
        "request-returned",
        user,
        firm,
        kind=Kind.REQUEST_RETURNED,
        context=context,
        attachments=_due_date_ics(user, request, firm),
    )


def waiting_link(request: Request) -> str:
    """Where a request waiting for someone is answered: a signature request's
    sign page, a file request's page. (A path.)"""
    if request.kind == Request.Kind.SIGNATURE:
        return reverse("signatures:sign", args=[request.uuid])
    return request.get_absolute_url()


def _waiting_item(request: Request, firm: EmailSettings) -> dict[str, Any]:
    """One line of a reminder or a digest. A signature request reads "sign
    <document>" (it reads `request.signing`: select_related it)."""
    document = ""
    if request.kind == Request.Kind.SIGNATURE:
        document = request.signing.document_name
    return {
        "request": request,
        "link": absolute_url(waiting_link(request)),
        "due_date": request.due_date,
        "overdue": request.is_overdue,
        "entity_name": request.entity.name if firm.detailed else "",
        "document": document,
    }


def reminder(user: User, requests: Sequence[Request], firm: EmailSettings) -> Message:
    """One e-mail for every request `user` is reminded of today, by due date."""
    items = [_waiting_item(request, firm) for request in requests]
    attachments: list[Attachment] = []
    if len(requests) == 1:
        attachments = _due_date_ics(user, requests[0], firm)
    return _render(
        "reminder",
        user,
        firm,
        kind=Kind.REMINDER,
        context={
            "items": items,
            "count": len(items),
            "link": items[0]["link"] if len(items) == 1 else absolute_url("/"),
            "all_to_sign": all(item["document"] for item in items),
        },
        attachments=attachments,
    )


def digest(
    user: User,
    news: Sequence[Notification],
    waiting: Sequence[Request],
    firm: EmailSettings,
) -> Message:
    """The daily digest: what happened since the last one, and every open
    request waiting for `user` across their entities, by due date."""
    with translation.override(user.language):
        news_lines = [
            {"text": describe(item, firm.detailed), "link": absolute_url(item.link)}
            for item in news
        ]
    items = [_waiting_item(request, firm) for request in waiting]
    return _render(
        "digest",
        user,
        firm,
        kind=Kind.DIGEST,
        context={
            "news": news_lines,
            "items": items,
            "link": absolute_url(reverse("notifications:list")),
            "home_link": absolute_url("/"),
        },
    )


def response_received(
    user: User, request: Request, responder: User | None, firm: EmailSettings
) -> Message:
    """To the staff member who asked: a contact answered."""
    context = _request_context(request, firm)
    context["responder"] = (responder.full_name or responder.email) if responder else ""
    return _render(
        "response-received",
        user,
        firm,
        kind=Kind.RESPONSE_RECEIVED,
        context=context,
    )


def request_completed(user: User, request: Request, firm: EmailSettings) -> Message:
    return _render(
        "request-completed",
        user,
        firm,
        kind=Kind.REQUEST_COMPLETED,
        context=_request_context(request, firm),
    )


def comment_added(user: User, comment: Comment, firm: EmailSettings) -> Message:
    context = _request_context(comment.request, firm)
    context["author"] = comment.author.full_name or comment.author.email
    context["comment"] = comment.body if firm.detailed else ""
    return _render("comment", user, firm, kind=Kind.COMMENT, context=context)


def access_granted(user: User, entity: Entity, firm: EmailSettings) -> Message:
    path = reverse("entities:detail", args=[entity.uuid])
    return _render(
        "access-granted",
        user,
        firm,
        kind=Kind.ACCESS_GRANTED,
        context={
            "entity_name": entity.name if firm.detailed else "",
            "link": absolute_url(path),
        },
    )


def signature_requested(user: User, request: Request, firm: EmailSettings) -> Message:
    """For the signatures issue: a document waits for `user`'s signature."""
    return _render(
        "signature-requested",
        user,
        firm,
        kind=Kind.SIGNATURE_REQUESTED,
        context=_request_context(request, firm),
        attachments=_due_date_ics(user, request, firm),
    )


def _signed_files(
    versions: Sequence[FileVersion], firm: EmailSettings
) -> tuple[list[Attachment], bool]:
    """The signed PDF (and a separate evidence record) as attachments, and
    whether they were left out for their size. None without detail: the
    file names the document."""
    if not versions or not firm.detailed:
        return [], False
    if sum(version.size for version in versions) > SIGNED_ATTACHMENTS_MAX:
        return [], True
    attachments = []
    for version in versions:
        with storage.open_blob(version.blob) as stream:
            content = stream.read()
        attachments.append(Attachment(version.file.name, content, "application/pdf"))
    return attachments, False


def document_signed(
    user: User,
    request: Request,
    signer: User | None,
    firm: EmailSettings,
    *,
    attachments: Sequence[FileVersion] = (),
    asked: bool = True,
) -> Message:
    """Everyone has signed: to the staff who asked (`asked`), and to the
    signers as their request completed; with the signed files attached when
    the firm chose so (and they are small enough)."""
    context = _request_context(request, firm)
    context["signer"] = (signer.full_name or signer.email) if signer else ""
    context["asked"] = asked
    files, too_large = _signed_files(attachments, firm)
    context["attached"] = bool(files)
    context["too_large"] = too_large
    return _render(
        "document-signed",
        user,
        firm,
        kind=Kind.DOCUMENT_SIGNED if asked else Kind.REQUEST_COMPLETED,
        context=context,
        attachments=files,
    )


def signing_failed(user: User, request: Request, firm: EmailSettings) -> Message:
    """To the staff who asked: the signed document could not be made, and
    why (with detail); they can retry on the sign page."""
    context = _request_context(request, firm)
    context["link"] = absolute_url(reverse("signatures:sign", args=[request.uuid]))
    context["problem"] = request.signing.problem if firm.detailed else ""
    return _render(
        "signing-failed", user, firm, kind=Kind.SIGNING_FAILED, context=context
    )


def describe(item: Notification, detailed: bool = True) -> str:
    """One line for a notification, in the active language (the bell, the
    digest). Without detail it names no subject or entity."""
    gettext = translation.gettext
    data = item.data or {}
    subject = data.get("subject", "") if detailed else ""
    entity = data.get("entity", "") if detailed else ""
    who = data.get("actor", "")
    texts: dict[str, tuple[str, str]] = {
        Kind.REQUEST_SENT: (
            gettext("New request: %(subject)s"),
            gettext("You have a new request."),
        ),
        Kind.REQUEST_RETURNED: (
            gettext("Returned to you: %(subject)s"),
            gettext("A request was returned to you."),
        ),
        Kind.REMINDER: (
            gettext("Reminder: %(subject)s"),
            gettext("A request is waiting for you."),
        ),
        Kind.RESPONSE_RECEIVED: (
            gettext("%(who)s responded to %(subject)s"),
            gettext("A response was received."),
        ),
        Kind.REQUEST_COMPLETED: (
            gettext("Completed: %(subject)s"),
            gettext("A request was completed."),
        ),
        Kind.COMMENT: (
            gettext("%(who)s commented on %(subject)s"),
            gettext("There is a new comment."),
        ),
        Kind.ACCESS_GRANTED: (
            gettext("You now have access to %(entity)s"),
            gettext("You have access to a new entity."),
        ),
        Kind.SIGNATURE_REQUESTED: (
            gettext("Signature requested: %(subject)s"),
            gettext("A document waits for your signature."),
        ),
        Kind.DOCUMENT_SIGNED: (
            gettext("%(who)s signed %(subject)s"),
            gettext("A document was signed."),
        ),
        Kind.SIGNING_FAILED: (
            gettext("Signing failed: %(subject)s"),
            gettext("A document could not be signed."),
        ),
    }
    full, plain = texts.get(
        item.kind, (gettext("Notification"), gettext("Notification"))
    )
    if (item.kind == Kind.ACCESS_GRANTED and not entity) or (
        item.kind != Kind.ACCESS_GRANTED and not subject
    ):
        return plain
    return full % {"subject": subject, "entity": entity, "who": who or "—"}


def date_label(value: Any) -> str:
    return formats.date_format(value, "DATE_FORMAT") if value else ""
