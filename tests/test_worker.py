"""The durable queue, end to end: the database backend (django-tasks-db), its
real worker, and a real SMTP server (aiosmtpd) that can go down and come back.

These tests commit for real (transaction=True): the worker reads what the
web request committed, as it would in another process."""

import signal
from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from loket.accounts.models import User
from loket.audit import triggers
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.notifications import outbox
from loket.notifications.models import Kind, OutgoingEmail
from loket.notifications.notify import notify_request_sent
from loket.notifications.outbox import Message
from tests.conftest import ClientFor
from tests.notification_support import SmtpServer, make_request, text_part

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def database_queue(settings: Any) -> Iterator[None]:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    yield
    # Let the database be emptied after this transactional test.
    triggers.drop(connection)


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpServer]:
    server = SmtpServer()
    for name, value in server.settings().items():
        setattr(settings, name, value)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def run_worker() -> None:
    """django-tasks-db's own worker, in its run-until-empty mode."""
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()


def test_a_new_request_reaches_a_real_smtp_server_through_the_worker(
    smtp: SmtpServer, entity: Entity, staff_reader: User, contact: User
) -> None:
    with transaction.atomic():
        request = make_request(
            entity, staff_reader, [contact], additional_message="Graag vóór 1 mei."
        )
        notify_request_sent(request)
    # Committed, not yet sent: the web request only wrote rows.
    assert DBTaskResult.objects.count() == 1
    assert smtp.inbox.messages == []

    run_worker()

    [message] = smtp.inbox.to(contact.email)
    assert "Graag vóór 1 mei." in text_part(message)
    email = OutgoingEmail.objects.get()
    assert (email.status, email.attempts, email.message) == ("sent", 1, {})
    assert email.request == request
    event = Event.objects.get(verb=Event.Verb.NOTIFICATION_SENT)
    assert event.entity == entity
    assert event.data["to"] == contact.email


def test_the_invitation_waits_in_the_queue_and_the_page_does_not(
    smtp: SmtpServer, client_for: ClientFor, staff_admin: User, new_contact: User
) -> None:
    smtp.stop()  # the mail server is down: the page does not care
    response = client_for(staff_admin).post(f"/contacts/{new_contact.uuid}/activate/")
    assert response.status_code == 302
    assert DBTaskResult.objects.ready().count() == 1  # the invitation, queued

    run_worker()  # renders it and tries: the server is down
    email = OutgoingEmail.objects.get(kind=Kind.INVITATION)
    assert (email.status, email.attempts) == (OutgoingEmail.Status.QUEUED, 1)

    smtp.start()
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=True):
        run_worker()

    [message] = smtp.inbox.to(new_contact.email)
    assert "/accounts/activate/" in text_part(message)
    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.SENT


def test_the_server_down_then_up_delivers_once_and_loses_nothing(
    smtp: SmtpServer,
    entity: Entity,
    staff_reader: User,
    contact: User,
    viewer_contact: User,
) -> None:
    smtp.stop()
    with transaction.atomic():
        notify_request_sent(
            make_request(entity, staff_reader, [contact, viewer_contact])
        )
    run_worker()

    emails = list(OutgoingEmail.objects.order_by("to"))
    assert [e.status for e in emails] == ["queued", "queued"]
    assert all(e.attempts == 1 and "Connection refused" in e.error for e in emails)
    # The retry waits in the queue for its time.
    deferred = DBTaskResult.objects.ready().count()
    assert deferred == 0
    assert DBTaskResult.objects.filter(status="READY").count() >= 1

    smtp.start()
    run_worker()  # not due yet: nothing happens
    assert smtp.inbox.messages == []

    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=True):
        run_worker()
        call_command(
            "send_reminders", stdout=StringIO()
        )  # the scheduler finds nothing lost
        run_worker()

    assert sorted(m["To"] for m in smtp.inbox.messages) == sorted(
        [contact.email, viewer_contact.email]
    )
    assert set(OutgoingEmail.objects.values_list("status", "attempts")) == {("sent", 2)}


