"""What other apps call when something happens that people should hear about.

Each `notify_*` function is cheap: called inside the caller's action (its
transaction), it only promises one task, enqueued once the transaction commits,
so a rolled-back change tells nobody and a web request never renders a thousand
e-mails. There is one task per kind of news, `tell_<news>(ids…)`, further down
this module: run by the task worker, it loads what the news is about, works out
who hears of it and hands them to `tell()`, which honours the firm's on/off
switch and each person's preferences, writes the in-app notifications and
queues the e-mails in `outbox` (whose `send_emails` task talks to SMTP).
"""

from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch
from django.urls import reverse
from django_tasks import task

from loket import access
from loket.accounts.models import User
from loket.core.effects import promise
from loket.entities.models import Entity
from loket.files.models import FileVersion
from loket.groups.models import Group, GroupMembership
from loket.notifications import emails, outbox
from loket.notifications.models import (
    ESSENTIAL,
    EmailSettings,
    Follow,
    Kind,
    Notification,
    Preference,
)
from loket.notifications.outbox import Message
from loket.requests.models import Comment, Recipient, Request, RequestFile
from loket.signatures import signers


def notifications_enabled(firm: EmailSettings | None = None) -> bool:
    """Does the firm send notification e-mails? Off in the firm's E-mail
    settings, or for the whole installation with LOKET_NOTIFICATIONS_ENABLED=false.
    (Invitations and password resets are sent either way.)"""
    if not settings.LOKET_NOTIFICATIONS_ENABLED:
        return False
    return (firm or EmailSettings.load()).notifications_enabled


# The entry points. Call them inside the action that makes the change.


def notify_request_sent(request: Request) -> None:
    """The request went out: e-mail every recipient (with the additional
    message and, with a due date, a calendar event)."""
    promise(tell_request_sent, request.pk)


def notify_request_returned(request: Request, comment: Comment | None = None) -> None:
    """Staff returned the response: tell the recipients, with the comment."""
    promise(tell_request_returned, request.pk, comment.pk if comment else None)


def notify_response_received(request: Request, responder: User | None) -> None:
    """A contact submitted (or said it does not apply): tell the staff who follow
    the request (its creator unless they unfollowed it)."""
    promise(tell_response_received, request.pk, responder.pk if responder else None)


def notify_request_completed(request: Request) -> None:
    """Staff accepted the response: tell the recipients."""
    promise(tell_request_completed, request.pk)


def notify_comment_added(comment: Comment) -> None:
    """A comment: to the other side and the followers; an internal one only
    to staff who follow the request."""
    promise(tell_comment_added, comment.pk)


def notify_access_granted(entity: Entity, users: Iterable[User | Group]) -> None:
    """Access to `entity`: tell each user, or each member of a group."""
    user_ids = [p.pk for p in users if isinstance(p, User)]
    group_ids = [p.pk for p in users if isinstance(p, Group)]
    promise(tell_access_granted, entity.pk, user_ids, group_ids)


def notify_signature_requested(
    request: Request, users: Sequence[User] | None = None
) -> None:
    """A signature request went out: ask whoever may sign now (in ordered mode
    the first signer). With `users`: it has become their turn (the signer
    before them signed)."""
    promise(
        tell_signature_requested,
        request.pk,
        None if users is None else [user.pk for user in users],
    )


def notify_document_signed(
    request: Request, signer: User | None, attachments: Sequence[FileVersion] = ()
) -> None:
    """Everyone involved hears that the document is signed: the staff who
    follow the request and the signers. `attachments`: the versions to attach
    (the signed PDF, a separate evidence record) when the firm chose so."""
    promise(
        tell_document_signed,
        request.pk,
        signer.pk if signer else None,
        [version.pk for version in attachments],
    )


def notify_signing_failed(request: Request) -> None:
    """Signing the document failed for good: tell the staff who made the
    request and those who follow it, who can retry."""
    promise(tell_signing_failed, request.pk)


# The fan-out: one task per kind of news, run by the task worker.


def channels(users: Iterable[User], kind: str) -> dict[int, str]:
    """Each user's channel for `kind` (one query); essential kinds are immediate."""
    ids = [user.pk for user in users]
    if kind in ESSENTIAL:
        return dict.fromkeys(ids, Preference.Channel.IMMEDIATE)
    chosen = dict(
        Preference.objects.filter(user_id__in=ids, kind=kind).values_list(
            "user_id", "channel"
        )
    )
    return {pk: chosen.get(pk, Preference.Channel.IMMEDIATE) for pk in ids}


