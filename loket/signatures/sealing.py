"""The worker's part of a signature request (decisions 006 and 007): stamp and
sign each recorded signature, seal the document after the last one and store
it as the file's new version, with the evidence record on a page of its own
or as a separate PDF.

A try that fails (the timestamp server is down, the certificate expired, the
storage failed) keeps what was done so far and the reason, in words, on
`SignatureRequest.problem`; it is tried again after 1, 5 and 25 minutes (the
task queue's `run_after`, or `requeue_signing` run by the scheduler when the
queue cannot defer). After the last try the request has *failed*: the staff
who follow it are told, and "Retry now" (`actions.retry_signing`) starts
again. A cancelled request is not processed any further.
"""

import datetime as dt
import logging
import os
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from loket import access
from loket.access import Capability
from loket.audit.actions import record
from loket.audit.models import Event
from loket.core.effects import promise_at
from loket.files import actions as file_actions
from loket.files import storage
from loket.files.models import FileVersion
from loket.notifications import notify
from loket.requests.models import Request
from loket.signatures import pdf
from loket.signatures.models import (
    SignatureRequest,
    Signer,
    SigningCertificate,
    SigningSettings,
)

logger = logging.getLogger(__name__)

# Waits before the 2nd, 3rd and 4th try; after the 4th the signing has failed.
RETRY_DELAYS = tuple(dt.timedelta(minutes=m) for m in (1, 5, 25))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# Work due this long ago that no worker has done is enqueued again.
LOST_AFTER = dt.timedelta(minutes=10)


@task()
def stamp_and_seal(signing_id: int, attempt: int | None = None) -> None:
    """The worker's part: stamp and sign what the signers signed, seal after
    the last one. `attempt`: set on a retry (see `process_signatures`)."""
    signing = SignatureRequest.objects.filter(pk=signing_id).first()
    if signing is not None:
        process_signatures(signing, attempt=attempt)


def in_progress(signing: SignatureRequest) -> bool:
    """Is the worker still to do something for this request? Not when it is
    completed, declined or failed, nor when the request was cancelled."""
    return signing.state == SignatureRequest.State.OPEN and signing.request.is_open


def processing(signing: SignatureRequest) -> bool:
    """Are signatures recorded that the worker has not stamped yet (and will:
    the request is neither failed nor cancelled)?"""
    return (
        in_progress(signing)
        and signing.signers.filter(
            status=Signer.Status.SIGNED, stamped_at__isnull=True
        ).exists()
    )


def process_signatures(
    signing: SignatureRequest, *, attempt: int | None = None
) -> SignatureRequest:
    """Stamp and sign every recorded signature not yet in the document, in
    order; after the last signer, seal and store the result as the file's new
    version (*completed*). A failure is kept and tried again later (see the
    module). `attempt`: the failed tries a retry was planned after; when the
    request has moved on since, the retry does nothing."""
    with transaction.atomic():
        signing = SignatureRequest.objects.select_for_update().get(pk=signing.pk)
        if attempt is not None and attempt != signing.attempts:
            return signing
        if not in_progress(signing):
            if signing.next_attempt_at is not None:
                signing.next_attempt_at = None
                signing.save(update_fields=["next_attempt_at"])
            return signing
        try:
            _stamp_and_seal(signing)
        except Exception as error:
            _attempt_failed(signing, error)
        else:
            if signing.attempts or signing.problem or signing.next_attempt_at:
                signing.attempts = 0
                signing.problem = ""
                signing.next_attempt_at = None
                signing.save(update_fields=["attempts", "problem", "next_attempt_at"])
    return signing


def _stamp_and_seal(signing: SignatureRequest) -> None:
    pending = list(
        signing.signers.filter(status=Signer.Status.SIGNED, stamped_at__isnull=True)
        .select_related("user")
        .order_by("signed_at", "position")
    )
    unsigned = signing.signers.exclude(status=Signer.Status.SIGNED).exists()
    if not pending and unsigned:
        return  # nothing to do until someone signs
    credentials = SigningCertificate.objects.for_signing().credentials()
    data = storage.read_blob(signing.working_blob)
    for signer in pending:
        assert signer.signed_at is not None
        signed = pdf.stamp_and_sign(
            data,
            box=signer.box,
            signer_name=str(signer.user),
            signed_at=signer.signed_at,
            credentials=credentials,
            signature_image=bytes(signer.image_png) if signer.image_png else None,
            typed_name=signer.typed_name,
            reason=_("Signed through %(firm)s") % {"firm": settings.LOKET_FIRM_NAME},
            timestamp_url=settings.LOKET_TSA_URL or None,
        )
        blob = storage.store_bytes(signed.data, signing.document_name).blob
        # Each signature is kept at once: a later one failing does not undo it.
        try:
            with transaction.atomic():
                signer.stamped_at = timezone.now()
                signer.sha256_before = signed.sha256_before
                signer.sha256_after = signed.sha256_after
                signer.save(
                    update_fields=["stamped_at", "sha256_before", "sha256_after"]
                )
                _replace_working_copy(signing, blob)
                signing.save(update_fields=["working_blob"])
        except Exception:
            storage.delete_blob(blob)
            raise
        data = signed.data
    if signing.signers.filter(stamped_at__isnull=True).exists():
        return
    _complete(signing, data, credentials)


