"""Signature requests: a contact signs an existing PDF of the entity in the
browser, Loket stamps and signs it with the firm's certificate (decision 006).

The actions that change a signature request (create, view, consent, sign,
decline) live here, the background stamping and sealing in `sealing.py`;
`actions.py` re-exports them. They follow the house rules: atomic, a
history event each, side effects on commit, no permission checks (callers
do those).
"""

import datetime as dt
import io
import math
import secrets
from collections.abc import Iterable
from datetime import date
from functools import partial
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from loket import access
from loket.access import Capability
from loket.accounts.models import User
from loket.audit.actions import record
from loket.audit.models import Event
from loket.files import storage
from loket.files.models import File
from loket.notifications import notify, outbox
from loket.notifications.models import Kind
from loket.requests import actions as request_actions
from loket.requests.models import Recipient, Request, RequestFile
from loket.signatures import pdf
from loket.signatures.drawing import MAX_DRAWING_BYTES
from loket.signatures.models import (
    SignatureRequest,
    Signer,
    SigningCertificate,
    SigningSettings,
)
from loket.signatures.pdf.types import DEFAULT_BOX_HEIGHT, DEFAULT_BOX_WIDTH

# Stacked default boxes: this much room between two signers' boxes.
BOX_GAP = 8.0
# A box staff place or resize on the preview is at least this big (points).
PLACED_MIN_WIDTH = 100.0
PLACED_MIN_HEIGHT = 30.0
REASON_MAX = 2000
TYPED_NAME_MAX = 200
# The evidence record fits on one page for about six signers (decision 003).
MAX_SIGNERS = 6
# The e-mail code: how long it is valid, how many tries, how soon another
# may be sent, and how long a confirmed code lets the signer sign.
CODE_VALID = dt.timedelta(minutes=10)
CODE_ATTEMPTS = 5
CODE_RESEND_AFTER = dt.timedelta(seconds=30)
CODE_CONFIRMED_FOR = dt.timedelta(minutes=30)
EMAIL_CODE = "email"


def eligible_signers(entity: Any) -> "QuerySet[User]":
    """Who may be asked to sign on `entity`: contacts with Contact – Entity
    Staff and staff members, anyone holding `activities.create` there."""
    return access.people_with(entity, Capability.ACTIVITIES_CREATE)


def _certificate() -> SigningCertificate:
    certificate = SigningCertificate.objects.current()
    if certificate is None or certificate.has_expired:
        raise ValidationError(
            _(
                "Signature requests need the firm's signing certificate: an "
                "administrator installs one in Settings → Signing certificate."
            ),
            code="no_certificate",
        )
    return certificate


def read_blob(blob: str) -> bytes:
    with storage.open_blob(blob) as stream:
        return stream.read()


def _store(data: bytes, name: str) -> str:
    return storage.store_stream(io.BytesIO(data), name).blob


def _stacked_boxes(info: pdf.PdfInfo, count: int) -> list[pdf.SignatureBox]:
    """The default box for each signer: the end of the last page, each next
    one above the previous one (and on the page before when they run out)."""
    first = pdf.SignatureBox.default(info)
    boxes = []
    page, y = first.page, first.y
    for _n in range(count):
        if y < 0:
            page = max(0, page - 1)
            y = first.y
        boxes.append(
            pdf.SignatureBox(
                page=page, x=first.x, y=y, width=first.width, height=first.height
            )
        )
        y -= first.height + BOX_GAP
    return boxes


def box_size(page: pdf.PageInfo) -> tuple[float, float]:
    """The size of a box placed on `page` (points): the default, smaller on a
    small page."""
    return (
        min(DEFAULT_BOX_WIDTH, page.width),
        min(DEFAULT_BOX_HEIGHT, page.height),
    )


def min_box_size(page: pdf.PageInfo) -> tuple[float, float]:
    """The smallest box staff may make on `page` (points): room for a
    signature over a name and a date, or the whole of a smaller page."""
    return (
        min(PLACED_MIN_WIDTH, page.width),
        min(PLACED_MIN_HEIGHT, page.height),
    )


