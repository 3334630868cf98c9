from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client, TestCase

from loket import access
from loket.accounts.models import User
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.roles.models import RoleAssignment
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def load() -> str:
    out = StringIO()
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("load_demo", stdout=out)
    return out.getvalue()


def test_the_demo_firm_loads_twice_without_growing() -> None:
    banner = load()
    counts = (
        User.objects.count(),
        Entity.objects.count(),
        RoleAssignment.objects.count(),
        Event.objects.count(),
    )
    load()
    assert counts == (
        User.objects.count(),
        Entity.objects.count(),
        RoleAssignment.objects.count(),
        Event.objects.count(),
    )
    assert Entity.objects.count() == 3
    assert "admin@demo.loket.test" in banner
    assert "demo-loket-2026" in banner
    # The invited contact got one invitation, not one per load.
    assert len(mail.outbox) == 1


def test_the_printed_accounts_sign_in_and_see_their_entities() -> None:
    load()
    assert (
        sign_in(Client(), "admin@demo.loket.test", "demo-loket-2026").status_code == 302
    )
    client = User.objects.get(email="client@demo.loket.test")
    names = set(access.visible_entities(client).values_list("name", flat=True))
    assert names == {"Bakkerij De Vries BV"}
    staff = User.objects.get(email="accountant@demo.loket.test")
    assert access.can(
        staff,
        access.Capability.ENTITY_SHARE,
        Entity.objects.get(client_number="C-1002"),
    )
