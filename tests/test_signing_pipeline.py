"""The worker's part of a signature request (decision 007): a failed try is
kept, retried with back-off and, after the last one, *failed* with the staff
told and a Retry now button; a cancelled request is left alone; the evidence
record as a page or a separate PDF; the signed PDF attached to the e-mail
when the firm chooses so."""

import datetime as dt
import shutil
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.test import Client, TestCase
from django.utils import timezone

from loket.access import Capability
from loket.accounts.models import User
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.files import actions as file_actions
from loket.files import storage
from loket.files.models import File, Folder
from loket.notifications import emails
from loket.notifications.models import EmailSettings, Kind, Notification
from loket.requests import actions as request_actions
from loket.requests.models import Request
from loket.roles.models import Role, RoleAssignment
from loket.signatures import actions, pdf, sealing
from loket.signatures.models import (
    SignatureRequest,
    Signer,
    SigningSettings,
    firm_trust_roots,
)
from tests.conftest import ClientFor, make_user
from tests.files_support import add
from tests.pdfs import make_pdf, signature_png

pytestmark = pytest.mark.django_db


# Fixtures and helpers.

SECOND = dt.timedelta(seconds=1)


@pytest.fixture
def closed_tsa(settings: Any) -> str:
    """LOKET_TSA_URL at a port on 127.0.0.1 where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.LOKET_TSA_URL = f"http://127.0.0.1:{port}/"
    return str(settings.LOKET_TSA_URL)


def firm_settings(**values: Any) -> SigningSettings:
    firm = SigningSettings.load()
    for field, value in values.items():
        setattr(firm, field, value)
    firm.save()
    return firm


def ask(document: File, actor: User, signers: list[User]) -> SignatureRequest:
    request = actions.request_signature(
        document, actor=actor, signers=signers, ordered=False, subject="Contract"
    )
    return SignatureRequest.objects.get(request=request)


def committed(act: Callable[[], object]) -> None:
    """Run `act` as a committed transaction would: the tasks and e-mails it
    defers run after it (the task backend is the immediate one)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        act()


def sign(signing: SignatureRequest, user: User, name: str = "") -> None:
    committed(
        lambda: actions.sign(
            signing,
            actor=user,
            consent=True,
            typed_name=name or str(user),
            image_png=None if name else signature_png(),
        )
    )


def reload(signing: SignatureRequest) -> SignatureRequest:
    return SignatureRequest.objects.select_related("request").get(pk=signing.pk)


def blob_bytes(blob: str) -> bytes:
    with storage.open_blob(blob) as stream:
        return stream.read()


def current_pdf(file: File) -> bytes:
    file.refresh_from_db()
    assert file.current_version is not None
    return blob_bytes(file.current_version.blob)


def requeue_at(moment: dt.datetime) -> int:
    with time_machine.travel(moment, tick=False):
        found: list[int] = []
        committed(lambda: found.append(sealing.requeue_signing()))
    return found[0]


def due(signing: SignatureRequest, late: dt.timedelta = SECOND) -> dt.datetime:
    """A moment `late` after the signing's next try is due."""
    assert signing.next_attempt_at is not None
    return signing.next_attempt_at + late


def emails_to(user: User) -> list[EmailMessage]:
    return [m for m in mail.outbox if user.email in m.to]


# A failing timestamp server: tried again, then failed, then retried by staff.


