"""/api/v1: signature requests, their signing, Verify and the firm's signing
certificate.

The same lookups and actions as the Signatures pages (decision 006), through
`lookups.py` and `loket.access.signatures`: a file or request out of sight is
a 404, a missing capability a 403 (asking for signatures is for staff holding
`activities.create`; signing for the request's signers who still hold it), a
broken rule a 422 and a step the request's state does not allow (already
answered, not your turn, closed) a 409.
"""

from collections.abc import Callable
from datetime import date, datetime
from typing import Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import get_object_or_404
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, UploadedFile
from ninja import File as FileParam

from loket import access
from loket.access import Capability
from loket.accounts.models import User
from loket.api.auth import caller
from loket.api.common import unknown
from loket.api.schemas import PersonRef
from loket.audit.actions import client_ip
from loket.files import storage
from loket.files.models import File, FileVersion
from loket.requests.models import Request
from loket.signatures import actions, boxes, lookups, pdf, sealing
from loket.signatures.drawing import read_drawing
from loket.signatures.forms import VerifyForm
from loket.signatures.models import (
    SignatureRequest,
    Signer,
    SigningCertificate,
    firm_trust_roots,
)
from loket.signatures.signers import (
    eligible_signers,
    needs_code,
    signer_for,
    waiting_for,
)

router = Router(tags=["signatures"])


# Schemas.


class BoxIn(Schema):
    """Where a signature goes: the box's top-left corner, in points from the
    top-left corner of the page as displayed (as on the page preview), and its
    size (the default one when left out, smaller on a small page)."""

    page: int = Field(..., ge=0, description="The page, from 0.")
    x: float = Field(..., description="Points from the left edge of the page.")
    y: float = Field(..., description="Points from the top edge of the page.")
    width: float | None = Field(None, description="Points; at least about 100.")
    height: float | None = Field(None, description="Points; at least about 30.")


class SignatureRequestIn(Schema):
    signers: list[UUID] = Field(
        ...,
        description=(
            "The people asked to sign (user UUIDs), first signer first: "
            "contacts with Contact – Entity Staff or staff holding "
            "activities.create on the file's entity."
        ),
    )
    boxes: list[BoxIn | None] | None = Field(
        None,
        description=(
            "One box per signer, in the order of `signers`; null (the list or "
            "an item) puts the box in the default place, the end of the last "
            "page, stacked."
        ),
    )
    ordered: bool = Field(True, description="One after another, in this order.")
    subject: str = Field(..., max_length=200)
    message: str = Field("", max_length=5_000)
    due_date: date | None = None
    email_code: bool = Field(
        True,
        description="Signers confirm it is them with a code sent by e-mail.",
    )


class BoxOut(Schema):
    page: int
    x: float
    y: float
    width: float
    height: float


class SignerOut(Schema):
    person: PersonRef
    name: str
    position: int = Field(..., description="From 0: the order of signing.")
    status: Signer.Status
    method: Literal["drawn", "typed"] | None = Field(
        ..., description="How they signed; null until they have."
    )
    box: BoxOut
    viewed_at: datetime | None
    consented_at: datetime | None
    signed_at: datetime | None
    declined_at: datetime | None
    decline_reason: str
    ip_address: str | None = Field(..., description="For staff only; else null.")
    user_agent: str | None = Field(..., description="For staff only; else null.")


class CallerOut(Schema):
    """The caller's own part, when they are a signer who may sign."""

    position: int
    status: Signer.Status
    needs_code: bool = Field(
        ..., description="An e-mail code must be confirmed before signing."
    )
    waiting_for: list[PersonRef] = Field(
        ..., description="In ordered mode, the earlier signers yet to sign."
    )


class SigningOut(Schema):
    request: UUID
    subject: str
    status: Request.Status
    state: SignatureRequest.State
    ordered: bool
    auth_method: Literal["none", "email"]
    file: UUID
    document_name: str
    sha256_original: str
    sha256_prepared: str
    sha256_signed: str | None
    signed_version: UUID | None = Field(
        ..., description="The file's version made by the signing, once completed."
    )
    processing: bool = Field(
        ..., description="Signatures are recorded that are still being added."
    )
    problem: str | None = Field(
        ..., description="Why signing failed, for staff only; else null."
    )
    signers: list[SignerOut]
    caller: CallerOut | None