def tell(
    kind: str,
    users: Iterable[User],
    build: Callable[[User, EmailSettings], Message],
    *,
    request: Request | None = None,
    entity: Entity | None = None,
    actor: User | None = None,
    link: str = "",
    force_email: bool = False,
) -> int:
    """Tell `users` about one event: an in-app notification each, and an e-mail
    to those who want it now (or everyone, with `force_email`), queued in
    `outbox` in this transaction and sent by its `send_emails` task after the
    commit; those who chose the digest get it there. Returns the number of
    e-mails queued."""
    users = [user for user in users if user.is_active]
    if not users:
        return 0
    firm = EmailSettings.load()
    email_on = notifications_enabled(firm)
    chosen = channels(users, kind)
    entity = entity or (request.entity if request else None)
    data: dict[str, Any] = {}
    if request is not None:
        data["subject"] = request.subject
        link = link or request.get_absolute_url()
    if entity is not None:
        data["entity"] = entity.name
    if actor is not None:
        data["actor"] = actor.full_name or actor.email
    notifications = []
    queued: list[tuple[str, User | str, Message, Entity | None, Request | None]] = []
    for user in users:
        channel = Preference.Channel.IMMEDIATE if force_email else chosen[user.pk]
        notifications.append(
            Notification(
                user=user,
                kind=kind,
                actor=actor,
                entity=entity,
                request=request,
                data=data,
                link=link,
                digest_pending=email_on and channel == Preference.Channel.DIGEST,
            )
        )
        if email_on and channel == Preference.Channel.IMMEDIATE:
            queued.append((kind, user, build(user, firm), entity, request))
    with transaction.atomic():
        Notification.objects.bulk_create(notifications, batch_size=500)
        outbox.send_many(queued)
    return len(queued)


def _request(pk: int) -> Request | None:
    return (
        Request.objects.select_related("entity", "created_by")
        .prefetch_related(
            Prefetch(
                "request_files",
                queryset=RequestFile.objects.filter(
                    role=RequestFile.Role.ATTACHMENT
                ).select_related("file"),
            )
        )
        .filter(pk=pk)
        .first()
    )


def recipients(request: Request) -> list[User]:
    """The contacts a request is addressed to, who have not declined it."""
    rows = Recipient.objects.filter(request=request, not_applicable=False)
    return [row.user for row in rows.select_related("user").order_by("pk")]


def followers(request: Request) -> list[User]:
    """Staff who follow `request`: its creator, unless they unfollowed it, and
    whoever chose to follow it."""
    choices = dict(
        Follow.objects.filter(request=request).values_list("user_id", "following")
    )
    ids = {pk for pk, following in choices.items() if following}
    if choices.get(request.created_by_id, True):
        ids.add(request.created_by_id)
    return list(User.objects.filter(pk__in=ids, kind=User.Kind.STAFF).order_by("pk"))


def _user(pk: int | None) -> User | None:
    return User.objects.filter(pk=pk).first() if pk else None


@task()
def tell_request_sent(request_id: int) -> int:
    """The request went out: every recipient."""
    request = _request(request_id)
    if request is None or request.status == Request.Status.NOT_SENT:
        return 0
    return tell(
        Kind.REQUEST_SENT,
        recipients(request),
        lambda user, firm: emails.request_sent(user, request, firm),
        request=request,
        actor=request.created_by,
    )


@task()
def tell_request_returned(request_id: int, comment_id: int | None) -> int:
    """Staff returned the response: the recipients, with the comment."""
    request = _request(request_id)
    if request is None:
        return 0
    comment = (
        Comment.objects.filter(pk=comment_id, internal=False).first()
        if comment_id
        else None
    )
    return tell(
        Kind.REQUEST_RETURNED,
        recipients(request),
        lambda user, firm: emails.request_returned(user, request, comment, firm),
        request=request,
        actor=comment.author if comment else None,
    )


@task()
def tell_response_received(request_id: int, responder_id: int | None) -> int:
    """A contact responded: the staff who follow the request."""
    request = _request(request_id)
    if request is None:
        return 0
    responder = _user(responder_id)
    staff = [user for user in followers(request) if user != responder]
    return tell(
        Kind.RESPONSE_RECEIVED,
        staff,
        lambda user, firm: emails.response_received(user, request, responder, firm),
        request=request,
        actor=responder,
    )


@task()
def tell_request_completed(request_id: int) -> int:
    """Staff accepted the response: the recipients."""
    request = _request(request_id)
    if request is None:
        return 0
    return tell(
        Kind.REQUEST_COMPLETED,
        recipients(request),
        lambda user, firm: emails.request_completed(user, request, firm),
        request=request,
    )


