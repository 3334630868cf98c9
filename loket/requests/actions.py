"""Every change to a request: atomic, each writing its history event in the
request's entity.

A request's life: *not sent* (a draft) → *awaiting response* → *responded* →
*completed*; staff may *return* a response to the contact (who answers again)
or *cancel* the request on the way. Each action refuses a transition that
makes no sense (accepting a draft, answering a cancelled request…) with a
message that says why. Actions do not check permissions; their callers do.

Who hears of a change is `loket.notifications.notify`'s business: an action
calls its `notify_*` entry point inside the transaction, and the e-mails (with
the additional message) go out in the background after the commit.
"""

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from loket import access
from loket.access import Capability
from loket.accounts.models import User
from loket.audit.actions import record
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.files import actions as file_actions
from loket.files.models import File, FileVersion, Upload
from loket.notifications import notify
from loket.requests.models import (
    ANSWERABLE,
    CANCELLABLE,
    EDITABLE,
    REVIEWABLE,
    SENDABLE,
    Comment,
    Recipient,
    Request,
    RequestFile,
)
from loket.requests.validation import (
    check_due_date,
    check_limited,
    clean_subject,
    plain_text,
)

Status = Request.Status

COMMENT_MAX = 10_000

# Why a request cannot take an action, by its status.
_WHY = {
    Status.NOT_SENT: gettext_lazy("This request has not been sent yet."),
    Status.AWAITING: gettext_lazy("This request is waiting for a response."),
    Status.RESPONDED: gettext_lazy(
        "This request has been responded to and waits for review."
    ),
    Status.RETURNED: gettext_lazy(
        "This request has been returned to the contact and waits for a new response."
    ),
    Status.COMPLETED: gettext_lazy("This request has been completed."),
    Status.CANCELLED: gettext_lazy("This request has been cancelled."),
}


def _require_status(request: Request, allowed: frozenset[str], cannot: str) -> None:
    """Refuse (a conflict: 409 in the API) unless the request is in one of the
    `allowed` statuses; `cannot` says what cannot be done."""
    if request.status not in allowed:
        why = _WHY[Status(request.status)]
        raise ValidationError(f"{why} {cannot}", code="conflict")


def _file_request_only(request: Request) -> None:
    """A signature request is answered by signing (loket.signatures.actions): the
    file-request steps would leave its signers stranded."""
    if request.kind != Request.Kind.FILE:
        raise ValidationError(
            _("This is a signature request: it is answered by signing it."),
            code="conflict",
        )


def _emails(users: Iterable[User]) -> list[str]:
    return sorted(user.email for user in users)


def eligible_recipients(entity: Entity) -> "QuerySet[User]":
    """The contacts a request on `entity` may be addressed to: those holding
    `activities.create` there (Contact – Entity Staff)."""
    return access.contacts_with_access(entity, Capability.ACTIVITIES_CREATE)


def _check_recipients(entity: Entity, recipients: Iterable[User]) -> list[User]:
    chosen = list({user.pk: user for user in recipients}.values())
    if not chosen:
        raise ValidationError(
            {"recipients": _("Choose at least one recipient.")}, code="required"
        )
    allowed = set(
        eligible_recipients(entity)
        .filter(pk__in=[user.pk for user in chosen])
        .values_list("pk", flat=True)
    )
    refused = [user for user in chosen if user.pk not in allowed]
    if refused:
        raise ValidationError(
            {
                "recipients": [
                    _(
                        "%(name)s cannot receive requests for %(entity)s: that "
                        "needs the role Contact – Entity Staff on the entity."
                    )
                    % {"name": user, "entity": entity}
                    for user in refused
                ]
            },
            code="invalid",
        )
    return sorted(chosen, key=lambda user: (user.last_name, user.first_name, user.pk))


def _check_attachments(entity: Entity, attachments: Iterable[File]) -> list[File]:
    files = list({file.pk: file for file in attachments}.values())
    for file in files:
        if file.entity_id != entity.pk or file.deleted_at is not None:
            raise ValidationError(
                {
                    "attachments": _("%(name)s is not a file of %(entity)s.")
                    % {"name": file, "entity": entity}
                },
                code="invalid",
            )
        if file.current_version_id is None:
            raise ValidationError(
                {"attachments": _("%(name)s has no content yet.") % {"name": file}},
                code="invalid",
            )
    return files


def _recipient(request: Request, actor: User) -> Recipient:
    row = Recipient.objects.filter(request=request, user=actor).first()
    if row is None:
        raise ValidationError(
            _("Only the recipients of this request can respond to it."),
            code="invalid",
        )
    return row