class SignIn(Schema):
    """Either `typed_name` or `drawing`."""

    consent: bool = Field(
        False,
        description="I agree to sign this document electronically (once is enough).",
    )
    typed_name: str | None = Field(None, max_length=actions.TYPED_NAME_MAX)
    drawing: str | None = Field(
        None,
        description="The drawn signature: a PNG, in base64 or as a data: URL.",
    )


class DeclineIn(Schema):
    reason: str = Field(..., max_length=actions.REASON_MAX)


class CodeIn(Schema):
    code: str = Field(..., max_length=12)


class SignatureReportOut(Schema):
    field_name: str
    signer_name: str
    certificate_subject: str
    certificate_issuer: str
    certificate_fingerprint: str
    signed_at: datetime | None
    timestamp_at: datetime | None
    valid: bool = Field(
        ..., description="Intact and not changed after signing (but see trusted)."
    )
    intact: bool
    trusted: bool
    covers_whole_file: bool
    changed_after: bool
    reason: str
    location: str
    problem: str


class SigningCertificateOut(Schema):
    uuid: UUID
    source: SigningCertificate.Source
    subject: str
    common_name: str
    issuer: str
    serial_number: str
    not_before: datetime
    not_after: datetime
    fingerprint_sha256: str
    self_signed: bool
    expired: bool
    expires_soon: bool
    created_at: datetime

    @staticmethod
    def resolve_expired(obj: SigningCertificate) -> bool:
        return obj.has_expired


# Answers.


def _signer_out(row: Signer, *, staff: bool) -> SignerOut:
    box = row.box
    method: Literal["drawn", "typed"] | None = None
    if row.signed_at is not None:
        method = "typed" if row.typed_name else "drawn"
    return SignerOut(
        person=PersonRef.model_validate(row.user),
        name=str(row.user),
        position=row.position,
        status=Signer.Status(row.status),
        method=method,
        box=BoxOut(page=box.page, x=box.x, y=box.y, width=box.width, height=box.height),
        viewed_at=row.viewed_at,
        consented_at=row.consented_at,
        signed_at=row.signed_at,
        declined_at=row.declined_at,
        decline_reason=row.decline_reason,
        ip_address=row.ip_address if staff else None,
        user_agent=row.user_agent if staff else None,
    )


def _answer(user: User, signing: SignatureRequest, caps: frozenset[str]) -> SigningOut:
    """What the signing side looks like to `user`, holding `caps` on its
    entity, read afresh."""
    signing = SignatureRequest.objects.select_related(
        "request__entity", "file", "signed_version"
    ).get(pk=signing.pk)
    rows = list(
        signing.signers.select_related("user").defer("image_png").order_by("position")
    )
    staff = access.is_staff(user)
    mine = next((row for row in rows if row.user_id == user.pk), None)
    you = None
    if mine is not None and access.may_sign(user, caps, mine):
        mine.signing = signing
        you = CallerOut(
            position=mine.position,
            status=Signer.Status(mine.status),
            needs_code=needs_code(mine),
            waiting_for=[PersonRef.model_validate(u) for u in waiting_for(mine)],
        )
    request = signing.request
    version = signing.signed_version
    return SigningOut(
        request=request.uuid,
        subject=request.subject,
        status=Request.Status(request.status),
        state=SignatureRequest.State(signing.state),
        ordered=signing.ordered,
        auth_method=(
            "email"
            if signing.auth_method == SignatureRequest.AuthMethod.EMAIL
            else "none"
        ),
        file=signing.file.uuid,
        document_name=signing.document_name,
        sha256_original=signing.sha256_original,
        sha256_prepared=signing.sha256_prepared,
        sha256_signed=signing.sha256_signed or None,
        signed_version=version.uuid if version else None,
        processing=sealing.processing(signing),
        problem=signing.problem if staff else None,
        signers=[_signer_out(row, staff=staff) for row in rows],
        caller=you,
    )


# Lookups and input.


def _signers(file: File, uuids: list[UUID]) -> list[User]:
    """The people named, in the order given: each must be someone who may be
    asked to sign on the file's entity (422 otherwise)."""
    if len(set(uuids)) != len(uuids):
        raise ValidationError({"signers": _("Name each signer once.")}, code="invalid")
    found = {
        user.uuid: user for user in eligible_signers(file.entity).filter(uuid__in=uuids)
    }
    if len(found) != len(uuids):
        raise unknown(
            "signers",
            _("One of the signers cannot be asked to sign for this entity."),
        )
    return [found[uuid] for uuid in uuids]


