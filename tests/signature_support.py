"""Fixtures shared by the signature tests (a pytest plugin: tests/conftest.py)."""

import pytest

from loket.accounts.models import User
from loket.entities.models import Entity
from loket.files.models import File
from loket.signatures import actions
from tests.conftest import grant, make_user
from tests.files_support import add
from tests.pdfs import make_pdf


@pytest.fixture
def certificate(db: None) -> None:
    """The firm's signing certificate, self-signed."""
    actions.generate_signing_certificate("Kantoor Test BV", actor=None)


@pytest.fixture
def document(entity: Entity, staff_owner: User) -> File:
    """A one-page PDF of the entity, to be signed."""
    return add(entity, staff_owner, "contract.pdf", make_pdf())


@pytest.fixture
def second_contact(entity: Entity) -> User:
    """Another contact who may sign for the entity (Contact – Entity Staff)."""
    user = make_user("sanne@client.test", client_entity=entity)
    grant(user, "contact-entity-staff", entity)
    return user
