"""The tus upload endpoint: the protocol, who may upload, the limits, and the
bytes on disk. The conformance tests drive it with tuspy, an independent tus
client, over HTTP against the live server."""

import base64
import fcntl
import hashlib
import io
import os
import socket
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
import requests
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client
from django.utils import timezone
from tusclient import client as tus_client
from tusclient.exceptions import TusCommunicationError, TusUploadFailed

from loket.accounts.api_tokens import hash_token, new_token
from loket.accounts.models import ApiToken, User
from loket.audit import triggers
from loket.entities.models import Entity
from loket.files import storage, tus
from loket.files.models import File, Upload
from tests.conftest import ClientFor
from tests.test_browser_seed_flows import new_page  # noqa: F401 (a fixture)

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

URL = "/api/v1/uploads/"
TUS = {"Tus-Resumable": "1.0.0"}
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40  # 10,249 bytes
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 2000


def metadata(**values: str) -> str:
    return ",".join(
        f"{key} {base64.b64encode(value.encode()).decode()}"
        for key, value in values.items()
    )


def create(
    client: Client, entity: Entity, name: str = "jaarrekening.pdf", length: int = 0
) -> "Response":
    return client.post(
        URL,
        headers={
            **TUS,
            "Upload-Length": str(length or len(PDF)),
            "Upload-Metadata": metadata(
                filename=name, filetype="application/pdf", entity=str(entity.uuid)
            ),
        },
    )


def patch(
    client: Client, location: str, data: bytes, offset: int, **headers: str
) -> "Response":
    return client.generic(
        "PATCH",
        location,
        data,
        content_type=headers.pop("content_type", "application/offset+octet-stream"),
        headers={**TUS, "Upload-Offset": str(offset), **headers},
    )


def checksum(data: bytes) -> str:
    return "sha256 " + base64.b64encode(hashlib.sha256(data).digest()).decode()


def partials() -> list[Path]:
    folder = storage.partial_dir()
    return sorted(folder.iterdir()) if folder.exists() else []


def upload_of(response: "Response") -> Upload:
    return Upload.objects.get(uuid=response["Location"].rstrip("/").rsplit("/", 1)[1])


@pytest.fixture
def contact_client(client_for: ClientFor, contact: User) -> Client:
    return client_for(contact)


# --- Discovery and authentication -------------------------------------------


@pytest.mark.django_db
def test_options_lists_the_version_extensions_and_limit(client: Client) -> None:
    response = client.options(URL)
    assert response.status_code == 204
    assert response["Tus-Version"] == "1.0.0"
    extensions = set(response["Tus-Extension"].split(","))
    assert extensions == {"creation", "termination", "expiration", "checksum"}
    assert response["Tus-Max-Size"] == str(settings.LOKET_MAX_UPLOAD_SIZE)
    assert response["Tus-Checksum-Algorithm"] == "sha1,sha256"


@pytest.mark.django_db
def test_anonymous_gets_401_for_every_method(client: Client, entity: Entity) -> None:
    assert create(client, entity).status_code == 401
    assert create(client, entity).json() == {"detail": "Unauthorized"}
    location = f"{URL}{Upload._meta.get_field('uuid').default()}"
    assert client.head(location, headers=TUS).status_code == 401
    assert patch(client, location, b"x", 0).status_code == 401
    assert client.delete(location, headers=TUS).status_code == 401
    assert Upload.objects.count() == 0


@pytest.mark.django_db
def test_a_wrong_token_gets_401_even_with_a_session(
    client_for: ClientFor, contact: User, entity: Entity
) -> None:
    client = client_for(contact)
    client.defaults["HTTP_AUTHORIZATION"] = "Bearer lok_not-a-token"
    assert create(client, entity).status_code == 401
    assert Upload.objects.count() == 0


