"""The e-mail log: who may read it, searching, trying a failed e-mail again,
and pruning after the retention period."""

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from loket.accounts.models import User
from loket.entities.models import Entity
from loket.notifications.models import EmailSettings, Kind, OutgoingEmail
from loket.notifications.outbox import Message
from tests.conftest import ClientFor
from tests.notification_support import make_request

pytestmark = pytest.mark.django_db

URL = "/settings/email/log/"


def log_row(to: str, subject: str, **fields: Any) -> OutgoingEmail:
    return OutgoingEmail.objects.create(
        kind=fields.pop("kind", Kind.REMINDER),
        to=to,
        subject=subject,
        message=Message(subject=subject, text="Tekst", html="").as_json(),
        **fields,
    )


def test_anonymous_is_sent_to_sign_in(client: Client) -> None:
    assert client.get(URL)["Location"].startswith("/accounts/sign-in/?next=")


def test_contacts_and_staff_without_settings_manage_are_refused(
    client_for: ClientFor, outsider: User, contact: User, staff_owner: User
) -> None:
    for user in (outsider, contact, staff_owner):
        assert client_for(user).get(URL).status_code == 403


def test_the_log_shows_recipient_subject_kind_entity_status_and_error(
    client_for: ClientFor,
    settings_admin: User,
    entity: Entity,
    staff_reader: User,
    contact: User,
) -> None:
    request = make_request(entity, staff_reader, [contact])
    log_row(
        contact.email,
        "Herinnering: jaarrekening",
        request=request,
        entity=entity,
        status=OutgoingEmail.Status.FAILED,
        error="SMTPRecipientsRefused: 550 no such user",
        attempts=1,
    )
    page = client_for(settings_admin).get(URL).content.decode()
    for text in (
        contact.email,
        "Herinnering: jaarrekening",
        "Reminder",
        entity.name,
        "Failed",
        "550 no such user",
        request.subject,
    ):
        assert text in page


def test_the_log_is_searchable_and_filterable(
    client_for: ClientFor, settings_admin: User
) -> None:
    log_row("jan@client.test", "Nieuw verzoek", status=OutgoingEmail.Status.SENT)
    log_row("piet@client.test", "Herinnering", status=OutgoingEmail.Status.FAILED)
    client = client_for(settings_admin)
    found = client.get(URL, {"q": "piet"}).context["page"].object_list
    assert [e.to for e in found] == ["piet@client.test"]
    found = client.get(URL, {"q": "verzoek"}).context["page"].object_list
    assert [e.to for e in found] == ["jan@client.test"]
    found = client.get(URL, {"status": "failed"}).context["page"].object_list
    assert [e.to for e in found] == ["piet@client.test"]
    found = client.get(URL, {"status": "nonsense"}).context["page"].object_list
    assert len(found) == 2  # a bad filter is ignored, never a 500


def test_the_log_is_paginated(client_for: ClientFor, settings_admin: User) -> None:
    OutgoingEmail.objects.bulk_create(
        [
            OutgoingEmail(kind=Kind.REMINDER, to=f"p{i}@client.test", subject="x")
            for i in range(60)
        ]
    )
    client = client_for(settings_admin)
    assert len(client.get(URL).context["page"].object_list) == 50
    assert len(client.get(URL, {"page": "2"}).context["page"].object_list) == 10
    assert client.get(URL, {"page": "abc"}).status_code == 200


def test_an_administrator_tries_a_failed_email_again(
    client_for: ClientFor, settings_admin: User, staff_owner: User
) -> None:
    failed = log_row(
        "jan@client.test", "Opnieuw", status=OutgoingEmail.Status.FAILED, attempts=6
    )
    url = f"/settings/email/log/{failed.uuid}/retry/"
    assert client_for(staff_owner).post(url).status_code == 403
    response = client_for(settings_admin).post(url)
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == OutgoingEmail.Status.SENT
    assert [m.subject for m in mail.outbox] == ["Opnieuw"]
    # A sent e-mail cannot be "tried again".
    client_for(settings_admin).post(url)
    assert len(mail.outbox) == 1


def test_pruning_forgets_finished_emails_after_the_retention_period(
    settings_admin: User,
) -> None:
    firm = EmailSettings.load()
    firm.log_retention_days = 30
    firm.save()
    old = log_row("oud@client.test", "Oud", status=OutgoingEmail.Status.SENT)
    OutgoingEmail.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=31)
    )
    waiting = log_row("wacht@client.test", "Wacht")  # queued: never pruned
    OutgoingEmail.objects.filter(pk=waiting.pk).update(
        created_at=timezone.now() - timedelta(days=400)
    )
    recent = log_row("nieuw@client.test", "Nieuw", status=OutgoingEmail.Status.FAILED)
    out = StringIO()
    call_command("prune_email_log", stdout=out)
    assert set(OutgoingEmail.objects.values_list("pk", flat=True)) == {
        waiting.pk,
        recent.pk,
    }
    assert "removed 1 e-mail log entries" in out.getvalue()


def test_sent_emails_drop_their_content_but_keep_the_log_line(
    contact: User, django_capture_on_commit_callbacks: Any
) -> None:
    from loket.notifications import outbox

    with django_capture_on_commit_callbacks(execute=True):
        email = outbox.send(
            Kind.REMINDER, contact, Message(subject="Hallo", text="Geheim", html="")
        )
    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.SENT
    assert email.message == {}
    assert (email.to, email.subject) == (contact.email, "Hallo")


def test_a_temporary_failure_without_a_deferring_queue_is_retried_by_the_scheduler(
    contact: User, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    from loket.notifications import outbox

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nobody listens
    with django_capture_on_commit_callbacks(execute=True):
        email = outbox.send(
            Kind.REMINDER, contact, Message(subject="Later", text="x", html="")
        )
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutgoingEmail.Status.QUEUED, 1)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("send_reminders", stdout=StringIO())  # not due yet
    assert mail.outbox == []
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        call_command("send_reminders", stdout=StringIO())
    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.SENT
    assert [m.subject for m in mail.outbox] == ["Later"]
