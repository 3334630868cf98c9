"""The seed's two file-request flows in real Chromium, on a phone-sized screen.

(a) A staff Reader creates a file request for two contacts of an entity
through the wizard; a contact signs in, uploads a file with the tus upload
widget and submits; the Reader returns it with a comment; the contact uploads
again; the Reader accepts. (b) The update request: the Reader attaches an
existing file; the contact's answer becomes version 2 of that file.

The seed's terms are looked up by their words (in Dutch, the users' language,
and in English); other controls by structure, their wording being the
translators' to choose."""

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from loket.accounts.models import User
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.files.models import File, Upload
from loket.requests.models import Comment, Recipient, Request, RequestFile
from tests.conftest import grant, make_user
from tests.files_support import add, pdf
from tests.test_browser_seed_flows import (
    CHROMIUM,
    NewPage,
    fits_the_phone,
    new_page,
    sign_in,
)

__all__ = ["new_page"]  # the fixture, shared with the seed flows

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
if not CHROMIUM:
    pytestmark.append(pytest.mark.skip(reason="no Chromium found"))


@dataclass(frozen=True)
class Words:
    activities: str
    new: str
    file_request: str
    entity: str
    recipients: str
    next: str
    subject: str
    description: str
    additional_message: str
    attach_files: str
    existing: str
    upload: str
    done: str


DUTCH = Words(
    activities="Activiteiten",
    new="Nieuw",
    file_request="Bestandsverzoek",
    entity="Entiteit",
    recipients="Ontvangers",
    next="Volgende",
    subject="Onderwerp",
    # The seed's words: "voeg een beschrijving toe", "Bestanden bijvoegen en
    # Bestaand", "Bestanden | Upload", "Klik op Voltooid".
    description="Beschrijving",
    additional_message="Aanvullend bericht",
    attach_files="Bestanden bijvoegen",
    existing="Bestaand",
    upload="Upload",
    done="Voltooid",
)
ENGLISH = Words(
    activities="Activities",
    new="New",
    file_request="File request",
    entity="Entity",
    recipients="Recipients",
    next="Next",
    subject="Subject",
    description="Description",
    additional_message="Additional message",
    attach_files="Attach files",
    existing="Existing",
    upload="Upload",
    done="Done",
)


@dataclass
class Firm:
    reader: User
    daan: User
    gerda: User
    vera: User
    entity: Entity


def arrange(language: str) -> Firm:
    """A Reader of an entity with two contacts holding Contact – Entity Staff
    and one holding Contact – Entity Access only."""
    entity = Entity.objects.create(name="Bakkerij de Vries BV", client_number="C-1")
    garage = Entity.objects.create(name="Garage Jansen VOF", client_number="C-2")
    reader = make_user("ruud@firm.test", kind=User.Kind.STAFF, language=language)
    grant(reader, "reader", entity)
    grant(reader, "reader", garage)
    people = []
    for email in ("daan@client.test", "gerda@client.test"):
        person = make_user(email, language=language, client_entity=entity)
        grant(person, "contact-entity-staff", entity)
        people.append(person)
    vera = make_user("vera@client.test", language=language, client_entity=entity)
    grant(vera, "contact-entity-access", entity)
    return Firm(reader, people[0], people[1], vera, entity)


def _pdf_file(name: str, text: str) -> dict[str, Any]:
    return {"name": name, "mimeType": "application/pdf", "buffer": pdf(text)}


def _quick(new_page: NewPage) -> Any:
    page = new_page()
    page.set_default_timeout(8000)
    return page