def _boxes(
    file: File, given: list[BoxIn | None] | None, count: int
) -> list[pdf.SignatureBox] | None:
    """One box per signer, placed ones checked against the page; None when
    every box is left at the default place."""
    if given is None:
        return None
    if len(given) != count:
        raise ValidationError(
            {"boxes": _("Give one signature box per signer.")}, code="invalid"
        )
    if not any(given):
        return None
    version = file.current_version
    if version is None or not version.is_available:
        return None  # request_signature refuses the file, saying why
    info = pdf.inspect(storage.read_blob(version.blob))
    try:
        placed = [
            boxes.placed_box(
                info,
                page=box.page,
                x=box.x,
                y=box.y,
                width=box.width,
                height=box.height,
            )
            if box
            else None
            for box in given
        ]
    except ValidationError as error:
        raise ValidationError({"boxes": error.messages}, code="invalid") from error
    return boxes.boxes_for(info, placed)


def _drawing(value: str) -> bytes:
    try:
        return read_drawing(value)
    except ValidationError as error:
        raise ValidationError({"drawing": error.messages}, code="invalid") from error


# Asking for signatures.


@router.post(
    "/files/{file_uuid}/signature-requests",
    response={201: SigningOut},
    summary="Ask for signatures on a PDF",
)
def create_signature_request(
    request: HttpRequest, file_uuid: UUID, payload: SignatureRequestIn
) -> SigningOut:
    """Ask the `signers` (in this order) to sign the current version of the file,
    a PDF of the entity: a request of kind *signature*, sent at once, with the
    evidence page added. For staff members holding `activities.create` on the
    file's entity; the firm's signing certificate must be installed."""
    user = caller(request)
    file, caps = lookups.get_file_for_signature_request(user, file_uuid)
    signers = _signers(file, payload.signers)
    made = actions.request_signature(
        file,
        actor=user,
        signers=signers,
        ordered=payload.ordered,
        subject=payload.subject,
        message=payload.message,
        due_date=payload.due_date,
        boxes=_boxes(file, payload.boxes, len(signers)),
        email_code=payload.email_code,
    )
    return _answer(user, made.signing, caps)


# The signing side.


def _as_signer(
    request: HttpRequest,
    request_uuid: UUID,
    act: Callable[[User, SignatureRequest], object],
) -> SigningOut:
    """One of the signer's steps: the request the caller may sign (404 out of
    sight, 403 for those who see it but may not sign it), `act` on it, and
    the signing side as it is now."""
    user = caller(request)
    signing, _signer, caps = lookups.get_signer_for_user(user, request_uuid)
    act(user, signing)
    return _answer(user, signing, caps)


@router.get(
    "/requests/{request_uuid}/signing",
    response=SigningOut,
    summary="A signature request's document and signers",
)
def get_signing(request: HttpRequest, request_uuid: UUID) -> SigningOut:
    """The state of the signing, the document's hashes, each signer's evidence
    (IP address and user agent for staff only) and, for a signer, what they
    still have to do. Whoever sees the request."""
    user = caller(request)
    signing, caps = lookups.get_signing_for_user(user, request_uuid)
    return _answer(user, signing, caps)


@router.get(
    "/requests/{request_uuid}/signing/document",
    summary="Download the document being signed",
)
def download_signing_document(
    request: HttpRequest, request_uuid: UUID
) -> HttpResponseBase:
    """The PDF with the signatures so far (once completed: the signed version).
    A signer's first download is recorded as their viewing it."""
    user = caller(request)
    signing, caps = lookups.get_signing_for_user(user, request_uuid)
    if access.may_sign(user, caps, signer_for(signing, user)):
        actions.record_view(signing, actor=user, ip=client_ip(request) or "")
    # The working copy is a blob with no version of its own: described as one.
    document = FileVersion(
        blob=signing.working_blob,
        original_name=signing.document_name,
        content_type="application/pdf",
    )
    return storage.download_response(document)


@router.post(
    "/requests/{request_uuid}/signing/consent",
    response=SigningOut,
    summary="Agree to sign electronically",
)
def consent_to_sign(request: HttpRequest, request_uuid: UUID) -> SigningOut:
    """The signer agrees to sign this document electronically (recorded once)."""
    return _as_signer(
        request,
        request_uuid,
        lambda user, signing: actions.record_consent(signing, actor=user),
    )


