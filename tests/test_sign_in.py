import pytest
from django.test import Client

from loket.accounts.models import User
from loket.audit.models import Event
from loket.entities.models import Entity
from tests.conftest import PASSWORD, ClientFor, make_user, sign_in

pytestmark = pytest.mark.django_db


def test_sign_in_page_is_public(client: Client) -> None:
    response = client.get("/accounts/sign-in/")
    assert response.status_code == 200
    assert b'name="username"' in response.content


def test_good_credentials_sign_in_and_are_recorded(
    client: Client, contact: User
) -> None:
    response = sign_in(client, contact.email)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").wsgi_request.user == contact
    event = Event.objects.get(verb=Event.Verb.SIGNED_IN)
    assert event.actor == contact
    assert event.target_id == str(contact.uuid)
    assert event.ip_address == "127.0.0.1"


def test_email_is_case_insensitive(client: Client, contact: User) -> None:
    response = sign_in(client, "  DAAN@Client.TEST ".strip())
    assert response.status_code == 302


def test_sign_in_rotates_the_session_key(client: Client, contact: User) -> None:
    client.get("/accounts/sign-in/")
    client.session.save()
    before = client.session.session_key
    sign_in(client, contact.email)
    assert client.session.session_key != before


def test_bad_password_is_refused_in_words_and_recorded(
    client: Client, contact: User
) -> None:
    response = sign_in(client, contact.email, "wrong password")
    assert response.status_code == 200
    assert "The e-mail address or password is not correct" in response.text
    event = Event.objects.get(verb=Event.Verb.SIGN_IN_FAILED)
    assert event.actor is None
    assert event.target_id == str(contact.uuid)
    assert event.data == {"email": contact.email}
    assert "wrong password" not in str(event.data)


def test_unknown_email_gets_the_same_message(client: Client, contact: User) -> None:
    known = sign_in(client, contact.email, "wrong password").text
    unknown = sign_in(client, "nobody@nowhere.test", "wrong password").text
    message = "The e-mail address or password is not correct"
    assert message in known
    assert message in unknown
    assert Event.objects.filter(verb=Event.Verb.SIGN_IN_FAILED).count() == 2


@pytest.mark.parametrize(
    "state", [User.State.DEACTIVATED, User.State.INVITED, User.State.NOT_ACTIVATED]
)
def test_only_active_accounts_sign_in(client: Client, state: str) -> None:
    user = make_user("grace@client.test")
    user.state = state
    user.save()
    response = sign_in(client, user.email)
    assert response.status_code == 200
    assert "The e-mail address or password is not correct" in response.text
    assert not Event.objects.filter(verb=Event.Verb.SIGNED_IN).exists()


def test_next_is_followed_only_on_this_site(client: Client, contact: User) -> None:
    response = client.post(
        "/accounts/sign-in/?next=/accounts/profile/",
        {"username": contact.email, "password": PASSWORD},
    )
    assert response["Location"] == "/accounts/profile/"
    client.post("/accounts/sign-out/")
    response = client.post(
        "/accounts/sign-in/?next=https://evil.test/",
        {"username": contact.email, "password": PASSWORD},
    )
    assert response["Location"] == "/"


def test_anonymous_home_redirects_to_sign_in(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/sign-in/?next=/"


def test_sign_out_ends_the_session_and_is_recorded(
    client_for: ClientFor, contact: User
) -> None:
    client = client_for(contact)
    response = client.post("/accounts/sign-out/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/sign-in/"
    assert client.get("/").status_code == 302
    event = Event.objects.get(verb=Event.Verb.SIGNED_OUT)
    assert event.actor == contact


def test_sign_out_needs_post(client_for: ClientFor, contact: User) -> None:
    client = client_for(contact)
    assert client.get("/accounts/sign-out/").status_code == 405
    assert client.get("/").status_code == 200


def test_staff_and_contacts_get_their_own_home(
    client_for: ClientFor, contact: User, staff_admin: User
) -> None:
    contact_home = client_for(contact).get("/")
    assert "What is asked of me" in contact_home.text
    assert 'href="/contacts/"' not in contact_home.text
    staff_home = client_for(staff_admin).get("/")
    assert 'href="/contacts/"' in staff_home.text


def test_a_contact_home_lists_the_entities_shared_with_them(
    client_for: ClientFor, contact: User, entity: Entity, other_entity: Entity
) -> None:
    page = client_for(contact).get("/")
    assert entity.name in page.text
    assert other_entity.name not in page.text