def test_a_dead_timestamp_server_is_retried_then_fails_and_staff_retry_it(
    certificate: None,
    document: File,
    staff_owner: User,
    contact: User,
    closed_tsa: str,
    client_for: ClientFor,
    settings: Any,
) -> None:
    signing = ask(document, staff_owner, [contact])
    sign(signing, contact)

    signing = reload(signing)
    assert signing.state == SignatureRequest.State.OPEN
    assert signing.attempts == 1
    assert "timestamp server" in signing.problem
    assert closed_tsa in signing.problem
    assert "Traceback" not in signing.problem
    assert signing.next_attempt_at is not None
    first_retry = signing.next_attempt_at
    assert (
        dt.timedelta(seconds=50)
        < first_retry - timezone.now()
        <= dt.timedelta(minutes=1)
    )
    assert signing.signers.get().stamped_at is None  # recorded, not stamped
    attempt = Event.objects.get(verb=Event.Verb.SIGNATURE_ATTEMPT_FAILED)
    assert attempt.data["attempt"] == 1
    assert "timestamp server" in attempt.data["problem"]

    # Not due yet: the scheduler leaves it.
    assert sealing.requeue_signing() == 0
    # Due: tried again, after 1, 5 and 25 minutes.
    for tries, wait in ((2, 5), (3, 25)):
        moment = due(signing)
        assert requeue_at(moment) == 1
        signing = reload(signing)
        assert signing.attempts == tries
        assert signing.state == SignatureRequest.State.OPEN
        assert signing.next_attempt_at == moment + dt.timedelta(minutes=wait)
    assert not Notification.objects.filter(kind=Kind.SIGNING_FAILED).exists()
    assert requeue_at(due(signing)) == 1

    signing = reload(signing)
    assert signing.attempts == sealing.MAX_ATTEMPTS == 4
    assert signing.state == SignatureRequest.State.FAILED
    assert signing.next_attempt_at is None
    assert Event.objects.filter(verb=Event.Verb.SIGNATURE_ATTEMPT_FAILED).count() == 3
    failed = Event.objects.get(verb=Event.Verb.SIGNATURE_FAILED)
    assert failed.data["attempt"] == 4
    # Staff who made the request are told, in the bell and by e-mail.
    told = Notification.objects.get(kind=Kind.SIGNING_FAILED)
    assert told.user == staff_owner
    assert told.link == f"/signatures/{signing.request.uuid}/sign/"
    [email] = [m for m in emails_to(staff_owner) if "Signing failed" in m.subject]
    assert "Contract" in email.subject
    assert "timestamp server" in str(email.body)
    assert f"/signatures/{signing.request.uuid}/sign/" in str(email.body)
    assert not [m for m in emails_to(contact) if "Signing failed" in m.subject]
    # Nothing more is tried by itself.
    assert requeue_at(timezone.now() + dt.timedelta(hours=3)) == 0

    # The pages stop polling and say what happened, to each their part.
    sign_url = f"/signatures/{signing.request.uuid}/sign/"
    status_url = f"/signatures/{signing.request.uuid}/status/"
    signer_page = client_for(contact).get(sign_url).content.decode()
    assert "Your signature is recorded" in signer_page
    assert "the firm has been told and will finish it" in signer_page
    assert "timestamp server" not in signer_page
    assert "Retry now" not in signer_page
    assert "hx-trigger" not in signer_page
    staff = client_for(staff_owner)
    staff_status = staff.get(status_url).content.decode()
    assert "hx-trigger" not in staff_status
    assert "timestamp server" in staff_status
    assert "Retry now" in staff_status
    assert f'action="/signatures/{signing.request.uuid}/retry/"' in staff_status

    # The firm fixes the setting (no timestamp server: B-B) and retries.
    settings.LOKET_TSA_URL = ""
    response = staff.post(f"/signatures/{signing.request.uuid}/retry/")
    assert response.status_code == 302
    signing = reload(signing)
    assert signing.state == SignatureRequest.State.COMPLETED
    assert signing.request.status == Request.Status.COMPLETED
    assert (signing.attempts, signing.problem, signing.next_attempt_at) == (
        0,
        "",
        None,
    )
    retried = Event.objects.get(verb=Event.Verb.SIGNATURE_RETRIED)
    assert retried.actor == staff_owner
    assert "timestamp server" in retried.data["problem"]
    data = current_pdf(document)
    reports = pdf.verify(data, trust_roots=firm_trust_roots())
    assert len(reports) == 2  # the signer and the firm's seal
    assert all(report.valid and report.trusted for report in reports)
    assert reports[0].timestamp_at is None  # B-B
    assert "Signed by everyone" in staff.get(status_url).content.decode()


def test_while_a_retry_waits_the_page_polls_slowly_and_says_so(
    certificate: None,
    document: File,
    staff_owner: User,
    contact: User,
    closed_tsa: str,
    client_for: ClientFor,
) -> None:
    signing = ask(document, staff_owner, [contact])
    sign(signing, contact)
    url = f"/signatures/{signing.request.uuid}/status/"
    signer_view = client_for(contact).get(url).content.decode()
    assert 'hx-trigger="every 30s"' in signer_view
    assert "takes longer than usual" in signer_view
    assert "timestamp server" not in signer_view
    staff_view = client_for(staff_owner).get(url).content.decode()
    assert "timestamp server" in staff_view
    assert "Loket tries again at" in staff_view
    assert "Retry now" not in staff_view  # only once it has failed


