"""Personas and helpers shared by every test module."""

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings
from django.core import mail
from django.core.signals import setting_changed
from django.test import Client, TestCase

from loket.accounts.models import User
from loket.core.middleware import SIGNED_IN_AT
from loket.entities.models import Entity
from loket.groups.models import Group, GroupMembership
from loket.roles.builtin import sync_builtin_roles
from loket.roles.models import Role, RoleAssignment

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

# Real daemons for the tests that ask for them: clamd_daemon, radosgw.
pytest_plugins = ["tests.radosgw", "tests.clamd", "tests.signature_support"]

PASSWORD = "correct-horse-battery-staple"
NEW_PASSWORD_FOR_SMTP = "smtp-delivered-Passw0rd"


def _one_request_at_a_time_in_the_live_server() -> None:
    """The live server's threads share the one connection to SQLite's in-memory
    test database; two requests at once (a page polling while a form posts)
    break each other's savepoints. Serve them one after the other. (The test
    client does not go through WSGIHandler; PostgreSQL needs none of this.)"""
    import threading

    from django.core.handlers.wsgi import WSGIHandler

    lock = threading.Lock()
    serve = WSGIHandler.__call__

    def serialised(self: WSGIHandler, environ: Any, start_response: Any) -> Any:
        with lock:
            return serve(self, environ, start_response)

    WSGIHandler.__call__ = serialised  # type: ignore[method-assign]


def pytest_configure(config: pytest.Config) -> None:
    # The test client and the live server speak plain HTTP.
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    # Argon2 is the configured hasher (tests/test_settings.py checks it); the
    # suite hashes with a fast one so that fixtures stay quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Persistent connections from the live server's threads would keep the
    # PostgreSQL test database busy when it is dropped.
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Tasks (e-mail) run right after the commit, so tests read mail.outbox;
    # tests/test_worker*.py run the real database queue and its worker.
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
    }
    # The tasks made when the plugins above imported their modules already
    # opened the configured backend: forget it, as override_settings would.
    setting_changed.send(
        sender=type(settings), setting="TASKS", value=settings.TASKS, enter=True
    )
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        _one_request_at_a_time_in_the_live_server()


@pytest.fixture(autouse=True)
def _commit_callbacks_run_after_each_request(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test runs inside a transaction that never commits, so the work an
    action defers to `transaction.on_commit` (e-mail, tasks) would never run.
    Run it when each test-client request ends, as a real commit would."""
    original = Client.request

    def request(self: Client, **kwargs: Any) -> Any:
        with TestCase.captureOnCommitCallbacks(execute=True):
            return original(self, **kwargs)

    monkeypatch.setattr(Client, "request", request)


@pytest.fixture(autouse=True)
def _files_in_tmp(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Stored files and partial uploads go to a fresh folder for each test,
    never into var/files/."""
    files_dir = tmp_path_factory.mktemp("files")
    settings.LOKET_FILES_DIR = files_dir
    settings.STORAGES = {
        **settings.STORAGES,
        "files": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": files_dir, "base_url": None},
        },
    }


@pytest.fixture(autouse=True)
def _history_triggers(request: pytest.FixtureRequest) -> None:
    """Browser tests drop the append-only triggers so that the database can be
    emptied after them; every database test gets them back."""
    if request.node.get_closest_marker("django_db") is None:
        return
    request.getfixturevalue("_django_db_helper")
    from django.db import connection

    from loket.audit import triggers

    triggers.install(connection)
    # A transactional test empties the tables, seeded rows included.
    sync_builtin_roles(Role)


def make_user(
    email: str,
    *,
    kind: str = User.Kind.CONTACT,
    state: str = User.State.ACTIVE,
    role: str | None = None,
    language: str = "en",
    first_name: str = "",
    client_entity: Entity | None = None,
) -> User:
    """A user; `role` names a built-in firm role held firm-wide."""
    user = User.objects.create_user(
        email,
        PASSWORD if state == User.State.ACTIVE else None,
        first_name=first_name or email.split("@")[0].capitalize(),
        last_name="Tester",
        kind=kind,
        state=state,
        language=language,
        client_entity=client_entity,
    )
    if role:
        RoleAssignment.objects.create(user=user, role=Role.objects.get(key=role))
    return user


