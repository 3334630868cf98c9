"""Virus scanning with a real clamd (tests/clamd.py) that knows one signature:
the EICAR test file's SHA-256."""

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import TestCase

from loket.accounts.models import User
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.files import actions, clamd, scanning, storage
from loket.files.models import FileVersion
from tests.clamd import EICAR, FOUND_NAME, Clamd
from tests.conftest import ClientFor

pytestmark = pytest.mark.django_db

CLEAN = b"Balans 2025\nActiva 1.000\nPassiva 1.000\n"


@pytest.fixture(autouse=True)
def files_dir(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "files"
    settings.LOKET_FILES_DIR = root
    settings.STORAGES = settings.STORAGES | {
        "files": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": root, "base_url": None},
        }
    }
    return root


@pytest.fixture
def scanner(settings: Any, clamd_daemon: Clamd) -> Clamd:
    settings.LOKET_CLAMD = clamd_daemon.address
    return clamd_daemon


@pytest.fixture
def clamd_down(settings: Any, tmp_path: Path) -> None:
    settings.LOKET_CLAMD = f"unix://{tmp_path}/no-clamd.sock"


Upload = Callable[..., FileVersion]


@pytest.fixture
def upload(entity: Entity, contact: User) -> Upload:
    """Add a file as `contact` and commit, as a request would."""

    def add(
        data: bytes, name: str = "balans.txt", actor: User = contact
    ) -> FileVersion:
        with TestCase.captureOnCommitCallbacks(execute=True):
            blob = storage.store_stream(io.BytesIO(data), name)
            version = actions.add_file(entity, actor=actor, blob=blob, name=name)
        version.refresh_from_db()
        return version

    return add


def events(verb: Event.Verb) -> list[Event]:
    return list(Event.objects.filter(verb=verb).order_by("id"))


def test_without_clamd_files_are_not_scanned_and_stay_available(
    settings: Any, upload: Upload
) -> None:
    settings.LOKET_CLAMD = ""
    version = upload(CLEAN)
    assert version.scan == FileVersion.Scan.NOT_SCANNED
    assert version.is_available is True
    assert events(Event.Verb.FILE_SCANNED) == []


def test_a_clean_file_is_scanned_after_the_commit_and_becomes_available(
    scanner: Clamd, entity: Entity, contact: User
) -> None:
    with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
        blob = storage.store_stream(io.BytesIO(CLEAN), "balans.txt")
        version = actions.add_file(entity, actor=contact, blob=blob, name="balans.txt")
    version.refresh_from_db()
    assert version.scan == FileVersion.Scan.PENDING
    assert version.is_available is False

    for callback in callbacks:
        callback()
    version.refresh_from_db()
    assert version.scan == FileVersion.Scan.CLEAN
    assert version.is_available is True
    [event] = events(Event.Verb.FILE_SCANNED)
    assert event.entity == entity
    assert event.target_id == str(version.uuid)
    assert event.data["result"] == "clean"


