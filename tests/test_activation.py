import datetime as dt
from typing import TYPE_CHECKING

import pytest
import time_machine
from django.core import mail
from django.test import Client

from loket.accounts.models import User
from loket.audit.models import Event
from tests.conftest import ClientFor, last_link

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-fresh-Passw0rd-for-femke"


def invite(client_for: ClientFor, actor: User, contact: User) -> "Response":
    return client_for(actor).post(f"/contacts/{contact.uuid}/activate/")


def choose_password(
    client: Client, link: str, password: str = NEW_PASSWORD
) -> "Response":
    landing = client.get(link)
    assert landing.status_code == 302
    form_url = landing["Location"]
    return client.post(form_url, {"new_password1": password, "new_password2": password})


def test_staff_administrator_activates_a_contact(
    client_for: ClientFor, staff_admin: User, new_contact: User
) -> None:
    response = invite(client_for, staff_admin, new_contact)
    assert response.status_code == 302
    new_contact.refresh_from_db()
    assert new_contact.state == User.State.INVITED
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [new_contact.email]
    # The contact prefers Dutch, so the invitation is in Dutch.
    assert "Activate your account" not in message.subject
    assert "/accounts/activate/" in message.body
    event = Event.objects.get(verb=Event.Verb.INVITATION_SENT)
    assert event.actor == staff_admin
    assert event.target_id == str(new_contact.uuid)


def test_the_link_sets_a_password_and_lands_in_the_portal(
    client_for: ClientFor, staff_admin: User, new_contact: User
) -> None:
    invite(client_for, staff_admin, new_contact)
    client = Client()
    link = last_link("/accounts/activate/")
    landing = client.get(link)
    # The token leaves the address bar at once.
    assert link.rstrip("/").split("/")[-1] not in landing["Location"]
    form = client.get(landing["Location"])
    assert form.status_code == 200
    response = client.post(
        landing["Location"],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    home = client.get("/")
    assert home.wsgi_request.user == new_contact
    new_contact.refresh_from_db()
    assert new_contact.state == User.State.ACTIVE
    assert new_contact.check_password(NEW_PASSWORD)
    activated = Event.objects.get(verb=Event.Verb.ACTIVATED)
    assert activated.actor == new_contact
    assert Event.objects.filter(verb=Event.Verb.SIGNED_IN, actor=new_contact).exists()


def test_a_weak_password_is_refused_with_a_reason(
    client_for: ClientFor, staff_admin: User, new_contact: User
) -> None:
    invite(client_for, staff_admin, new_contact)
    response = choose_password(Client(), last_link("/accounts/activate/"), "12345678")
    assert response.status_code == 200
    assert "field-error" in response.text
    new_contact.refresh_from_db()
    assert new_contact.state == User.State.INVITED


def test_a_used_link_is_refused_and_explains_itself(
    client_for: ClientFor, staff_admin: User, new_contact: User
) -> None:
    invite(client_for, staff_admin, new_contact)
    link = last_link("/accounts/activate/")
    choose_password(Client(), link)
    response = choose_password(Client(), link, "another-Passw0rd-entirely")
    assert response.status_code == 400
    assert "already been used" in response.text or "al gebruikt" in response.text
    new_contact.refresh_from_db()
    assert new_contact.check_password(NEW_PASSWORD)


def test_an_expired_link_is_refused_and_offers_a_new_one(
    client_for: ClientFor, staff_admin: User, new_contact: User
) -> None:
    with time_machine.travel(dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)):
        invite(client_for, staff_admin, new_contact)
    link = last_link("/accounts/activate/")
    client = Client()
    with time_machine.travel(dt.datetime(2026, 11, 8, 9, 1, tzinfo=dt.UTC)):
        response = choose_password(client, link)
        assert response.status_code == 410
        assert f"/accounts/activate/{new_contact.uuid}/new-link/" in response.text
        client.post(f"/accounts/activate/{new_contact.uuid}/new-link/")
        assert len(mail.outbox) == 2
        assert mail.outbox[1].to == [new_contact.email]
        fresh = last_link("/accounts/activate/")
        assert fresh != link
        assert choose_password(Client(), fresh).status_code == 302


def test_only_a_genuine_expired_link_can_ask_for_a_new_one(
    client_for: ClientFor, staff_admin: User, new_contact: User
) -> None:
    invite(client_for, staff_admin, new_contact)
    response = Client().post(f"/accounts/activate/{new_contact.uuid}/new-link/")
    assert response.status_code == 200
    assert len(mail.outbox) == 1


def test_a_resent_invitation_replaces_the_old_link(
    client_for: ClientFor, staff_admin: User, new_contact: User
) -> None:
    with time_machine.travel(dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)) as clock:
        invite(client_for, staff_admin, new_contact)
        old = last_link("/accounts/activate/")
        clock.shift(dt.timedelta(hours=1))
        invite(client_for, staff_admin, new_contact)
        new = last_link("/accounts/activate/")
        assert choose_password(Client(), old).status_code == 400
        assert choose_password(Client(), new).status_code == 302
    assert Event.objects.get(verb=Event.Verb.INVITATION_SENT, data__resend=True)


def test_a_deactivated_user_cannot_use_the_link(
    client_for: ClientFor, staff_admin: User, new_contact: User
) -> None:
    invite(client_for, staff_admin, new_contact)
    link = last_link("/accounts/activate/")
    client_for(staff_admin).post(f"/contacts/{new_contact.uuid}/deactivate/")
    response = choose_password(Client(), link)
    assert response.status_code == 400
    new_contact.refresh_from_db()
    assert new_contact.state == User.State.DEACTIVATED
    assert not new_contact.has_usable_password()


def test_a_forged_token_is_refused(new_contact: User) -> None:
    client = Client()
    client.get(f"/accounts/activate/{new_contact.uuid}/abc-0123456789abcdef/")
    response = client.get(f"/accounts/activate/{new_contact.uuid}/")
    assert response.status_code == 400


def test_anonymous_cannot_activate_contacts(client: Client, new_contact: User) -> None:
    response = client.post(f"/contacts/{new_contact.uuid}/activate/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/sign-in/")
    assert len(mail.outbox) == 0


def test_a_contact_cannot_see_other_contacts(
    client_for: ClientFor, contact: User, new_contact: User
) -> None:
    response = client_for(contact).post(f"/contacts/{new_contact.uuid}/activate/")
    assert response.status_code == 404
    assert len(mail.outbox) == 0


def test_staff_without_a_role_cannot_activate(
    client_for: ClientFor, staff_member: User, new_contact: User
) -> None:
    response = client_for(staff_member).post(f"/contacts/{new_contact.uuid}/activate/")
    assert response.status_code == 403
    new_contact.refresh_from_db()
    assert new_contact.state == User.State.NOT_ACTIVATED
    assert len(mail.outbox) == 0


def test_an_active_account_cannot_be_invited_again(
    client_for: ClientFor, staff_admin: User, contact: User
) -> None:
    response = client_for(staff_admin).post(
        f"/contacts/{contact.uuid}/activate/", follow=True
    )
    assert "Only an account that is not yet active can be invited." in response.text
    assert len(mail.outbox) == 0
    assert not Event.objects.filter(verb=Event.Verb.INVITATION_SENT).exists()
