"""Stored files on S3, against a real S3 server: Ceph's RADOS Gateway started by
tests/radosgw.py (moto would accept the tampered URLs refused here)."""

import hashlib
import io
import re
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import boto3
import pytest
import requests
from botocore.config import Config
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client, TestCase
from django.utils import timezone

from loket.accounts.models import User
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.files import actions, scanning, storage
from loket.files.models import FileVersion, Upload
from loket.files.s3 import PART_SIZE, S3BlobStorage
from tests.clamd import EICAR, FOUND_NAME, Clamd
from tests.conftest import ClientFor
from tests.radosgw import Radosgw

pytestmark = pytest.mark.django_db

NAME = "Jaarrekening 2025 – Café ‘De Ster’ 😀.pdf"
PDF = b"%PDF-1.7\n" + b"1 0 obj << >> endobj\n" * 100 + b"%%EOF\n"


@pytest.fixture
def s3(radosgw: Radosgw) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=radosgw.endpoint,
        aws_access_key_id=radosgw.access_key,
        aws_secret_access_key=radosgw.secret_key,
        region_name=radosgw.region,
        config=Config(
            s3={"addressing_style": "path"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    )


@pytest.fixture
def bucket(settings: Any, s3: Any, radosgw: Radosgw) -> str:
    """A fresh bucket, made the "files" storage."""
    name = f"loket-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    settings.STORAGES = settings.STORAGES | {
        "files": {
            "BACKEND": "loket.files.s3.S3BlobStorage",
            "OPTIONS": {
                "bucket_name": name,
                "endpoint_url": radosgw.endpoint,
                "access_key": radosgw.access_key,
                "secret_key": radosgw.secret_key,
                "region_name": radosgw.region,
                "addressing_style": "path",
            },
        }
    }
    settings.LOKET_S3_URL_SECONDS = 60
    return name


def objects(s3: Any, bucket: str) -> dict[str, bytes]:
    listing = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {
        item["Key"]: s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        for item in listing
    }


def unfinished_multipart_uploads(s3: Any, bucket: str) -> list[Any]:
    return list(s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []))


def test_the_files_storage_is_s3_when_configured(bucket: str) -> None:
    assert isinstance(storage.files_storage(), S3BlobStorage)
    assert storage.local_path("ab/cd/x") is None


def test_store_stream_puts_the_bytes_in_the_bucket_hashed_and_sniffed(
    s3: Any, bucket: str
) -> None:
    blob = storage.store_stream(io.BytesIO(PDF), NAME)
    assert blob.size == len(PDF)
    assert blob.sha256 == hashlib.sha256(PDF).hexdigest()
    assert blob.content_type == "application/pdf"
    assert objects(s3, bucket) == {blob.blob: PDF}


