"""Everything that changes a signature request, and the firm's signing
certificate and settings (decisions 006 and 007). Each action is atomic and
writes its history event in the same transaction; e-mails and the worker's
task go on commit. Actions do not check permissions: their callers do
(`loket.access.signatures`, `lookups.py`).

The worker's part, stamping and sealing what the signers signed, is in
`sealing.py`; where each signer stands, in `signers.py`.
"""

import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from loket.accounts.models import User
from loket.audit.actions import record
from loket.audit.models import Event
from loket.core.changes import apply_changes
from loket.files import storage
from loket.files.models import File, FileVersion
from loket.notifications import notify, outbox
from loket.notifications.models import Kind
from loket.requests import actions as request_actions
from loket.requests.models import Recipient, Request, RequestFile
from loket.requests.validation import (
    check_due_date,
    check_limited,
    clean_subject,
    plain_text,
)
from loket.signatures import boxes as signature_boxes
from loket.signatures import certificates, pdf, sealing
from loket.signatures.drawing import MAX_DRAWING_BYTES
from loket.signatures.models import (
    SignatureRequest,
    Signer,
    SigningCertificate,
    SigningSettings,
)
from loket.signatures.signers import (
    eligible_signers,
    needs_code,
    signer_for,
    waiting_for,
)

REASON_MAX = 2000
TYPED_NAME_MAX = 200
# The evidence record fits on one page for about six signers (decision 003).
MAX_SIGNERS = 6
# The e-mail code: how long it is valid, how many tries, how soon another
# may be sent (how long a confirmed one lasts: signers.CODE_CONFIRMED_FOR).
CODE_VALID = dt.timedelta(minutes=10)
CODE_ATTEMPTS = 5
CODE_RESEND_AFTER = dt.timedelta(seconds=30)


# The firm's signing certificate and settings.


def _install(
    pair: certificates.KeyPair,
    *,
    source: str,
    verb: Event.Verb,
    actor: User | None,
) -> SigningCertificate:
    facts = certificates.describe(pair.certificate)
    protection = certificates.key_protection()
    now = timezone.now()
    previous = list(
        SigningCertificate.objects.select_for_update().filter(is_current=True)
    )
    SigningCertificate.objects.filter(is_current=True).update(
        is_current=False, replaced_at=now
    )
    certificate = SigningCertificate.objects.create(
        source=source,
        subject=facts.subject[:1000],
        common_name=facts.common_name[:255],
        issuer=facts.issuer[:1000],
        serial_number=facts.serial_number[:80],
        not_before=facts.not_before,
        not_after=facts.not_after,
        fingerprint_sha256=facts.fingerprint_sha256,
        self_signed=facts.self_signed,
        certificate_pem=certificates.to_pem([pair.certificate]),
        chain_pem=certificates.to_pem(list(pair.chain)),
        encrypted_private_key=certificates.encrypt_private_key(
            pair.private_key, protection
        ),
        key_protection=protection,
        is_current=True,
        created_at=now,
        created_by=actor,
    )
    record(
        verb,
        actor=actor,
        target=certificate,
        data={
            "subject": facts.subject,
            "issuer": facts.issuer,
            "fingerprint_sha256": facts.fingerprint_sha256,
            "not_after": facts.not_after.isoformat(),
            "replaces": [str(p.uuid) for p in previous],
        },
    )
    return certificate


@transaction.atomic
def generate_signing_certificate(
    name: str, *, organization: str = "", days: int = 3 * 365, actor: User | None
) -> SigningCertificate:
    """Make a self-signed certificate and key and make it the current one: for
    tests and demos (PDF readers call its signatures untrusted)."""
    pair = certificates.generate_self_signed(name, organization=organization, days=days)
    return _install(
        pair,
        source=SigningCertificate.Source.GENERATED,
        verb=Event.Verb.SIGNING_CERTIFICATE_GENERATED,
        actor=actor,
    )


@transaction.atomic
def import_signing_certificate(
    data: bytes, *, password: str, actor: User | None
) -> SigningCertificate:
    """Install the certificate and key of a PKCS#12 file as the current one.
    Raises ValidationError for a file that cannot be used."""
    pair = certificates.load_pkcs12(data, password)
    return _install(
        pair,
        source=SigningCertificate.Source.IMPORTED,
        verb=Event.Verb.SIGNING_CERTIFICATE_IMPORTED,
        actor=actor,
    )


SIGNING_SETTINGS_FIELDS = ("evidence", "email_attachments")


@transaction.atomic
def update_signing_settings(
    firm: SigningSettings, *, actor: User, changes: dict[str, Any]
) -> SigningSettings:
    """Save the firm's signing settings (the evidence record's form, e-mail
    attachments). A request keeps the evidence form it was made with."""
    changes = {k: v for k, v in changes.items() if k in SIGNING_SETTINGS_FIELDS}
    if changes.get("evidence", firm.evidence) not in SigningSettings.Evidence.values:
        raise ValidationError(
            {"evidence": _("Choose where the evidence record goes.")}, code="invalid"
        )
    diff = apply_changes(firm, changes)
    if not diff:
        return firm
    firm.save()
    record(Event.Verb.SIGNING_SETTINGS_CHANGED, actor=actor, target=firm, data=diff)
    return firm


# Asking for signatures.


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


# Signing: the signer's steps.


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
    reason = plain_text(reason)
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
    transaction.on_commit(partial(sealing.enqueue, signing.pk), robust=True)
    return signer


# The e-mail code.


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
    if signing.auth_method != SignatureRequest.AuthMethod.EMAIL:
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


# A request whose signing failed (decision 007).


@transaction.atomic
def retry_signing(signing: SignatureRequest, *, actor: User) -> SignatureRequest:
    """Staff's "Retry now" once signing has failed: a fresh series of tries,
    the first at once. Refused for a request that did not fail or was
    cancelled."""
    signing = SignatureRequest.objects.select_for_update().get(pk=signing.pk)
    request = signing.request
    if not request.is_open:
        raise ValidationError(
            _("This request is closed: it is not signed any further."),
            code="conflict",
        )
    if signing.state != SignatureRequest.State.FAILED:
        raise ValidationError(
            _("Only a signature request whose signing failed can be retried."),
            code="conflict",
        )
    problem = signing.problem
    signing.state = SignatureRequest.State.OPEN
    signing.attempts = 0
    signing.problem = ""
    signing.next_attempt_at = timezone.now()
    signing.save(update_fields=["state", "attempts", "problem", "next_attempt_at"])
    record(
        Event.Verb.SIGNATURE_RETRIED,
        actor=actor,
        target=request,
        entity=request.entity,
        data={"problem": problem[:500]},
    )
    transaction.on_commit(partial(sealing.enqueue, signing.pk), robust=True)
    return signing
