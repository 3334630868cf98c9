"""The daily digest: one e-mail per person, never one per item."""

from datetime import date, datetime
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import TestCase

from loket.accounts.models import User
from loket.entities.models import Entity
from loket.notifications import notify
from loket.notifications.models import Kind, Notification, Preference, SentDigest
from tests.conftest import grant
from tests.notification_support import make_comment, make_request

pytestmark = pytest.mark.django_db

ZONE = ZoneInfo("Europe/Amsterdam")


def at(day: int, hour: int = 8, minute: int = 10) -> datetime:
    return datetime(2030, 3, day, hour, minute, tzinfo=ZONE)


def scheduler(moment: datetime) -> None:
    with (
        time_machine.travel(moment, tick=False),
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        call_command("send_reminders", stdout=StringIO())


def happens(moment: datetime, function: Any, *args: Any) -> None:
    with (
        time_machine.travel(moment, tick=False),
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        function(*args)


def test_a_contact_gets_one_digest_listing_everything_across_entities(
    entity: Entity, other_entity: Entity, staff_reader: User, contact: User
) -> None:
    grant(contact, "contact-entity-staff", other_entity)
    Preference.objects.create(user=contact, kind=Kind.COMMENT, channel="digest")
    with time_machine.travel(at(1, 10), tick=False):
        later = make_request(
            entity,
            staff_reader,
            [contact],
            subject="Jaarrekening",
            due_date=date(2030, 6, 1),
        )
        make_request(
            other_entity,
            staff_reader,
            [contact],
            subject="Btw-aangifte",
            due_date=date(2030, 4, 1),
        )
    for number in range(10):
        happens(
            at(1, 14, number),
            notify.notify_comment_added,
            make_comment(later, staff_reader, f"Opmerking {number}"),
        )
    assert mail.outbox == []  # ten comments, no e-mail yet

    scheduler(at(2, 7, 55))  # before the sending hour
    assert mail.outbox == []
    scheduler(at(2))
    scheduler(at(2, 8, 40))  # twice: one digest
    [digest] = mail.outbox
    assert digest.to == [contact.email]
    assert digest.subject == "Your daily overview from Loket"
    body = digest.body
    assert body.count("commented on Jaarrekening") == 10
    # Waiting items, by due date, across both entities.
    waiting = body[body.index("Waiting for you") :]
    assert waiting.index("Btw-aangifte") < waiting.index("Jaarrekening")
    assert other_entity.name in waiting
    assert SentDigest.objects.filter(user=contact).count() == 1
    assert not Notification.objects.filter(digest_pending=True).exists()

    # Nothing new the next day: no digest.
    scheduler(at(3))
    assert len(mail.outbox) == 1


def test_staff_who_chose_it_get_a_daily_digest_of_responses(
    entity: Entity, staff_reader: User, contact: User, viewer_contact: User
) -> None:
    Preference.objects.create(
        user=staff_reader, kind=Kind.RESPONSE_RECEIVED, channel="digest"
    )
    for person, subject in ((contact, "Jaarrekening"), (viewer_contact, "Loonstroken")):
        with time_machine.travel(at(1, 9), tick=False):
            request = make_request(entity, staff_reader, [person], subject=subject)
        happens(at(1, 15), notify.notify_response_received, request, person)
    assert mail.outbox == []
    scheduler(at(2))
    [digest] = mail.outbox
    assert digest.to == [staff_reader.email]
    assert "responded to Jaarrekening" in digest.body
    assert "responded to Loonstroken" in digest.body
    assert "Waiting for you" not in digest.body  # staff have nothing to answer


def test_digest_off_sends_none(
    entity: Entity, staff_reader: User, contact: User
) -> None:
    Preference.objects.create(user=contact, kind=Kind.COMMENT, channel="digest")
    Preference.objects.create(user=contact, kind=Kind.DIGEST, channel="off")
    with time_machine.travel(at(1, 10), tick=False):
        request = make_request(entity, staff_reader, [contact])
    happens(at(1, 11), notify.notify_comment_added, make_comment(request, staff_reader))
    scheduler(at(2))
    assert mail.outbox == []
    # Still under the bell.
    assert Notification.objects.filter(user=contact, kind=Kind.COMMENT).exists()


def test_the_digest_email_has_a_working_unsubscribe_link(
    entity: Entity, staff_reader: User, contact: User
) -> None:
    from django.test import Client

    Preference.objects.create(user=contact, kind=Kind.COMMENT, channel="digest")
    with time_machine.travel(at(1, 10), tick=False):
        request = make_request(entity, staff_reader, [contact])
    happens(at(1, 11), notify.notify_comment_added, make_comment(request, staff_reader))
    scheduler(at(2))
    [digest] = mail.outbox
    link = digest.extra_headers["List-Unsubscribe"].strip("<>")
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    assert Client().post(path).status_code == 200
    assert Preference.objects.get(user=contact, kind=Kind.DIGEST).channel == "off"
