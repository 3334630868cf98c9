"""API authentication: personal API tokens and the session."""

import hashlib
import time
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from loket.accounts import actions as account_actions
from loket.accounts.api_tokens import create_api_token, revoke_api_token
from loket.accounts.models import ApiToken, User
from loket.core.middleware import SIGNED_IN_AT
from loket.entities.models import Entity
from tests.conftest import ClientFor
from tests.test_api_support import raw_token_for

pytestmark = pytest.mark.django_db

UNAUTHORIZED = {"detail": "Unauthorized"}


def bearer(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_a_token_authenticates_its_user(staff_member: User) -> None:
    response = bearer(raw_token_for(staff_member)).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["uuid"] == str(staff_member.uuid)


def test_the_scheme_name_is_case_insensitive(staff_member: User) -> None:
    raw = raw_token_for(staff_member)
    response = Client(HTTP_AUTHORIZATION=f"bearer {raw}").get("/api/v1/me")
    assert response.status_code == 200


def test_an_unknown_token_gets_401(staff_member: User) -> None:
    raw_token_for(staff_member)
    response = bearer("lok_" + "x" * 43).get("/api/v1/me")
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_an_empty_bearer_gets_401(client: Client) -> None:
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_a_revoked_token_gets_401(staff_member: User) -> None:
    token, raw = create_api_token(staff_member, name="ci", actor=staff_member)
    revoke_api_token(token, actor=staff_member)
    response = bearer(raw).get("/api/v1/me")
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_a_deactivated_users_token_gets_401(
    staff_member: User, firm_admin: User
) -> None:
    raw = raw_token_for(staff_member)
    account_actions.deactivate_user(staff_member, actor=firm_admin)
    response = bearer(raw).get("/api/v1/me")
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_reactivation_does_not_revive_older_tokens(
    staff_member: User, firm_admin: User
) -> None:
    old = raw_token_for(staff_member)
    with time_machine.travel(timezone.now() + timedelta(seconds=1)):
        account_actions.deactivate_user(staff_member, actor=firm_admin)
    with time_machine.travel(timezone.now() + timedelta(seconds=2)):
        account_actions.reactivate_user(staff_member, actor=firm_admin)
        new = raw_token_for(staff_member)
        assert bearer(old).get("/api/v1/me").status_code == 401
        assert bearer(new).get("/api/v1/me").status_code == 200


def test_a_token_of_a_contact_is_refused(contact: User) -> None:
    # Tokens are for staff only; a row made behind the action's back is dead.
    raw = "lok_contact-token-made-by-hand-0000000000000000"
    ApiToken.objects.create(
        user=contact,
        name="sneaky",
        prefix=raw[:12],
        token_hash=hashlib.sha256(raw.encode()).hexdigest(),
    )
    assert bearer(raw).get("/api/v1/me").status_code == 401


def test_a_wrong_token_is_refused_even_with_a_session(
    client_for: ClientFor, staff_member: User
) -> None:
    client = client_for(staff_member)
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer lok_wrong")
    assert response.status_code == 401


def test_another_scheme_falls_back_to_the_session(
    client_for: ClientFor, staff_member: User
) -> None:
    client = client_for(staff_member)
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION="Basic Zm9vOmJhcg==")
    assert response.status_code == 200


def test_last_used_is_written_at_most_once_a_minute(staff_member: User) -> None:
    token, raw = create_api_token(staff_member, name="ci", actor=staff_member)
    client = bearer(raw)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get("/api/v1/me")
    token.refresh_from_db()
    assert token.last_used_at == start
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        client.get("/api/v1/me")
    token.refresh_from_db()
    assert token.last_used_at == start
    later = start + timedelta(seconds=61)
    with time_machine.travel(later, tick=False):
        client.get("/api/v1/me")
    token.refresh_from_db()
    assert token.last_used_at == later


def test_a_deactivated_users_session_gets_401(
    client_for: ClientFor, staff_member: User, firm_admin: User
) -> None:
    client = client_for(staff_member)
    account_actions.deactivate_user(staff_member, actor=firm_admin)
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_a_session_post_needs_the_csrf_token(entity_admin: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(entity_admin)
    _stamp_session(client)
    response = client.post(
        "/api/v1/entities", {"name": "Nieuw BV"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "CSRF check Failed"}
    assert not Entity.objects.filter(name="Nieuw BV").exists()


def test_a_session_post_with_the_csrf_token_passes(
    entity_admin: User,
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(entity_admin)
    _stamp_session(client)
    client.get("/accounts/profile/")  # sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    response = client.post(
        "/api/v1/entities",
        {"name": "Nieuw BV"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert response.status_code == 201


def test_a_token_post_needs_no_csrf_token(entity_admin: User) -> None:
    client = Client(
        enforce_csrf_checks=True,
        HTTP_AUTHORIZATION=f"Bearer {raw_token_for(entity_admin)}",
    )
    response = client.post(
        "/api/v1/entities", {"name": "Nieuw BV"}, content_type="application/json"
    )
    assert response.status_code == 201


def test_an_anonymous_post_gets_401_not_a_csrf_refusal() -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/api/v1/entities", {"name": "Nieuw BV"}, content_type="application/json"
    )
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def _stamp_session(client: Client) -> None:
    session = client.session
    session[SIGNED_IN_AT] = time.time()
    session.save()