@pytest.mark.django_db
def test_a_staff_token_may_upload(staff_reader: User, entity: Entity) -> None:
    raw = new_token()
    ApiToken.objects.create(
        user=staff_reader, name="scanner", token_hash=hash_token(raw)
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = create(client, entity)
    assert response.status_code == 201, response.content
    assert upload_of(response).owner == staff_reader


@pytest.mark.django_db
def test_the_session_needs_the_csrf_token(contact: User, entity: Entity) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(contact)
    from loket.core.middleware import SIGNED_IN_AT

    session = client.session
    session[SIGNED_IN_AT] = time.time()
    session.save()
    response = create(client, entity)
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert Upload.objects.count() == 0
    token = "a" * 32
    client.cookies["csrftoken"] = token
    response = client.post(
        URL,
        headers={
            **TUS,
            "X-CSRFToken": token,
            "Upload-Length": "10",
            "Upload-Metadata": metadata(filename="a.pdf", entity=str(entity.uuid)),
        },
    )
    assert response.status_code == 201


@pytest.mark.django_db
def test_outsider_gets_404_and_nothing_is_stored(
    client_for: ClientFor, outsider: User, entity: Entity
) -> None:
    response = create(client_for(outsider), entity)
    assert response.status_code == 404
    assert Upload.objects.count() == 0
    assert partials() == []


@pytest.mark.django_db
def test_an_unknown_entity_is_404(contact_client: Client, other_entity: Entity) -> None:
    other_entity.uuid = Upload._meta.get_field("uuid").default()
    assert create(contact_client, other_entity).status_code == 404


@pytest.mark.django_db
def test_entity_access_contact_gets_403_and_nothing_is_stored(
    client_for: ClientFor, viewer_contact: User, entity: Entity
) -> None:
    response = create(client_for(viewer_contact), entity)
    assert response.status_code == 403
    assert Upload.objects.count() == 0
    assert partials() == []


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["contact", "group_contact", "staff_reader"])
def test_entity_staff_and_readers_may_upload(
    request: pytest.FixtureRequest, client_for: ClientFor, entity: Entity, persona: str
) -> None:
    user = request.getfixturevalue(persona)
    response = create(client_for(user), entity)
    assert response.status_code == 201, response.content


@pytest.mark.django_db
def test_staff_without_a_role_gets_404(
    client_for: ClientFor, staff_member: User, entity: Entity
) -> None:
    assert create(client_for(staff_member), entity).status_code == 404


# --- Creation ----------------------------------------------------------------


@pytest.mark.django_db
def test_creation_makes_a_row_and_an_empty_partial(
    contact_client: Client, contact: User, entity: Entity
) -> None:
    response = create(contact_client, entity)
    assert response.status_code == 201
    assert response["Tus-Resumable"] == "1.0.0"
    assert response["Location"].startswith("http://testserver/api/v1/uploads/")
    assert "Upload-Expires" in response
    upload = upload_of(response)
    assert (upload.owner, upload.entity) == (contact, entity)
    assert (upload.filename, upload.length, upload.offset) == (
        "jaarrekening.pdf",
        len(PDF),
        0,
    )
    assert upload.completed_at is None
    assert storage.partial_path(upload).stat().st_size == 0
    assert storage.partial_path(upload).parent == Path(settings.LOKET_FILES_DIR) / (
        "partial"
    )


@pytest.mark.django_db
def test_tus_resumable_is_required(contact_client: Client, entity: Entity) -> None:
    response = contact_client.post(
        URL,
        headers={
            "Upload-Length": "10",
            "Upload-Metadata": metadata(filename="a.pdf", entity=str(entity.uuid)),
        },
    )
    assert response.status_code == 412
    assert response["Tus-Version"] == "1.0.0"
    assert Upload.objects.count() == 0


@pytest.mark.django_db
def test_over_size_is_413_at_creation_and_nothing_is_stored(
    contact_client: Client, entity: Entity, settings: Any
) -> None:
    settings.LOKET_MAX_UPLOAD_SIZE = 1000
    response = create(contact_client, entity, length=1001)
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]
    assert "1000" in response.json()["detail"]
    assert Upload.objects.count() == 0
    assert partials() == []


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["setup.exe", "Factuur.PDF.js", "run.sh", "x.msi"])
def test_a_blocked_extension_is_refused_at_creation(
    contact_client: Client, entity: Entity, name: str
) -> None:
    response = create(contact_client, entity, name=name)
    assert response.status_code == 422
    assert "blocked" in response.json()["detail"]
    assert Upload.objects.count() == 0
    assert partials() == []


