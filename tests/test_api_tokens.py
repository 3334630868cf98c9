"""Personal API tokens: the profile page, the actions, /api/v1/tokens."""

import hashlib
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from loket.accounts.api_tokens import create_api_token, revoke_api_token
from loket.accounts.models import ApiToken, User
from loket.audit.models import Event
from tests.conftest import ClientFor
from tests.test_api_support import event_count, events, send, token_client

pytestmark = pytest.mark.django_db

PAGE = "/accounts/profile/api-tokens/"
TOKEN_RE = re.compile(r"lok_[A-Za-z0-9_-]{43}")


def test_anonymous_is_sent_to_sign_in(client: Client) -> None:
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/sign-in/?next=")


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_contact_gets_403(client_for: ClientFor, contact: User, method: str) -> None:
    response = getattr(client_for(contact), method)(PAGE, {"name": "x"})
    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_the_page_lists_the_tokens_of_the_user_only(
    client_for: ClientFor, staff_member: User, firm_admin: User
) -> None:
    mine, _raw = create_api_token(staff_member, name="Bookkeeping", actor=staff_member)
    create_api_token(firm_admin, name="Not mine", actor=firm_admin)
    response = client_for(staff_member).get(PAGE)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Bookkeeping" in content
    assert f"{mine.prefix}…" in content
    assert "Never" in content
    assert "Not mine" not in content
    assert (
        "no-store" in response["Cache-Control"]
        or "max-age=0" in (response["Cache-Control"])
    )


def test_a_new_token_is_shown_once_and_only_its_hash_is_stored(
    client_for: ClientFor, staff_member: User
) -> None:
    client = client_for(staff_member)
    response = client.post(PAGE, {"name": "Bookkeeping sync"})
    assert response.status_code == 200
    content = response.content.decode()
    shown = TOKEN_RE.findall(content)
    assert len(set(shown)) == 1
    raw = shown[0]
    assert "shown only once" in content
    token = ApiToken.objects.get(user=staff_member)
    assert token.name == "Bookkeeping sync"
    assert token.prefix == raw[:12]
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in (token.name, token.prefix, token.token_hash)
    (event,) = events(Event.Verb.API_TOKEN_CREATED)
    assert event.actor == staff_member
    assert event.target_id == str(token.uuid)
    assert raw not in str(event.canonical())
    assert event.data["prefix"] == raw[:12]
    # Shown once: the page does not show it again.
    assert raw not in client.get(PAGE).content.decode()
    # And it works.
    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/me")
    assert response.json()["uuid"] == str(staff_member.uuid)


def test_a_token_needs_a_name(client_for: ClientFor, staff_member: User) -> None:
    before = event_count()
    response = client_for(staff_member).post(PAGE, {"name": "  "})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not ApiToken.objects.exists()
    assert event_count() == before


def test_revoking_stops_the_token(client_for: ClientFor, staff_member: User) -> None:
    token, raw = create_api_token(staff_member, name="ci", actor=staff_member)
    response = client_for(staff_member).post(f"{PAGE}{token.uuid}/revoke/")
    assert response.status_code == 302
    assert response["Location"] == PAGE
    token.refresh_from_db()
    assert token.revoked_at is not None
    (event,) = events(Event.Verb.API_TOKEN_REVOKED)
    assert event.actor == staff_member
    assert event.target_id == str(token.uuid)
    assert raw not in str(event.canonical())
    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/me")
    assert response.status_code == 401
    page = client_for(staff_member).get(PAGE).content.decode()
    assert "Revoked" in page


def test_revoke_needs_post(client_for: ClientFor, staff_member: User) -> None:
    token, _raw = create_api_token(staff_member, name="ci", actor=staff_member)
    response = client_for(staff_member).get(f"{PAGE}{token.uuid}/revoke/")
    assert response.status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_nobody_revokes_another_users_token(
    client_for: ClientFor, staff_member: User, firm_admin: User
) -> None:
    token, _raw = create_api_token(staff_member, name="ci", actor=staff_member)
    response = client_for(firm_admin).post(f"{PAGE}{token.uuid}/revoke/")
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_contact_cannot_revoke(
    client_for: ClientFor, staff_member: User, contact: User
) -> None:
    token, _raw = create_api_token(staff_member, name="ci", actor=staff_member)
    response = client_for(contact).post(f"{PAGE}{token.uuid}/revoke/")
    assert response.status_code == 403


def test_contacts_cannot_have_tokens(contact: User) -> None:
    with pytest.raises(ValidationError):
        create_api_token(contact, name="x", actor=contact)
    assert not ApiToken.objects.exists()


def test_revoking_twice_records_once(staff_member: User) -> None:
    token, _raw = create_api_token(staff_member, name="ci", actor=staff_member)
    revoke_api_token(token, actor=staff_member)
    revoke_api_token(token, actor=staff_member)
    assert len(events(Event.Verb.API_TOKEN_REVOKED)) == 1


def test_tokens_are_random_and_prefixed(staff_member: User) -> None:
    raws = {create_api_token(staff_member, name="t", actor=staff_member)[1]}
    raws.add(create_api_token(staff_member, name="t", actor=staff_member)[1])
    assert len(raws) == 2
    assert all(TOKEN_RE.fullmatch(raw) for raw in raws)


# /api/v1/tokens


def test_the_api_lists_the_callers_tokens_without_secrets(
    staff_member: User, firm_admin: User
) -> None:
    create_api_token(firm_admin, name="Not mine", actor=firm_admin)
    client = token_client(staff_member)
    response = send(client, "get", "tokens")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    (item,) = body["items"]
    assert set(item) == {
        "uuid",
        "name",
        "prefix",
        "created_at",
        "last_used_at",
        "revoked_at",
    }


def test_the_api_revokes_the_callers_own_token(staff_member: User) -> None:
    token, raw = create_api_token(staff_member, name="ci", actor=staff_member)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = send(client, "delete", f"tokens/{token.uuid}")
    assert response.status_code == 204
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert len(events(Event.Verb.API_TOKEN_REVOKED)) == 1
    assert send(client, "get", "me").status_code == 401


def test_the_api_does_not_revoke_another_users_token(
    staff_member: User, firm_admin: User
) -> None:
    token, _raw = create_api_token(staff_member, name="ci", actor=staff_member)
    response = send(token_client(firm_admin), "delete", f"tokens/{token.uuid}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}
    token.refresh_from_db()
    assert token.revoked_at is None