def grant(principal: User | Group, role_key: str, entity: Entity | None) -> None:
    """Give a built-in role on `entity` (or firm-wide) without going through the
    share action: for arranging a test, not for testing sharing."""
    role = Role.objects.get(key=role_key)
    if isinstance(principal, Group):
        RoleAssignment.objects.create(role=role, entity=entity, group=principal)
    else:
        RoleAssignment.objects.create(role=role, entity=entity, user=principal)


# The personas. `entity` is the client entity most tests act on.


@pytest.fixture
def entity(db: None) -> Entity:
    return Entity.objects.create(name="Bakkerij de Vries BV", client_number="C-1001")


@pytest.fixture
def other_entity(db: None) -> Entity:
    return Entity.objects.create(name="Garage Jansen VOF", client_number="C-2002")


@pytest.fixture
def firm_admin(db: None) -> User:
    return make_user("anna@firm.test", kind=User.Kind.STAFF, role="administrator")


@pytest.fixture
def staff_admin(db: None) -> User:
    return make_user("bram@firm.test", kind=User.Kind.STAFF, role="staff-administrator")


@pytest.fixture
def entity_admin(db: None) -> User:
    return make_user(
        "erik@firm.test", kind=User.Kind.STAFF, role="entity-administrator"
    )


@pytest.fixture
def settings_admin(db: None) -> User:
    return make_user(
        "sara@firm.test", kind=User.Kind.STAFF, role="settings-administrator"
    )


@pytest.fixture
def staff_member(db: None) -> User:
    """Staff without any role."""
    return make_user("carla@firm.test", kind=User.Kind.STAFF)


@pytest.fixture
def staff_owner(entity: Entity) -> User:
    user = make_user("olga@firm.test", kind=User.Kind.STAFF)
    grant(user, "owner", entity)
    return user


@pytest.fixture
def staff_reader(entity: Entity) -> User:
    user = make_user("ruud@firm.test", kind=User.Kind.STAFF)
    grant(user, "reader", entity)
    return user


@pytest.fixture
def contact(entity: Entity) -> User:
    """Contact – Entity Staff on `entity`, their client entity."""
    user = make_user("daan@client.test", client_entity=entity)
    grant(user, "contact-entity-staff", entity)
    return user


@pytest.fixture
def viewer_contact(entity: Entity) -> User:
    """Contact – Entity Access on `entity`."""
    user = make_user("vera@client.test", client_entity=entity)
    grant(user, "contact-entity-access", entity)
    return user


@pytest.fixture
def contact_group(entity: Entity) -> Group:
    """A contact group holding Contact – Entity Staff on `entity`."""
    group = Group.objects.create(kind=Group.Kind.CONTACT, name="Directie De Vries")
    grant(group, "contact-entity-staff", entity)
    return group


@pytest.fixture
def group_contact(contact_group: Group, entity: Entity) -> User:
    """A contact with access to `entity` only through `contact_group`."""
    user = make_user("gerda@client.test", client_entity=entity)
    GroupMembership.objects.create(group=contact_group, user=user)
    return user


@pytest.fixture
def outsider(other_entity: Entity) -> User:
    """A contact of another entity: sees nothing of `entity`."""
    user = make_user("eva@other-client.test", client_entity=other_entity)
    grant(user, "contact-entity-staff", other_entity)
    return user


@pytest.fixture
def other_contact(outsider: User) -> User:
    return outsider


@pytest.fixture
def new_contact(entity: Entity) -> User:
    return make_user(
        "femke@client.test",
        state=User.State.NOT_ACTIVATED,
        language="nl",
        first_name="Femke",
        client_entity=entity,
    )


ClientFor = Callable[[User], Client]


@pytest.fixture
def client_for() -> ClientFor:
    """A test client with `user` signed in."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        session = client.session
        session[SIGNED_IN_AT] = time.time()
        session.save()
        return client

    return make


def sign_in(
    client: Client, email: str, password: str = PASSWORD, **extra: Any
) -> "Response":
    return client.post(
        "/accounts/sign-in/", {"username": email, "password": password}, **extra
    )


def last_link(path_prefix: str) -> str:
    """The path of the last link in the newest e-mail that starts with `path_prefix`."""
    body = str(mail.outbox[-1].body)
    links: list[str] = re.findall(r"https?://[^/\s]+(/\S+)", body)
    matching = [link for link in links if link.startswith(path_prefix)]
    assert matching, f"no link to {path_prefix} in: {body}"
    return matching[-1]