def test_signatures_stamped_before_a_failure_are_kept(
    certificate: None,
    document: File,
    staff_owner: User,
    contact: User,
    second_contact: User,
    settings: Any,
) -> None:
    signing = ask(document, staff_owner, [contact, second_contact])
    sign(signing, contact)
    first = signing.signers.get(user=contact)
    assert first.stamped_at is not None
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        settings.LOKET_TSA_URL = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    sign(signing, second_contact, "Sanne Tester")
    signing = reload(signing)
    assert signing.attempts == 1
    assert signing.signers.get(user=contact).stamped_at == first.stamped_at
    assert signing.signers.get(user=second_contact).stamped_at is None
    assert pdf.verify(blob_bytes(signing.working_blob))[0].valid
    settings.LOKET_TSA_URL = ""
    assert requeue_at(due(signing)) == 1
    signing = reload(signing)
    assert signing.state == SignatureRequest.State.COMPLETED
    reports = pdf.verify(current_pdf(document), trust_roots=firm_trust_roots())
    assert len(reports) == 3
    assert all(report.valid for report in reports)


def test_a_stale_retry_does_nothing(
    certificate: None,
    document: File,
    staff_owner: User,
    contact: User,
    closed_tsa: str,
) -> None:
    signing = ask(document, staff_owner, [contact])
    sign(signing, contact)
    assert reload(signing).attempts == 1
    # The retry planned after the first try runs twice: once only counts.
    sealing.process_signatures(signing, attempt=1)
    sealing.process_signatures(signing, attempt=1)
    assert reload(signing).attempts == 2


def test_on_a_queue_that_can_defer_the_retry_is_enqueued_to_run_later(
    certificate: None,
    document: File,
    staff_owner: User,
    contact: User,
    closed_tsa: str,
    settings: Any,
) -> None:
    signing = ask(document, staff_owner, [contact])
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}
    }
    backend = sealing.stamp_and_seal.get_backend()
    sign(signing, contact)
    [first] = backend.results  # type: ignore[attr-defined]
    assert list(first.args) == [signing.pk, None]
    assert first.task.run_after is None
    committed(lambda: sealing.process_signatures(signing))
    signing = reload(signing)
    assert signing.attempts == 1
    retry = backend.results[-1]  # type: ignore[attr-defined]
    assert list(retry.args) == [signing.pk, 1]
    assert retry.task.run_after == signing.next_attempt_at
    # The scheduler only steps in when the queue lost it.
    assert requeue_at(due(signing, dt.timedelta(minutes=1))) == 0
    assert requeue_at(due(signing, dt.timedelta(minutes=11))) == 1
    assert list(backend.results[-1].args) == [signing.pk, 1]  # type: ignore[attr-defined]


def test_a_signature_whose_task_was_lost_is_found_by_the_scheduler(
    certificate: None,
    document: File,
    staff_owner: User,
    contact: User,
) -> None:
    signing = ask(document, staff_owner, [contact])
    # Signed, but the task never ran (the transaction's callbacks are dropped).
    actions.sign(signing, actor=contact, consent=True, typed_name="Daan")
    signing = reload(signing)
    assert signing.next_attempt_at is not None
    assert requeue_at(timezone.now() + dt.timedelta(minutes=5)) == 0
    assert requeue_at(timezone.now() + dt.timedelta(minutes=11)) == 1
    signing = reload(signing)
    assert signing.state == SignatureRequest.State.COMPLETED
    assert signing.next_attempt_at is None


def test_a_cancelled_request_is_not_processed_any_further(
    certificate: None,
    document: File,
    staff_owner: User,
    contact: User,
    closed_tsa: str,
    client_for: ClientFor,
    settings: Any,
) -> None:
    signing = ask(document, staff_owner, [contact])
    sign(signing, contact)
    request_actions.cancel_request(signing.request, actor=staff_owner)
    settings.LOKET_TSA_URL = ""
    assert requeue_at(timezone.now() + dt.timedelta(hours=1)) == 0
    sealing.process_signatures(signing)
    signing = reload(signing)
    assert signing.state == SignatureRequest.State.OPEN
    assert signing.attempts == 1
    assert signing.next_attempt_at is None
    assert signing.signers.get().stamped_at is None
    assert document.versions.count() == 1
    status = client_for(contact).get(f"/signatures/{signing.request.uuid}/status/")
    assert b"hx-trigger" not in status.content
    assert b"This request was cancelled" in status.content


