"""Signature requests: staff ask contacts to sign a PDF of the entity; each
signer draws or types their signature; after the last one the document is
sealed with the evidence record and becomes the file's new version, checked
here with pyHanko's validator and poppler's pdfsig."""

import base64
import datetime as dt
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client, TestCase
from django.utils import timezone

from loket.accounts.models import User
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.files import storage
from loket.files.models import File
from loket.notifications.models import Kind, OutgoingEmail
from loket.requests.models import Comment, Request
from loket.roles.models import RoleAssignment
from loket.signatures import actions, pdf
from loket.signatures.models import SignatureRequest, Signer, firm_trust_roots
from tests.conftest import ClientFor, grant, make_user
from tests.files_support import add, blob_exists
from tests.pdfs import A4, make_pdf, signature_png
from tests.test_browser_seed_flows import (
    CHROMIUM,
    NewPage,
    fits_the_phone,
    new_page,
    sign_in,
)
from tests.test_signatures_pdf import ink, rendered_by_poppler

__all__ = ["new_page"]  # the fixture, shared with the seed flows

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdfsig") is None, reason="no poppler-utils"),
]


def ask(
    document: File, actor: User, signers: list[User], *, ordered: bool = True
) -> Request:
    return actions.request_signature(
        document, actor=actor, signers=signers, ordered=ordered, subject="Contract"
    )


def signing_of(request: Request) -> SignatureRequest:
    return SignatureRequest.objects.get(request=request)