def test_a_large_file_goes_up_in_parts_and_hashes_in_one_pass(
    s3: Any, bucket: str
) -> None:
    data = (b"0123456789abcdef" * (PART_SIZE // 16)) * 2 + b"tail"
    blob = storage.store_stream(io.BytesIO(data), "groot.txt")
    assert blob.size == len(data)
    assert blob.sha256 == hashlib.sha256(data).hexdigest()
    head = s3.head_object(Bucket=bucket, Key=blob.blob)
    assert head["ContentLength"] == len(data)
    assert head["ETag"].strip('"').endswith("-3")  # three parts
    assert unfinished_multipart_uploads(s3, bucket) == []


def test_an_over_size_file_is_refused_and_nothing_stays_in_the_bucket(
    settings: Any, s3: Any, bucket: str
) -> None:
    settings.LOKET_MAX_UPLOAD_SIZE = PART_SIZE + 100
    data = b"x" * (2 * PART_SIZE + 5)
    with pytest.raises(ValidationError):
        storage.store_stream(io.BytesIO(data), "groot.txt")
    assert objects(s3, bucket) == {}
    assert unfinished_multipart_uploads(s3, bucket) == []


def test_a_program_is_refused_by_its_bytes_and_removed_from_the_bucket(
    s3: Any, bucket: str
) -> None:
    program = b"\x7fELF\x02\x01\x01" + bytes(500)
    with pytest.raises(ValidationError):
        storage.store_stream(io.BytesIO(program), "factuur.pdf")
    assert objects(s3, bucket) == {}


def test_open_blob_streams_and_seeks_without_downloading_it_whole(
    s3: Any, bucket: str
) -> None:
    data = bytes(range(256)) * 4096  # 1 MiB
    blob = storage.store_stream(io.BytesIO(data), "data.bin")
    with storage.open_blob(blob.blob) as stream:
        assert stream.read(10) == data[:10]
        stream.seek(500_000)
        assert stream.read(5) == data[500_000:500_005]
        stream.seek(0)
        assert hashlib.sha256(stream.read()).hexdigest() == blob.sha256


def test_open_blob_of_a_missing_blob_raises_file_not_found(bucket: str) -> None:
    with pytest.raises(FileNotFoundError):
        storage.open_blob("ab/cd/missing")


def test_delete_blob_removes_the_object(s3: Any, bucket: str) -> None:
    blob = storage.store_stream(io.BytesIO(PDF), NAME)
    storage.delete_blob(blob.blob)
    assert objects(s3, bucket) == {}


def test_a_finished_tus_upload_is_sent_to_the_bucket(
    s3: Any, bucket: str, entity: Entity, contact: User
) -> None:
    data = b"%PDF-1.4\n" + b"z" * 100_000
    partial = storage.new_partial_name()
    storage.partial_dir().mkdir(parents=True, exist_ok=True)
    (storage.partial_dir() / partial).write_bytes(data)
    upload = Upload.objects.create(
        owner=contact,
        entity=entity,
        filename="scan.pdf",
        length=len(data),
        offset=len(data),
        partial=partial,
        content_type="application/pdf",
        sha256=hashlib.sha256(data).hexdigest(),
        expires_at=timezone.now() + timedelta(hours=1),
        completed_at=timezone.now(),
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        version = actions.add_upload(entity, actor=contact, upload=upload)
    assert objects(s3, bucket) == {version.blob: data}
    assert version.sha256 == hashlib.sha256(data).hexdigest()
    assert not (storage.partial_dir() / partial).exists()


# Downloads: short-lived pre-signed redirects.


@pytest.fixture
def stored(bucket: str, entity: Entity, contact: User) -> FileVersion:
    blob = storage.store_stream(io.BytesIO(PDF), NAME)
    return actions.add_file(entity, actor=contact, blob=blob, name=NAME)


def presigned(client_for: ClientFor, user: User, version: FileVersion) -> str:
    response = client_for(user).get(f"/files/versions/{version.uuid}/download/")
    assert response.status_code == 302
    location: str = response["Location"]
    return location


def test_a_download_is_a_short_lived_redirect_to_the_bucket(
    stored: FileVersion, staff_owner: User, client_for: ClientFor, radosgw: Radosgw
) -> None:
    url = presigned(client_for, staff_owner, stored)
    assert url.startswith(radosgw.endpoint + "/")
    query = dict(parse_qsl(urlsplit(url).query))
    assert query["X-Amz-Expires"] == "60"
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    assert response.content == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''Jaarrekening%202025%20%E2%80%93%20Caf%C3%A9" in disposition
    [event] = Event.objects.filter(verb=Event.Verb.FILE_DOWNLOADED)
    assert event.actor == staff_owner


def test_the_download_view_still_checks_access_before_redirecting(
    stored: FileVersion, outsider: User, client_for: ClientFor
) -> None:
    response = client_for(outsider).get(f"/files/versions/{stored.uuid}/download/")
    assert response.status_code == 404
    assert "Location" not in response


def test_the_bucket_is_not_readable_without_a_signature(
    stored: FileVersion, radosgw: Radosgw, bucket: str
) -> None:
    response = requests.get(f"{radosgw.endpoint}/{bucket}/{stored.blob}", timeout=10)
    assert response.status_code == 403
    assert PDF not in response.content


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query)) | changes
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_a_tampered_presigned_url_is_refused_by_the_server(
    stored: FileVersion,
    bucket: str,
    staff_owner: User,
    client_for: ClientFor,
    contact: User,
) -> None:
    url = presigned(client_for, staff_owner, stored)
    other = storage.store_stream(io.BytesIO(b"%PDF-1.4 another client's file"), "b.pdf")
    signature = dict(parse_qsl(urlsplit(url).query))["X-Amz-Signature"]
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    tampered = {
        "another key": url.replace(stored.blob, other.blob),
        "a longer expiry": _with_query(url, **{"X-Amz-Expires": "604800"}),
        "a changed signature": _with_query(url, **{"X-Amz-Signature": flipped}),
        "another file name": _with_query(
            url, **{"response-content-disposition": "inline; filename=x.html"}
        ),
        "another content type": _with_query(
            url, **{"response-content-type": "text/html"}
        ),
        "no signature": re.sub(r"&X-Amz-Signature=[0-9a-f]+", "", url),
    }
    assert requests.get(url, timeout=10).status_code == 200
    for what, bad in tampered.items():
        response = requests.get(bad, timeout=10)
        assert response.status_code == 403, what
        assert PDF not in response.content, what


def test_an_expired_presigned_url_is_refused(
    settings: Any, stored: FileVersion, staff_owner: User, client_for: ClientFor
) -> None:
    settings.LOKET_S3_URL_SECONDS = 1
    url = presigned(client_for, staff_owner, stored)
    time.sleep(2.1)
    response = requests.get(url, timeout=10)
    assert response.status_code == 403
    assert PDF not in response.content


# Scanning reads from the bucket too.


def test_an_infected_file_in_the_bucket_moves_to_quarantine(
    settings: Any,
    s3: Any,
    bucket: str,
    clamd_daemon: Clamd,
    entity: Entity,
    contact: User,
    staff_owner: User,
    client_for: ClientFor,
) -> None:
    settings.LOKET_CLAMD = clamd_daemon.address
    with TestCase.captureOnCommitCallbacks(execute=True):
        clean_blob = storage.store_stream(io.BytesIO(PDF), NAME)
        clean = actions.add_file(entity, actor=contact, blob=clean_blob, name=NAME)
        bad_blob = storage.store_stream(io.BytesIO(EICAR), "factuur.txt")
        bad = actions.add_file(entity, actor=contact, blob=bad_blob, name="factuur.txt")
    clean.refresh_from_db()
    bad.refresh_from_db()
    assert clean.scan == FileVersion.Scan.CLEAN
    assert bad.scan == FileVersion.Scan.INFECTED
    assert objects(s3, bucket) == {
        clean.blob: PDF,
        f"quarantine/{bad_blob.blob}": EICAR,
    }
    assert scanning.quarantine_signatures([bad]) == {bad.pk: FOUND_NAME}
    response = client_for(staff_owner).get(f"/files/versions/{bad.uuid}/download/")
    assert response.status_code == 403


def test_the_harness_reports_its_start_up_time_and_memory(
    radosgw: Radosgw,
    record_property: Any,
) -> None:
    # Not a rule, a measurement (docs/deploy.md quotes it): shown with -rP.
    print(
        f"radosgw cluster started in {radosgw.start_seconds:.1f} s, "
        f"{radosgw.memory_mib():.0f} MiB resident"
    )
    record_property("radosgw_start_seconds", radosgw.start_seconds)
    assert radosgw.start_seconds > 0
    assert Path(radosgw.conf).exists()


# Direct multipart uploads: the browser sends the parts to the bucket.


BIG = bytes(range(256)) * (33 * 1024 + 7)  # 8.25 MiB and a bit: two parts


def begin(client: Any, entity: Entity, data: bytes, name: str = NAME) -> Any:
    return client.post(
        "/api/v1/s3-uploads",
        {"entity": str(entity.uuid), "filename": name, "size": len(data)},
        content_type="application/json",
    )


def send_parts(client: Any, upload: str, data: bytes, part_size: int) -> list[Any]:
    count = -(-len(data) // part_size)
    response = client.post(
        f"/api/v1/s3-uploads/{upload}/parts",
        {"parts": list(range(1, count + 1))},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    parts = []
    for number, url in sorted(response.json()["urls"].items(), key=lambda i: int(i[0])):
        chunk = data[(int(number) - 1) * part_size : int(number) * part_size]
        put = requests.put(url, data=chunk, timeout=30)
        assert put.status_code == 200, put.text
        parts.append({"number": int(number), "etag": put.headers["ETag"]})
    return parts


def finish(client: Any, upload: str, parts: list[Any]) -> Any:
    return client.post(
        f"/api/v1/s3-uploads/{upload}/finish",
        {"parts": parts},
        content_type="application/json",
    )


def test_a_direct_upload_goes_to_the_bucket_and_becomes_a_file(
    s3: Any, bucket: str, entity: Entity, contact: User, client_for: ClientFor
) -> None:
    client = client_for(contact)
    data = b"%PDF-1.7\n" + BIG
    started = begin(client, entity, data)
    assert started.status_code == 201, started.content
    plan = started.json()
    assert plan["part_count"] == 2
    upload = plan["upload"]

    parts = send_parts(client, upload, data, plan["part_size"])
    finished = finish(client, upload, parts)
    assert finished.status_code == 200, finished.content
    assert finished.json()["sha256"] == hashlib.sha256(data).hexdigest()
    assert finished.json()["content_type"] == "application/pdf"

    committed = client.post(
        f"/api/v1/entities/{entity.uuid}/files",
        {"upload": upload},
        content_type="application/json",
    )
    assert committed.status_code == 201, committed.content
    version = FileVersion.objects.get(file__uuid=committed.json()["uuid"])
    assert version.sha256 == hashlib.sha256(data).hexdigest()
    assert version.size == len(data)
    assert objects(s3, bucket) == {version.blob: data}
    assert not Upload.objects.exists()
    assert unfinished_multipart_uploads(s3, bucket) == []


def test_the_bucket_refuses_a_part_of_another_size_than_signed(
    bucket: str, entity: Entity, contact: User, client_for: ClientFor
) -> None:
    client = client_for(contact)
    plan = begin(client, entity, BIG).json()
    urls = client.post(
        f"/api/v1/s3-uploads/{plan['upload']}/parts",
        {"parts": [2]},
        content_type="application/json",
    ).json()["urls"]
    last = BIG[plan["part_size"] :]
    assert requests.put(urls["2"], data=last + b"more", timeout=30).status_code == 403
    assert requests.put(urls["2"], data=last[:-1], timeout=30).status_code == 403


def test_finishing_a_direct_upload_with_missing_parts_is_refused(
    s3: Any, bucket: str, entity: Entity, contact: User, client_for: ClientFor
) -> None:
    client = client_for(contact)
    plan = begin(client, entity, BIG).json()
    parts = send_parts(client, plan["upload"], BIG, plan["part_size"])
    response = finish(client, plan["upload"], parts[:1])
    assert response.status_code == 422
    assert "missing parts" in str(response.json()["detail"])
    assert Upload.objects.count() == 1  # the parts may still be sent


def test_a_program_sent_directly_is_refused_and_deleted_from_the_bucket(
    s3: Any, bucket: str, entity: Entity, contact: User, client_for: ClientFor
) -> None:
    client = client_for(contact)
    program = b"\x7fELF\x02\x01\x01" + bytes(1000)
    plan = begin(client, entity, program, "rapport.pdf").json()
    parts = send_parts(client, plan["upload"], program, plan["part_size"])
    response = finish(client, plan["upload"], parts)
    assert response.status_code == 422
    assert objects(s3, bucket) == {}
    assert not Upload.objects.exists()


def test_discarding_a_direct_upload_aborts_it_in_the_bucket(
    s3: Any, bucket: str, entity: Entity, contact: User, client_for: ClientFor
) -> None:
    client = client_for(contact)
    plan = begin(client, entity, BIG).json()
    send_parts(client, plan["upload"], BIG[: plan["part_size"]], plan["part_size"])
    assert len(unfinished_multipart_uploads(s3, bucket)) == 1
    assert client.delete(f"/api/v1/s3-uploads/{plan['upload']}").status_code == 204
    assert unfinished_multipart_uploads(s3, bucket) == []
    assert not Upload.objects.exists()


def test_expire_uploads_aborts_abandoned_direct_uploads(
    s3: Any, bucket: str, entity: Entity, contact: User, client_for: ClientFor
) -> None:
    client = client_for(contact)
    begin(client, entity, BIG)
    Upload.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    call_command("expire_uploads", stdout=io.StringIO())
    assert unfinished_multipart_uploads(s3, bucket) == []
    assert not Upload.objects.exists()


def test_direct_upload_checks_name_size_and_access_before_any_byte(
    settings: Any,
    bucket: str,
    entity: Entity,
    other_entity: Entity,
    contact: User,
    viewer_contact: User,
    outsider: User,
    client_for: ClientFor,
) -> None:
    client = client_for(contact)
    assert begin(client, entity, b"x", "setup.exe").status_code == 422
    assert begin(client, entity, b"", "leeg.txt").status_code == 422
    settings.LOKET_MAX_UPLOAD_SIZE = 100
    assert begin(client, entity, b"x" * 101, "groot.txt").status_code == 422
    settings.LOKET_MAX_UPLOAD_SIZE = 10**9
    assert begin(client_for(viewer_contact), entity, BIG).status_code == 403
    assert begin(client, other_entity, BIG).status_code == 404
    assert begin(Client(), entity, BIG).status_code == 401
    assert not Upload.objects.exists()

    plan = begin(client, entity, BIG).json()
    stranger = client_for(outsider)
    bodies = {"parts": [1]}, {"parts": [{"number": 1, "etag": "x"}]}
    for path, body in zip(("parts", "finish"), bodies, strict=True):
        response = stranger.post(
            f"/api/v1/s3-uploads/{plan['upload']}/{path}",
            body,
            content_type="application/json",
        )
        assert response.status_code == 404
    assert stranger.delete(f"/api/v1/s3-uploads/{plan['upload']}").status_code == 404
    assert Upload.objects.count() == 1


def test_a_direct_upload_cannot_be_fed_through_tus(
    bucket: str, entity: Entity, contact: User, client_for: ClientFor
) -> None:
    client = client_for(contact)
    plan = begin(client, entity, BIG).json()
    response = client.generic(
        "PATCH",
        f"/api/v1/uploads/{plan['upload']}/",
        b"x",
        content_type="application/offset+octet-stream",
        headers={"Tus-Resumable": "1.0.0", "Upload-Offset": "0"},
    )
    assert response.status_code == 404


def test_direct_uploads_are_refused_when_files_are_on_local_disk(
    entity: Entity, contact: User, client_for: ClientFor
) -> None:
    response = begin(client_for(contact), entity, BIG)
    assert response.status_code == 422
    assert not Upload.objects.exists()