def test_retry_now_is_refused_unless_signing_failed_and_the_request_is_open(
    certificate: None,
    document: File,
    staff_owner: User,
    contact: User,
    closed_tsa: str,
    client_for: ClientFor,
) -> None:
    signing = ask(document, staff_owner, [contact])
    sign(signing, contact)
    url = f"/signatures/{signing.request.uuid}/retry/"
    staff = client_for(staff_owner)
    response = staff.post(url)
    assert response.status_code == 409
    assert b"Only a signature request whose signing failed" in response.content
    SignatureRequest.objects.filter(pk=signing.pk).update(
        state=SignatureRequest.State.FAILED
    )
    request_actions.cancel_request(signing.request, actor=staff_owner)
    response = staff.post(url)
    assert response.status_code == 409
    assert b"not signed any further" in response.content
    assert reload(signing).state == SignatureRequest.State.FAILED
    assert not Event.objects.filter(verb=Event.Verb.SIGNATURE_RETRIED).exists()


@pytest.fixture
def failed(
    certificate: None, document: File, staff_owner: User, contact: User
) -> SignatureRequest:
    signing = ask(document, staff_owner, [contact])
    SignatureRequest.objects.filter(pk=signing.pk).update(
        state=SignatureRequest.State.FAILED, attempts=4, problem="The disk is full."
    )
    return signing


def test_anonymous_cannot_retry(failed: SignatureRequest) -> None:
    response = Client().post(f"/signatures/{failed.request.uuid}/retry/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/sign-in/")


@pytest.mark.parametrize("persona", ["outsider", "staff_member"])
def test_those_who_do_not_see_the_request_get_404_on_retry(
    failed: SignatureRequest,
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    persona: str,
) -> None:
    client = client_for(request.getfixturevalue(persona))
    assert client.post(f"/signatures/{failed.request.uuid}/retry/").status_code == 404
    assert reload(failed).state == SignatureRequest.State.FAILED


def test_a_signer_or_staff_who_only_read_cannot_retry(
    failed: SignatureRequest,
    contact: User,
    entity: Entity,
    client_for: ClientFor,
) -> None:
    looker = make_user("lies@firm.test", kind=User.Kind.STAFF)
    role = Role.objects.create(
        key="looker",
        name="Looker",
        scope=Role.Scope.ENTITY,
        audience="staff",
        capabilities=sorted([Capability.ENTITY_VIEW, Capability.ACTIVITIES_VIEW_ALL]),
    )
    RoleAssignment.objects.create(user=looker, role=role, entity=entity)
    url = f"/signatures/{failed.request.uuid}/retry/"
    for user in (contact, looker):
        client = client_for(user)
        page = client.get(f"/signatures/{failed.request.uuid}/sign/")
        assert page.status_code == 200
        assert b"Retry now" not in page.content
        assert client.post(url).status_code == 403
    assert (
        b"The disk is full."
        in client_for(looker).get(f"/signatures/{failed.request.uuid}/status/").content
    )
    assert reload(failed).state == SignatureRequest.State.FAILED


def test_staff_who_manage_the_request_retry_it(
    failed: SignatureRequest,
    staff_reader: User,
    contact: User,
    client_for: ClientFor,
) -> None:
    sign_url = f"/signatures/{failed.request.uuid}/sign/"
    client = client_for(staff_reader)
    assert b"Retry now" in client.get(sign_url).content
    response = client.post(f"/signatures/{failed.request.uuid}/retry/")
    assert response.status_code == 302
    assert response["Location"] == sign_url
    signing = reload(failed)
    assert signing.state == SignatureRequest.State.OPEN
    assert (signing.attempts, signing.problem) == (0, "")
    event = Event.objects.get(verb=Event.Verb.SIGNATURE_RETRIED)
    assert event.actor == staff_reader
    assert event.data == {"problem": "The disk is full."}
    # Nothing was signed yet: the contact can sign again.
    assert b'name="consent"' in client_for(contact).get(sign_url).content