def test_a_permanent_refusal_ends_in_the_log_as_failed(
    smtp: SmtpServer,
    entity: Entity,
    staff_reader: User,
    contact: User,
    viewer_contact: User,
) -> None:
    smtp.inbox.refuse = {contact.email}
    with transaction.atomic():
        notify_request_sent(
            make_request(entity, staff_reader, [contact, viewer_contact])
        )
    run_worker()

    refused = OutgoingEmail.objects.get(to=contact.email)
    assert refused.status == OutgoingEmail.Status.FAILED
    assert "550" in refused.error
    assert refused.attempts == 1
    # The other recipient of the same batch still got theirs.
    assert OutgoingEmail.objects.get(to=viewer_contact.email).status == "sent"
    assert [m["To"] for m in smtp.inbox.messages] == [viewer_contact.email]
    failed = Event.objects.get(verb=Event.Verb.NOTIFICATION_FAILED)
    assert failed.entity == entity
    assert failed.data["to"] == contact.email


def test_after_the_last_try_the_email_is_marked_failed(
    smtp: SmtpServer, entity: Entity, staff_reader: User, contact: User
) -> None:
    smtp.stop()
    with transaction.atomic():
        notify_request_sent(make_request(entity, staff_reader, [contact]))
    moment = timezone.now()
    for delay in (timedelta(0), *outbox.RETRY_DELAYS):
        moment += delay + timedelta(seconds=5)
        with time_machine.travel(moment, tick=False):
            run_worker()
    email = OutgoingEmail.objects.get()
    assert email.status == OutgoingEmail.Status.FAILED
    assert email.attempts == outbox.MAX_ATTEMPTS
    assert email.message  # kept, so an administrator can try again


def test_a_rolled_back_change_sends_nothing(
    smtp: SmtpServer, entity: Entity, staff_reader: User, contact: User
) -> None:
    def failing_action() -> None:
        with transaction.atomic():
            notify_request_sent(make_request(entity, staff_reader, [contact]))
            raise RuntimeError("the action failed after asking for the e-mail")

    with pytest.raises(RuntimeError):
        failing_action()
    run_worker()
    assert OutgoingEmail.objects.count() == 0
    assert DBTaskResult.objects.count() == 0
    assert smtp.inbox.messages == []


def test_a_claimed_email_is_not_sent_by_a_second_worker(
    smtp: SmtpServer, contact: User
) -> None:
    with transaction.atomic():
        email = outbox.send(
            Kind.REMINDER, contact, Message(subject="Hallo", text="Tekst", html="")
        )
    claimed = outbox._claim([email.pk])
    assert [row.pk for row in claimed] == [email.pk]
    # Another worker holding the same task id finds nothing to send.
    assert outbox.send_queued([email.pk]) == 0
    assert smtp.inbox.messages == []


def test_the_scheduler_enqueues_what_the_queue_lost(
    smtp: SmtpServer, contact: User
) -> None:
    lost = OutgoingEmail.objects.create(
        kind=Kind.REMINDER,
        user=contact,
        to=contact.email,
        subject="Verloren",
        message=Message(subject="Verloren", text="Tekst", html="").as_json(),
    )
    # A worker died while sending this one.
    stuck = OutgoingEmail.objects.create(
        kind=Kind.REMINDER,
        user=contact,
        to="other@client.test",
        subject="Vastgelopen",
        status=OutgoingEmail.Status.SENDING,
        claimed_at=timezone.now(),
        message=Message(subject="Vastgelopen", text="Tekst", html="").as_json(),
    )
    run_worker()
    assert smtp.inbox.messages == []  # nothing was ever enqueued

    with time_machine.travel(timezone.now() + timedelta(minutes=20), tick=True):
        call_command("send_reminders", stdout=StringIO())
        run_worker()
        call_command("send_reminders", stdout=StringIO())  # twice: nothing twice
        run_worker()

    assert sorted(m["Subject"] for m in smtp.inbox.messages) == [
        "Vastgelopen",
        "Verloren",
    ]
    lost.refresh_from_db()
    stuck.refresh_from_db()
    assert lost.status == stuck.status == OutgoingEmail.Status.SENT


def test_the_demo_worker_command_runs_and_exits_in_batch_mode(
    smtp: SmtpServer, contact: User
) -> None:
    with transaction.atomic():
        outbox.send(Kind.REMINDER, contact, Message(subject="Via", text="x", html=""))
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        call_command(
            "db_worker",
            batch=True,
            interval=0,
            startup_delay=False,
            reload=False,
            verbosity=0,
        )
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    assert [m["Subject"] for m in smtp.inbox.messages] == ["Via"]