def _evidence(
    signing: SignatureRequest, signed_sha: str, *, sealed_sha: str = ""
) -> pdf.EvidenceRecord:
    request = signing.request
    separate = signing.evidence == SigningSettings.Evidence.SEPARATE
    return pdf.EvidenceRecord(
        document_name=signing.document_name,
        reference=f"{request.subject} ({request.uuid})",
        sha256_original=signing.sha256_original,
        # Without an evidence page nothing was added before signing.
        sha256_prepared="" if separate else signing.sha256_prepared,
        sha256_signed=signed_sha,
        sha256_sealed=sealed_sha,
        completed_at=timezone.now(),
        firm_name=settings.LOKET_FIRM_NAME,
        signers=[
            pdf.EvidenceSigner(
                name=str(row.user),
                email=row.user.email,
                auth_method=(
                    _("Signed in, code sent by e-mail")
                    if signing.auth_method == SignatureRequest.AuthMethod.EMAIL
                    else _("Signed in to Loket")
                ),
                ip_address=row.ip_address,
                user_agent=row.user_agent,
                viewed_at=row.viewed_at,
                consented_at=row.consented_at,
                signed_at=row.signed_at,
                sha256_before=row.sha256_before,
                sha256_after=row.sha256_after,
            )
            for row in signing.signers.select_related("user")
        ],
    )


def _replace_working_copy(signing: SignatureRequest, blob: str) -> None:
    """Point the request at a new working copy; the old blob goes once the
    change is committed (it belongs to nothing else)."""
    old = signing.working_blob
    signing.working_blob = blob
    transaction.on_commit(partial(storage.delete_blob, old), robust=True)


def evidence_name(document_name: str) -> str:
    """The separate evidence record's file name, after the document's."""
    stem = os.path.splitext(document_name)[0] or document_name
    return _("%(name)s – evidence record.pdf") % {"name": stem}


def _seal(
    data: bytes,
    credentials: pdf.Credentials,
    evidence: pdf.EvidenceRecord | None = None,
) -> pdf.SignedPdf:
    return pdf.seal(
        data,
        credentials=credentials,
        name=settings.LOKET_FIRM_NAME,
        evidence=evidence,
        timestamp_url=settings.LOKET_TSA_URL or None,
    )


def _complete(
    signing: SignatureRequest, data: bytes, credentials: pdf.Credentials
) -> None:
    """Seal, store and close. Everything that may fail for outside reasons
    (the timestamp server, the storage) happens before the first write."""
    signed_sha = pdf.sha256(data)
    evidence: pdf.SignedPdf | None = None
    if signing.evidence == SigningSettings.Evidence.SEPARATE:
        sealed = _seal(data, credentials)
        record_pdf = pdf.evidence_pdf(
            _evidence(signing, signed_sha, sealed_sha=sealed.sha256_after)
        )
        evidence = _seal(record_pdf, credentials)
    else:
        sealed = _seal(data, credentials, _evidence(signing, signed_sha))
    stored = [storage.store_bytes(sealed.data, signing.document_name)]
    try:
        if evidence is not None:
            name = evidence_name(signing.document_name)
            stored.append(storage.store_bytes(evidence.data, name))
        with transaction.atomic():
            _store_and_close(signing, sealed, stored)
    except Exception:
        for blob in stored:
            storage.delete_blob(blob.blob)
        raise