@task()
def tell_comment_added(comment_id: int) -> int:
    """A comment: the followers, and the recipients unless it is internal."""
    comment = Comment.objects.select_related("author").filter(pk=comment_id).first()
    if comment is None:
        return 0
    request = _request(comment.request_id)
    if request is None:
        return 0
    comment.request = request
    people = followers(request)
    if not comment.internal:
        people += recipients(request)
    seen: set[int] = set()
    audience = []
    for user in people:
        if user.pk != comment.author_id and user.pk not in seen:
            seen.add(user.pk)
            audience.append(user)
    return tell(
        Kind.COMMENT,
        audience,
        lambda user, firm: emails.comment_added(user, comment, firm),
        request=request,
        actor=comment.author,
    )


@task()
def tell_access_granted(
    entity_id: int, user_ids: list[int], group_ids: list[int]
) -> int:
    """Access to an entity: each user, and each member of the groups."""
    entity = Entity.objects.filter(pk=entity_id).first()
    if entity is None:
        return 0
    members = GroupMembership.objects.filter(group_id__in=group_ids).values("user_id")
    people = User.objects.filter(pk__in=user_ids) | User.objects.filter(pk__in=members)
    return tell(
        Kind.ACCESS_GRANTED,
        people.distinct().order_by("pk"),
        lambda user, firm: emails.access_granted(user, entity, firm),
        entity=entity,
        link=reverse("entities:detail", args=[entity.uuid]),
    )


@task()
def tell_signature_requested(request_id: int, user_ids: list[int] | None = None) -> int:
    """A signature request: whoever may sign now (of `user_ids`, if given)."""
    request = _request(request_id)
    if request is None:
        return 0
    # Judged now: only those whose turn it is still (ordered mode).
    people = [
        user
        for user in signers.to_remind(request)
        if user_ids is None or user.pk in user_ids
    ]
    return tell(
        Kind.SIGNATURE_REQUESTED,
        people,
        lambda user, firm: emails.signature_requested(user, request, firm),
        request=request,
        actor=request.created_by,
    )


@task()
def tell_document_signed(
    request_id: int, signer_id: int | None, version_ids: list[int] | None = None
) -> int:
    """A document is signed: the staff who follow the request and the signers,
    with the `version_ids` attached where they may open them."""
    request = _request(request_id)
    if request is None:
        return 0
    signer = _user(signer_id)
    staff = [user for user in followers(request) if user != signer]
    signers = [user for user in recipients(request) if user not in staff]
    versions = list(
        FileVersion.objects.filter(pk__in=version_ids or []).select_related("file")
    )
    versions.sort(key=lambda version: (version_ids or []).index(version.pk))

    def build(user: User, firm: EmailSettings, *, asked: bool) -> Message:
        # Only what the person may open in Loket goes with their e-mail.
        visible = set(
            access.visible_files(user)
            .filter(pk__in=[version.file_id for version in versions])
            .values_list("pk", flat=True)
        )
        return emails.document_signed(
            user,
            request,
            signer,
            firm,
            attachments=[v for v in versions if v.file_id in visible],
            asked=asked,
        )

    # The signers hear it as their request completed, the kind they choose for.
    return tell(
        Kind.DOCUMENT_SIGNED,
        staff,
        partial(build, asked=True),
        request=request,
        actor=signer,
    ) + tell(
        Kind.REQUEST_COMPLETED,
        signers,
        partial(build, asked=False),
        request=request,
        actor=signer,
    )


@task()
def tell_signing_failed(request_id: int) -> int:
    """Signing failed for good: the creator and the staff who follow it."""
    request = _request(request_id)
    if request is None:
        return 0
    people = followers(request)
    creator = request.created_by
    if access.is_staff(creator) and creator not in people:
        people.insert(0, creator)
    return tell(
        Kind.SIGNING_FAILED,
        people,
        lambda user, firm: emails.signing_failed(user, request, firm),
        request=request,
        link=reverse("signatures:sign", args=[request.uuid]),
    )


@task()
def remind_now(request_id: int, actor_id: int | None) -> int:
    """Staff pressed "send a reminder now": every open recipient (a signature
    request's signers whose turn it is), at once."""
    request = _request(request_id)
    if request is None or not request.is_open:
        return 0
    return tell(
        Kind.REMINDER,
        signers.to_remind(request),
        lambda user, firm: emails.reminder(user, [request], firm),
        request=request,
        actor=_user(actor_id),
        force_email=True,
    )
