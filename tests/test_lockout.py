import datetime as dt

import pytest
import time_machine
from django.test import Client

from loket.accounts.models import User
from loket.audit.models import Event
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

LOCKED = "Too many attempts to sign in"


def fail(client: Client, email: str, times: int, ip: str = "10.0.0.1") -> None:
    for _ in range(times):
        sign_in(client, email, "wrong", REMOTE_ADDR=ip)


def test_repeated_failures_lock_the_pair_with_a_clear_message(
    client: Client, contact: User
) -> None:
    fail(client, contact.email, 5)
    response = sign_in(client, contact.email, REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 429
    assert LOCKED in response.text
    assert Event.objects.filter(verb=Event.Verb.LOCKED_OUT).exists()
    assert not Event.objects.filter(verb=Event.Verb.SIGNED_IN).exists()


def test_an_unknown_address_is_locked_the_same_way(client: Client) -> None:
    fail(client, "nobody@nowhere.test", 5)
    response = sign_in(client, "nobody@nowhere.test", REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 429
    assert LOCKED in response.text


def test_the_lock_does_not_follow_the_account_to_another_address(
    client: Client, contact: User
) -> None:
    fail(client, contact.email, 6, ip="10.0.0.1")
    response = sign_in(client, contact.email, REMOTE_ADDR="10.0.0.2")
    assert response.status_code == 302


def test_the_lock_cools_off_after_fifteen_minutes(
    client: Client, contact: User
) -> None:
    with time_machine.travel(dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)):
        fail(client, contact.email, 5)
        assert sign_in(client, contact.email, REMOTE_ADDR="10.0.0.1").status_code == 429
    with time_machine.travel(dt.datetime(2026, 11, 1, 9, 16, tzinfo=dt.UTC)):
        assert sign_in(client, contact.email, REMOTE_ADDR="10.0.0.1").status_code == 302


def test_the_lockout_message_is_translated(client: Client, contact: User) -> None:
    client.cookies["django_language"] = "nl"
    fail(client, contact.email, 5)
    response = sign_in(client, contact.email, REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 429
    assert LOCKED not in response.text
    assert 'lang="nl"' in response.text