def test_a_storage_failure_is_kept_in_words_and_retried(
    certificate: None,
    document: File,
    staff_owner: User,
    contact: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def full_disk(data: bytes, name: str) -> storage.StoredBlob:
        raise OSError(28, "No space left on device")

    signing = ask(document, staff_owner, [contact])
    store = storage.store_bytes
    monkeypatch.setattr(storage, "store_bytes", full_disk)
    sign(signing, contact)
    signing = reload(signing)
    assert signing.attempts == 1
    assert "could not be read or stored" in signing.problem
    assert "No space" not in signing.problem
    monkeypatch.setattr(storage, "store_bytes", store)
    assert requeue_at(due(signing)) == 1
    assert reload(signing).state == SignatureRequest.State.COMPLETED


def test_the_problem_is_said_in_words(settings: Any) -> None:
    settings.LOKET_TSA_URL = "http://tsa.example/"
    assert "http://tsa.example/" in sealing.describe_problem(
        pdf.TimestampUnavailable("connection refused")
    )
    assert sealing.describe_problem(
        ValidationError("This file is in the trash; restore it first.")
    ) == ("This file is in the trash; restore it first.")
    assert "file storage" in sealing.describe_problem(OSError(28, "No space"))
    unexpected = sealing.describe_problem(KeyError("x"))
    assert "log" in unexpected
    assert "KeyError" not in unexpected


def test_the_failure_email_names_nothing_without_detail(
    failed: SignatureRequest, staff_owner: User
) -> None:
    request = Request.objects.get(pk=failed.request_id)
    quiet = EmailSettings.load()
    quiet.detailed = False
    message = emails.signing_failed(staff_owner, request, quiet)
    text = "\n".join([message.subject, message.text, message.html])
    assert "Contract" not in text
    assert "The disk is full." not in text
    assert f"/signatures/{failed.request.uuid}/sign/" in message.text
    detailed = emails.signing_failed(staff_owner, request, EmailSettings.load())
    assert "Contract" in detailed.subject
    assert "The disk is full." in detailed.text
    assert "List-Unsubscribe" not in detailed.headers  # it cannot be refused


# The evidence record: a page, or a separate PDF.


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "record.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="no poppler-utils")
def test_a_separate_evidence_record_is_a_sealed_file_beside_the_document(
    certificate: None,
    entity: Entity,
    staff_owner: User,
    contact: User,
    tmp_path: Path,
) -> None:
    folder = Folder.objects.create(
        entity=entity, name="Contracten", created_by=staff_owner
    )
    document = add(entity, staff_owner, "contract.pdf", make_pdf(), folder=folder)
    firm_settings(evidence=SigningSettings.Evidence.SEPARATE)
    signing = ask(document, staff_owner, [contact])
    assert signing.evidence == SigningSettings.Evidence.SEPARATE
    # No page is added: the signers sign the document as it is.
    assert pdf.inspect(blob_bytes(signing.working_blob)).page_count == 1
    assert signing.sha256_prepared == signing.sha256_original
    sign(signing, contact)

    signing = reload(signing)
    assert signing.state == SignatureRequest.State.COMPLETED
    signed = current_pdf(document)
    assert pdf.inspect(signed).page_count == 1
    reports = pdf.verify(signed, trust_roots=firm_trust_roots())
    assert len(reports) == 2
    assert all(report.valid and report.trusted for report in reports)
    assert signing.evidence_version is not None
    record_file = signing.evidence_version.file
    assert record_file.name == "contract – evidence record.pdf"
    assert (record_file.entity, record_file.folder) == (entity, folder)
    assert record_file.created_by == staff_owner
    record = blob_bytes(signing.evidence_version.blob)
    [seal] = pdf.verify(record, trust_roots=firm_trust_roots())
    assert seal.valid
    assert seal.trusted
    text = pdf_text(record, tmp_path)
    assert "Evidence record" in text
    assert signing.sha256_signed in text  # the sealed document it belongs to
    assert contact.email in text
    completed = Event.objects.get(verb=Event.Verb.SIGNATURE_COMPLETED)
    assert completed.data["evidence"] == "separate"
    assert completed.data["evidence_file_uuid"] == str(record_file.uuid)
    assert Event.objects.filter(
        verb=Event.Verb.FILE_UPLOADED, target_id=str(record_file.uuid)
    ).exists()


def test_a_request_keeps_the_evidence_form_it_was_made_with(
    certificate: None, document: File, staff_owner: User, contact: User
) -> None:
    signing = ask(document, staff_owner, [contact])
    assert signing.evidence == SigningSettings.Evidence.PAGE
    firm_settings(evidence=SigningSettings.Evidence.SEPARATE)
    sign(signing, contact)
    signing = reload(signing)
    assert signing.state == SignatureRequest.State.COMPLETED
    assert pdf.inspect(current_pdf(document)).page_count == 2  # the record's page
    assert signing.evidence_version is None
    assert File.objects.filter(entity=document.entity).count() == 1


def test_a_limited_documents_evidence_record_is_limited_to_the_same_people(
    certificate: None,
    entity: Entity,
    staff_owner: User,
    contact: User,
) -> None:
    document = add(entity, staff_owner, "contract.pdf", make_pdf(), limited=True)
    file_actions.share_file(document, actor=staff_owner, users=[contact])
    firm_settings(evidence=SigningSettings.Evidence.SEPARATE)
    signing = ask(document, staff_owner, [contact])
    sign(signing, contact)
    signing = reload(signing)
    assert signing.evidence_version is not None
    record_file = signing.evidence_version.file
    assert record_file.limited
    assert list(record_file.shared_with.all()) == [contact]


# The signing settings on Settings → Signing certificate.

SETTINGS_URL = "/settings/signing-certificate/settings/"


def test_anonymous_cannot_change_the_signing_settings() -> None:
    response = Client().post(SETTINGS_URL, {"evidence": "separate"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/sign-in/")
    assert SigningSettings.load().evidence == SigningSettings.Evidence.PAGE


@pytest.mark.parametrize("persona", ["outsider", "staff_owner"])
def test_only_settings_managers_change_the_signing_settings(
    request: pytest.FixtureRequest, client_for: ClientFor, persona: str
) -> None:
    client = client_for(request.getfixturevalue(persona))
    response = client.post(SETTINGS_URL, {"evidence": "separate"})
    assert response.status_code == 403
    assert SigningSettings.load().evidence == SigningSettings.Evidence.PAGE
    assert not Event.objects.filter(verb=Event.Verb.SIGNING_SETTINGS_CHANGED)


def test_a_settings_manager_changes_the_signing_settings(
    client_for: ClientFor, settings_admin: User
) -> None:
    client = client_for(settings_admin)
    page = client.get("/settings/signing-certificate/").content.decode()
    assert 'name="evidence"' in page
    assert 'name="email_attachments"' in page
    response = client.post(
        SETTINGS_URL, {"evidence": "separate", "email_attachments": "on"}
    )
    assert response.status_code == 302
    firm = SigningSettings.load()
    assert firm.evidence == SigningSettings.Evidence.SEPARATE
    assert firm.email_attachments is True
    event = Event.objects.get(verb=Event.Verb.SIGNING_SETTINGS_CHANGED)
    assert event.actor == settings_admin
    assert event.data == {
        "evidence": ["page", "separate"],
        "email_attachments": [False, True],
    }
    # Saving the same again changes nothing and records nothing.
    client.post(SETTINGS_URL, {"evidence": "separate", "email_attachments": "on"})
    assert Event.objects.filter(verb=Event.Verb.SIGNING_SETTINGS_CHANGED).count() == 1


def test_a_bad_evidence_choice_is_refused(
    client_for: ClientFor, settings_admin: User
) -> None:
    response = client_for(settings_admin).post(
        SETTINGS_URL, {"evidence": "somewhere", "email_attachments": "on"}
    )
    assert response.status_code == 400
    assert b"Select a valid choice" in response.content
    firm = SigningSettings.load()
    assert (firm.evidence, firm.email_attachments) == ("page", False)
    with pytest.raises(ValidationError, match="evidence record goes"):
        actions.update_signing_settings(
            firm, actor=settings_admin, changes={"evidence": "somewhere"}
        )


# The signed PDF attached to the e-mail, when the firm chooses so.


@pytest.fixture
def signed_by_contact(
    certificate: None, document: File, staff_owner: User, contact: User
) -> Callable[[], SignatureRequest]:
    """Ask `contact` to sign `document` and sign it; `mail.outbox` then holds
    what the signing sent."""

    def run() -> SignatureRequest:
        signing = ask(document, staff_owner, [contact])
        mail.outbox.clear()
        sign(signing, contact)
        return reload(signing)

    return run


def signed_emails(user: User) -> list[EmailMessage]:
    return [m for m in emails_to(user) if "Signed: Contract" in m.subject]


def test_with_attachments_chosen_the_signed_pdf_goes_with_the_email(
    signed_by_contact: Callable[[], SignatureRequest],
    document: File,
    staff_owner: User,
    contact: User,
) -> None:
    firm_settings(email_attachments=True)
    signing = signed_by_contact()
    assert signing.state == SignatureRequest.State.COMPLETED
    signed = current_pdf(document)
    for user in (staff_owner, contact):
        [email] = signed_emails(user)
        [(name, content, mimetype)] = email.attachments
        assert (name, mimetype) == ("contract.pdf", "application/pdf")
        assert content == signed
        reports = pdf.verify(content, trust_roots=firm_trust_roots())
        assert len(reports) == 2
        assert all(report.valid for report in reports)
        assert "attached to this e-mail" in email.body
    [to_contact] = signed_emails(contact)
    assert "Everyone has signed the document" in to_contact.body
    # The signer hears it as their request completed; staff as signed.
    assert Notification.objects.get(user=contact).kind == Kind.REQUEST_COMPLETED
    assert Notification.objects.get(user=staff_owner).kind == Kind.DOCUMENT_SIGNED


def test_without_attachments_chosen_the_email_has_only_the_link(
    signed_by_contact: Callable[[], SignatureRequest],
    staff_owner: User,
    contact: User,
) -> None:
    signing = signed_by_contact()
    for user in (staff_owner, contact):
        [email] = signed_emails(user)
        assert email.attachments == []
        assert "attached" not in email.body
        assert signing.request.get_absolute_url() in email.body


def test_a_separate_evidence_record_is_attached_too(
    signed_by_contact: Callable[[], SignatureRequest], contact: User
) -> None:
    firm_settings(email_attachments=True, evidence=SigningSettings.Evidence.SEPARATE)
    signing = signed_by_contact()
    assert signing.evidence_version is not None
    [email] = signed_emails(contact)
    names = [name for name, _content, _type in email.attachments]
    assert names == ["contract.pdf", "contract – evidence record.pdf"]
    record = email.attachments[1][1]
    assert record == blob_bytes(signing.evidence_version.blob)
    assert pdf.verify(record, trust_roots=firm_trust_roots())[0].valid


def test_a_document_too_large_to_attach_is_linked_and_the_email_says_so(
    signed_by_contact: Callable[[], SignatureRequest],
    contact: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    firm_settings(email_attachments=True)
    monkeypatch.setattr(emails, "SIGNED_ATTACHMENTS_MAX", 1000)
    signed_by_contact()
    [email] = signed_emails(contact)
    assert email.attachments == []
    assert "too large to attach" in email.body


def test_without_detail_nothing_is_attached(
    signed_by_contact: Callable[[], SignatureRequest], contact: User
) -> None:
    firm_settings(email_attachments=True)
    quiet = EmailSettings.load()
    quiet.detailed = False
    quiet.save()
    signed_by_contact()
    [email] = [m for m in emails_to(contact) if "was signed" in m.subject]
    assert email.attachments == []
    assert "Contract" not in f"{email.subject}\n{email.body}"


def test_someone_who_no_longer_sees_the_file_gets_no_attachment(
    certificate: None, document: File, staff_owner: User, contact: User
) -> None:
    firm_settings(email_attachments=True)
    signing = ask(document, staff_owner, [contact])
    file_actions.set_limited(document, actor=staff_owner, limited=True)
    mail.outbox.clear()
    sign(signing, contact)
    assert reload(signing).state == SignatureRequest.State.COMPLETED
    [to_contact] = signed_emails(contact)
    assert to_contact.attachments == []
    [to_staff] = signed_emails(staff_owner)
    assert len(to_staff.attachments) == 1


def test_signer_rows_drop_their_drawing_once_sealed(
    signed_by_contact: Callable[[], SignatureRequest],
) -> None:
    signing = signed_by_contact()
    assert signing.state == SignatureRequest.State.COMPLETED
    assert not Signer.objects.filter(signing=signing, image_png__isnull=False)