@pytest.mark.django_db
def test_an_empty_file_is_refused(contact_client: Client, entity: Entity) -> None:
    response = contact_client.post(
        URL,
        headers={
            **TUS,
            "Upload-Length": "0",
            "Upload-Metadata": metadata(filename="leeg.pdf", entity=str(entity.uuid)),
        },
    )
    assert response.status_code == 422
    assert "empty" in response.json()["detail"]
    assert Upload.objects.count() == 0


@pytest.mark.django_db
def test_path_parts_and_control_characters_are_cleaned_from_the_name(
    contact_client: Client, entity: Entity
) -> None:
    response = create(contact_client, entity, name="../../etc/\x07pass\x00wd\t.pdf")
    assert response.status_code == 201
    assert upload_of(response).filename == "passwd .pdf"
    assert upload_of(response).metadata["filename"] == "passwd .pdf"
    response = create(contact_client, entity, name="..\\..\\windows\\win.ini ..")
    assert upload_of(response).filename == "win.ini"


@pytest.mark.django_db
def test_a_name_of_only_dots_is_refused(contact_client: Client, entity: Entity) -> None:
    response = create(contact_client, entity, name="../..")
    assert response.status_code == 422
    assert Upload.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Upload-Length": "-1"}, 400),
        ({"Upload-Length": "ten"}, 400),
        ({"Upload-Defer-Length": "1"}, 400),
        ({"Upload-Length": "10", "Upload-Metadata": "filename %%%"}, 400),
        ({"Upload-Length": "10", "Upload-Metadata": metadata(entity="x")}, 400),
    ],
)
def test_malformed_creation_is_400(
    contact_client: Client, entity: Entity, headers: dict[str, str], status: int
) -> None:
    headers = {
        "Upload-Metadata": metadata(filename="a.pdf", entity=str(entity.uuid)),
        **headers,
    }
    response = contact_client.post(URL, headers={**TUS, **headers})
    assert response.status_code == status
    assert Upload.objects.count() == 0


# --- Sending the bytes -------------------------------------------------------


@pytest.mark.django_db
def test_patches_complete_the_upload_with_hash_and_sniffed_type(
    contact_client: Client, entity: Entity
) -> None:
    location = create(contact_client, entity)["Location"]
    response = patch(contact_client, location, PDF[:4000], 0)
    assert response.status_code == 204
    assert response["Upload-Offset"] == "4000"
    head = contact_client.head(location, headers=TUS)
    assert head["Upload-Offset"] == "4000"
    assert head["Upload-Length"] == str(len(PDF))
    assert head["Cache-Control"] == "no-store"
    response = patch(contact_client, location, PDF[4000:], 4000)
    assert response.status_code == 204
    assert response["Upload-Offset"] == str(len(PDF))
    upload = Upload.objects.get()
    assert upload.is_complete
    assert upload.offset == len(PDF)
    assert upload.sha256 == hashlib.sha256(PDF).hexdigest()
    assert upload.content_type == "application/pdf"  # sniffed, not the client's
    assert storage.partial_path(upload).read_bytes() == PDF


@pytest.mark.django_db
def test_the_hash_is_rebuilt_when_another_worker_took_the_last_chunk(
    contact_client: Client, entity: Entity
) -> None:
    location = create(contact_client, entity)["Location"]
    patch(contact_client, location, PDF[:5000], 0)
    tus._hashes.clear()  # as in a fresh worker process
    patch(contact_client, location, PDF[5000:], 5000)
    assert Upload.objects.get().sha256 == hashlib.sha256(PDF).hexdigest()


