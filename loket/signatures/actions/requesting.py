"""Asking for signatures: a request of kind *signature* on a PDF of the
entity, in three steps (check, prepare the document outside the transaction,
record)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from loket.accounts.models import User
from loket.audit.actions import record
from loket.audit.models import Event
from loket.files import storage
from loket.files.models import File, FileVersion
from loket.notifications import notify
from loket.requests.models import Recipient, Request, RequestFile
from loket.requests.validation import (
    check_due_date,
    check_limited,
    clean_subject,
    plain_text,
)
from loket.signatures import boxes as signature_boxes
from loket.signatures import pdf
from loket.signatures.models import (
    SignatureRequest,
    Signer,
    SigningCertificate,
    SigningSettings,
)
from loket.signatures.signers import (
    eligible_signers,
)

# The evidence record fits on one page for about six signers (decision 003).
MAX_SIGNERS = 6


@dataclass(frozen=True)
class _Asked:
    """A signature request that keeps the rules, before anything is kept."""

    file: File
    version: FileVersion
    people: list[User]
    subject: str


@dataclass(frozen=True)
class _Prepared:
    """The document as it will be signed, stored as a blob of its own."""

    blob: str
    sha256: str
    evidence: str
    boxes: list[pdf.SignatureBox]


def request_signature(
    file: File,
    *,
    actor: User,
    signers: Iterable[User],
    ordered: bool = True,
    subject: str,
    message: str = "",
    due_date: date | None = None,
    boxes: list[pdf.SignatureBox] | None = None,
    email_code: bool = False,
) -> Request:
    """Ask `signers` (in this order) to sign the current version of `file`, a
    PDF: a request of kind *signature*, sent at once. The document gets its
    evidence page now, before the first signature (decision 003), unless the
    firm keeps the evidence record as a separate PDF (decision 007). With
    `email_code`, each signer confirms a code sent by e-mail before signing.

    In three steps: the rules are checked; the document is read, prepared and
    stored outside the transaction (seconds of PDF work hold no lock); the
    request is recorded in one short transaction with its history, the
    e-mails going on commit. When recording fails the stored copy is deleted."""
    asked = _check_request(file, signers=signers, subject=subject, due_date=due_date)
    prepared = _prepare_document(asked, boxes)
    try:
        return _record_request(
            asked,
            prepared,
            actor=actor,
            ordered=ordered,
            message=message,
            due_date=due_date,
            email_code=email_code,
        )
    except BaseException:
        storage.delete_blob(prepared.blob)
        raise


def _check_request(
    file: File,
    *,
    signers: Iterable[User],
    subject: str,
    due_date: date | None,
) -> _Asked:
    """The rules a signature request keeps, checked before anything is read
    or written: ValidationError in the client's words otherwise."""
    SigningCertificate.objects.for_signing()
    entity = file.entity
    subject = clean_subject(subject)
    check_due_date(due_date)
    people = list({user.pk: user for user in signers}.values())
    if not people:
        raise ValidationError(
            {"signers": _("Choose at least one signer.")}, code="required"
        )
    allowed = set(
        eligible_signers(entity)
        .filter(pk__in=[user.pk for user in people])
        .values_list("pk", flat=True)
    )
    if len(people) > MAX_SIGNERS:
        raise ValidationError(
            {
                "signers": _("Ask at most %(max)d people to sign one document.")
                % {"max": MAX_SIGNERS}
            },
            code="invalid",
        )
    if entity.archived_at is not None:
        raise ValidationError(
            _("%(entity)s is archived: it takes no new requests.") % {"entity": entity},
            code="invalid",
        )
    refused = [user for user in people if user.pk not in allowed]
    if refused:
        raise ValidationError(
            {
                "signers": [
                    _("%(name)s cannot be asked to sign for %(entity)s.")
                    % {"name": user, "entity": entity}
                    for user in refused
                ]
            },
            code="invalid",
        )
    # A limited file only for signers who may see it already.
    check_limited([file], people)
    version = file.current_version
    if file.deleted_at is not None or version is None or not version.is_available:
        raise ValidationError(
            _("This file cannot be signed now: it is deleted or not available."),
            code="invalid",
        )
    return _Asked(file=file, version=version, people=people, subject=subject)


