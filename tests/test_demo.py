from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client, TestCase

from loket import access
from loket.accounts.models import User
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.files.models import FileVersion
from loket.requests.models import Request
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
    sent = len(mail.outbox)
    counts = (
        User.objects.count(),
        Entity.objects.count(),
        RoleAssignment.objects.count(),
        Event.objects.count(),
        FileVersion.objects.count(),
        Request.objects.count(),
    )
    load()
    assert counts == (
        User.objects.count(),
        Entity.objects.count(),
        RoleAssignment.objects.count(),
        Event.objects.count(),
        FileVersion.objects.count(),
        Request.objects.count(),
    )
    assert Entity.objects.count() == 3
    assert "admin@demo.loket.test" in banner
    assert "demo-loket-2026" in banner
    # One invitation and the demo requests' e-mails, the first time only.
    assert len(mail.outbox) == sent
    to = sorted(address for message in mail.outbox for address in message.to)
    assert to == [
        "client@demo.loket.test",  # Bankafschriften 2025
        "invited@demo.loket.test",  # the invitation
        "owner@bakkerij.demo.loket.test",  # Bankafschriften 2025
        "owner@bakkerij.demo.loket.test",  # the first to sign
    ]


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


def test_the_demo_client_has_files_and_open_requests() -> None:
    load()
    client = User.objects.get(email="client@demo.loket.test")
    files = set(access.visible_files(client).values_list("name", flat=True))
    # The limited working paper stays with the firm.
    assert files == {
        "Jaarrekening 2025 concept.pdf",
        "Opdrachtbevestiging 2026.pdf",
        "Kassabonnen september.pdf",
    }
    open_requests = access.visible_requests(client).open()
    assert sorted(open_requests.values_list("subject", flat=True)) == [
        "Bankafschriften 2025",
        "Opdrachtbevestiging 2026 ondertekenen",
    ]
    owner = User.objects.get(email="owner@bakkerij.demo.loket.test")
    assert access.visible_requests(owner).open().count() == 2
    browser = Client()
    sign_in(browser, "client@demo.loket.test", "demo-loket-2026")
    home = browser.get("/").content.decode()
    assert "Bankafschriften 2025" in home
    # Eva signs first; Daan sees that he waits for her.
    assert "Eva Smit" in home
    eva = Client()
    sign_in(eva, "owner@bakkerij.demo.loket.test", "demo-loket-2026")
    assert "Sign Opdrachtbevestiging 2026.pdf" in eva.get("/").content.decode()