def placed_box(
    info: pdf.PdfInfo,
    *,
    page: int,
    x: float,
    y: float,
    width: float | None = None,
    height: float | None = None,
) -> pdf.SignatureBox:
    """A box staff placed (and perhaps resized) on the preview: its top-left
    corner at (`x`, `y`), points from the top-left of page `page` (from 0) as
    displayed, `width` by `height` points (the default size when not given).
    Refused when it is not on the page, or smaller than `min_box_size`."""
    if not 0 <= page < info.page_count:
        raise ValidationError(_("This page does not exist."), code="page")
    shown = info.pages[page]
    default_width, default_height = box_size(shown)
    width = default_width if width is None else width
    height = default_height if height is None else height
    if not all(math.isfinite(value) for value in (x, y, width, height)) or (
        x < 0
        or y < 0
        or x + width > shown.width + 0.5
        or y + height > shown.height + 0.5
    ):
        raise ValidationError(
            _("The signature box does not fit on the page."), code="box"
        )
    min_width, min_height = min_box_size(shown)
    # The preview sends two decimals: a box made as small as allowed passes.
    if width < min_width - 0.01 or height < min_height - 0.01:
        raise ValidationError(_("The signature box is too small."), code="box")
    return pdf.SignatureBox(page=page, x=x, y=y, width=width, height=height)


def boxes_for(
    info: pdf.PdfInfo, placed: list[pdf.SignatureBox | None]
) -> list[pdf.SignatureBox]:
    """One box per signer: where staff placed it, or else the default place
    (stacked among those left at the default)."""
    defaults = iter(_stacked_boxes(info, placed.count(None)))
    return [box or next(defaults) for box in placed]


@transaction.atomic
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
    `email_code`, each signer confirms a code sent by e-mail before signing."""
    _certificate()
    entity = file.entity
    subject = request_actions._clean_subject(subject)
    request_actions._check_due_date(due_date)
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
    request_actions._check_limited([file], people)
    version = file.current_version
    if file.deleted_at is not None or version is None or not version.is_available:
        raise ValidationError(
            _("This file cannot be signed now: it is deleted or not available."),
            code="invalid",
        )
    original = read_blob(version.blob)
    info = pdf.inspect(original)  # ValidationError in the client's words
    if boxes is None:
        boxes = _stacked_boxes(info, len(people))
    if len(boxes) != len(people):
        raise ValidationError(_("Give one signature box per signer."), code="invalid")
    evidence = SigningSettings.load().evidence
    # The evidence page goes in before anyone signs (decision 003); kept as a
    # separate PDF, the document is signed as it is (decision 007).
    prepared = (
        original
        if evidence == SigningSettings.Evidence.SEPARATE
        else pdf.add_evidence_page(original)
    )
    request = Request.objects.create(
        entity=entity,
        kind=Request.Kind.SIGNATURE,
        subject=subject,
        additional_message=request_actions._text(message),
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
    blob = _store(prepared, file.name)
    signing = SignatureRequest.objects.create(
        request=request,
        file=file,
        ordered=ordered,
        auth_method=EMAIL_CODE if email_code else "none",
        evidence=evidence,
        working_blob=blob,
        document_name=file.name,
        sha256_original=version.sha256,
        sha256_prepared=pdf.sha256(prepared),
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
            for position, (user, box) in enumerate(zip(people, boxes, strict=True))
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
        "evidence": evidence,
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


def signer_for(signing: SignatureRequest, user: User) -> Signer | None:
    return signing.signers.filter(user=user).first()


def processing(signing: SignatureRequest) -> bool:
    """Are signatures recorded that the worker has not stamped yet (and will:
    the request is neither failed nor cancelled)?"""
    return (
        signing.state == SignatureRequest.State.OPEN
        and signing.request.is_open
        and signing.signers.filter(
            status=Signer.Status.SIGNED, stamped_at__isnull=True
        ).exists()
    )


def waiting_for(signer: Signer) -> list[User]:
    """In ordered mode, the signers before `signer` who have not signed yet."""
    if not signer.signing.ordered:
        return []
    before = signer.signing.signers.filter(position__lt=signer.position).exclude(
        status=Signer.Status.SIGNED
    )
    return [row.user for row in before.select_related("user")]


def _open_signer(signing: SignatureRequest, actor: User) -> Signer:
    """The actor's row, locked, refusing when there is nothing to do."""
    if (
        signing.request.status
        not in (
            Request.Status.AWAITING,
            Request.Status.RETURNED,
        )
        or signing.state != SignatureRequest.State.OPEN
    ):
        raise ValidationError(_("This signature request is closed."), code="conflict")
    signer = (
        Signer.objects.select_for_update().filter(signing=signing, user=actor).first()
    )
    if signer is None:
        raise ValidationError(
            _("Only the signers of this request can sign it."), code="invalid"
        )
    if signer.status != Signer.Status.WAITING:
        raise ValidationError(
            _("You have already answered this request."), code="conflict"
        )
    return signer