def _prepare_document(asked: _Asked, boxes: list[pdf.SignatureBox] | None) -> _Prepared:
    """Read the document, check it can be signed and give it its evidence
    page, and store the result: no transaction, nothing recorded yet."""
    original = storage.read_blob(asked.version.blob)
    info = pdf.inspect(original)  # ValidationError in the client's words
    if boxes is None:
        boxes = signature_boxes.stacked_boxes(info, len(asked.people))
    if len(boxes) != len(asked.people):
        raise ValidationError(_("Give one signature box per signer."), code="invalid")
    evidence = SigningSettings.load().evidence
    # The evidence page goes in before anyone signs (decision 003); kept as a
    # separate PDF, the document is signed as it is (decision 007).
    prepared = (
        original
        if evidence == SigningSettings.Evidence.SEPARATE
        else pdf.add_evidence_page(original)
    )
    blob = storage.store_bytes(prepared, asked.file.name).blob
    return _Prepared(
        blob=blob, sha256=pdf.sha256(prepared), evidence=evidence, boxes=boxes
    )


@transaction.atomic
def _record_request(
    asked: _Asked,
    prepared: _Prepared,
    *,
    actor: User,
    ordered: bool,
    message: str,
    due_date: date | None,
    email_code: bool,
) -> Request:
    """The request, its signers and its history, sent: rows only."""
    file, version, people = asked.file, asked.version, asked.people
    entity = file.entity
    request = Request.objects.create(
        entity=entity,
        kind=Request.Kind.SIGNATURE,
        subject=asked.subject,
        additional_message=plain_text(message),
        due_date=due_date,
        created_by=actor,
    )
    Recipient.objects.bulk_create(
        [Recipient(request=request, user=user) for user in people]
    )
    RequestFile.objects.create(
        request=request,
        file=file,
        version=version,
        role=RequestFile.Role.ATTACHMENT,
        added_by=actor,
    )
    signing = SignatureRequest.objects.create(
        request=request,
        file=file,
        ordered=ordered,
        auth_method=(
            SignatureRequest.AuthMethod.EMAIL
            if email_code
            else SignatureRequest.AuthMethod.NONE
        ),
        evidence=prepared.evidence,
        working_blob=prepared.blob,
        document_name=file.name,
        sha256_original=version.sha256,
        sha256_prepared=prepared.sha256,
    )
    Signer.objects.bulk_create(
        [
            Signer(
                signing=signing,
                user=user,
                position=position,
                page=box.page,
                x=box.x,
                y=box.y,
                width=box.width,
                height=box.height,
            )
            for position, (user, box) in enumerate(
                zip(people, prepared.boxes, strict=True)
            )
        ]
    )
    data: dict[str, Any] = {
        "subject": request.subject,
        "kind": Request.Kind.SIGNATURE,
        "file": file.name,
        "file_uuid": str(file.uuid),
        "signers": [user.email for user in people],
        "ordered": ordered,
        "email_code": email_code,
        "evidence": prepared.evidence,
        "sha256": version.sha256,
    }
    if due_date:
        data["due_date"] = due_date.isoformat()
    record(
        Event.Verb.REQUEST_CREATED,
        actor=actor,
        target=request,
        entity=entity,
        data=data,
    )
    request.status = Request.Status.AWAITING
    request.sent_at = timezone.now()
    request.save(update_fields=["status", "sent_at"])
    record(
        Event.Verb.REQUEST_SENT,
        actor=actor,
        target=request,
        entity=entity,
        data={"recipients": sorted(user.email for user in people)},
    )
    notify.notify_signature_requested(request)
    return request
