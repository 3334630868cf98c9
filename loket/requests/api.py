"""/api/v1/requests: file requests and update requests, the contacts' responses
and the comment thread.

The same access and actions as the Activities pages (loket/requests): a
request out of sight is a 404 (drafts and internal comments never reach
contacts), a missing capability a 403, a broken rule a 422, and an action the
request's status does not allow (accepting a draft, answering a cancelled
request) a 409. A response file comes from a finished resumable upload
(/api/v1/uploads/, tus) by its uuid.
"""

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from loket import access
from loket.access import Capability
from loket.accounts.models import User
from loket.api.auth import caller
from loket.api.common import Page, unknown
from loket.api.schemas import EntityRef, PersonRef
from loket.entities.lookups import get_entity_for_user
from loket.entities.models import Entity
from loket.files.lookups import get_finished_upload
from loket.requests import actions
from loket.requests.lookups import get_request_for_user
from loket.requests.models import Comment, Recipient, Request, RequestFile
from loket.requests.querysets import OPEN, with_status

router = Router(tags=["requests"])


# Schemas.


class RecipientOut(Schema):
    person: PersonRef = Field(..., alias="user")
    responded_at: datetime | None
    not_applicable: bool
    reason: str


class RequestFileOut(Schema):
    file: UUID
    name: str
    version: UUID | None
    version_number: int | None
    added_by: PersonRef
    added_at: datetime
    submitted_at: datetime | None

    @staticmethod
    def resolve_file(obj: RequestFile) -> UUID:
        return obj.file.uuid

    @staticmethod
    def resolve_name(obj: RequestFile) -> str:
        return obj.file.name

    @staticmethod
    def resolve_version(obj: RequestFile) -> UUID | None:
        return obj.version.uuid if obj.version else None

    @staticmethod
    def resolve_version_number(obj: RequestFile) -> int | None:
        return obj.version.number if obj.version else None


def _links(obj: Request, role: str) -> list[RequestFile]:
    return [link for link in obj.request_files.all() if link.role == role]


class RequestOut(Schema):
    uuid: UUID
    entity: EntityRef
    kind: Request.Kind
    subject: str
    description: str
    additional_message: str
    due_date: date | None
    overdue: bool
    status: Request.Status = Field(
        ..., description="As stored; a declined signature request is cancelled."
    )
    shown_status: str = Field(
        ...,
        description=(
            "The status as the pages show it: `status`, or `declined` for a "
            "signature request a signer declined."
        ),
    )
    limited: bool
    update_request: bool
    created_by: PersonRef
    created_at: datetime
    sent_at: datetime | None
    responded_at: datetime | None
    closed_at: datetime | None
    recipients: list[RecipientOut]
    attachments: list[RequestFileOut]
    responses: list[RequestFileOut]

    @staticmethod
    def resolve_shown_status(obj: Request) -> str:
        return obj.shown_status

    @staticmethod
    def resolve_overdue(obj: Request) -> bool:
        return obj.is_overdue

    @staticmethod
    def resolve_update_request(obj: Request) -> bool:
        return bool(_links(obj, RequestFile.Role.ATTACHMENT))

    @staticmethod
    def resolve_recipients(obj: Request) -> list[Recipient]:
        return list(obj.recipient_rows.all())

    @staticmethod
    def resolve_attachments(obj: Request) -> list[RequestFile]:
        return _links(obj, RequestFile.Role.ATTACHMENT)

    @staticmethod
    def resolve_responses(obj: Request) -> list[RequestFile]:
        return _links(obj, RequestFile.Role.RESPONSE)


class RequestIn(Schema):
    entity: UUID
    subject: str = Field(..., max_length=200)
    description: str = Field("", max_length=20_000)
    recipients: list[UUID]
    due_date: date | None = None
    additional_message: str = Field("", max_length=5_000)
    attachments: list[UUID] = []
    limited: bool = False
    send: bool = Field(True, description="False saves a draft (not sent).")


class RequestPatch(Schema):
    """Fields left out stay as they are; `due_date` null clears it."""

    subject: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=20_000)
    due_date: date | None = None
    additional_message: str | None = Field(None, max_length=5_000)
    recipients: list[UUID] | None = None


class ResponseFileIn(Schema):
    upload: UUID = Field(..., description="A finished tus upload of yours.")
    attachment: UUID | None = Field(
        None, description="The attached file this upload is a new version of."
    )


class SubmitIn(Schema):
    note: str = Field("", max_length=10_000)


class ReasonIn(Schema):
    reason: str = Field(..., max_length=10_000)


class ReturnIn(Schema):
    comment: str = Field(..., max_length=10_000)


class CommentIn(Schema):
    body: str = Field(..., max_length=10_000)
    internal: bool = False