@pytest.mark.django_db
def test_a_post_may_stand_for_a_patch(contact_client: Client, entity: Entity) -> None:
    location = create(contact_client, entity)["Location"]
    response = contact_client.post(
        location,
        PDF,
        content_type="application/offset+octet-stream",
        headers={**TUS, "Upload-Offset": "0", "X-HTTP-Method-Override": "PATCH"},
    )
    assert response.status_code == 204
    assert Upload.objects.get().is_complete


@pytest.mark.django_db
def test_a_wrong_offset_is_409_and_changes_nothing(
    contact_client: Client, entity: Entity
) -> None:
    location = create(contact_client, entity)["Location"]
    patch(contact_client, location, PDF[:100], 0)
    response = patch(contact_client, location, PDF[50:150], 50)
    assert response.status_code == 409
    assert Upload.objects.get().offset == 100
    assert storage.partial_path(Upload.objects.get()).read_bytes() == PDF[:100]


@pytest.mark.django_db
def test_a_wrong_content_type_is_415(contact_client: Client, entity: Entity) -> None:
    location = create(contact_client, entity)["Location"]
    response = patch(
        contact_client, location, PDF, 0, content_type="application/octet-stream"
    )
    assert response.status_code == 415
    assert Upload.objects.get().offset == 0


@pytest.mark.django_db
def test_going_past_the_length_is_413(contact_client: Client, entity: Entity) -> None:
    location = create(contact_client, entity)["Location"]
    response = patch(contact_client, location, PDF + b"more", 0)
    assert response.status_code == 413
    assert Upload.objects.get().offset == 0
    assert storage.partial_path(Upload.objects.get()).read_bytes() == b""


@pytest.mark.django_db
def test_a_checksum_mismatch_is_460_and_the_chunk_is_discarded(
    contact_client: Client, entity: Entity
) -> None:
    location = create(contact_client, entity)["Location"]
    good = patch(
        contact_client,
        location,
        PDF[:1000],
        0,
        **{"Upload-Checksum": checksum(PDF[:1000])},
    )
    assert good.status_code == 204
    damaged = PDF[1000:2000].replace(b"\x10", b"\x11")
    response = patch(
        contact_client,
        location,
        damaged,
        1000,
        **{"Upload-Checksum": checksum(PDF[1000:2000])},
    )
    assert response.status_code == 460
    upload = Upload.objects.get()
    assert upload.offset == 1000
    assert storage.partial_path(upload).read_bytes() == PDF[:1000]
    # The chunk sent again completes the upload with the right hash.
    response = patch(
        contact_client,
        location,
        PDF[1000:],
        1000,
        **{"Upload-Checksum": checksum(PDF[1000:])},
    )
    assert response.status_code == 204
    assert Upload.objects.get().sha256 == hashlib.sha256(PDF).hexdigest()


@pytest.mark.django_db
def test_a_full_disk_is_507_and_keeps_nothing_of_the_chunk(
    contact_client: Client, entity: Entity, monkeypatch: pytest.MonkeyPatch
) -> None:
    location = create(contact_client, entity)["Location"]
    patch(contact_client, location, PDF[:100], 0)

    def disk_full(fd: int, data: bytes, position: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tus, "_write_all", disk_full)
    response = patch(contact_client, location, PDF[100:], 100)
    assert response.status_code == 507
    upload = Upload.objects.get()
    assert upload.offset == 100
    assert storage.partial_path(upload).read_bytes() == PDF[:100]


@pytest.mark.django_db
def test_an_unknown_checksum_algorithm_is_400(
    contact_client: Client, entity: Entity
) -> None:
    location = create(contact_client, entity)["Location"]
    response = patch(
        contact_client, location, PDF[:10], 0, **{"Upload-Checksum": "md5 AAAA"}
    )
    assert response.status_code == 400
    assert Upload.objects.get().offset == 0


@pytest.mark.django_db
def test_a_program_is_refused_when_its_bytes_are_in(
    contact_client: Client, entity: Entity
) -> None:
    location = create(contact_client, entity, name="factuur.pdf", length=len(ELF))[
        "Location"
    ]
    response = patch(contact_client, location, ELF, 0)
    assert response.status_code == 422
    assert "program" in response.json()["detail"]
    assert Upload.objects.count() == 0
    assert partials() == []


