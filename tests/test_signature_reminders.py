"""Reminders for signature requests, with frozen time: only the signers who
still have to sign are reminded (in ordered mode the one whose turn it is,
counted from when their turn started), the e-mail says "sign <document>" and
links to the sign page, a run stays idempotent and costs the same whatever
the number of requests; and "send a reminder now" likewise."""

from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.management import call_command
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from loket.accounts.models import User
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.files.models import File
from loket.notifications import reminders
from loket.notifications.models import (
    EmailSettings,
    Kind,
    Notification,
    Preference,
    SentReminder,
)
from loket.requests.models import Request
from loket.signatures import actions
from loket.signatures.models import SignatureRequest
from tests.conftest import ClientFor
from tests.notification_support import make_request

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("certificate")]

ZONE = ZoneInfo("Europe/Amsterdam")
DUE = date(2030, 3, 10)
# The firm's default schedule: 3 days before, on the due date, every 3 days
# overdue, at most 5: the 7th, 10th, 13th, 16th, 19th of March.


def at(day: int, hour: int = 8, minute: int = 10) -> datetime:
    return datetime(2030, 3, day, hour, minute, tzinfo=ZONE)


def scheduler(moment: datetime) -> None:
    """One run of the scheduler command at `moment`, its e-mail delivered."""
    with (
        time_machine.travel(moment, tick=False),
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        call_command("send_reminders", stdout=StringIO())


def to(user: User) -> list[mail.EmailMessage]:
    return [message for message in mail.outbox if user.email in message.to]


def run_days(days: range, users: list[User]) -> dict[str, list[int]]:
    """Run the scheduler each morning of `days`: the days each user got a
    reminder."""
    got: dict[str, list[int]] = {user.email: [] for user in users}
    for day in days:
        before = {user.email: len(to(user)) for user in users}
        scheduler(at(day))
        for user in users:
            got[user.email] += [day] * (len(to(user)) - before[user.email])
    return got


@pytest.fixture
def certificate(db: None) -> None:
    # Valid in March 2030, where these tests travel.
    actions.generate_signing_certificate("Kantoor Test BV", days=3650, actor=None)


def ask(
    document: File,
    staff: User,
    signers: list[User],
    *,
    ordered: bool = True,
    subject: str = "Contract",
) -> Request:
    """A signature request sent on the 1st of March 2030, due the 10th (the
    signature-requested e-mails are not sent: only reminders are counted)."""
    with time_machine.travel(at(1, 10), tick=False):
        return actions.request_signature(
            document,
            actor=staff,
            signers=signers,
            ordered=ordered,
            subject=subject,
            due_date=DUE,
        )


def signing_of(request: Request) -> SignatureRequest:
    return SignatureRequest.objects.get(request=request)


def sign_at(moment: datetime, request: Request, user: User) -> None:
    with time_machine.travel(moment, tick=False):
        actions.sign(signing_of(request), actor=user, consent=True, typed_name="X")


# The schedule.


def test_in_ordered_mode_only_the_signer_whose_turn_it_is_is_reminded(
    document: File, staff_owner: User, contact: User, second_contact: User
) -> None:
    request = ask(document, staff_owner, [contact, second_contact])
    got = run_days(range(2, 8), [contact, second_contact])
    assert got == {contact.email: [7], second_contact.email: []}
    # Daan signs on the 8th at noon: Sanne's turn starts then. The trigger of
    # the 7th came before her turn; the due date is her first reminder.
    sign_at(at(8, 12), request, contact)
    got = run_days(range(8, 31), [contact, second_contact])
    assert got == {contact.email: [], second_contact.email: [10, 13, 16, 19, 22]}
    assert SentReminder.objects.filter(user=contact).count() == 1
    assert SentReminder.objects.filter(user=second_contact).count() == 5


def test_a_turn_that_starts_on_a_trigger_day_waits_for_the_next(
    document: File, staff_owner: User, contact: User, second_contact: User
) -> None:
    request = ask(document, staff_owner, [contact, second_contact])
    got = run_days(range(2, 10), [contact, second_contact])
    assert got == {contact.email: [7], second_contact.email: []}
    # Daan signs early on the 10th, before the morning run.
    sign_at(at(10, 6), request, contact)
    got = run_days(range(10, 15), [contact, second_contact])
    assert got == {contact.email: [], second_contact.email: [13]}


def test_in_parallel_mode_whoever_has_not_signed_is_reminded(
    document: File, staff_owner: User, contact: User, second_contact: User
) -> None:
    request = ask(document, staff_owner, [contact, second_contact], ordered=False)
    assert run_days(range(2, 8), [contact, second_contact]) == {
        contact.email: [7],
        second_contact.email: [7],
    }
    sign_at(at(8, 12), request, second_contact)
    assert run_days(range(8, 12), [contact, second_contact]) == {
        contact.email: [10],
        second_contact.email: [],
    }


def test_a_declined_request_reminds_nobody(
    document: File, staff_owner: User, contact: User, second_contact: User
) -> None:
    request = ask(document, staff_owner, [contact, second_contact], ordered=False)
    with time_machine.travel(at(5), tick=False):
        actions.decline_signature(signing_of(request), actor=contact, reason="Nee")
    assert run_days(range(2, 31), [contact, second_contact]) == {
        contact.email: [],
        second_contact.email: [],
    }
    assert not SentReminder.objects.exists()


def test_running_twice_sends_nothing_twice(
    document: File, staff_owner: User, contact: User, second_contact: User
) -> None:
    ask(document, staff_owner, [contact, second_contact])
    scheduler(at(7, 8, 5))
    scheduler(at(7, 8, 40))
    assert len(mail.outbox) == 1
    assert SentReminder.objects.count() == 1


# What the reminder says.


def test_the_reminder_asks_to_sign_the_document_on_the_sign_page(
    document: File, staff_owner: User, contact: User
) -> None:
    request = ask(document, staff_owner, [contact])
    scheduler(at(7))
    [message] = mail.outbox
    assert message.subject == "Reminder: sign contract.pdf"
    body = str(message.body)
    assert "waiting for your signature on this document" in body
    assert "Sign contract.pdf (Contract, Bakkerij de Vries BV)" in body
    assert f"/signatures/{request.uuid}/sign/" in body
    assert "your response" not in body
    assert isinstance(message, EmailMultiAlternatives)
    html = message.alternatives[0][0]
    assert f"/signatures/{request.uuid}/sign/" in str(html)
    note = Notification.objects.get(user=contact, kind=Kind.REMINDER)
    assert note.link == f"/signatures/{request.uuid}/sign/"
    event = Event.objects.get(verb=Event.Verb.REMINDER_SENT)
    assert event.data == {"recipients": [contact.email], "manual": False}


def test_without_detail_the_reminder_names_no_document(
    document: File, staff_owner: User, contact: User
) -> None:
    firm = EmailSettings.load()
    firm.detailed = False
    firm.save()
    request = ask(document, staff_owner, [contact])
    scheduler(at(7))
    [message] = mail.outbox
    assert "contract.pdf" not in message.subject + str(message.body)
    assert "A document to sign" in str(message.body)
    assert f"/signatures/{request.uuid}/sign/" in str(message.body)


def test_one_email_for_a_signature_and_a_file_request(
    document: File, entity: Entity, staff_owner: User, contact: User
) -> None:
    ask(document, staff_owner, [contact])
    with time_machine.travel(at(1, 10), tick=False):
        make_request(entity, staff_owner, [contact], due_date=DUE, subject="Btw")
    scheduler(at(7))
    [message] = mail.outbox
    body = str(message.body)
    assert "Sign contract.pdf" in body
    assert "- Btw (Bakkerij de Vries BV)" in body
    assert "waiting for your response to these 2 requests" in body


def test_the_digest_lists_the_document_only_for_the_signer_whose_turn_it_is(
    document: File, staff_owner: User, contact: User, second_contact: User
) -> None:
    for user in (contact, second_contact):
        Preference.objects.create(user=user, kind=Kind.REMINDER, channel="digest")
    request = ask(document, staff_owner, [contact, second_contact])
    assert reminders.waiting_for(second_contact) == []
    scheduler(at(7))
    [message] = mail.outbox
    assert message.to == [contact.email]
    assert message.subject == "Your daily overview from Loket"
    assert "Sign contract.pdf" in str(message.body)
    assert f"/signatures/{request.uuid}/sign/" in str(message.body)
    sign_at(at(8, 12), request, contact)
    assert reminders.waiting_for(contact) == []
    assert reminders.waiting_for(second_contact) == [request]


# The cost of a run.


def test_a_run_costs_the_same_for_3_or_20_signature_requests(
    document: File, staff_owner: User, contact: User, second_contact: User
) -> None:
    def make(first: int, count: int) -> None:
        for number in range(first, first + count):
            ask(
                document,
                staff_owner,
                [contact, second_contact],
                ordered=number % 2 == 0,
                subject=f"Contract {number}",
            )

    def queries(moment: datetime) -> int:
        with (
            time_machine.travel(moment, tick=False),
            CaptureQueriesContext(connection) as captured,
        ):
            reminders.run(force=True)
        return len(captured)

    EmailSettings.load()  # made on first use: not part of a run's cost
    make(0, 3)
    few = queries(at(7))
    make(3, 17)
    many = queries(at(10))  # all 20 are reminded on the due date
    assert SentReminder.objects.filter(day=date(2030, 3, 10)).count() == 20 + 10
    assert many == few


# Send a reminder now.


def remind_url(request: Request) -> str:
    return f"/notifications/requests/{request.uuid}/remind/"


def test_send_a_reminder_now_goes_to_the_signer_whose_turn_it_is(
    client_for: ClientFor,
    document: File,
    staff_reader: User,
    staff_owner: User,
    contact: User,
    second_contact: User,
) -> None:
    request = ask(document, staff_owner, [contact, second_contact])
    client = client_for(staff_reader)
    assert client.post(remind_url(request)).status_code == 302
    assert [m.to for m in mail.outbox] == [[contact.email]]
    assert f"/signatures/{request.uuid}/sign/" in str(mail.outbox[0].body)
    assert mail.outbox[0].subject == "Reminder: sign contract.pdf"
    actions.sign(signing_of(request), actor=contact, consent=True, typed_name="D")
    assert client.post(remind_url(request)).status_code == 302
    assert [m.to for m in mail.outbox] == [[contact.email], [second_contact.email]]
    rows = SentReminder.objects.filter(manual=True).order_by("pk")
    assert [row.user for row in rows] == [contact, second_contact]
    events = Event.objects.filter(verb=Event.Verb.REMINDER_SENT).order_by("pk")
    assert [e.data["recipients"] for e in events] == [
        [contact.email],
        [second_contact.email],
    ]


def test_send_a_reminder_now_skips_those_who_signed(
    client_for: ClientFor,
    document: File,
    staff_owner: User,
    contact: User,
    second_contact: User,
) -> None:
    request = ask(document, staff_owner, [contact, second_contact], ordered=False)
    actions.sign(
        signing_of(request), actor=second_contact, consent=True, typed_name="S"
    )
    response = client_for(staff_owner).post(remind_url(request), follow=True)
    assert "A reminder is on its way." in response.content.decode()
    assert [m.to for m in mail.outbox] == [[contact.email]]


def test_a_declined_request_cannot_be_reminded_now(
    client_for: ClientFor, document: File, staff_owner: User, contact: User
) -> None:
    request = ask(document, staff_owner, [contact])
    actions.decline_signature(signing_of(request), actor=contact, reason="Nee")
    response = client_for(staff_owner).post(remind_url(request), follow=True)
    assert "Only a request that waits for a response can be reminded." in (
        response.content.decode()
    )
    assert mail.outbox == []
    assert not SentReminder.objects.exists()


def test_send_a_reminder_now_refuses_those_who_may_not(
    client_for: ClientFor,
    document: File,
    staff_owner: User,
    contact: User,
    outsider: User,
    staff_member: User,
) -> None:
    request = ask(document, staff_owner, [contact])
    url = remind_url(request)
    from django.test import Client

    assert Client().post(url)["Location"].startswith("/accounts/sign-in/")
    assert client_for(outsider).post(url).status_code == 404
    assert client_for(staff_member).post(url).status_code == 404
    assert client_for(contact).post(url).status_code == 403
    assert mail.outbox == []
    assert not SentReminder.objects.exists()
