from typing import TYPE_CHECKING

import pytest
from django.core import mail
from django.test import Client

from loket.accounts.models import User
from loket.audit.models import Event
from tests.conftest import ClientFor, last_link, sign_in

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "brand-new-Passw0rd-2026"


def ask_reset(client: Client, email: str) -> "Response":
    return client.post("/accounts/password-reset/", {"email": email})


def set_new_password(
    client: Client, link: str, password: str = NEW_PASSWORD
) -> "Response":
    landing = client.get(link)
    if landing.status_code != 302:
        return landing
    return client.post(
        landing["Location"], {"new_password1": password, "new_password2": password}
    )


def test_a_reset_link_sets_a_new_password(client: Client, contact: User) -> None:
    response = ask_reset(client, contact.email.upper())
    assert response["Location"] == "/accounts/password-reset/sent/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [contact.email]
    response = set_new_password(Client(), last_link("/accounts/password-reset/"))
    assert response.status_code == 302
    assert sign_in(Client(), contact.email, NEW_PASSWORD).status_code == 302
    assert Event.objects.get(verb=Event.Verb.PASSWORD_RESET_REQUESTED).target_id == str(
        contact.uuid
    )
    assert Event.objects.get(verb=Event.Verb.PASSWORD_RESET).actor == contact


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client: Client) -> None:
    response = ask_reset(client, "nobody@nowhere.test")
    assert response["Location"] == "/accounts/password-reset/sent/"
    assert len(mail.outbox) == 0


def test_a_reset_link_works_once(client: Client, contact: User) -> None:
    ask_reset(client, contact.email)
    link = last_link("/accounts/password-reset/")
    set_new_password(Client(), link)
    response = set_new_password(Client(), link, "yet-another-Passw0rd-9")
    assert response.status_code == 200
    assert "This link cannot be used" in response.text
    contact.refresh_from_db()
    assert contact.check_password(NEW_PASSWORD)


def test_a_reset_ends_other_sessions(client_for: ClientFor, contact: User) -> None:
    signed_in = client_for(contact)
    assert signed_in.get("/").status_code == 200
    ask_reset(Client(), contact.email)
    set_new_password(Client(), last_link("/accounts/password-reset/"))
    assert signed_in.get("/").status_code == 302


def test_an_invited_contact_gets_a_fresh_invitation_instead(
    client: Client, new_contact: User
) -> None:
    new_contact.state = User.State.INVITED
    new_contact.save()
    ask_reset(client, new_contact.email)
    assert len(mail.outbox) == 1
    assert "/accounts/activate/" in mail.outbox[0].body


def test_a_deactivated_account_gets_no_mail(client: Client, contact: User) -> None:
    contact.state = User.State.DEACTIVATED
    contact.save()
    ask_reset(client, contact.email)
    assert len(mail.outbox) == 0


def test_a_bad_address_is_explained(client: Client) -> None:
    response = ask_reset(client, "not an address")
    assert response.status_code == 200
    assert "field-error" in response.text


def test_changing_the_password_is_recorded_and_keeps_this_session(
    client_for: ClientFor, contact: User
) -> None:
    other = client_for(contact)
    client = client_for(contact)
    response = client.post(
        "/accounts/profile/",
        {
            "old_password": "correct-horse-battery-staple",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302
    assert Event.objects.get(verb=Event.Verb.PASSWORD_CHANGED).actor == contact


def test_a_wrong_old_password_changes_nothing(
    client_for: ClientFor, contact: User
) -> None:
    response = client_for(contact).post(
        "/accounts/profile/",
        {
            "old_password": "wrong",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 200
    contact.refresh_from_db()
    assert not contact.check_password(NEW_PASSWORD)
    assert not Event.objects.filter(verb=Event.Verb.PASSWORD_CHANGED).exists()
