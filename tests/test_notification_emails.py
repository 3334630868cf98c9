"""Each notification e-mail: in the recipient's language, with and without
detailed notifications, with the additional message, a deep link that works,
the firm's look, and a valid calendar event for a due date."""

from datetime import date
from email import message_from_bytes
from typing import Any

import pytest
from django.core import mail
from django.urls import resolve
from icalendar import Calendar

from loket.accounts.models import User
from loket.entities.models import Entity
from loket.notifications import calendar, emails
from loket.notifications.models import EmailSettings, Kind, OutgoingEmail
from loket.notifications.outbox import Message, build
from tests.conftest import ClientFor
from tests.notification_support import make_comment, make_request

pytestmark = pytest.mark.django_db

DUE = date(2030, 1, 31)
SECRET_SUBJECT = "Jaarrekening 2025"
SECRET_DESCRIPTION = "De bankafschriften van december."


@pytest.fixture
def firm() -> EmailSettings:
    return EmailSettings.load()


@pytest.fixture
def quiet_firm() -> EmailSettings:
    firm = EmailSettings.load()
    firm.detailed = False
    firm.save()
    return firm


def everything(message: Message) -> str:
    return "\n".join([message.subject, message.text, message.html])


def link_in(message: Message) -> str:
    return next(w for w in message.text.split() if w.startswith("http://"))


def all_messages(
    user: User, staff: User, entity: Entity, firm: EmailSettings
) -> dict[str, Message]:
    """One of each e-mail, about the same request."""
    request = make_request(
        entity,
        staff,
        [user],
        subject=SECRET_SUBJECT,
        description=SECRET_DESCRIPTION,
        additional_message="Graag vóór vrijdag, dank!",
        due_date=DUE,
    )
    comment = make_comment(request, staff, "Het bankafschrift van maart ontbreekt.")
    return {
        "request_sent": emails.request_sent(user, request, firm),
        "request_returned": emails.request_returned(user, request, comment, firm),
        "reminder": emails.reminder(user, [request], firm),
        "digest": emails.digest(user, [], [request], firm),
        "response_received": emails.response_received(staff, request, user, firm),
        "request_completed": emails.request_completed(user, request, firm),
        "comment": emails.comment_added(user, comment, firm),
        "access_granted": emails.access_granted(user, entity, firm),
        "signature_requested": emails.signature_requested(user, request, firm),
        "document_signed": emails.document_signed(staff, request, user, firm),
    }


def test_every_email_has_a_subject_text_and_html_and_names_the_request(
    entity: Entity, staff_reader: User, contact: User, firm: EmailSettings
) -> None:
    for name, message in all_messages(contact, staff_reader, entity, firm).items():
        assert message.subject, name
        assert "\n" not in message.subject, name
        assert message.text.strip(), name
        assert message.html.startswith("<!doctype html>"), name
        if name != "access_granted":
            assert SECRET_SUBJECT in message.subject + message.text, name
        assert "http://127.0.0.1:8000/" in message.text, name
        # Inline CSS only, and no image fetched from elsewhere.
        assert "<style" not in message.html, name
        assert "<link" not in message.html, name
        assert 'src="http' not in message.html, name


def test_without_detail_no_email_names_the_subject_entity_or_description(
    entity: Entity, staff_reader: User, contact: User, quiet_firm: EmailSettings
) -> None:
    for name, message in all_messages(
        contact, staff_reader, entity, quiet_firm
    ).items():
        text = everything(message)
        assert SECRET_SUBJECT not in text, name
        assert entity.name not in text, name
        assert SECRET_DESCRIPTION not in text, name
        assert "bankafschrift van maart" not in text, name
        assert "http://127.0.0.1:8000/" in message.text, name  # still a link


def test_with_detail_the_new_request_quotes_the_description_and_names_the_files(
    entity: Entity, staff_reader: User, contact: User, firm: EmailSettings
) -> None:
    message = all_messages(contact, staff_reader, entity, firm)["request_sent"]
    assert SECRET_DESCRIPTION in message.text
    assert entity.name in message.text
    assert SECRET_DESCRIPTION in message.html


def test_the_additional_message_appears_with_or_without_detail(
    entity: Entity, staff_reader: User, contact: User, firm: EmailSettings
) -> None:
    request = make_request(
        entity, staff_reader, [contact], additional_message="Graag vóór vrijdag <3"
    )
    for detailed in (True, False):
        firm.detailed = detailed
        message = emails.request_sent(contact, request, firm)
        assert "Graag vóór vrijdag <3" in message.text
        assert "Graag vóór vrijdag &lt;3" in message.html  # escaped in HTML
        assert "Ruud Tester" in message.text  # who wrote it


def test_emails_are_in_the_recipients_language(
    entity: Entity, staff_reader: User, contact: User, firm: EmailSettings
) -> None:
    contact.language = "nl"
    contact.save()
    for name, message in all_messages(contact, staff_reader, entity, firm).items():
        if name in ("response_received", "document_signed"):
            continue  # those go to the staff member, in English
        assert '<html lang="nl">' in message.html, name
    message = emails.request_sent(
        contact, make_request(entity, staff_reader, [contact], due_date=DUE), firm
    )
    assert "31 januari 2030" in message.text
    english = emails.response_received(
        staff_reader, make_request(entity, staff_reader, [contact]), contact, firm
    )
    assert '<html lang="en">' in english.html


