"""The signer's steps (view, consent, sign, decline, the e-mail code) and
Retry now for a request whose signing failed (decision 007)."""

import datetime as dt
import secrets
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
from loket.core.effects import promise
from loket.notifications import notify, outbox
from loket.notifications.models import Kind
from loket.requests import actions as request_actions
from loket.requests.models import Request
from loket.requests.validation import (
    plain_text,
)
from loket.signatures import sealing
from loket.signatures.drawing import MAX_DRAWING_BYTES
from loket.signatures.models import (
    SignatureRequest,
    Signer,
)
from loket.signatures.signers import (
    needs_code,
    signer_for,
    waiting_for,
)

REASON_MAX = 2000
TYPED_NAME_MAX = 200
# The e-mail code: how long it is valid, how many tries, how soon another
# may be sent (how long a confirmed one lasts: signers.CODE_CONFIRMED_FOR).
CODE_VALID = dt.timedelta(minutes=10)
CODE_ATTEMPTS = 5
CODE_RESEND_AFTER = dt.timedelta(seconds=30)


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
    promise(sealing.stamp_and_seal, signing.pk, None)
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
    promise(sealing.stamp_and_seal, signing.pk, None)
    return signing