def _event(
    verb: Event.Verb, signer: Signer, data: dict[str, Any] | None = None
) -> None:
    request = signer.signing.request
    record(verb, actor=signer.user, target=request, entity=request.entity, data=data)


@transaction.atomic
def record_view(signing: SignatureRequest, *, actor: User, ip: str = "") -> None:
    """The signer opened the document: the first time is evidence."""
    signer = signer_for(signing, actor)
    if signer is None or signer.viewed_at is not None:
        return
    signer.viewed_at = timezone.now()
    signer.save(update_fields=["viewed_at"])
    _event(Event.Verb.SIGNATURE_VIEWED, signer, {"ip": ip} if ip else None)


@transaction.atomic
def record_consent(signing: SignatureRequest, *, actor: User) -> Signer:
    """The signer agreed to sign electronically."""
    signer = _open_signer(signing, actor)
    if signer.consented_at is None:
        signer.consented_at = timezone.now()
        signer.save(update_fields=["consented_at"])
        _event(Event.Verb.SIGNATURE_CONSENTED, signer)
    return signer


@transaction.atomic
def decline_signature(
    signing: SignatureRequest, *, actor: User, reason: str
) -> SignatureRequest:
    """The signer will not sign: recorded with the reason, the request is
    cancelled (shown as declined) and its followers are told through the
    comment thread."""
    signer = _open_signer(signing, actor)
    reason = request_actions._text(reason)
    if not reason:
        raise ValidationError(
            {"reason": _("Say why you decline to sign.")}, code="required"
        )
    now = timezone.now()
    signer.status = Signer.Status.DECLINED
    signer.declined_at = now
    signer.decline_reason = reason[:REASON_MAX]
    signer.save(update_fields=["status", "declined_at", "decline_reason"])
    signing.state = SignatureRequest.State.DECLINED
    signing.save(update_fields=["state"])
    request = signing.request
    request.status = Request.Status.CANCELLED
    request.closed_at = now
    request.save(update_fields=["status", "closed_at"])
    _event(Event.Verb.SIGNATURE_DECLINED, signer, {"reason": reason[:500]})
    request_actions.add_comment(
        request,
        actor=actor,
        body=_("I decline to sign: %(reason)s") % {"reason": reason[:REASON_MAX]},
    )
    return signing


@transaction.atomic
def sign(
    signing: SignatureRequest,
    *,
    actor: User,
    consent: bool,
    image_png: bytes | None = None,
    typed_name: str = "",
    ip: str = "",
    user_agent: str = "",
) -> Signer:
    """The signer signs (a drawing or a typed name): the evidence is recorded
    now, the stamp and the PAdES signature are made by the worker."""
    signing = SignatureRequest.objects.select_for_update().get(pk=signing.pk)
    signer = _open_signer(signing, actor)
    if not consent and signer.consented_at is None:
        raise ValidationError(
            {"consent": _("Tick the box to agree to sign electronically.")},
            code="required",
        )
    typed_name = " ".join((typed_name or "").split())
    if not image_png and not typed_name:
        raise ValidationError(
            {"signature": _("Draw your signature or type your name.")},
            code="required",
        )
    if image_png and len(image_png) > MAX_DRAWING_BYTES:
        raise ValidationError(
            {"signature": _("This drawing is too large.")}, code="invalid"
        )
    if len(typed_name) > TYPED_NAME_MAX:
        raise ValidationError(
            {"signature": _("This name is too long.")}, code="max_length"
        )
    if needs_code(signer):
        raise ValidationError(
            _("Confirm it is you with the code sent to you by e-mail first."),
            code="unverified",
        )
    ahead = waiting_for(signer)
    if ahead:
        raise ValidationError(
            _("%(names)s must sign first.")
            % {"names": ", ".join(str(user) for user in ahead)},
            code="conflict",
        )
    now = timezone.now()
    if signer.consented_at is None:
        signer.consented_at = now
        _event(Event.Verb.SIGNATURE_CONSENTED, signer)
    signer.status = Signer.Status.SIGNED
    signer.signed_at = now
    signer.ip_address = ip[:45]
    signer.user_agent = user_agent[:500]
    signer.image_png = image_png or None
    signer.typed_name = "" if image_png else typed_name
    signer.save()
    _event(
        Event.Verb.SIGNATURE_SIGNED,
        signer,
        {
            "method": "drawn" if image_png else "typed",
            "ip": signer.ip_address,
            "user_agent": signer.user_agent,
        },
    )
    if signing.ordered:
        # It is the next signer's turn now: ask them.
        following = (
            signing.signers.filter(
                position__gt=signer.position, status=Signer.Status.WAITING
            )
            .select_related("user")
            .order_by("position")
            .first()
        )
        if following is not None:
            notify.notify_signature_requested(signing.request, [following.user])
    # The worker's part is due now (`sealing.requeue_signing` finds it if the
    # task is lost).
    signing.next_attempt_at = now
    signing.save(update_fields=["next_attempt_at"])
    from loket.signatures import sealing

    transaction.on_commit(partial(sealing.enqueue, signing.pk), robust=True)
    return signer