class CommentOut(Schema):
    uuid: UUID
    author: PersonRef
    body: str
    internal: bool
    created_at: datetime


# Lookups.


def _detailed(requests: QuerySet[Request]) -> QuerySet[Request]:
    """What a request's JSON shows, read in a fixed number of queries."""
    return requests.select_related("entity", "created_by", "signing").prefetch_related(
        Prefetch(
            "recipient_rows",
            queryset=Recipient.objects.select_related("user").order_by(
                "user__last_name", "user__first_name", "pk"
            ),
        ),
        Prefetch(
            "request_files",
            queryset=RequestFile.objects.select_related(
                "file", "version", "added_by"
            ).order_by("added_at", "pk"),
        ),
    )


def _shown(user: User, **lookup: object) -> Request:
    """The request `user` sees matching `lookup`, with all its JSON shows (404
    otherwise): what an endpoint answers, after its action if any."""
    return get_object_or_404(_detailed(access.visible_requests(user)), **lookup)


def _recipients(entity: Entity, uuids: list[UUID]) -> list[User]:
    """The contacts named: each must have access to the entity (422 otherwise);
    whether they may receive requests is the action's rule."""
    wanted = set(uuids)
    found = list(access.contacts_with_access(entity).filter(uuid__in=wanted))
    if len(found) != len(wanted):
        raise unknown(
            "recipients",
            _("One of the recipients is not a contact with access to this entity."),
        )
    return found


# Routes.

StatusFilter = Literal[
    "open",
    "not_sent",
    "awaiting",
    "responded",
    "returned",
    "completed",
    "cancelled",
    "declined",
]


@router.get("", response=list[RequestOut])
@paginate(Page)
def list_requests(
    request: HttpRequest,
    entity: UUID | None = None,
    status: StatusFilter | None = None,
    recipient: UUID | None = None,
    overdue: bool | None = None,
    mine: bool = False,
) -> QuerySet[Request]:
    """The requests the caller may see, newest first: filtered by entity,
    status as shown ("open": awaiting or returned; "declined": a signature
    request a signer declined, which "cancelled" leaves out), recipient,
    overdue, created by the caller (`mine`)."""
    user = caller(request)
    requests: QuerySet[Request] = access.visible_requests(user)
    if entity is not None:
        requests = requests.filter(entity__uuid=entity)
    if status is not None:
        requests = with_status(requests, status)
    if recipient is not None:
        rows = Recipient.objects.filter(request_id=OuterRef("pk"), user__uuid=recipient)
        requests = requests.filter(Exists(rows))
    if overdue is not None:
        late = requests.filter(status__in=OPEN, due_date__lt=timezone.localdate())
        requests = late if overdue else requests.exclude(pk__in=late.values("pk"))
    if mine:
        requests = requests.filter(created_by=user)
    return _detailed(requests).order_by("-created_at", "-pk")


@router.post("", response={201: RequestOut})
def create_request(request: HttpRequest, payload: RequestIn) -> Request:
    """Create a file request (an update request when files are attached) and
    send it, or save it as a draft with `"send": false`. Whoever holds
    `activities.create` on the entity: staff (Reader or more), and contacts with
    Contact – Entity Staff for activities of their own."""
    user = caller(request)
    entity, caps = get_entity_for_user(
        user, payload.entity, need=Capability.ACTIVITIES_CREATE
    )
    recipients = _recipients(entity, payload.recipients)
    wanted = set(payload.attachments)
    files = list(access.visible_files(user, entity, caps=caps).filter(uuid__in=wanted))
    if len(files) != len(wanted):
        raise unknown("attachments", _("There is no such file in this entity."))
    created = actions.create_request(
        entity,
        actor=user,
        subject=payload.subject,
        description=payload.description,
        recipients=recipients,
        due_date=payload.due_date,
        additional_message=payload.additional_message,
        attachments=files,
        limited=payload.limited,
        send=payload.send,
    )
    return _shown(user, pk=created.pk)


@router.get("/{request_uuid}", response=RequestOut)
def get_request(request: HttpRequest, request_uuid: UUID) -> Request:
    return _shown(caller(request), uuid=request_uuid)


@router.patch("/{request_uuid}", response=RequestOut)
def update_request(
    request: HttpRequest, request_uuid: UUID, payload: RequestPatch
) -> Request:
    """Change the subject, description, due date, additional message or
    recipients (the list replaces the former one)."""
    user = caller(request)
    found, _caps = get_request_for_user(
        user, request_uuid, may=access.may_manage_request
    )
    given = payload.model_dump(exclude_unset=True)
    for field in ("subject", "description", "additional_message", "recipients"):
        if field in given and given[field] is None:
            raise unknown(field, _("This field cannot be empty."))
    if "recipients" in given:
        given["recipients"] = _recipients(found.entity, given["recipients"])
    actions.update_request(found, actor=user, **given)
    return _shown(user, pk=found.pk)