def create_request(
    page: Any, base: str, firm: Firm, words: Words, *, attach: str = ""
) -> Request:
    """The wizard, as the seed has it: Activities → New → File request, the
    entity, two recipients, Next, subject and description, Next, additional
    message, Next, attach files (an existing one if `attach`), Done."""
    page.goto(f"{base}/")
    page.locator("nav.menu").get_by_role("link", name=words.activities).click()
    page.wait_for_url(f"{base}/activities/")
    page.get_by_text(words.new, exact=True).click()
    page.get_by_role("link", name=words.file_request).click()
    page.wait_for_url(re.compile(r"/activities/new/file-request/"))
    assert fits_the_phone(page)

    # Step 1: the entity, then every contact with access to it.
    assert page.get_by_role("heading", name=words.entity).is_visible()
    garage = page.get_by_role("button", name=re.compile("Garage Jansen"))
    assert garage.is_visible()
    page.locator("#entity-q").fill("bakkerij")
    assert garage.is_hidden()  # the list narrows as one types
    page.get_by_role("button", name=re.compile("Bakkerij de Vries")).click()
    picker = page.get_by_role("group", name=words.recipients)
    picker.wait_for()
    assert picker.get_by_label(re.compile("Vera Tester")).is_disabled()
    assert fits_the_phone(page)
    picker.get_by_label(re.compile("Daan Tester")).check()
    picker.get_by_label(re.compile("Gerda Tester")).check()
    page.get_by_role("button", name=words.next).click()

    # Step 2: subject, description and due date.
    page.get_by_label(words.subject).fill("Jaarstukken 2025")
    page.get_by_label(words.description).fill(
        "Graag de bankafschriften.\nEn de loonstroken."
    )
    due = timezone.localdate() + timedelta(days=14)
    page.locator('input[name="due_date"]').fill(due.isoformat())
    page.get_by_role("button", name=words.next).click()

    # Step 3: the additional message for the notification e-mail.
    page.get_by_label(words.additional_message).fill("Alvast bedankt!")
    page.get_by_role("button", name=words.next).click()

    # Step 4: attach files: existing ones, or uploads.
    assert page.get_by_role("heading", name=words.attach_files).is_visible()
    assert page.get_by_role("group", name=words.existing).is_visible()
    assert page.get_by_role("group", name=words.upload).is_visible()
    if attach:
        page.get_by_role("group", name=words.existing).get_by_label(attach).check()
    assert fits_the_phone(page)
    page.get_by_role("button", name=words.done, exact=True).click()
    page.wait_for_url(re.compile(r"/activities/[0-9a-f-]{36}/$"))
    assert page.locator(".message.success").is_visible()
    assert fits_the_phone(page)

    request = Request.objects.get(subject="Jaarstukken 2025")
    assert request.status == Request.Status.AWAITING
    assert request.due_date == due
    assert request.description == "Graag de bankafschriften.\nEn de loonstroken."
    assert request.additional_message == "Alvast bedankt!"
    assert set(request.recipients.all()) == {firm.daan, firm.gerda}
    return request


def upload_and_submit(
    page: Any, uploader: str, name: str, text: str, listed: str = ""
) -> None:
    """Upload one file with the tus widget, see it listed (as `listed`, the
    attached file's name for a new version), submit."""
    widget = page.locator(uploader).first
    widget.locator("input.uploader-input").set_input_files([_pdf_file(name, text)])
    item = widget.locator(".uploader-item").last
    page.wait_for_function(
        "(node) => node.classList.contains('is-done')", arg=item.element_handle()
    )
    page.locator("#pending-files", has_text=listed or name).wait_for()
    assert fits_the_phone(page)
    page.locator('form[action$="/submit/"] button[type="submit"]').click()
    page.wait_for_url(re.compile(r"/activities/[0-9a-f-]{36}/$"))
    page.locator(".message.success").wait_for()


def open_from_home(page: Any, base: str, request: Request) -> None:
    page.goto(f"{base}/")
    page.locator(".asked-list").get_by_role("link", name=request.subject).click()
    page.wait_for_url(f"{base}{request.get_absolute_url()}")