# The e-mail code.


def needs_code(signer: Signer) -> bool:
    """Must the signer still confirm an e-mail code before signing?"""
    if signer.signing.auth_method != EMAIL_CODE:
        return False
    confirmed = signer.code_verified_at
    return confirmed is None or timezone.now() - confirmed > CODE_CONFIRMED_FOR


def _code_message(signing: SignatureRequest, code: str) -> outbox.Message:
    minutes = int(CODE_VALID.total_seconds() // 60)
    subject = _("Your code to sign %(name)s") % {"name": signing.document_name}
    text = _(
        "Your code to sign %(name)s is %(code)s. It is valid for %(minutes)d "
        "minutes. If you did not ask for it, ignore this e-mail."
    ) % {"name": signing.document_name, "code": code, "minutes": minutes}
    return outbox.Message(subject=subject, text=text, html=f"<p>{escape(text)}</p>")


@transaction.atomic
def send_signing_code(signing: SignatureRequest, *, actor: User) -> Signer:
    """E-mail the signer a new six-digit code (only its hash is kept)."""
    signer = _open_signer(signing, actor)
    if signing.auth_method != EMAIL_CODE:
        raise ValidationError(_("This request needs no code."), code="invalid")
    now = timezone.now()
    if signer.code_sent_at and now - signer.code_sent_at < CODE_RESEND_AFTER:
        raise ValidationError(
            _("A code was sent a moment ago: wait a little before asking again."),
            code="throttled",
        )
    code = f"{secrets.randbelow(10**6):06d}"
    signer.code_hash = make_password(code)
    signer.code_sent_at = now
    signer.code_attempts = 0
    signer.code_verified_at = None
    signer.save(
        update_fields=["code_hash", "code_sent_at", "code_attempts", "code_verified_at"]
    )
    _event(Event.Verb.SIGNATURE_CODE_SENT, signer, {"to": actor.email})
    # The kind is the signature request's: the code is part of it.
    outbox.send(
        Kind.SIGNATURE_REQUESTED,
        actor,
        _code_message(signing, code),
        request=signing.request,
    )
    return signer


def confirm_signing_code(
    signing: SignatureRequest, *, actor: User, code: str
) -> Signer:
    """Check the code the signer typed. A wrong one counts (kept even though
    this raises); after CODE_ATTEMPTS, or CODE_VALID, a new code is needed."""
    problem = ""
    with transaction.atomic():
        signer = _open_signer(signing, actor)
        now = timezone.now()
        if not signer.code_hash or signer.code_sent_at is None:
            problem = _("Ask for a code first.")
        elif now - signer.code_sent_at > CODE_VALID:
            problem = _("This code has expired: ask for a new one.")
        elif signer.code_attempts >= CODE_ATTEMPTS:
            problem = _("Too many wrong codes: ask for a new one.")
        elif not check_password("".join((code or "").split()), signer.code_hash):
            signer.code_attempts += 1
            signer.save(update_fields=["code_attempts"])
            _event(Event.Verb.SIGNATURE_CODE_FAILED, signer)
            problem = _("This code is not right.")
        else:
            signer.code_hash = ""
            signer.code_verified_at = now
            signer.save(update_fields=["code_hash", "code_verified_at"])
            _event(Event.Verb.SIGNATURE_CODE_VERIFIED, signer)
    if problem:
        raise ValidationError({"code": problem}, code="invalid")
    return signer