@router.post(
    "/requests/{request_uuid}/signing/sign",
    response=SigningOut,
    summary="Sign the document",
)
def sign_document(
    request: HttpRequest, request_uuid: UUID, payload: SignIn
) -> SigningOut:
    """Sign with a typed name or a drawn signature (a PNG), with consent unless
    given before. The signature, IP address and user agent are recorded now;
    the worker stamps and signs the PDF (`processing` until then). 409 when it
    is not the signer's turn or they answered already."""

    def sign(user: User, signing: SignatureRequest) -> object:
        if payload.drawing and payload.typed_name:
            raise ValidationError(
                {"signature": _("Draw your signature or type your name, not both.")},
                code="invalid",
            )
        return actions.sign(
            signing,
            actor=user,
            consent=payload.consent,
            image_png=_drawing(payload.drawing) if payload.drawing else None,
            typed_name=payload.typed_name or "",
            ip=client_ip(request) or "",
            user_agent=request.headers.get("User-Agent", ""),
        )

    return _as_signer(request, request_uuid, sign)


@router.post(
    "/requests/{request_uuid}/signing/decline",
    response=SigningOut,
    summary="Decline to sign",
)
def decline_to_sign(
    request: HttpRequest, request_uuid: UUID, payload: DeclineIn
) -> SigningOut:
    """The signer will not sign, with a reason: the request is closed as
    declined and the reason goes to its comments."""
    return _as_signer(
        request,
        request_uuid,
        lambda user, signing: actions.decline_signature(
            signing, actor=user, reason=payload.reason
        ),
    )


@router.post(
    "/requests/{request_uuid}/signing/code",
    response=SigningOut,
    summary="E-mail me a code to sign",
)
def send_signing_code(request: HttpRequest, request_uuid: UUID) -> SigningOut:
    """For a request that asks for an e-mail code: send the signer a new
    six-digit code (one every 30 seconds at most)."""
    return _as_signer(
        request,
        request_uuid,
        lambda user, signing: actions.send_signing_code(signing, actor=user),
    )


@router.post(
    "/requests/{request_uuid}/signing/code/confirm",
    response=SigningOut,
    summary="Confirm the code sent by e-mail",
)
def confirm_signing_code(
    request: HttpRequest, request_uuid: UUID, payload: CodeIn
) -> SigningOut:
    """The code from the e-mail: valid for 10 minutes and 5 tries; once
    confirmed, the signer may sign for 30 minutes."""
    return _as_signer(
        request,
        request_uuid,
        lambda user, signing: actions.confirm_signing_code(
            signing, actor=user, code=payload.code
        ),
    )


# Verify and the certificate.


@router.post(
    "/signatures/verify",
    response=list[SignatureReportOut],
    summary="Check the signatures in a PDF",
)
def verify_signatures(
    request: HttpRequest, file: FileParam[UploadedFile]
) -> list[SignatureReportOut]:
    """Upload a PDF (multipart, field `file`, at most 100 MB): every signature
    in it, who signed and when, intact or changed after signing, trusted (made
    with one of the firm's certificates) or not. Nothing is kept. Anyone
    signed in."""
    caller(request)
    form = VerifyForm(files=MultiValueDict({"file": [file]}))
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    try:
        reports = pdf.verify(form.cleaned_data["file"], trust_roots=firm_trust_roots())
    except ValidationError as error:
        raise ValidationError({"file": error.messages}, code="invalid") from error
    return [
        SignatureReportOut(
            field_name=report.field_name,
            signer_name=report.signer_name,
            certificate_subject=report.certificate_subject,
            certificate_issuer=report.certificate_issuer,
            certificate_fingerprint=report.certificate_fingerprint,
            signed_at=report.signed_at,
            timestamp_at=report.timestamp_at,
            valid=report.valid,
            intact=report.intact,
            trusted=report.trusted,
            covers_whole_file=report.covers_whole_file,
            changed_after=report.changed_after,
            reason=report.reason,
            location=report.location,
            problem=report.problem,
        )
        for report in reports
    ]


@router.get(
    "/signing-certificate",
    response=SigningCertificateOut,
    summary="The firm's current signing certificate",
)
def get_signing_certificate(request: HttpRequest) -> SigningCertificate:
    """Its public facts: subject, issuer, validity, fingerprint, whether it is
    self-signed. Never the private key. For those who manage the settings;
    404 while none is installed."""
    user = caller(request)
    access.require(access.can(user, Capability.SETTINGS_MANAGE))
    return get_object_or_404(SigningCertificate.objects.filter(is_current=True))
