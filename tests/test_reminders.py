"""Reminders with frozen time: the schedule fires at the right moments, stops on
a response, respects the sending hour and preferences; the scheduler run twice
sends nothing twice. And the staff's "send a reminder now" and schedule page."""

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
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.notifications import reminders
from loket.notifications.models import (
    EmailSettings,
    Kind,
    Notification,
    Preference,
    ReminderSchedule,
    SentReminder,
)
from loket.requests.models import Recipient, Request
from tests.conftest import ClientFor
from tests.notification_support import make_request

pytestmark = pytest.mark.django_db

ZONE = ZoneInfo("Europe/Amsterdam")
DUE = date(2030, 3, 10)


def at(day: int, hour: int = 8, minute: int = 10, month: int = 3) -> datetime:
    return datetime(2030, month, day, hour, minute, tzinfo=ZONE)


def scheduler(moment: datetime) -> None:
    """One run of the scheduler command at `moment`, its e-mail delivered."""
    with (
        time_machine.travel(moment, tick=False),
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        call_command("send_reminders", stdout=StringIO())


def sent_request(
    entity: Entity,
    staff: User,
    people: list[User],
    *,
    due: date | None = DUE,
    subject: str = "Jaarrekening 2025",
) -> Request:
    with time_machine.travel(at(1, 10), tick=False):
        return make_request(entity, staff, people, due_date=due, subject=subject)


def run_month(days: range, user: User) -> list[int]:
    """Run the scheduler each morning of `days`; the days `user` got a reminder."""
    got = []
    for day in days:
        before = len([m for m in mail.outbox if user.email in m.to])
        scheduler(at(day))
        after = len([m for m in mail.outbox if user.email in m.to])
        got += [day] * (after - before)
    return got


def test_the_schedule_fires_before_on_and_after_the_due_date_at_most_five_times(
    entity: Entity, staff_reader: User, contact: User
) -> None:
    sent_request(entity, staff_reader, [contact])
    assert run_month(range(2, 31), contact) == [7, 10, 13, 16, 19]
    assert SentReminder.objects.filter(user=contact).count() == 5
    subjects = {m.subject for m in mail.outbox}
    assert subjects == {"Reminder: Jaarrekening 2025"}


def test_running_the_scheduler_twice_sends_nothing_twice(
    entity: Entity, staff_reader: User, contact: User
) -> None:
    sent_request(entity, staff_reader, [contact])
    scheduler(at(7, 8, 5))
    scheduler(at(7, 8, 10))
    scheduler(at(7, 8, 55))
    assert len(mail.outbox) == 1


def test_reminders_wait_for_the_firms_sending_hour(
    entity: Entity, staff_reader: User, contact: User
) -> None:
    firm = EmailSettings.load()
    firm.send_hour = 9
    firm.save()
    sent_request(entity, staff_reader, [contact])
    scheduler(at(7, 3))
    scheduler(at(7, 8, 59))
    assert mail.outbox == []
    scheduler(at(7, 9, 0))
    assert len(mail.outbox) == 1


def test_a_missed_morning_is_caught_up_once(
    entity: Entity, staff_reader: User, contact: User
) -> None:
    sent_request(entity, staff_reader, [contact])
    # The scheduler did not run on the 7th: the 8th catches up, the 9th does not.
    assert run_month(range(8, 11), contact) == [8, 10]


def test_reminders_stop_once_the_request_is_answered_closed_or_declined(
    entity: Entity, staff_reader: User, contact: User, viewer_contact: User
) -> None:
    responded = sent_request(entity, staff_reader, [contact], subject="Beantwoord")
    responded.status = Request.Status.RESPONDED
    responded.save()
    for status in (Request.Status.COMPLETED, Request.Status.CANCELLED):
        closed = sent_request(entity, staff_reader, [contact], subject=status)
        closed.status = status
        closed.save()
    declined = sent_request(entity, staff_reader, [viewer_contact], subject="Nvt")
    Recipient.objects.filter(request=declined).update(not_applicable=True)
    draft = sent_request(entity, staff_reader, [contact], subject="Concept")
    Request.objects.filter(pk=draft.pk).update(
        status=Request.Status.NOT_SENT, sent_at=None
    )
    scheduler(at(10))
    assert mail.outbox == []


def test_a_returned_request_is_still_reminded(
    entity: Entity, staff_reader: User, contact: User
) -> None:
    request = sent_request(entity, staff_reader, [contact])
    request.status = Request.Status.RETURNED
    request.save()
    scheduler(at(10))
    assert len(mail.outbox) == 1


def test_no_due_date_no_automatic_reminder(
    entity: Entity, staff_reader: User, contact: User
) -> None:
    sent_request(entity, staff_reader, [contact], due=None)
    assert run_month(range(2, 31), contact) == []


def test_a_request_sent_on_a_trigger_day_is_not_reminded_that_day(
    entity: Entity, staff_reader: User, contact: User
) -> None:
    with time_machine.travel(at(7, 7), tick=False):
        make_request(entity, staff_reader, [contact], due_date=DUE)
    scheduler(at(7))
    assert mail.outbox == []
    scheduler(at(10))
    assert len(mail.outbox) == 1


def test_a_request_can_have_its_own_schedule(
    entity: Entity, staff_reader: User, contact: User, viewer_contact: User
) -> None:
    own = sent_request(entity, staff_reader, [contact])
    ReminderSchedule.objects.create(
        request=own, days_before=1, on_due_date=False, every_days_overdue=0
    )
    silent = sent_request(entity, staff_reader, [viewer_contact])
    ReminderSchedule.objects.create(request=silent, enabled=False)
    assert run_month(range(2, 31), contact) == [9]
    assert [m for m in mail.outbox if viewer_contact.email in m.to] == []


def test_a_contact_reminded_of_several_requests_gets_one_email(
    entity: Entity, other_entity: Entity, staff_reader: User, contact: User
) -> None:
    from tests.conftest import grant

    grant(contact, "contact-entity-staff", other_entity)
    sent_request(entity, staff_reader, [contact], subject="Jaarrekening")
    sent_request(other_entity, staff_reader, [contact], subject="Btw-aangifte")
    scheduler(at(10))
    [message] = mail.outbox
    assert "Jaarrekening" in message.body
    assert "Btw-aangifte" in message.body
    assert message.subject == "Reminder: 2 requests from Loket are waiting for you"
    assert Notification.objects.filter(user=contact, kind=Kind.REMINDER).count() == 2
    events = Event.objects.filter(verb=Event.Verb.REMINDER_SENT)
    assert {e.entity for e in events} == {entity, other_entity}


def test_reminders_off_means_none(
    entity: Entity, staff_reader: User, contact: User
) -> None:
    Preference.objects.create(user=contact, kind=Kind.REMINDER, channel="off")
    sent_request(entity, staff_reader, [contact])
    assert run_month(range(2, 31), contact) == []


def test_reminders_in_the_digest_come_as_one_daily_overview(
    entity: Entity, staff_reader: User, contact: User
) -> None:
    Preference.objects.create(user=contact, kind=Kind.REMINDER, channel="digest")
    sent_request(entity, staff_reader, [contact])
    scheduler(at(7))
    scheduler(at(7, 8, 30))
    [message] = mail.outbox
    assert message.subject == "Your daily overview from Loket"
    assert "Jaarrekening 2025" in message.body


def test_notifications_off_sends_no_reminders(
    entity: Entity, staff_reader: User, contact: User
) -> None:
    firm = EmailSettings.load()
    firm.notifications_enabled = False
    firm.save()
    sent_request(entity, staff_reader, [contact])
    assert run_month(range(2, 31), contact) == []


def test_the_schedule_arithmetic() -> None:
    schedule = {"days_before": 3, "on_due_date": True, "every_days_overdue": 3}
    assert reminders.latest_trigger(DUE, date(2030, 3, 6), schedule) is None
    assert reminders.latest_trigger(DUE, date(2030, 3, 9), schedule) == date(2030, 3, 7)
    assert reminders.latest_trigger(DUE, date(2030, 3, 12), schedule) == DUE
    assert reminders.latest_trigger(DUE, date(2030, 3, 15), schedule) == date(
        2030, 3, 13
    )
    assert reminders.next_trigger(DUE, date(2030, 3, 1), schedule) == date(2030, 3, 7)
    assert reminders.next_trigger(DUE, date(2030, 3, 10), schedule) == date(2030, 3, 13)


# Staff: send a reminder now, and the schedule page


def remind_url(request: Request) -> str:
    return f"/notifications/requests/{request.uuid}/remind/"


def page_url(request: Request) -> str:
    return f"/notifications/requests/{request.uuid}/reminders/"


def test_the_reminder_pages_refuse_those_who_may_not(
    client: Any,
    client_for: ClientFor,
    entity: Entity,
    staff_reader: User,
    contact: User,
    outsider: User,
    staff_member: User,
) -> None:
    request = sent_request(entity, staff_reader, [contact])
    for url in (page_url(request), remind_url(request)):
        assert client.post(url)["Location"].startswith("/accounts/sign-in/")
        assert client_for(outsider).post(url).status_code == 404
        assert client_for(staff_member).post(url).status_code == 404
        # The contact sees the request, but may not remind or reschedule it.
        assert client_for(contact).post(url).status_code == 403
    assert mail.outbox == []
    assert not SentReminder.objects.exists()


def test_staff_send_a_reminder_now(
    client_for: ClientFor,
    entity: Entity,
    staff_reader: User,
    contact: User,
    viewer_contact: User,
) -> None:
    request = sent_request(entity, staff_reader, [contact, viewer_contact])
    Preference.objects.create(user=contact, kind=Kind.REMINDER, channel="off")
    client = client_for(staff_reader)
    assert client.get(remind_url(request)).status_code == 405
    response = client.post(remind_url(request))
    assert response.status_code == 302
    # Asked for by hand: it goes to everyone who has not answered.
    assert sorted(a for m in mail.outbox for a in m.to) == sorted(
        [contact.email, viewer_contact.email]
    )
    assert SentReminder.objects.filter(manual=True).count() == 2
    event = Event.objects.get(verb=Event.Verb.REMINDER_SENT)
    assert event.actor == staff_reader
    assert event.entity == entity
    assert event.data["manual"] is True


def test_a_closed_request_cannot_be_reminded(
    client_for: ClientFor, entity: Entity, staff_reader: User, contact: User
) -> None:
    request = sent_request(entity, staff_reader, [contact])
    request.status = Request.Status.COMPLETED
    request.save()
    response = client_for(staff_reader).post(remind_url(request), follow=True)
    assert "Only a request that waits for a response can be reminded." in (
        response.content.decode()
    )
    assert mail.outbox == []
    assert not SentReminder.objects.exists()


def test_staff_change_a_requests_schedule(
    client_for: ClientFor, entity: Entity, staff_reader: User, contact: User
) -> None:
    request = sent_request(entity, staff_reader, [contact])
    client = client_for(staff_reader)
    page = client.get(page_url(request))
    assert page.status_code == 200
    assert "3 days before the due date" in page.content.decode()
    response = client.post(
        page_url(request),
        {
            "enabled": "on",
            "days_before": "5",
            "on_due_date": "false",
            "every_days_overdue": "",
            "max_count": "2",
        },
    )
    assert response.status_code == 302
    schedule = ReminderSchedule.objects.get(request=request)
    assert (
        schedule.days_before,
        schedule.on_due_date,
        schedule.every_days_overdue,
        schedule.max_count,
    ) == (5, False, None, 2)
    event = Event.objects.get(verb=Event.Verb.REMINDERS_CHANGED)
    assert event.data["days_before"] == [None, 5]
    bad = client.post(page_url(request), {"days_before": "-4"})
    assert bad.status_code == 200
    assert ReminderSchedule.objects.get(request=request).days_before == 5
    assert run_month(range(2, 31), contact) == [5, 13]
