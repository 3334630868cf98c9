import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from loket.accounts.models import User
from loket.audit import triggers
from loket.audit.actions import record, verify_chain
from loket.audit.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(contact: User) -> list[Event]:
    return [
        record(Event.Verb.SIGNED_IN, actor=contact, target=contact),
        record(Event.Verb.PASSWORD_CHANGED, actor=contact, target=contact),
        record(Event.Verb.SIGNED_OUT, actor=contact, target=contact, data={"a": "é"}),
    ]


def verify() -> str:
    from io import StringIO

    out = StringIO()
    call_command("verify_history", stdout=out)
    return out.getvalue().strip()


def test_events_form_a_chain(events: list[Event]) -> None:
    assert events[0].prev_hash == "0" * 64
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash
    assert verify() == "intact: 3 events"


def test_the_chain_survives_a_trip_through_the_database(events: list[Event]) -> None:
    for event in Event.objects.all():
        assert event.compute_hash() == event.hash


def test_the_database_refuses_updates(events: list[Event]) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        Event.objects.filter(pk=events[1].pk).update(verb=Event.Verb.SIGNED_OUT)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as c:
        c.execute("UPDATE audit_event SET actor_label = 'someone'")
    assert verify() == "intact: 3 events"


def test_the_database_refuses_deletes(events: list[Event]) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        Event.objects.filter(pk=events[1].pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as c:
        c.execute("DELETE FROM audit_event")
    assert Event.objects.count() == 3


def test_verify_history_finds_a_changed_row(events: list[Event]) -> None:
    triggers.drop(connection)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_event SET actor_label = %s WHERE id = %s",
            ["mallory@evil.test", events[1].pk],
        )
    with pytest.raises(CommandError, match=f"broken at event {events[1].pk}"):
        verify()
    report = verify_chain()
    assert report.intact is False
    assert report.count == 1


def test_verify_history_finds_a_removed_row(events: list[Event]) -> None:
    triggers.drop(connection)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_event WHERE id = %s", [events[1].pk])
    with pytest.raises(CommandError, match=f"broken at event {events[2].pk}"):
        verify()


def test_verify_history_finds_a_changed_hash_too(events: list[Event]) -> None:
    triggers.drop(connection)
    forged = events[1]
    forged.data = {"forged": True}
    forged.hash = forged.compute_hash()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_event SET data = %s, hash = %s WHERE id = %s",
            ['{"forged": true}', forged.hash, forged.pk],
        )
    # Rewriting one hash is not enough: the next event still points at the old one.
    with pytest.raises(CommandError, match=f"broken at event {events[2].pk}"):
        verify()


def test_an_empty_history_is_intact() -> None:
    assert verify() == "intact: 0 events"


def test_a_bulk_import_keeps_the_chain_intact(
    events: list[Event], contact: User
) -> None:
    from loket.contacts.actions import NewContact, import_contacts
    from loket.groups.models import Group

    assert contact.client_entity is not None
    group = Group.objects.create(kind=Group.Kind.CONTACT, name="Imported")
    rows = [
        NewContact(f"p{i}@client.test", "P", f"N{i}", contact.client_entity, (group,))
        for i in range(3)
    ]
    import_contacts(rows, actor=contact, file_name="klanten.csv")
    # 3 earlier events, 3 created, 3 memberships, 1 for the import.
    assert verify() == "intact: 10 events"
    assert group.members.count() == 3


def test_a_verb_is_shown_by_its_label_and_an_unknown_one_as_it_is() -> None:
    from loket.audit.models import Event as HistoryEvent

    assert HistoryEvent(verb="file.uploaded").get_verb_display() == "File uploaded"
    assert HistoryEvent(verb="old.verb").get_verb_display() == "old.verb"


SQUASHED = ("audit", "0003_squashed_verb_lists")
REPLACED = [
    "0003_alter_event_verb",
    "0004_alter_event_verb",
    "0005_signing_certificate_verbs",
    "0006_signature_request_verbs",
    "0007_signature_code_verbs",
    "0008_verb_without_choices",
]


def _manage(database: Path, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database migrated from scratch by `manage.py migrate` (once)."""
    database = tmp_path_factory.mktemp("migrated") / "db.sqlite3"
    _manage(database, "migrate", "--verbosity", "0")
    return database


def test_an_installation_that_ran_the_six_old_migrations_finds_them_squashed(
    migrated: Path, tmp_path: Path
) -> None:
    """Decision 008: a database migrated by the old 0003–0008 (their six rows in
    django_migrations) has nothing left to apply after the squash."""
    database = Path(shutil.copy(migrated, tmp_path / "old.sqlite3"))
    with sqlite3.connect(database) as db:
        db.execute("DELETE FROM django_migrations WHERE app = ? AND name = ?", SQUASHED)
        db.executemany(
            "INSERT INTO django_migrations (app, name, applied) "
            "VALUES ('audit', ?, CURRENT_TIMESTAMP)",
            [(name,) for name in REPLACED],
        )
    assert "No migrations to apply" in _manage(database, "migrate")
    assert f"[X] {SQUASHED[1]}" in _manage(database, "showmigrations", "audit")


def test_an_installation_at_audit_0002_runs_the_squashed_migration(
    migrated: Path, tmp_path: Path
) -> None:
    database = Path(shutil.copy(migrated, tmp_path / "early.sqlite3"))
    _manage(database, "migrate", "audit", "0002", "--verbosity", "0")
    assert f"Applying audit.{SQUASHED[1]}... OK" in _manage(database, "migrate")
    with sqlite3.connect(database) as db:
        triggers = {
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            )
        }
    assert triggers == {"audit_event_no_update", "audit_event_no_delete"}