def _store_and_close(
    signing: SignatureRequest,
    sealed: pdf.SignedPdf,
    stored: list[storage.StoredBlob],
) -> None:
    last = signing.signers.select_related("user").order_by("-signed_at").first()
    assert last is not None
    version = file_actions.add_version(
        signing.file, actor=last.user, blob=stored[0], name=signing.document_name
    )
    evidence_version = (
        _add_evidence_file(signing, stored[1]) if len(stored) > 1 else None
    )
    signing.state = SignatureRequest.State.COMPLETED
    signing.sha256_signed = sealed.sha256_after
    signing.signed_version = version
    signing.evidence_version = evidence_version
    # From now on the pages show the file's new version itself.
    _replace_working_copy(signing, stored[0].blob)
    signing.save(
        update_fields=[
            "state",
            "sha256_signed",
            "signed_version",
            "evidence_version",
            "working_blob",
        ]
    )
    # The drawings are in the document now; the database need not keep them.
    signing.signers.update(image_png=None)
    request = signing.request
    now = timezone.now()
    request.status = Request.Status.COMPLETED
    request.responded_at = now
    request.closed_at = now
    request.save(update_fields=["status", "responded_at", "closed_at"])
    data: dict[str, object] = {
        "file": signing.document_name,
        "version": version.number,
        "sha256": sealed.sha256_after,
        "level": sealed.level,
        "evidence": signing.evidence,
    }
    if evidence_version is not None:
        data["evidence_file"] = evidence_version.file.name
        data["evidence_file_uuid"] = str(evidence_version.file.uuid)
        data["evidence_sha256"] = evidence_version.sha256
    record(
        Event.Verb.SIGNATURE_COMPLETED,
        actor=None,
        target=request,
        entity=request.entity,
        data=data,
    )
    attach: list[FileVersion] = []
    if SigningSettings.load().email_attachments:
        attach = [v for v in (version, evidence_version) if v is not None]
    notify.notify_document_signed(request, last.user, attachments=attach)


def _add_evidence_file(
    signing: SignatureRequest, blob: storage.StoredBlob
) -> FileVersion:
    """The separate evidence record: a file beside the document, in its
    folder, limited to the same people when it is."""
    document = signing.file
    request = signing.request
    actor = request.created_by
    version = file_actions.add_file(
        document.entity,
        actor=actor,
        blob=blob,
        name=evidence_name(signing.document_name),
        folder=document.folder,
        limited=document.limited,
        on_clash="copy",
    )
    if document.limited:
        wanted = {user.pk for user in document.shared_with.all()}
        wanted.add(document.created_by_id)
        wanted.discard(actor.pk)
        people = access.people_with(document.entity, Capability.FILES_VIEW).filter(
            pk__in=wanted
        )
        file_actions.share_file(version.file, actor=actor, users=list(people))
    return version


# Failures and retries.


def describe_problem(error: BaseException) -> str:
    """Why a try failed, in words for staff (the details go to the log)."""
    if isinstance(error, pdf.TimestampUnavailable):
        return _(
            "The timestamp server (%(url)s) did not answer, so the signatures "
            "could not get their timestamp. Check that the server is reachable "
            "or change LOKET_TSA_URL."
        ) % {"url": settings.LOKET_TSA_URL}
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    if isinstance(error, OSError):
        return _("The document could not be read or stored: check the file storage.")
    return _(
        "Something unexpected went wrong while signing; the server's log has "
        "the details."
    )


def _attempt_failed(signing: SignatureRequest, error: BaseException) -> None:
    # What a failed step changed in memory was not saved: start from the row.
    signing.refresh_from_db()
    problem = describe_problem(error)
    signing.attempts += 1
    signing.problem = problem
    logger.warning(
        "Signing request %s failed (try %d of %d): %s",
        signing.pk,
        signing.attempts,
        MAX_ATTEMPTS,
        problem,
        exc_info=error,
    )
    request = signing.request
    data: dict[str, object] = {"problem": problem[:500], "attempt": signing.attempts}
    if signing.attempts >= MAX_ATTEMPTS:
        signing.state = SignatureRequest.State.FAILED
        signing.next_attempt_at = None
        verb = Event.Verb.SIGNATURE_FAILED
    else:
        signing.next_attempt_at = timezone.now() + RETRY_DELAYS[signing.attempts - 1]
        data["retry_at"] = signing.next_attempt_at.isoformat()
        verb = Event.Verb.SIGNATURE_ATTEMPT_FAILED
    signing.save(update_fields=["attempts", "problem", "state", "next_attempt_at"])
    record(verb, actor=None, target=request, entity=request.entity, data=data)
    if signing.state == SignatureRequest.State.FAILED:
        notify.notify_signing_failed(request)
    else:
        promise_at(
            signing.next_attempt_at, stamp_and_seal, signing.pk, signing.attempts
        )


def requeue_signing() -> int:
    """Enqueue again the signing work the queue lost (a crash right after a
    commit) or could not defer (a retry with the immediate backend). Run by
    the scheduler; returns how many requests were enqueued."""
    now = timezone.now()
    lost = Q(next_attempt_at__lte=now - LOST_AFTER)
    if not stamp_and_seal.get_backend().supports_defer:
        lost |= Q(next_attempt_at__lte=now, attempts__gt=0)
    due = list(
        SignatureRequest.objects.due_for_retry(now)
        .filter(lost)
        .order_by("next_attempt_at")
        .values_list("pk", "attempts")
    )
    # Enqueued now: lost again only if still waiting LOST_AFTER from now.
    SignatureRequest.objects.filter(pk__in=[pk for pk, _n in due]).update(
        next_attempt_at=now
    )
    for pk, attempts in due:
        stamp_and_seal.enqueue(pk, attempts)
    return len(due)
