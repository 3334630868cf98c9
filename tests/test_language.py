import pytest
from django.test import Client

from loket.accounts.models import User
from tests.conftest import ClientFor, sign_in

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_switch_with_a_cookie(client: Client) -> None:
    assert "Sign in" in client.get("/accounts/sign-in/").text
    response = client.post(
        "/accounts/language/", {"language": "nl", "next": "/accounts/sign-in/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/sign-in/"
    page = client.get("/accounts/sign-in/")
    assert 'lang="nl"' in page.text
    assert "Inloggen" in page.text


def test_a_signed_in_user_switch_is_remembered(
    client_for: ClientFor, contact: User
) -> None:
    client = client_for(contact)
    client.post("/accounts/language/", {"language": "nl", "next": "/"})
    contact.refresh_from_db()
    assert contact.language == "nl"
    # A new browser without the cookie still gets Dutch after signing in.
    fresh = Client()
    sign_in(fresh, contact.email)
    home = fresh.get("/")
    assert 'lang="nl"' in home.text
    assert "Wat wordt er van mij gevraagd" in home.text or "Welkom" in home.text


def test_the_staff_menu_uses_the_seed_terms_in_dutch(
    client_for: ClientFor, staff_admin: User
) -> None:
    staff_admin.language = "nl"
    staff_admin.save()
    home = client_for(staff_admin).get("/")
    assert ">Contactpersonen<" in home.text
    assert "Uitloggen" in home.text


def test_an_unknown_language_changes_nothing(
    client_for: ClientFor, contact: User
) -> None:
    client = client_for(contact)
    response = client.post("/accounts/language/", {"language": "fr", "next": "/"})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.language == "en"


def test_next_must_stay_on_this_site(client: Client) -> None:
    response = client.post(
        "/accounts/language/", {"language": "nl", "next": "https://evil.test/"}
    )
    assert response["Location"] == "/"