def test_the_deep_link_opens_the_request_for_the_recipient(
    entity: Entity,
    staff_reader: User,
    contact: User,
    firm: EmailSettings,
    client_for: ClientFor,
) -> None:
    request = make_request(entity, staff_reader, [contact])
    link = link_in(emails.request_sent(contact, request, firm))
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    match = resolve(path)
    assert match.view_name == "requests:detail"
    assert match.kwargs["request_uuid"] == request.uuid
    assert client_for(contact).get(path).status_code == 200
    # Signed out, the link asks to sign in and comes back to the request.
    from django.test import Client

    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/sign-in/?next={path}"


def test_a_due_date_comes_as_a_valid_calendar_event(
    entity: Entity, staff_reader: User, contact: User, firm: EmailSettings
) -> None:
    request = make_request(entity, staff_reader, [contact], due_date=DUE)
    message = emails.request_sent(contact, request, firm)
    [attachment] = message.attachments
    assert attachment.name == "due-date.ics"
    assert attachment.mimetype.startswith("text/calendar")
    raw = attachment.content
    assert raw.endswith(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    parsed = Calendar.from_ical(raw)
    [event] = parsed.walk("VEVENT")
    assert event.decoded("DTSTART") == DUE
    assert event.decoded("DTEND") == date(2030, 2, 1)
    assert str(event["SUMMARY"]) == f"Due: {SECRET_SUBJECT}"
    assert str(event["UID"]).startswith(f"request-{request.uuid}@")
    assert str(event["URL"]).endswith(f"/activities/{request.uuid}/")
    # Without a due date, no event.
    no_date = make_request(entity, staff_reader, [contact])
    assert emails.request_sent(contact, no_date, firm).attachments == []


def test_the_calendar_event_escapes_and_folds_long_unicode_text() -> None:
    summary = "Jaarrekening; balans, winst-en-verliesrekening — ‘ë’ " * 4
    raw = calendar.due_date_event(
        uid="request-x", due=DUE, summary=summary, description="a\nb", url="http://x/"
    )
    for line in raw.split(b"\r\n"):
        assert len(line) <= 75
    [event] = Calendar.from_ical(raw).walk("VEVENT")
    assert str(event["SUMMARY"]) == summary
    assert str(event["DESCRIPTION"]) == "a\nb"


def test_the_firm_look_sender_reply_to_footer_and_inline_logo(
    entity: Entity, staff_reader: User, contact: User, firm: EmailSettings
) -> None:
    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
        b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05"
        b"\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
    )
    firm.sender_name = "Kantoor Jansen"
    firm.reply_to = "info@jansen.test"
    firm.footer = "Kantoor Jansen · Dorpsstraat 1"
    firm.logo, firm.logo_type = png, "image/png"
    request = make_request(entity, staff_reader, [contact], due_date=DUE)
    message = emails.request_sent(contact, request, firm)
    assert "Kantoor Jansen · Dorpsstraat 1" in message.text
    assert 'src="cid:firm-logo"' in message.html
    row = OutgoingEmail(
        kind=Kind.REQUEST_SENT,
        to=contact.email,
        subject=message.subject,
        message=message.as_json(),
    )
    parsed = message_from_bytes(build(row).message().as_bytes())
    assert (
        parsed["From"] == '"Kantoor Jansen" <loket@localhost>'
        or parsed["From"] == "Kantoor Jansen <loket@localhost>"
    )
    assert parsed["Reply-To"] == "info@jansen.test"
    kinds = [part.get_content_type() for part in parsed.walk()]
    assert kinds[:2] == ["multipart/mixed", "multipart/related"]
    assert {"text/plain", "text/html", "image/png", "text/calendar"} <= set(kinds)
    logo = next(p for p in parsed.walk() if p.get_content_type() == "image/png")
    assert logo["Content-ID"] == "<firm-logo>"
    assert logo.get_payload(decode=True) == png


def test_only_refusable_emails_carry_an_unsubscribe_link_and_header(
    entity: Entity, staff_reader: User, contact: User, firm: EmailSettings
) -> None:
    for name, message in all_messages(contact, staff_reader, entity, firm).items():
        refusable = name not in {
            "request_sent",
            "request_returned",
            "signature_requested",
        }
        assert ("List-Unsubscribe" in message.headers) is refusable, name
        assert ("/notifications/unsubscribe/" in message.text) is refusable, name
        if refusable:
            assert message.headers["List-Unsubscribe-Post"] == (
                "List-Unsubscribe=One-Click"
            )


def test_the_digest_lists_news_and_open_requests_by_due_date(
    entity: Entity,
    other_entity: Entity,
    staff_reader: User,
    contact: User,
    firm: EmailSettings,
) -> None:
    late = make_request(entity, staff_reader, [contact], subject="Later", due_date=DUE)
    soon = make_request(
        other_entity,
        staff_reader,
        [contact],
        subject="Eerst",
        due_date=date(2029, 1, 1),
    )
    message = emails.digest(contact, [], [soon, late], firm)
    assert message.text.index("Eerst") < message.text.index("Later")
    assert other_entity.name in message.text


def test_the_account_emails_carry_the_firm_footer_but_no_unsubscribe_link(
    new_contact: User, firm: EmailSettings, django_capture_on_commit_callbacks: Any
) -> None:
    firm.footer = "Met vriendelijke groet, Kantoor Jansen"
    firm.save()
    with django_capture_on_commit_callbacks(execute=True):
        emails.invitation(new_contact)
    [sent] = mail.outbox
    assert "Met vriendelijke groet, Kantoor Jansen" in sent.body
    assert "/accounts/activate/" in sent.body
    assert "unsubscribe" not in sent.body.lower()
    assert "List-Unsubscribe" not in sent.extra_headers