@transaction.atomic
def create_request(
    entity: Entity,
    *,
    actor: User,
    subject: str,
    description: str = "",
    recipients: Iterable[User],
    due_date: date | None = None,
    additional_message: str = "",
    attachments: Iterable[File] = (),
    limited: bool = False,
    send: bool = True,
) -> Request:
    """A file request to `recipients` (contacts holding Contact – Entity Staff on
    `entity`). Attaching files of the entity makes it an update request: the
    answers become new versions of them. Sent at once unless `send` is False
    (a draft, *not sent*)."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for key, check in (
        ("subject", lambda: clean_subject(subject)),
        ("recipients", lambda: _check_recipients(entity, recipients)),
        ("attachments", lambda: _check_attachments(entity, attachments)),
        ("due_date", lambda: check_due_date(due_date)),
    ):
        try:
            cleaned[key] = check()
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    if entity.archived_at is not None:
        errors.setdefault("entity", []).append(
            _("%(entity)s is archived: it takes no new requests.") % {"entity": entity}
        )
    if not errors:
        try:
            check_limited(cleaned["attachments"], cleaned["recipients"])
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    request = Request.objects.create(
        entity=entity,
        kind=Request.Kind.FILE,
        subject=cleaned["subject"],
        description=plain_text(description),
        additional_message=plain_text(additional_message),
        due_date=due_date,
        limited=limited,
        created_by=actor,
    )
    people: list[User] = cleaned["recipients"]
    Recipient.objects.bulk_create(
        [Recipient(request=request, user=user) for user in people]
    )
    files: list[File] = cleaned["attachments"]
    RequestFile.objects.bulk_create(
        [
            RequestFile(
                request=request,
                file=file,
                version_id=file.current_version_id,
                role=RequestFile.Role.ATTACHMENT,
                added_by=actor,
            )
            for file in files
        ]
    )
    data: dict[str, Any] = {
        "subject": request.subject,
        "recipients": _emails(people),
        "limited": limited,
    }
    if due_date:
        data["due_date"] = due_date.isoformat()
    if files:
        data["attachments"] = sorted(file.name for file in files)
    record(
        Event.Verb.REQUEST_CREATED,
        actor=actor,
        target=request,
        entity=entity,
        data=data,
    )
    if send:
        send_request(request, actor=actor)
    return request


@transaction.atomic
def send_request(request: Request, *, actor: User) -> Request:
    """Send a draft: its recipients see it from now on."""
    _file_request_only(request)
    _require_status(request, SENDABLE, _("It cannot be sent again."))
    people = _check_recipients(request.entity, request.recipients.all())
    request.status = Status.AWAITING
    request.sent_at = timezone.now()
    request.save(update_fields=["status", "sent_at"])
    record(
        Event.Verb.REQUEST_SENT,
        actor=actor,
        target=request,
        entity=request.entity,
        data={"recipients": _emails(people)},
    )
    notify.notify_request_sent(request)
    return request


_UNSET: Any = object()


@transaction.atomic
def update_request(
    request: Request,
    *,
    actor: User,
    subject: str = _UNSET,
    description: str = _UNSET,
    due_date: date | None = _UNSET,
    additional_message: str = _UNSET,
    recipients: Iterable[User] | None = None,
    limited: bool = _UNSET,
) -> Request:
    """Change what is given (the rest stays): subject, description, due date,
    additional message, recipients, limited. Not once the request is closed.
    A signature request's signers are fixed (its document was prepared for
    them): for it, only the subject, due date and messages change."""
    if request.kind != Request.Kind.FILE and (
        recipients is not None or limited is not _UNSET
    ):
        raise ValidationError(
            {
                "recipients": _(
                    "The signers of a signature request cannot be changed: "
                    "cancel it and ask again."
                )
            },
            code="conflict",
        )
    _require_status(request, EDITABLE, _("It can no longer be changed."))
    diff: dict[str, list[Any]] = {}
    if subject is not _UNSET:
        subject = clean_subject(subject)
    if due_date is not _UNSET and due_date != request.due_date:
        check_due_date(due_date)
    new_people: list[User] | None = None
    if recipients is not None:
        new_people = _check_recipients(request.entity, recipients)
        attached = File.objects.filter(
            request_links__request=request,
            request_links__role=RequestFile.Role.ATTACHMENT,
        )
        check_limited(attached, new_people)
    fields = {
        "subject": subject,
        "description": (
            description if description is _UNSET else plain_text(description)
        ),
        "due_date": due_date,
        "additional_message": (
            additional_message
            if additional_message is _UNSET
            else plain_text(additional_message)
        ),
        "limited": limited,
    }
    changed = []
    for field, value in fields.items():
        if value is _UNSET:
            continue
        old = getattr(request, field)
        if old != value:
            setattr(request, field, value)
            changed.append(field)
            diff[field] = [
                old.isoformat() if isinstance(old, date) else old,
                value.isoformat() if isinstance(value, date) else value,
            ]
    if changed:
        request.save(update_fields=changed)
    if new_people is not None:
        current = {row.user_id: row for row in request.recipient_rows.all()}
        wanted = {user.pk for user in new_people}
        removed = [pk for pk in current if pk not in wanted]
        added = [user for user in new_people if user.pk not in current]
        if removed or added:
            old_emails = _emails(row.user for row in current.values())
            Recipient.objects.filter(request=request, user_id__in=removed).delete()
            Recipient.objects.bulk_create(
                [Recipient(request=request, user=user) for user in added]
            )
            diff["recipients"] = [old_emails, _emails(new_people)]
    if diff:
        record(
            Event.Verb.REQUEST_CHANGED,
            actor=actor,
            target=request,
            entity=request.entity,
            data=diff,
        )
    return request


def _attached(request: Request, attachment: File) -> File:
    link = RequestFile.objects.filter(
        request=request, file=attachment, role=RequestFile.Role.ATTACHMENT
    ).select_related("file")
    found = link.first()
    if found is None:
        raise ValidationError(
            {
                "attachment": _("%(name)s is not attached to this request.")
                % {"name": attachment}
            },
            code="invalid",
        )
    if found.file.deleted_at is not None:
        raise ValidationError(
            {"attachment": _("%(name)s has been deleted.") % {"name": found.file}},
            code="invalid",
        )
    return found.file


@transaction.atomic
def add_response_file(
    request: Request,
    *,
    actor: User,
    upload: Upload,
    attachment: File | None = None,
) -> RequestFile:
    """A recipient's finished upload becomes a file of the request's entity (or,
    answering an update request, a new version of the attached file), linked to
    the request as a response. It counts once the recipient submits."""
    _file_request_only(request)
    _require_status(request, ANSWERABLE, _("No more files can be added to it."))
    _recipient(request, actor)
    if upload.entity_id != request.entity_id:
        raise ValidationError(
            {"upload": _("This upload was made for another entity.")}, code="invalid"
        )
    if attachment is not None:
        version: FileVersion = file_actions.add_version_from_upload(
            _attached(request, attachment), actor=actor, upload=upload
        )
    else:
        # Never a silent overwrite, nor a new version of a file the contact may
        # not even see: a clashing name becomes a "(2)" copy.
        version = file_actions.add_upload(
            request.entity,
            actor=actor,
            upload=upload,
            limited=request.limited,
            on_clash="copy",
        )
        if request.limited:
            # Whoever sees the limited request sees what answers it.
            shared = access.people_with(request.entity, Capability.FILES_VIEW).filter(
                Q(pk=request.created_by_id) | Q(requests_received=request)
            )
            file_actions.share_file(version.file, actor=actor, users=shared)
    link = RequestFile.objects.create(
        request=request,
        file=version.file,
        version=version,
        role=RequestFile.Role.RESPONSE,
        added_by=actor,
    )
    record(
        Event.Verb.REQUEST_FILE_RECEIVED,
        actor=actor,
        target=request,
        entity=request.entity,
        data={
            "file": version.file.name,
            "version": version.number,
            "file_uuid": str(version.file.uuid),
        },
    )
    return link


def pending_responses(request: Request) -> "QuerySet[RequestFile]":
    """The response files of the current round: uploaded, not yet submitted."""
    return request.request_files.filter(
        role=RequestFile.Role.RESPONSE, submitted_at__isnull=True
    )


@transaction.atomic
def submit_response(request: Request, *, actor: User, note: str = "") -> Request:
    """The recipient has sent what was asked: *responded*, for staff to review.
    Refused while nothing has been uploaded in this round (say it does not
    apply instead). A `note` goes into the comment thread."""
    _file_request_only(request)
    _require_status(request, ANSWERABLE, _("It cannot be submitted."))
    row = _recipient(request, actor)
    pending = list(pending_responses(request).select_related("file"))
    if not pending:
        raise ValidationError(
            _(
                "Upload at least one file before you submit, or tell us that "
                "this request does not apply to you."
            ),
            code="invalid",
        )
    now = timezone.now()
    RequestFile.objects.filter(pk__in=[link.pk for link in pending]).update(
        submitted_at=now
    )
    row.responded_at = now
    row.not_applicable = False
    row.reason = ""
    row.save(update_fields=["responded_at", "not_applicable", "reason"])
    request.status = Status.RESPONDED
    request.responded_at = now
    request.save(update_fields=["status", "responded_at"])
    note = plain_text(note)
    if note:
        Comment.objects.create(request=request, author=actor, body=note[:COMMENT_MAX])
    data: dict[str, Any] = {"files": sorted(link.file.name for link in pending)}
    if note:
        data["note"] = note[:500]
    record(
        Event.Verb.REQUEST_RESPONDED,
        actor=actor,
        target=request,
        entity=request.entity,
        data=data,
    )
    notify.notify_response_received(request, actor)
    return request


@transaction.atomic
def mark_not_applicable(request: Request, *, actor: User, reason: str) -> Request:
    """ "This does not apply to us": the recipient's answer, with a reason;
    the request waits for staff to review it like any response."""
    _file_request_only(request)
    _require_status(request, ANSWERABLE, _("It cannot be answered now."))
    row = _recipient(request, actor)
    reason = plain_text(reason)
    if not reason:
        raise ValidationError(
            {"reason": _("Say why this request does not apply to you.")},
            code="required",
        )
    now = timezone.now()
    row.not_applicable = True
    row.reason = reason[:COMMENT_MAX]
    row.responded_at = now
    row.save(update_fields=["not_applicable", "reason", "responded_at"])
    request.status = Status.RESPONDED
    request.responded_at = now
    request.save(update_fields=["status", "responded_at"])
    record(
        Event.Verb.REQUEST_NOT_APPLICABLE,
        actor=actor,
        target=request,
        entity=request.entity,
        data={"reason": reason[:500]},
    )
    notify.notify_response_received(request, actor)
    return request


@transaction.atomic
def accept_response(request: Request, *, actor: User) -> Request:
    """Staff accept the response: the request is *completed*."""
    _file_request_only(request)
    _require_status(request, REVIEWABLE, _("There is no response to accept."))
    request.status = Status.COMPLETED
    request.closed_at = timezone.now()
    request.save(update_fields=["status", "closed_at"])
    record(
        Event.Verb.REQUEST_ACCEPTED, actor=actor, target=request, entity=request.entity
    )
    notify.notify_request_completed(request)
    return request


@transaction.atomic
def return_to_contact(request: Request, *, actor: User, comment: str) -> Request:
    """Staff send the response back with a comment saying what is missing: the
    request reopens (*returned*) for a new round of answers."""
    _file_request_only(request)
    _require_status(request, REVIEWABLE, _("There is no response to return."))
    comment = plain_text(comment)
    if not comment:
        raise ValidationError(
            {"comment": _("Say what is missing or needs to change.")},
            code="required",
        )
    note = Comment.objects.create(
        request=request, author=actor, body=comment[:COMMENT_MAX]
    )
    Recipient.objects.filter(request=request).update(
        responded_at=None, not_applicable=False, reason=""
    )
    request.status = Status.RETURNED
    request.save(update_fields=["status"])
    record(
        Event.Verb.REQUEST_RETURNED,
        actor=actor,
        target=request,
        entity=request.entity,
        data={"comment": comment[:500]},
    )
    notify.notify_request_returned(request, note)
    return request


@transaction.atomic
def cancel_request(request: Request, *, actor: User) -> Request:
    """Staff withdraw the request; files already received stay in the entity."""
    _require_status(request, CANCELLABLE, _("It cannot be cancelled."))
    request.status = Status.CANCELLED
    request.closed_at = timezone.now()
    request.save(update_fields=["status", "closed_at"])
    record(
        Event.Verb.REQUEST_CANCELLED,
        actor=actor,
        target=request,
        entity=request.entity,
    )
    return request


@transaction.atomic
def add_comment(
    request: Request, *, actor: User, body: str, internal: bool = False
) -> Comment:
    """A message in the request's thread. Internal comments are for staff only:
    contacts never see them, nor may they write one."""
    body = plain_text(body)
    if not body:
        raise ValidationError({"body": _("Write a comment.")}, code="required")
    if len(body) > COMMENT_MAX:
        raise ValidationError(
            {
                "body": _("Keep the comment under %(max)d characters.")
                % {"max": COMMENT_MAX}
            },
            code="max_length",
        )
    if internal and not access.may_use_internal_comments(actor):
        raise ValidationError(
            {"internal": _("Only staff can write internal comments.")},
            code="invalid",
        )
    comment = Comment.objects.create(
        request=request, author=actor, body=body, internal=internal
    )
    record(
        Event.Verb.REQUEST_COMMENTED,
        actor=actor,
        target=request,
        entity=request.entity,
        # An internal comment's words stay out of the history, which may be
        # shown to more people than the request's staff.
        data={"internal": True} if internal else {"comment": body[:500]},
    )
    notify.notify_comment_added(comment)
    return comment