def test_a_clean_file_can_be_downloaded(
    scanner: Clamd, upload: Upload, staff_owner: User, client_for: ClientFor
) -> None:
    version = upload(CLEAN)
    response = client_for(staff_owner).get(f"/files/versions/{version.uuid}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == CLEAN  # type: ignore[attr-defined]


def test_an_infected_file_is_quarantined_and_its_signature_recorded(
    scanner: Clamd, upload: Upload, files_dir: Path, entity: Entity, contact: User
) -> None:
    version = upload(EICAR, "factuur.txt")
    old_path = files_dir / version.blob.removeprefix("quarantine/")

    assert version.scan == FileVersion.Scan.INFECTED
    assert version.is_available is False
    assert version.blob.startswith("quarantine/")
    assert (files_dir / version.blob).read_bytes() == EICAR
    assert not old_path.exists()
    [event] = events(Event.Verb.FILE_QUARANTINED)
    assert event.entity == entity
    assert event.actor is None
    assert event.target_id == str(version.uuid)
    assert event.data["signature"] == FOUND_NAME
    assert event.data["uploaded_by"] == contact.email
    assert events(Event.Verb.FILE_SCANNED) == []
    assert scanning.quarantine_signatures([version]) == {version.pk: FOUND_NAME}


def test_an_infected_file_cannot_be_downloaded_by_anyone(
    scanner: Clamd,
    upload: Upload,
    contact: User,
    staff_owner: User,
    client_for: ClientFor,
) -> None:
    version = upload(EICAR, "factuur.txt")
    for user in (contact, staff_owner):
        client = client_for(user)
        response = client.get(f"/files/versions/{version.uuid}/download/")
        assert response.status_code == 403
        assert EICAR not in response.content
        assert client.get(f"/files/{version.file.uuid}/download/").status_code == 403
    assert events(Event.Verb.FILE_DOWNLOADED) == []


def test_a_new_infected_version_leaves_the_clean_one_available(
    scanner: Clamd, upload: Upload, contact: User
) -> None:
    first = upload(CLEAN)
    with TestCase.captureOnCommitCallbacks(execute=True):
        blob = storage.store_stream(io.BytesIO(EICAR), "balans.txt")
        second = actions.add_version(first.file, actor=contact, blob=blob)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.scan == FileVersion.Scan.CLEAN
    assert second.scan == FileVersion.Scan.INFECTED


def test_when_clamd_is_down_the_file_waits_and_is_not_downloadable(
    clamd_down: None, upload: Upload, staff_owner: User, client_for: ClientFor
) -> None:
    version = upload(CLEAN)
    assert version.scan == FileVersion.Scan.PENDING
    assert version.is_available is False
    response = client_for(staff_owner).get(f"/files/versions/{version.uuid}/download/")
    assert response.status_code == 403
    assert events(Event.Verb.FILE_SCANNED) == []


def test_scan_pending_scans_what_waited_for_clamd_once(
    settings: Any, upload: Upload, clamd_daemon: Clamd, tmp_path: Path
) -> None:
    settings.LOKET_CLAMD = f"unix://{tmp_path}/no-clamd.sock"
    clean, infected = upload(CLEAN), upload(EICAR, "factuur.txt")
    out = io.StringIO()
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("scan_pending", stdout=out)
    assert "2 pending" in out.getvalue()
    clean.refresh_from_db()
    assert clean.scan == FileVersion.Scan.PENDING

    settings.LOKET_CLAMD = clamd_daemon.address
    for _ in range(2):
        out = io.StringIO()
        with TestCase.captureOnCommitCallbacks(execute=True):
            call_command("scan_pending", stdout=out)
    clean.refresh_from_db()
    infected.refresh_from_db()
    assert clean.scan == FileVersion.Scan.CLEAN
    assert infected.scan == FileVersion.Scan.INFECTED
    assert "0 pending" in out.getvalue()
    assert len(events(Event.Verb.FILE_SCANNED)) == 1
    assert len(events(Event.Verb.FILE_QUARANTINED)) == 1


def test_a_scan_queued_by_the_earlier_release_still_runs(
    settings: Any, upload: Upload, clamd_daemon: Clamd, tmp_path: Path
) -> None:
    """A queue drained after an upgrade: the task under its old name scans."""
    from loket.files import tasks

    settings.LOKET_CLAMD = f"unix://{tmp_path}/no-clamd.sock"
    version = upload(CLEAN)
    settings.LOKET_CLAMD = clamd_daemon.address
    tasks.scan_version.enqueue(version.pk)
    version.refresh_from_db()
    assert version.scan == FileVersion.Scan.CLEAN
    assert len(events(Event.Verb.FILE_SCANNED)) == 1


def test_a_verdict_is_recorded_only_once(scanner: Clamd, upload: Upload) -> None:
    version = upload(CLEAN)
    version.scan = FileVersion.Scan.PENDING  # a stale copy, as a second worker has
    assert scanning.mark_clean(version) is False
    assert scanning.quarantine(version, signature="X") is False
    assert scanning.scan(version) is None
    version.refresh_from_db()
    assert version.scan == FileVersion.Scan.CLEAN
    assert len(events(Event.Verb.FILE_SCANNED)) == 1


def test_scan_pending_refuses_to_run_without_clamd_configured(
    settings: Any,
) -> None:
    settings.LOKET_CLAMD = ""
    with pytest.raises(Exception, match="LOKET_CLAMD"):
        call_command("scan_pending")


def test_a_restored_version_that_shares_an_infected_blob_is_infected_too(
    settings: Any,
    clamd_daemon: Clamd,
    upload: Upload,
    contact: User,
    staff_owner: User,
) -> None:
    settings.LOKET_CLAMD = ""
    first = upload(EICAR, "factuur.txt")  # before scanning was configured
    with TestCase.captureOnCommitCallbacks(execute=True):
        blob = storage.store_stream(io.BytesIO(CLEAN), "factuur.txt")
        actions.add_version(first.file, actor=contact, blob=blob)
    restored = actions.restore_version(first, actor=staff_owner)
    assert restored.blob == first.blob

    settings.LOKET_CLAMD = clamd_daemon.address
    FileVersion.objects.filter(pk=restored.pk).update(scan=FileVersion.Scan.PENDING)
    restored.refresh_from_db()
    scanning.scan(restored)
    first.refresh_from_db()
    restored.refresh_from_db()
    assert restored.scan == first.scan == FileVersion.Scan.INFECTED
    assert restored.blob == first.blob
    assert first.blob.startswith("quarantine/")


# The client on its own.


class Zeros(io.RawIOBase):
    """`size` zero bytes, produced as they are read."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = min(len(buffer), self.left)
        buffer[:count] = bytes(count)
        self.left -= count
        return count


def test_clamd_client_reports_the_signature_found(clamd_daemon: Clamd) -> None:
    verdict = clamd.scan_stream(clamd_daemon.address, io.BytesIO(EICAR))
    assert verdict == clamd.Verdict(infected=True, signature=FOUND_NAME)
    assert clamd.scan_stream(clamd_daemon.address, io.BytesIO(CLEAN)) == clamd.Verdict(
        infected=False
    )


def test_clamd_client_streams_a_file_larger_than_one_chunk(
    clamd_daemon: Clamd,
) -> None:
    stream = io.BufferedReader(Zeros(10 * clamd.CHUNK_SIZE + 7))
    assert clamd.scan_stream(clamd_daemon.address, stream).infected is False


def test_clamd_client_gives_no_verdict_past_the_stream_limit(
    clamd_daemon: Clamd,
) -> None:
    # tests/clamd.py sets StreamMaxLength to 64M.
    stream = io.BufferedReader(Zeros(65 * 1024 * 1024))
    with pytest.raises(clamd.ClamdError, match="limit"):
        clamd.scan_stream(clamd_daemon.address, stream)


@pytest.mark.parametrize(
    "address", ["unix:///nonexistent/clamd.sock", "tcp://127.0.0.1:1", "http://x"]
)
def test_clamd_client_raises_when_it_cannot_connect(address: str) -> None:
    with pytest.raises(clamd.ClamdError):
        clamd.scan_stream(address, io.BytesIO(CLEAN))
    assert clamd.ping(address) is False


def test_a_file_larger_than_the_scan_limit_is_not_scanned_and_says_so(
    settings: Any, scanner: Clamd, upload: Upload
) -> None:
    settings.LOKET_CLAMD_MAX_SIZE = len(EICAR) - 1
    version = upload(EICAR, "factuur.txt")
    assert version.scan == FileVersion.Scan.NOT_SCANNED
    assert version.is_available is True
    [event] = events(Event.Verb.FILE_SCANNED)
    assert event.data["result"] == "too_large"
    assert events(Event.Verb.FILE_QUARANTINED) == []


def test_the_file_page_names_what_the_scanner_found(
    scanner: Clamd, upload: Upload, contact: User, client_for: ClientFor
) -> None:
    version = upload(EICAR, "factuur.txt")
    page = client_for(contact).get(f"/files/{version.file.uuid}/")
    assert page.status_code == 200
    assert f"Found: {FOUND_NAME}" in page.content.decode()