@pytest.mark.django_db
def test_another_users_upload_is_404(
    contact_client: Client, client_for: ClientFor, group_contact: User, entity: Entity
) -> None:
    location = create(contact_client, entity)["Location"]
    other = client_for(group_contact)
    assert other.head(location, headers=TUS).status_code == 404
    assert patch(other, location, PDF, 0).status_code == 404
    assert other.delete(location, headers=TUS).status_code == 404
    upload = Upload.objects.get()
    assert upload.offset == 0
    assert storage.partial_path(upload).exists()


@pytest.mark.django_db
def test_termination_removes_the_row_and_the_bytes(
    contact_client: Client, entity: Entity
) -> None:
    location = create(contact_client, entity)["Location"]
    patch(contact_client, location, PDF[:500], 0)
    response = contact_client.delete(location, headers=TUS)
    assert response.status_code == 204
    assert Upload.objects.count() == 0
    assert partials() == []
    assert contact_client.head(location, headers=TUS).status_code == 404


@pytest.mark.django_db
def test_an_expired_upload_is_gone_and_cleaned_up(
    contact_client: Client, entity: Entity, settings: Any
) -> None:
    settings.LOKET_UPLOAD_EXPIRY = timedelta(minutes=30)  # within the session's life
    location = create(contact_client, entity)["Location"]
    patch(contact_client, location, PDF[:500], 0)
    later = timezone.now() + settings.LOKET_UPLOAD_EXPIRY + timedelta(minutes=1)
    with time_machine.travel(later):
        assert contact_client.head(location, headers=TUS).status_code == 410
        assert patch(contact_client, location, PDF[500:], 500).status_code == 410
        call_command("expire_uploads", stdout=io.StringIO())
    assert Upload.objects.count() == 0
    assert partials() == []