@router.post("/{request_uuid}/send", response=RequestOut)
def send_request(request: HttpRequest, request_uuid: UUID) -> Request:
    """Send a draft."""
    user = caller(request)
    found, _caps = get_request_for_user(
        user, request_uuid, may=access.may_manage_request
    )
    actions.send_request(found, actor=user)
    return _shown(user, pk=found.pk)


@router.post("/{request_uuid}/files", response={201: RequestFileOut})
def add_response_file(
    request: HttpRequest, request_uuid: UUID, payload: ResponseFileIn
) -> RequestFile:
    """A recipient's finished upload becomes a file of the entity (or, with
    `attachment`, a new version of that attached file), linked to the request.
    It counts once the recipient submits."""
    user = caller(request)
    found, _caps = get_request_for_user(user, request_uuid, may=access.may_respond)
    upload = get_finished_upload(user, payload.upload)
    attachment = None
    if payload.attachment is not None:
        link = (
            found.request_files.filter(
                role=RequestFile.Role.ATTACHMENT, file__uuid=payload.attachment
            )
            .select_related("file")
            .first()
        )
        if link is None:
            raise unknown("attachment", _("That file is not attached to this request."))
        attachment = link.file
    made = actions.add_response_file(
        found, actor=user, upload=upload, attachment=attachment
    )
    return RequestFile.objects.select_related("file", "version", "added_by").get(
        pk=made.pk
    )


@router.post("/{request_uuid}/submit", response=RequestOut)
def submit_response(
    request: HttpRequest, request_uuid: UUID, payload: SubmitIn
) -> Request:
    """The recipient sends what they uploaded: the request is *responded*."""
    user = caller(request)
    found, _caps = get_request_for_user(user, request_uuid, may=access.may_respond)
    actions.submit_response(found, actor=user, note=payload.note)
    return _shown(user, pk=found.pk)


@router.post("/{request_uuid}/not-applicable", response=RequestOut)
def mark_not_applicable(
    request: HttpRequest, request_uuid: UUID, payload: ReasonIn
) -> Request:
    """ "This does not apply to us", with a reason."""
    user = caller(request)
    found, _caps = get_request_for_user(user, request_uuid, may=access.may_respond)
    actions.mark_not_applicable(found, actor=user, reason=payload.reason)
    return _shown(user, pk=found.pk)


@router.post("/{request_uuid}/accept", response=RequestOut)
def accept_response(request: HttpRequest, request_uuid: UUID) -> Request:
    user = caller(request)
    found, _caps = get_request_for_user(
        user, request_uuid, may=access.may_manage_request
    )
    actions.accept_response(found, actor=user)
    return _shown(user, pk=found.pk)


@router.post("/{request_uuid}/return", response=RequestOut)
def return_to_contact(
    request: HttpRequest, request_uuid: UUID, payload: ReturnIn
) -> Request:
    """Return the response to the contact with a comment saying what is
    missing: the request reopens (*returned*)."""
    user = caller(request)
    found, _caps = get_request_for_user(
        user, request_uuid, may=access.may_manage_request
    )
    actions.return_to_contact(found, actor=user, comment=payload.comment)
    return _shown(user, pk=found.pk)


@router.post("/{request_uuid}/cancel", response=RequestOut)
def cancel_request(request: HttpRequest, request_uuid: UUID) -> Request:
    user = caller(request)
    found, _caps = get_request_for_user(
        user, request_uuid, may=access.may_manage_request
    )
    actions.cancel_request(found, actor=user)
    return _shown(user, pk=found.pk)


@router.get("/{request_uuid}/comments", response=list[CommentOut])
def list_comments(request: HttpRequest, request_uuid: UUID) -> list[Comment]:
    """The thread, oldest first; internal comments only for staff."""
    user = caller(request)
    found, _caps = get_request_for_user(user, request_uuid)
    comments = found.comments.select_related("author").order_by("created_at", "pk")
    if not access.may_use_internal_comments(user):
        comments = comments.filter(internal=False)
    return list(comments)


@router.post("/{request_uuid}/comments", response={201: CommentOut})
def add_comment(
    request: HttpRequest, request_uuid: UUID, payload: CommentIn
) -> Comment:
    """Anyone who sees the request may comment; `internal` (staff only) is
    never shown to contacts."""
    user = caller(request)
    found, _caps = get_request_for_user(user, request_uuid)
    return actions.add_comment(
        found, actor=user, body=payload.body, internal=payload.internal
    )
