import datetime as dt

import pytest
import time_machine
from django.test import Client

from loket.accounts.models import User
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)


def test_an_idle_session_ends_after_an_hour(contact: User) -> None:
    client = Client()
    with time_machine.travel(START) as clock:
        sign_in(client, contact.email)
        clock.shift(dt.timedelta(minutes=50))
        assert client.get("/").status_code == 200
        clock.shift(dt.timedelta(minutes=50))
        assert client.get("/").status_code == 200
        clock.shift(dt.timedelta(minutes=61))
        assert client.get("/").status_code == 302


def test_a_busy_session_still_ends_after_twelve_hours(contact: User) -> None:
    client = Client()
    with time_machine.travel(START) as clock:
        sign_in(client, contact.email)
        for _ in range(23):
            clock.shift(dt.timedelta(minutes=30))
            assert client.get("/").status_code == 200
        clock.shift(dt.timedelta(minutes=31))
        assert client.get("/").status_code == 302


def test_a_session_without_a_sign_in_stamp_is_not_trusted(contact: User) -> None:
    client = Client()
    client.force_login(contact)
    assert client.get("/").status_code == 302
