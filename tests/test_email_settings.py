"""Settings → E-mail, for Settings Administrators; and EMAIL_URL."""

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from config.email_url import parse_email_url
from loket.accounts.models import User
from loket.audit.models import Event
from loket.notifications.models import EmailSettings
from loket.notifications.notify import notifications_enabled
from tests.conftest import ClientFor

URL = "/settings/email/"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
    b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05"
    b"\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


def form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "notifications_enabled": "on",
        "sender_name": "Kantoor Jansen",
        "reply_to": "info@jansen.test",
        "footer": "Kantoor Jansen\nDorpsstraat 1",
        "detailed": "on",
        "remind_days_before": "3",
        "remind_on_due_date": "on",
        "remind_every_days_overdue": "3",
        "remind_max": "5",
        "send_hour": "8",
        "log_retention_days": "90",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.django_db
def test_anonymous_is_sent_to_sign_in(client: Client) -> None:
    response = client.get(URL)
    assert response["Location"].startswith("/accounts/sign-in/?next=")


@pytest.mark.django_db
def test_contacts_and_staff_without_the_capability_are_refused(
    client_for: ClientFor,
    outsider: User,
    contact: User,
    staff_owner: User,
    staff_admin: User,
) -> None:
    for user in (outsider, contact, staff_owner, staff_admin):
        assert client_for(user).get(URL).status_code == 403
        assert client_for(user).post(URL, form()).status_code == 403
    assert EmailSettings.load().sender_name == ""


@pytest.mark.django_db
def test_a_settings_administrator_saves_the_settings_with_a_history_event(
    client_for: ClientFor, settings_admin: User
) -> None:
    client = client_for(settings_admin)
    assert "E-mail" in client.get("/settings/").content.decode()
    assert client.get(URL).status_code == 200
    response = client.post(
        URL,
        form(
            detailed=None,
            send_hour="7",
            logo_file=SimpleUploadedFile("logo.png", PNG, "image/png"),
        ),
    )
    assert response.status_code == 302
    firm = EmailSettings.load()
    assert firm.sender_name == "Kantoor Jansen"
    assert firm.detailed is False
    assert firm.send_hour == 7
    assert bytes(firm.logo) == PNG
    assert firm.logo_type == "image/png"
    event = Event.objects.get(verb=Event.Verb.EMAIL_SETTINGS_CHANGED)
    assert event.actor == settings_admin
    assert event.data["detailed"] == [True, False]
    assert event.data["logo"] == ["", "image/png"]
    page = client.get(URL).content.decode()
    assert "data:image/png;base64," in page


@pytest.mark.django_db
def test_saving_without_a_change_writes_no_event(
    client_for: ClientFor, settings_admin: User
) -> None:
    client = client_for(settings_admin)
    client.post(URL, form())
    client.post(URL, form())
    assert Event.objects.filter(verb=Event.Verb.EMAIL_SETTINGS_CHANGED).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"send_hour": "24"}, "send_hour"),
        ({"log_retention_days": "0"}, "log_retention_days"),
        ({"reply_to": "not an address"}, "reply_to"),
        ({"remind_max": "-1"}, "remind_max"),
        (
            {"logo_file": SimpleUploadedFile("x.png", b"MZ\x90\x00 not an image")},
            "logo_file",
        ),
        (
            {"logo_file": SimpleUploadedFile("big.png", PNG + b"\x00" * 210_000)},
            "logo_file",
        ),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_saved(
    client_for: ClientFor, settings_admin: User, changes: dict[str, Any], field: str
) -> None:
    response = client_for(settings_admin).post(URL, form(**changes))
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert EmailSettings.load().sender_name == ""
    assert not Event.objects.filter(verb=Event.Verb.EMAIL_SETTINGS_CHANGED).exists()


@pytest.mark.django_db
def test_the_logo_can_be_removed(client_for: ClientFor, settings_admin: User) -> None:
    firm = EmailSettings.load()
    firm.logo, firm.logo_type = PNG, "image/png"
    firm.save()
    client_for(settings_admin).post(URL, form(remove_logo="on"))
    assert bytes(EmailSettings.load().logo) == b""


@pytest.mark.django_db
def test_turning_notifications_off_is_what_notifications_enabled_reads(
    client_for: ClientFor, settings_admin: User
) -> None:
    assert notifications_enabled() is True
    client_for(settings_admin).post(URL, form(notifications_enabled=None))
    assert notifications_enabled() is False


@pytest.mark.django_db
def test_the_page_says_how_many_emails_wait(
    client_for: ClientFor, firm_admin: User, contact: User
) -> None:
    from loket.notifications.models import Kind, OutgoingEmail

    OutgoingEmail.objects.create(kind=Kind.REMINDER, to=contact.email, subject="x")
    page = client_for(firm_admin).get(URL).content.decode()
    assert "1 e-mail waiting to be sent." in page


def test_email_url_reads_the_usual_forms() -> None:
    assert parse_email_url("smtp://user%40x.test:p%3Ass@mail.test:587") == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.test",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "user@x.test",
        "EMAIL_HOST_PASSWORD": "p:ss",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
    }
    ssl = parse_email_url("smtps://relay.test?timeout=10")
    assert (ssl["EMAIL_PORT"], ssl["EMAIL_USE_SSL"], ssl["EMAIL_USE_TLS"]) == (
        465,
        True,
        False,
    )
    assert ssl["EMAIL_TIMEOUT"] == 10
    plain = parse_email_url("smtp://localhost:25")
    assert (plain["EMAIL_USE_TLS"], plain["EMAIL_USE_SSL"]) == (False, False)
    assert parse_email_url("smtp+tls://relay.test:2525")["EMAIL_USE_TLS"] is True


@pytest.mark.parametrize("url", ["http://mail.test", "smtp://", "smtp://host:notaport"])
def test_a_bad_email_url_stops_the_start(url: str) -> None:
    with pytest.raises(ImproperlyConfigured):
        parse_email_url(url)