@pytest.mark.django_db
def test_expire_uploads_removes_old_orphans_and_spares_busy_and_fresh_files(
    contact_client: Client, entity: Entity, settings: Any
) -> None:
    old_orphan = storage.new_partial_file("orphan-old")
    hour_ago = time.time() - 2 * 3600
    os.utime(old_orphan, (hour_ago, hour_ago))
    fresh_orphan = storage.new_partial_file("orphan-fresh")
    settings.LOKET_UPLOAD_EXPIRY = timedelta(minutes=30)
    create(contact_client, entity)
    busy = Upload.objects.get()
    Upload.objects.filter(pk=busy.pk).update(expires_at=timezone.now())
    with storage.partial_path(busy).open("rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # as a PATCH receiving bytes
        call_command("expire_uploads", stdout=io.StringIO())
        assert Upload.objects.filter(pk=busy.pk).exists()
    assert not old_orphan.exists()
    assert fresh_orphan.exists()
    out = io.StringIO()
    call_command("expire_uploads", stdout=out)
    call_command("expire_uploads", stdout=io.StringIO())  # nothing left to do
    assert "Removed 1 expired uploads" in out.getvalue()
    assert Upload.objects.count() == 0
    assert partials() == [fresh_orphan]


@pytest.mark.django_db
def test_each_patch_extends_the_expiry(contact_client: Client, entity: Entity) -> None:
    location = create(contact_client, entity)["Location"]
    first = Upload.objects.get().expires_at
    with time_machine.travel(timezone.now() + timedelta(minutes=30)):
        assert patch(contact_client, location, PDF[:10], 0).status_code == 204
    assert Upload.objects.get().expires_at > first


# --- tuspy, over HTTP -------------------------------------------------------


@pytest.fixture
def server(live_server: Any) -> Iterator[str]:
    yield live_server.url
    connections.close_all()
    # Let the database be emptied after this transactional test.
    triggers.drop(connection)


def session_headers(client_for: ClientFor, user: User) -> dict[str, str]:
    """The session cookie and CSRF token of `user` signed in, as a browser
    would send them."""
    client = client_for(user)
    token = "b" * 32
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {
        "Cookie": f"{settings.SESSION_COOKIE_NAME}={session}; csrftoken={token}",
        "X-CSRFToken": token,
    }


def tus_metadata(entity: Entity, name: str = "jaarrekening.pdf") -> dict[str, str]:
    return {"filename": name, "filetype": "application/pdf", "entity": str(entity.uuid)}


BIG = b"%PDF-1.4\n" + os.urandom(300_000)


@pytest.mark.django_db(transaction=True)
def test_tuspy_uploads_a_file_in_chunks_with_sha1_checksums(
    server: str, client_for: ClientFor, contact: User, entity: Entity
) -> None:
    client = tus_client.TusClient(
        f"{server}{URL}", headers=session_headers(client_for, contact)
    )
    uploader = client.uploader(
        file_stream=io.BytesIO(BIG),
        chunk_size=64 * 1024,
        metadata=tus_metadata(entity),
        upload_checksum=True,
    )
    uploader.upload()
    upload = Upload.objects.get()
    assert upload.is_complete
    assert upload.owner == contact
    assert upload.sha256 == hashlib.sha256(BIG).hexdigest()
    assert upload.content_type == "application/pdf"
    assert storage.partial_path(upload).read_bytes() == BIG


@pytest.mark.django_db(transaction=True)
def test_tuspy_resumes_after_an_interrupted_transfer(
    server: str, client_for: ClientFor, contact: User, entity: Entity
) -> None:
    headers = session_headers(client_for, contact)
    first = tus_client.TusClient(f"{server}{URL}", headers=headers).uploader(
        file_stream=io.BytesIO(BIG), chunk_size=100_000, metadata=tus_metadata(entity)
    )
    first.upload(stop_at=200_000)
    assert first.url is not None
    assert Upload.objects.get().offset == 200_000

    # A new client (another page load) picks up where the server says it is.
    tus._hashes.clear()
    second = tus_client.TusClient(f"{server}{URL}", headers=headers).uploader(
        file_stream=io.BytesIO(BIG), chunk_size=100_000, url=first.url
    )
    assert second.offset == 200_000
    second.upload()
    upload = Upload.objects.get()
    assert upload.is_complete
    assert upload.sha256 == hashlib.sha256(BIG).hexdigest()
    assert storage.partial_path(upload).read_bytes() == BIG


@pytest.mark.django_db(transaction=True)
def test_tuspy_gets_409_for_a_wrong_offset(
    server: str, client_for: ClientFor, contact: User, entity: Entity
) -> None:
    uploader = tus_client.TusClient(
        f"{server}{URL}", headers=session_headers(client_for, contact)
    ).uploader(
        file_stream=io.BytesIO(BIG), chunk_size=100_000, metadata=tus_metadata(entity)
    )
    uploader.upload(stop_at=100_000)
    uploader.offset = 50_000  # tuspy sends from here
    with pytest.raises(TusUploadFailed) as refused:
        uploader.upload_chunk()  # type: ignore[no-untyped-call]
    assert refused.value.status_code == 409
    assert Upload.objects.get().offset == 100_000


@pytest.mark.django_db(transaction=True)
def test_tuspy_with_a_token_is_refused_a_blocked_name(
    server: str, staff_reader: User, entity: Entity
) -> None:
    raw = new_token()
    ApiToken.objects.create(user=staff_reader, name="x", token_hash=hash_token(raw))
    client = tus_client.TusClient(
        f"{server}{URL}", headers={"Authorization": f"Bearer {raw}"}
    )
    uploader = client.uploader(
        file_stream=io.BytesIO(BIG), metadata=tus_metadata(entity, "setup.exe")
    )
    with pytest.raises(TusCommunicationError) as refused:
        uploader.upload()
    assert refused.value.status_code == 422
    assert Upload.objects.count() == 0
    assert partials() == []


@pytest.mark.django_db(transaction=True)
def test_a_lost_connection_keeps_the_bytes_that_arrived(
    server: str, client_for: ClientFor, contact: User, entity: Entity
) -> None:
    headers = session_headers(client_for, contact)
    response = requests.post(
        f"{server}{URL}",
        headers={
            **headers,
            **TUS,
            "Upload-Length": str(len(BIG)),
            "Upload-Metadata": metadata(filename="a.pdf", entity=str(entity.uuid)),
        },
        timeout=10,
    )
    location = response.headers["Location"]
    # Promise the whole file, send 100,000 bytes, hang up.
    parts = urlsplit(location)
    address = (parts.hostname, parts.port or 80)
    with socket.create_connection(address, timeout=10) as raw:
        head = (
            f"PATCH {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Tus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n"
            f"Content-Type: application/offset+octet-stream\r\n"
            f"Content-Length: {len(BIG)}\r\n"
            + "".join(f"{name}: {value}\r\n" for name, value in headers.items())
            + "\r\n"
        )
        raw.sendall(head.encode() + BIG[:100_000])
    deadline = time.monotonic() + 10
    offset = "0"
    while time.monotonic() < deadline and offset != "100000":
        time.sleep(0.05)
        offset = requests.head(
            location, headers={**headers, **TUS}, timeout=10
        ).headers["Upload-Offset"]
    assert offset == "100000"
    upload = Upload.objects.get()
    assert storage.partial_path(upload).read_bytes() == BIG[:100_000]
    # The rest completes it, with the right hash.
    rest = tus_client.TusClient(f"{server}{URL}", headers=headers).uploader(
        file_stream=io.BytesIO(BIG), chunk_size=1_000_000, url=location
    )
    rest.upload()
    assert Upload.objects.get().sha256 == hashlib.sha256(BIG).hexdigest()


@pytest.mark.django_db(transaction=True)
def test_anonymous_tuspy_gets_401(server: str, entity: Entity) -> None:
    uploader = tus_client.TusClient(f"{server}{URL}").uploader(
        file_stream=io.BytesIO(BIG), metadata=tus_metadata(entity)
    )
    with pytest.raises(TusCommunicationError) as refused:
        uploader.upload()
    assert refused.value.status_code == 401
    assert Upload.objects.count() == 0


# --- The widget, in Chromium ---------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_widget_uploads_several_files_and_refuses_a_program(
    new_page: Any,  # noqa: F811 (the fixture imported above)
    live_server: Any,
    contact: User,
    entity: Entity,
    tmp_path: Path,
) -> None:
    from tests.test_browser_seed_flows import fits_the_phone, sign_in

    pdf = tmp_path / "jaarrekening 2025 €.pdf"
    pdf.write_bytes(BIG)
    exe = tmp_path / "setup.exe"
    exe.write_bytes(b"MZ" + bytes(500))
    page = new_page()
    sign_in(page, live_server.url, contact.email)
    page.goto(f"{live_server.url}/entities/{entity.uuid}/files/")
    page.locator(".uploader input[type=file]").set_input_files([pdf, exe])

    done = page.locator(".uploader-item.is-done")
    done.wait_for(timeout=15_000)
    assert "jaarrekening 2025 €.pdf" in done.inner_text()
    refused = page.locator(".uploader-item.is-error")
    refused.wait_for(timeout=15_000)
    assert "setup.exe" in refused.inner_text()
    assert "blocked" in refused.inner_text()
    assert refused.locator("button").count() == 0  # trying again cannot help
    # The commit's answer replaced the list in place.
    page.locator("#file-list").get_by_role(
        "link", name="jaarrekening 2025 €.pdf", exact=True
    ).wait_for()
    assert fits_the_phone(page)

    file = File.objects.get(entity=entity)
    version = file.versions.get()
    assert (file.name, version.size) == ("jaarrekening 2025 €.pdf", len(BIG))
    assert version.sha256 == hashlib.sha256(BIG).hexdigest()
    assert storage.local_path(version.blob).read_bytes() == BIG  # type: ignore[union-attr]
    assert Upload.objects.count() == 0