def file_request_flow(new_page: NewPage, base: str, words: Words) -> None:
    firm = arrange("nl" if words is DUTCH else "en")
    staff = _quick(new_page)
    sign_in(staff, base, firm.reader.email)
    request = create_request(staff, base, firm, words)

    # Daan signs in, finds it on his home page, uploads and submits.
    contact = _quick(new_page)
    sign_in(contact, base, firm.daan.email)
    open_from_home(contact, base, request)
    assert contact.get_by_text("Graag de bankafschriften.").is_visible()
    assert fits_the_phone(contact)
    upload_and_submit(contact, ".respond .uploader", "Bankafschriften.pdf", "bank")
    request.refresh_from_db()
    assert request.status == Request.Status.RESPONDED
    first = RequestFile.objects.get(request=request, role=RequestFile.Role.RESPONSE)
    assert first.file.entity == firm.entity
    assert first.submitted_at is not None
    assert not Upload.objects.exists()

    # The Reader returns it with a comment.
    staff.goto(f"{base}{request.get_absolute_url()}")
    assert (
        staff.locator(".received-list").get_by_text("Bankafschriften.pdf").is_visible()
    )
    staff.locator('form[action$="/return/"] textarea').fill("December ontbreekt.")
    staff.locator('form[action$="/return/"] button[type="submit"]').click()
    staff.locator(".message.success").wait_for()
    request.refresh_from_db()
    assert request.status == Request.Status.RETURNED
    assert Comment.objects.get(request=request).body == "December ontbreekt."

    # Daan sees the comment, uploads again and submits.
    contact.goto(f"{base}{request.get_absolute_url()}")
    assert contact.get_by_text("December ontbreekt.").is_visible()
    upload_and_submit(contact, ".respond .uploader", "December.pdf", "december")
    request.refresh_from_db()
    assert request.status == Request.Status.RESPONDED

    # The Reader accepts.
    staff.goto(f"{base}{request.get_absolute_url()}")
    staff.locator('form[action$="/accept/"] button[type="submit"]').click()
    staff.locator(".message.success").wait_for()
    assert fits_the_phone(staff)
    request.refresh_from_db()
    assert request.status == Request.Status.COMPLETED
    responses = RequestFile.objects.filter(
        request=request, role=RequestFile.Role.RESPONSE
    )
    assert sorted(responses.values_list("file__name", flat=True)) == [
        "Bankafschriften.pdf",
        "December.pdf",
    ]
    assert Recipient.objects.get(request=request, user=firm.daan).responded_at
    events = Event.objects.filter(entity=firm.entity, target_id=str(request.uuid))
    verbs = list(
        events.filter(verb__startswith="request.")
        .order_by("id")
        .values_list("verb", flat=True)
    )
    # Each step also told the other side (the e-mails are history events too).
    assert events.filter(verb__startswith="notification.").exists()
    assert verbs == [
        Event.Verb.REQUEST_CREATED,
        Event.Verb.REQUEST_SENT,
        Event.Verb.REQUEST_FILE_RECEIVED,
        Event.Verb.REQUEST_RESPONDED,
        Event.Verb.REQUEST_RETURNED,
        Event.Verb.REQUEST_FILE_RECEIVED,
        Event.Verb.REQUEST_RESPONDED,
        Event.Verb.REQUEST_ACCEPTED,
    ]


def update_request_flow(new_page: NewPage, base: str, words: Words) -> None:
    firm = arrange("nl" if words is DUTCH else "en")
    attached = add(firm.entity, firm.reader, "Loonaangifte.pdf", pdf("v1"))
    staff = _quick(new_page)
    sign_in(staff, base, firm.reader.email)
    request = create_request(staff, base, firm, words, attach="Loonaangifte.pdf")
    (link,) = RequestFile.objects.filter(request=request)
    assert (link.file, link.role) == (attached, RequestFile.Role.ATTACHMENT)

    contact = _quick(new_page)
    sign_in(contact, base, firm.gerda.email)
    open_from_home(contact, base, request)
    assert (
        contact.locator(".attachment-list").get_by_text("Loonaangifte.pdf").is_visible()
    )
    upload_and_submit(
        contact,
        ".attachment-list .uploader",
        "Loonaangifte getekend.pdf",
        "v2",
        listed="Loonaangifte.pdf",
    )
    attached.refresh_from_db()
    assert attached.current_version is not None
    assert attached.current_version.number == 2
    assert attached.current_version.original_name == "Loonaangifte getekend.pdf"
    assert File.objects.filter(entity=firm.entity).count() == 1
    answer = RequestFile.objects.get(request=request, role=RequestFile.Role.RESPONSE)
    assert answer.version == attached.current_version
    request.refresh_from_db()
    assert request.status == Request.Status.RESPONDED

    staff.goto(f"{base}{request.get_absolute_url()}")
    received = staff.locator(".received-list li").first
    assert "Loonaangifte.pdf" in received.inner_text()
    version = answer.version
    assert version is not None
    href = received.locator("a").get_attribute("href")
    assert href == f"/files/versions/{version.uuid}/download/"
    staff.locator('form[action$="/accept/"] button[type="submit"]').click()
    staff.locator(".message.success").wait_for()
    request.refresh_from_db()
    assert request.status == Request.Status.COMPLETED


def test_een_lezer_vraagt_bestanden_op_en_accepteert_na_terugsturen(
    new_page: NewPage, live_server: Any
) -> None:
    file_request_flow(new_page, live_server.url, DUTCH)


def test_een_bijwerkverzoek_maakt_versie_2_van_het_bijgevoegde_bestand(
    new_page: NewPage, live_server: Any
) -> None:
    update_request_flow(new_page, live_server.url, DUTCH)


def test_a_reader_requests_files_and_accepts_after_returning(
    new_page: NewPage, live_server: Any
) -> None:
    file_request_flow(new_page, live_server.url, ENGLISH)


def test_an_update_request_makes_version_2_of_the_attached_file(
    new_page: NewPage, live_server: Any
) -> None:
    update_request_flow(new_page, live_server.url, ENGLISH)