def run_commit_callbacks(act: object) -> None:
    """Run an action as a committed transaction would: its task runs after."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert callable(act)
        act()


def current_pdf(file: File) -> bytes:
    file.refresh_from_db()
    assert file.current_version is not None
    with storage.open_blob(file.current_version.blob) as stream:
        return stream.read()


def pdfsig_report(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "signed.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdfsig", str(path)], capture_output=True, text=True, check=False
    ).stdout


# The actions.


def test_a_request_needs_the_firms_signing_certificate(
    document: File, staff_owner: User, contact: User
) -> None:
    with pytest.raises(ValidationError, match="signing certificate"):
        ask(document, staff_owner, [contact])
    assert not Request.objects.exists()


def test_a_file_that_is_not_a_pdf_is_refused_with_a_clear_message(
    certificate: None, entity: Entity, staff_owner: User, contact: User
) -> None:
    text = add(entity, staff_owner, "notes.txt", b"just some text\n")
    with pytest.raises(ValidationError, match="not a PDF"):
        ask(text, staff_owner, [contact])
    assert not Request.objects.exists()


def test_a_contact_with_entity_access_only_cannot_be_asked_to_sign(
    certificate: None, document: File, staff_owner: User, viewer_contact: User
) -> None:
    with pytest.raises(ValidationError, match="cannot be asked to sign"):
        ask(document, staff_owner, [viewer_contact])
    assert not Request.objects.exists()


def test_requesting_sends_a_signature_request_with_stacked_boxes(
    certificate: None,
    document: File,
    staff_owner: User,
    contact: User,
    second_contact: User,
) -> None:
    request = ask(document, staff_owner, [contact, second_contact])
    assert request.kind == Request.Kind.SIGNATURE
    assert request.status == Request.Status.AWAITING
    signers = list(signing_of(request).signers.all())
    assert [s.user for s in signers] == [contact, second_contact]
    first, second = (s.box for s in signers)
    assert first.page == second.page
    assert second.y + second.height <= first.y  # stacked, not overlapping
    working = storage.open_blob(signing_of(request).working_blob).read()
    assert pdf.inspect(working).page_count == 2  # the evidence page is in
    assert Event.objects.filter(
        verb=Event.Verb.REQUEST_CREATED, target_id=str(request.uuid)
    ).exists()


def test_a_second_signer_cannot_sign_before_the_first_in_ordered_mode(
    certificate: None,
    document: File,
    staff_owner: User,
    contact: User,
    second_contact: User,
) -> None:
    signing = signing_of(ask(document, staff_owner, [contact, second_contact]))
    with pytest.raises(ValidationError, match="must sign first"):
        actions.sign(signing, actor=second_contact, consent=True, typed_name="Sanne")
    assert not Signer.objects.filter(status=Signer.Status.SIGNED).exists()


def test_in_parallel_mode_anyone_signs_first(
    certificate: None,
    document: File,
    staff_owner: User,
    contact: User,
    second_contact: User,
) -> None:
    signing = signing_of(
        ask(document, staff_owner, [contact, second_contact], ordered=False)
    )
    actions.sign(signing, actor=second_contact, consent=True, typed_name="Sanne")
    assert signing.signers.get(user=second_contact).status == Signer.Status.SIGNED


def test_signing_needs_consent_and_a_signature(
    certificate: None, document: File, staff_owner: User, contact: User
) -> None:
    signing = signing_of(ask(document, staff_owner, [contact]))
    with pytest.raises(ValidationError, match="agree to sign"):
        actions.sign(signing, actor=contact, consent=False, typed_name="Daan")
    with pytest.raises(ValidationError, match="Draw your signature"):
        actions.sign(signing, actor=contact, consent=True)


def test_declining_cancels_the_request_with_the_reason(
    certificate: None, document: File, staff_owner: User, contact: User
) -> None:
    request = ask(document, staff_owner, [contact])
    signing = signing_of(request)
    actions.decline_signature(signing, actor=contact, reason="Wrong amount")
    request.refresh_from_db()
    signing.refresh_from_db()
    assert request.status == Request.Status.CANCELLED
    assert signing.state == SignatureRequest.State.DECLINED
    row = signing.signers.get()
    assert (row.status, row.decline_reason) == (Signer.Status.DECLINED, "Wrong amount")
    assert Comment.objects.filter(request=request, body__contains="Wrong amount")
    assert Event.objects.filter(verb=Event.Verb.SIGNATURE_DECLINED).exists()
    with pytest.raises(ValidationError, match="closed"):
        actions.sign(signing, actor=contact, consent=True, typed_name="Daan")


def test_after_the_last_signer_the_sealed_pdf_is_the_new_version(
    certificate: None,
    document: File,
    staff_owner: User,
    contact: User,
    second_contact: User,
    tmp_path: Path,
) -> None:
    request = ask(document, staff_owner, [contact, second_contact])
    signing = signing_of(request)
    prepared = signing.working_blob
    run_commit_callbacks(
        lambda: actions.sign(
            signing, actor=contact, consent=True, image_png=signature_png()
        )
    )
    signing.refresh_from_db()
    after_first = signing.working_blob
    assert after_first != prepared
    assert signing.state == SignatureRequest.State.OPEN
    assert signing.signers.get(user=contact).stamped_at is not None
    assert document.versions.count() == 1
    run_commit_callbacks(
        lambda: actions.sign(
            signing, actor=second_contact, consent=True, typed_name="Sanne Tester"
        )
    )
    request.refresh_from_db()
    signing.refresh_from_db()
    assert request.status == Request.Status.COMPLETED
    assert signing.state == SignatureRequest.State.COMPLETED
    assert document.versions.count() == 2
    data = current_pdf(document)
    assert pdf.sha256(data) == signing.sha256_signed
    reports = pdf.verify(data, trust_roots=firm_trust_roots())
    assert len(reports) == 3  # two signers and the firm's seal
    assert all(report.valid and report.trusted for report in reports)
    assert [r.signer_name for r in reports[:2]] == [str(contact), str(second_contact)]
    out = pdfsig_report(data, tmp_path)
    assert out.count("Signature Validation: Signature is Valid.") == 3, out
    assert "Total document signed" in out
    assert Event.objects.filter(verb=Event.Verb.SIGNATURE_COMPLETED).exists()
    assert Event.objects.filter(verb=Event.Verb.SIGNATURE_SIGNED).count() == 2
    # The working copies are gone; the sealed one is the version's blob.
    assert signing.signed_version is not None
    assert signing.working_blob == signing.signed_version.blob
    assert blob_exists(signing.working_blob)
    assert not blob_exists(prepared)
    assert not blob_exists(after_first)


# The pages.


@pytest.fixture
def pending(
    certificate: None, document: File, staff_owner: User, contact: User
) -> Request:
    return ask(document, staff_owner, [contact])


def test_anonymous_is_sent_to_sign_in(pending: Request) -> None:
    response = Client().get(f"/signatures/{pending.uuid}/sign/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/sign-in/")


@pytest.mark.parametrize(
    "path", ["sign/", "pages/0.png", "status/"], ids=["sign", "page", "status"]
)
def test_an_outsider_gets_404(
    pending: Request, outsider: User, client_for: ClientFor, path: str
) -> None:
    response = client_for(outsider).get(f"/signatures/{pending.uuid}/{path}")
    assert response.status_code == 404


def test_a_contact_who_is_not_a_signer_gets_404(
    pending: Request, second_contact: User, client_for: ClientFor
) -> None:
    client = client_for(second_contact)
    assert client.get(f"/signatures/{pending.uuid}/sign/").status_code == 404


def test_a_signer_reduced_to_entity_access_cannot_sign(
    pending: Request, contact: User, entity: Entity, client_for: ClientFor
) -> None:
    RoleAssignment.objects.filter(user=contact).delete()
    grant(contact, "contact-entity-access", entity)
    client = client_for(contact)
    page = client.get(f"/signatures/{pending.uuid}/sign/")
    assert page.status_code == 200
    assert b'name="consent"' not in page.content
    response = client.post(
        f"/signatures/{pending.uuid}/sign/",
        {"consent": "on", "method": "typed", "typed_name": "Daan"},
    )
    assert response.status_code == 403
    assert not Signer.objects.filter(status=Signer.Status.SIGNED).exists()


def test_staff_who_see_the_request_cannot_sign_it(
    pending: Request, staff_reader: User, client_for: ClientFor
) -> None:
    client = client_for(staff_reader)
    assert client.get(f"/signatures/{pending.uuid}/sign/").status_code == 200
    response = client.post(
        f"/signatures/{pending.uuid}/decline/", {"reason": "Not mine"}
    )
    assert response.status_code == 403


def test_the_page_images_are_pngs_of_the_document(
    pending: Request, contact: User, client_for: ClientFor
) -> None:
    client = client_for(contact)
    response = client.get(f"/signatures/{pending.uuid}/pages/0.png?width=300")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")
    assert client.get(f"/signatures/{pending.uuid}/pages/9.png").status_code == 404


def test_viewing_the_sign_page_is_recorded_once(
    pending: Request, contact: User, client_for: ClientFor
) -> None:
    client = client_for(contact)
    client.get(f"/signatures/{pending.uuid}/sign/")
    client.get(f"/signatures/{pending.uuid}/sign/")
    assert Event.objects.filter(verb=Event.Verb.SIGNATURE_VIEWED).count() == 1
    assert signing_of(pending).signers.get().viewed_at is not None


def test_declining_through_the_page(
    pending: Request, contact: User, client_for: ClientFor
) -> None:
    client = client_for(contact)
    empty = client.post(f"/signatures/{pending.uuid}/decline/", {"reason": ""})
    assert empty.status_code == 400
    response = client.post(
        f"/signatures/{pending.uuid}/decline/", {"reason": "Wrong amount"}
    )
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == Request.Status.CANCELLED


def test_the_request_signature_page_is_for_staff_who_create_activities(
    certificate: None,
    document: File,
    contact: User,
    viewer_contact: User,
    outsider: User,
    staff_reader: User,
    client_for: ClientFor,
) -> None:
    url = f"/files/{document.uuid}/request-signature/"
    assert client_for(outsider).get(url).status_code == 404
    assert client_for(contact).get(url).status_code == 403
    assert client_for(viewer_contact).get(url).status_code == 403
    assert client_for(staff_reader).get(url).status_code == 200


def test_a_request_without_signers_is_refused_on_the_page(
    certificate: None, document: File, staff_reader: User, client_for: ClientFor
) -> None:
    response = client_for(staff_reader).post(
        f"/files/{document.uuid}/request-signature/",
        {"subject": "Contract", "ordered": "on", "signers": ["", ""]},
    )
    assert response.status_code == 400
    assert b"Choose at least one signer." in response.content
    assert not Request.objects.exists()


def drawing_data_url() -> str:
    return "data:image/png;base64," + base64.b64encode(signature_png()).decode()


def test_two_signers_in_order_through_the_pages(
    certificate: None,
    document: File,
    staff_reader: User,
    contact: User,
    second_contact: User,
    client_for: ClientFor,
    tmp_path: Path,
) -> None:
    staff = client_for(staff_reader)
    file_page = staff.get(f"/files/{document.uuid}/")
    assert f"/files/{document.uuid}/request-signature/".encode() in file_page.content
    created = staff.post(
        f"/files/{document.uuid}/request-signature/",
        {
            "subject": "Contract 2026",
            "message": "Please sign.",
            "ordered": "on",
            "signers": [str(contact.uuid), str(second_contact.uuid), ""],
        },
    )
    assert created.status_code == 302
    request = Request.objects.get(subject="Contract 2026")
    sign_url = f"/signatures/{request.uuid}/sign/"

    second = client_for(second_contact)
    waiting = second.get(sign_url)
    assert b"to sign first" in waiting.content
    assert b'name="consent"' not in waiting.content

    first = client_for(contact)
    page = first.get(sign_url)
    assert b'name="consent"' in page.content
    no_consent = first.post(
        sign_url, {"method": "drawn", "drawing": drawing_data_url()}
    )
    assert no_consent.status_code == 400
    signed = first.post(
        sign_url, {"consent": "on", "method": "drawn", "drawing": drawing_data_url()}
    )
    assert signed.status_code == 302
    status = first.get(f"/signatures/{request.uuid}/status/")
    assert b"hx-trigger" not in status.content  # stamped already: no polling
    assert b"not signed yet" in status.content  # the second signer

    typed = second.post(
        sign_url,
        {"consent": "on", "method": "typed", "typed_name": "Sanne Tester"},
        HTTP_USER_AGENT="TestBrowser/1.0",
    )
    assert typed.status_code == 302
    request.refresh_from_db()
    assert request.status == Request.Status.COMPLETED
    done = second.get(f"/signatures/{request.uuid}/status/")
    assert b"hx-trigger" not in done.content
    assert b"Signed by everyone" in done.content
    row = Signer.objects.get(user=second_contact)
    assert row.user_agent == "TestBrowser/1.0"
    assert row.typed_name == "Sanne Tester"
    data = current_pdf(document)
    reports = pdf.verify(data, trust_roots=firm_trust_roots())
    assert len(reports) == 3
    assert all(r.valid for r in reports), reports
    out = pdfsig_report(data, tmp_path)
    assert out.count("Signature Validation: Signature is Valid.") == 3, out


# The e-mail code.


@pytest.fixture
def with_code(
    certificate: None, document: File, staff_owner: User, contact: User
) -> Request:
    return actions.request_signature(
        document,
        actor=staff_owner,
        signers=[contact],
        subject="Contract",
        email_code=True,
    )


def last_code(user: User) -> str:
    """The code in the last e-mail to `user`: delivered (the test client runs
    the delivery) or still queued (an action called directly)."""
    sent = [str(m.body) for m in mail.outbox if user.email in m.to]
    row = OutgoingEmail.objects.filter(to=user.email).order_by("-id").first()
    queued = row.message.get("text", "") if row is not None else ""
    found = re.search(r"\b(\d{6})\b", queued or (sent[-1] if sent else ""))
    assert found is not None
    return found.group(1)


def test_with_an_email_code_signing_waits_for_the_code(
    with_code: Request, contact: User
) -> None:
    signing = signing_of(with_code)
    with pytest.raises(ValidationError, match="code sent to you"):
        actions.sign(signing, actor=contact, consent=True, typed_name="Daan")
    actions.send_signing_code(signing, actor=contact)
    row = signing.signers.get()
    assert row.code_hash
    assert last_code(contact) not in row.code_hash  # only its hash is kept
    actions.confirm_signing_code(signing, actor=contact, code=last_code(contact))
    actions.sign(signing, actor=contact, consent=True, typed_name="Daan")
    assert signing.signers.get().status == Signer.Status.SIGNED
    assert Event.objects.filter(verb=Event.Verb.SIGNATURE_CODE_VERIFIED).exists()


def test_a_wrong_code_is_refused_and_counted(with_code: Request, contact: User) -> None:
    signing = signing_of(with_code)
    actions.send_signing_code(signing, actor=contact)
    wrong = "000000" if last_code(contact) != "000000" else "111111"
    for _attempt in range(5):
        with pytest.raises(ValidationError, match="not right"):
            actions.confirm_signing_code(signing, actor=contact, code=wrong)
    assert signing.signers.get().code_attempts == 5
    with pytest.raises(ValidationError, match="Too many wrong codes"):
        actions.confirm_signing_code(signing, actor=contact, code=last_code(contact))
    assert signing.signers.get().code_verified_at is None
    assert Event.objects.filter(verb=Event.Verb.SIGNATURE_CODE_FAILED).count() == 5


def test_an_expired_code_is_refused(with_code: Request, contact: User) -> None:
    signing = signing_of(with_code)
    actions.send_signing_code(signing, actor=contact)
    Signer.objects.update(code_sent_at=timezone.now() - dt.timedelta(minutes=11))
    with pytest.raises(ValidationError, match="expired"):
        actions.confirm_signing_code(signing, actor=contact, code=last_code(contact))


def test_the_code_through_the_pages(
    with_code: Request, contact: User, client_for: ClientFor
) -> None:
    client = client_for(contact)
    sign_url = f"/signatures/{with_code.uuid}/sign/"
    page = client.get(sign_url)
    assert b"Send me a code" in page.content
    assert b'name="consent"' not in page.content
    assert client.post(f"/signatures/{with_code.uuid}/code/").status_code == 302
    wrong = client.post(
        f"/signatures/{with_code.uuid}/code/confirm/", {"code": "12345x"}
    )
    assert wrong.status_code == 400
    right = client.post(
        f"/signatures/{with_code.uuid}/code/confirm/", {"code": last_code(contact)}
    )
    assert right.status_code == 302
    assert b'name="consent"' in client.get(sign_url).content


def test_a_signature_request_page_links_to_the_document_and_hides_uploads(
    pending: Request, contact: User, client_for: ClientFor
) -> None:
    page = client_for(contact).get(pending.get_absolute_url())
    assert page.status_code == 200
    assert f"/signatures/{pending.uuid}/sign/".encode() in page.content
    for action in ("upload/", "submit/", "not-applicable/"):
        assert f"{pending.get_absolute_url()}{action}".encode() not in page.content


# In a real browser: the signature pad, the order, the polling.


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not CHROMIUM, reason="no Chromium found")
def test_two_contacts_sign_in_order_in_the_browser_one_draws_one_types(
    new_page: NewPage, live_server: Any
) -> None:
    base = live_server.url
    actions.generate_signing_certificate("Kantoor Test BV", actor=None)
    entity = Entity.objects.create(name="Bakkerij de Vries BV", client_number="C-1")
    staff = make_user("olga@firm.test", kind=User.Kind.STAFF)
    grant(staff, "reader", entity)
    first = make_user("daan@client.test", first_name="Daan", client_entity=entity)
    second = make_user("sanne@client.test", first_name="Sanne", client_entity=entity)
    for person in (first, second):
        grant(person, "contact-entity-staff", entity)
    document = add(entity, staff, "contract.pdf", make_pdf())

    page = new_page(1200, 900)
    sign_in(page, base, staff.email)
    page.goto(f"{base}/files/{document.uuid}/")
    page.get_by_role("link", name="Request signature").click()
    page.get_by_label("Subject").fill("Contract 2026")
    page.get_by_label("Signers confirm it is them").uncheck()
    page.get_by_label("Signer 1").select_option(str(first.uuid))
    page.get_by_label("Signer 2").select_option(str(second.uuid))
    page.get_by_role("button", name="Send").click()
    request = Request.objects.get(subject="Contract 2026")
    page.wait_for_url(f"{base}{request.get_absolute_url()}")
    sign_url = f"{base}/signatures/{request.uuid}/sign/"

    # The second signer must wait for the first.
    phone = new_page()
    sign_in(phone, base, second.email)
    phone.goto(sign_url)
    assert phone.get_by_text("to sign first").is_visible()

    # The first signer draws, on a phone.
    drawer = new_page()
    sign_in(drawer, base, first.email)
    drawer.goto(sign_url)
    assert fits_the_phone(drawer)
    # Every page drawn first: a page loading later would move the canvas.
    for preview in drawer.locator("img.sign-page").all():
        preview.scroll_into_view_if_needed()
        assert preview.evaluate("i => i.decode().then(() => i.naturalWidth)") > 0
    canvas = drawer.locator("[data-signature-pad] canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    drawer.mouse.move(box["x"] + 20, box["y"] + box["height"] / 2)
    drawer.mouse.down()
    for step in range(1, 12):
        drawer.mouse.move(
            box["x"] + 20 + step * 20, box["y"] + box["height"] / 2 + (-1) ** step * 15
        )
    drawer.mouse.up()
    drawer.get_by_label("I agree to sign").check()
    drawer.get_by_role("button", name="Sign", exact=True).click()
    drawer.get_by_text("your signature is being added").wait_for()
    assert Signer.objects.get(user=first).image_png

    # The second one types.
    phone.goto(sign_url)
    phone.get_by_label("Type", exact=True).check()
    phone.get_by_label("Or type your name").fill("Sanne Tester")
    phone.get_by_label("I agree to sign").check()
    phone.get_by_role("button", name="Sign", exact=True).click()
    phone.get_by_text("your signature is being added").wait_for()
    phone.get_by_text("Signed by everyone").wait_for()

    request.refresh_from_db()
    assert request.status == Request.Status.COMPLETED
    # pyHanko's validator runs its own event loop: not in Playwright's thread.
    with ThreadPoolExecutor(1) as pool:
        reports = pool.submit(
            pdf.verify, current_pdf(document), trust_roots=firm_trust_roots()
        ).result()
    assert [r.signer_name for r in reports[:2]] == ["Daan Tester", "Sanne Tester"]
    assert len(reports) == 3
    assert all(r.valid for r in reports), reports


def test_the_status_polls_while_a_signature_is_being_added(
    pending: Request, contact: User, client_for: ClientFor
) -> None:
    # Signed, but the worker has not run yet (its commit never comes here).
    actions.sign(signing_of(pending), actor=contact, consent=True, typed_name="Daan")
    status = client_for(contact).get(f"/signatures/{pending.uuid}/status/")
    assert b'hx-trigger="every 2s"' in status.content
    assert b"signature being added" in status.content
    polled = client_for(contact).get(
        f"/signatures/{pending.uuid}/status/", headers={"HX-Request": "true"}
    )
    assert "HX-Trigger" not in polled


def test_the_page_images_are_redrawn_when_the_worker_is_done(
    pending: Request, contact: User, client_for: ClientFor
) -> None:
    with TestCase.captureOnCommitCallbacks(execute=True):
        actions.sign(
            signing_of(pending), actor=contact, consent=True, typed_name="Daan"
        )
    assert signing_of(pending).state == SignatureRequest.State.COMPLETED
    polled = client_for(contact).get(
        f"/signatures/{pending.uuid}/status/", headers={"HX-Request": "true"}
    )
    # The page images are then drawn again, with the stamps.
    assert polled["HX-Trigger"] == "loket:pages-changed"
    assert b"hx-trigger" not in polled.content


def test_a_limited_file_is_signed_only_by_people_who_see_it(
    certificate: None, entity: Entity, staff_owner: User, contact: User
) -> None:
    secret = add(entity, staff_owner, "salaris.pdf", make_pdf(), limited=True)
    with pytest.raises(ValidationError, match="limited and not shared"):
        ask(secret, staff_owner, [contact])
    assert not Request.objects.exists()


def test_at_most_six_people_sign_one_document(
    certificate: None, document: File, staff_owner: User, entity: Entity
) -> None:
    people = []
    for n in range(7):
        person = make_user(f"signer{n}@client.test", client_entity=entity)
        grant(person, "contact-entity-staff", entity)
        people.append(person)
    with pytest.raises(ValidationError, match="at most 6 people"):
        ask(document, staff_owner, people)
    assert not Request.objects.exists()


def test_a_staff_member_may_be_asked_to_sign(
    certificate: None, document: File, staff_owner: User, staff_reader: User
) -> None:
    signing = signing_of(ask(document, staff_owner, [staff_reader]))
    actions.sign(signing, actor=staff_reader, consent=True, typed_name="Rita")
    assert signing.signers.get().status == Signer.Status.SIGNED


def test_the_file_request_steps_refuse_a_signature_request(
    pending: Request,
    staff_owner: User,
    contact: User,
    client_for: ClientFor,
) -> None:
    from loket.requests import actions as request_actions
    from tests.files_support import finished_upload

    upload = finished_upload(contact, pending.entity)
    for act in (
        lambda: request_actions.add_response_file(
            pending, actor=contact, upload=upload
        ),
        lambda: request_actions.submit_response(pending, actor=contact),
        lambda: request_actions.mark_not_applicable(
            pending, actor=contact, reason="Niet van ons"
        ),
        # The due date and subject may change; the signers may not.
        lambda: request_actions.update_request(
            pending, actor=staff_owner, recipients=[contact]
        ),
    ):
        with pytest.raises(ValidationError, match="signature request"):
            act()
    response = client_for(contact).post(
        f"/api/v1/requests/{pending.uuid}/not-applicable",
        {"reason": "Niet van ons"},
        content_type="application/json",
    )
    assert response.status_code == 409
    page = client_for(contact).post(
        f"/activities/{pending.uuid}/not-applicable/", {"reason": "Niet van ons"}
    )
    assert page.status_code in (302, 400)
    pending.refresh_from_db()
    assert pending.status == Request.Status.AWAITING
    assert not pending.request_files.filter(role="response").exists()


# Activities → New → Signature request: the entity, then one of its PDFs.


def test_the_new_menu_offers_a_signature_request_to_staff_only(
    entity: Entity, staff_reader: User, contact: User, client_for: ClientFor
) -> None:
    for page in ("/activities/", f"/entities/{entity.uuid}/activities/"):
        assert b"/activities/new/signature-request/" in (
            client_for(staff_reader).get(page).content
        )
        assert b"/activities/new/signature-request/" not in (
            client_for(contact).get(page).content
        )


def test_picking_a_document_is_for_staff_who_create_activities_there(
    entity: Entity,
    other_entity: Entity,
    document: File,
    outsider: User,
    contact: User,
    viewer_contact: User,
    staff_reader: User,
    client_for: ClientFor,
) -> None:
    url = "/activities/new/signature-request/"
    anonymous = Client().get(url)
    assert anonymous.status_code == 302
    assert "/accounts/" in anonymous["Location"]
    picking = f"{url}?entity={entity.uuid}"
    assert client_for(outsider).get(picking).status_code == 404
    assert client_for(viewer_contact).get(picking).status_code == 403
    assert client_for(contact).get(picking).status_code == 403
    assert client_for(contact).get(url).status_code == 403
    reader = client_for(staff_reader)
    assert reader.get(f"{url}?entity={other_entity.uuid}").status_code == 404
    assert reader.get(f"{url}?entity=not-a-uuid").status_code == 404


def test_picking_lists_the_entitys_pdfs_and_leads_to_the_request_form(
    certificate: None,
    entity: Entity,
    other_entity: Entity,
    document: File,
    staff_owner: User,
    staff_reader: User,
    contact: User,
    client_for: ClientFor,
) -> None:
    add(entity, staff_owner, "notes.txt", b"plain text, not a PDF")
    add(other_entity, staff_owner, "elsewhere.pdf", make_pdf())
    reader = client_for(staff_reader)
    first = reader.get("/activities/new/signature-request/")
    assert first.status_code == 200
    assert f"?entity={entity.uuid}".encode() in first.content
    assert f"?entity={other_entity.uuid}".encode() not in first.content
    second = reader.get(f"/activities/new/signature-request/?entity={entity.uuid}")
    assert second.status_code == 200
    form_url = f"/files/{document.uuid}/request-signature/"
    assert form_url.encode() in second.content
    assert b"notes.txt" not in second.content
    assert b"elsewhere.pdf" not in second.content
    response = reader.post(
        form_url,
        {"subject": "Contract", "ordered": "on", "signers": [str(contact.uuid)]},
    )
    assert response.status_code == 302
    signing = SignatureRequest.objects.get(file=document)
    assert signing.request.subject == "Contract"
    assert [row.user for row in signing.signers.all()] == [contact]


# Placing the boxes on the request form's preview.


def test_the_request_form_previews_the_pages_to_place_the_boxes_on(
    certificate: None,
    entity: Entity,
    staff_owner: User,
    staff_reader: User,
    contact: User,
    outsider: User,
    client_for: ClientFor,
) -> None:
    two_pages = add(entity, staff_owner, "two.pdf", make_pdf([(*A4, 0), (*A4, 0)]))
    form = client_for(staff_reader).get(f"/files/{two_pages.uuid}/request-signature/")
    assert form.status_code == 200
    for page in (0, 1):
        assert f"/request-signature/pages/{page}.png".encode() in form.content
    assert b"js/signature-boxes.js" in form.content
    image = f"/files/{two_pages.uuid}/request-signature/pages/1.png"
    response = client_for(staff_reader).get(image)
    assert response.status_code == 200
    assert response.content.startswith(b"\x89PNG")
    missing = f"/files/{two_pages.uuid}/request-signature/pages/2.png"
    assert client_for(staff_reader).get(missing).status_code == 404
    assert client_for(contact).get(image).status_code == 403
    assert client_for(outsider).get(image).status_code == 404
    assert Client().get(image).status_code == 302


def test_a_placed_box_lands_in_the_signer_row_and_the_signed_pdf(
    certificate: None,
    entity: Entity,
    staff_owner: User,
    contact: User,
    second_contact: User,
    client_for: ClientFor,
    tmp_path: Path,
) -> None:
    two_pages = add(entity, staff_owner, "two.pdf", make_pdf([(*A4, 0), (*A4, 0)]))
    response = client_for(staff_owner).post(
        f"/files/{two_pages.uuid}/request-signature/",
        {
            "subject": "Contract",
            "ordered": "on",
            "signers": [str(contact.uuid), str(second_contact.uuid)],
            # The first signer's box placed on page 1, the second's default.
            "box_page": ["0", ""],
            "box_x": ["300", ""],
            "box_y": ["400.5", ""],
        },
    )
    assert response.status_code == 302, response.content
    signing = SignatureRequest.objects.get(file=two_pages)
    first, second = signing.signers.order_by("position")
    assert (first.page, first.x, first.y) == (0, 300.0, 400.5)
    assert (first.width, first.height) == (200.0, 70.0)
    default = pdf.SignatureBox.default(pdf.inspect(make_pdf([(*A4, 0), (*A4, 0)])))
    assert (second.page, second.x, second.y) == (1, default.x, default.y)

    run_commit_callbacks(
        lambda: actions.sign(signing, actor=contact, consent=True, typed_name="Daan")
    )
    run_commit_callbacks(
        lambda: actions.sign(
            signing, actor=second_contact, consent=True, typed_name="Sanne"
        )
    )
    signing.refresh_from_db()
    assert signing.state == SignatureRequest.State.COMPLETED
    data = current_pdf(two_pages)
    first_page = rendered_by_poppler(data, 0, tmp_path)
    assert ink(first_page, (300, 400.5, 200, 70)) > 300, "the stamp is in the box"
    last_page = rendered_by_poppler(data, 1, tmp_path)
    assert ink(last_page, (default.x, default.y, 200, 70)) > 300
    assert ink(last_page, (300, 400.5, 200, 70)) < 20


@pytest.mark.parametrize(
    ("page", "x", "y", "message"),
    [
        ("0", "500", "10", "The signature box does not fit on the page."),
        ("0", "10", "-5", "The signature box does not fit on the page."),
        ("0", "ten", "10", "The signature box does not fit on the page."),
        ("0", "nan", "10", "The signature box does not fit on the page."),
        ("3", "10", "10", "This page does not exist."),
    ],
)
def test_a_box_off_the_page_is_refused_on_the_form(
    certificate: None,
    document: File,
    staff_reader: User,
    contact: User,
    client_for: ClientFor,
    page: str,
    x: str,
    y: str,
    message: str,
) -> None:
    response = client_for(staff_reader).post(
        f"/files/{document.uuid}/request-signature/",
        {
            "subject": "Contract",
            "signers": [str(contact.uuid)],
            "box_page": [page],
            "box_x": [x],
            "box_y": [y],
        },
    )
    assert response.status_code == 400
    assert message.encode() in response.content
    assert not Request.objects.exists()


def asked_to_sign() -> list[str]:
    return list(
        OutgoingEmail.objects.filter(kind=Kind.SIGNATURE_REQUESTED)
        .order_by("pk")
        .values_list("to", flat=True)
    )


def test_in_order_each_signer_is_asked_when_their_turn_comes(
    certificate: None,
    document: File,
    staff_owner: User,
    contact: User,
    second_contact: User,
) -> None:
    with TestCase.captureOnCommitCallbacks(execute=True):
        request = ask(document, staff_owner, [contact, second_contact])
    assert asked_to_sign() == [contact.email]

    with TestCase.captureOnCommitCallbacks(execute=True):
        actions.sign(signing_of(request), actor=contact, consent=True, typed_name="Eva")
    assert asked_to_sign() == [contact.email, second_contact.email]


def test_at_once_every_signer_is_asked_at_the_start(
    certificate: None,
    document: File,
    staff_owner: User,
    contact: User,
    second_contact: User,
) -> None:
    with TestCase.captureOnCommitCallbacks(execute=True):
        request = ask(document, staff_owner, [contact, second_contact], ordered=False)
    assert sorted(asked_to_sign()) == sorted([contact.email, second_contact.email])

    with TestCase.captureOnCommitCallbacks(execute=True):
        actions.sign(signing_of(request), actor=contact, consent=True, typed_name="Eva")
    assert len(asked_to_sign()) == 2
