"""The Files tab in real Chromium with the files on S3 (Ceph radosgw from
tests/radosgw.py): the upload widget sends the file straight to the bucket by
multipart upload (/api/v1/s3-uploads, pre-signed part URLs, CORS from the
page's origin), then commits it; nothing goes through tus on local disk."""

import hashlib
import io
import random
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from loket.accounts.models import User
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.files import s3_uploads, storage
from loket.files.models import File, FileVersion, Upload
from tests.conftest import grant, make_user
from tests.test_browser_seed_flows import CHROMIUM, NewPage, new_page, sign_in
from tests.test_s3 import bucket, objects, s3, unfinished_multipart_uploads

__all__ = ["bucket", "new_page", "s3"]  # fixtures, shared

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
if not CHROMIUM:
    pytestmark.append(pytest.mark.skip(reason="no Chromium found"))

MIB = 1024 * 1024
PART_SIZE = 5 * MIB  # S3's smallest part but the last


def test_an_owner_uploads_a_large_file_straight_to_the_bucket(
    new_page: NewPage,
    live_server: Any,
    s3: Any,
    bucket: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Small parts, so a file of a few MiB goes up in three.
    monkeypatch.setattr(s3_uploads, "MIN_PART_SIZE", PART_SIZE)
    call_command("s3_cors", origin=[live_server.url], stdout=io.StringIO())
    owner = make_user("olga@firm.test", kind=User.Kind.STAFF)
    entity = Entity.objects.create(name="Bakkerij de Vries BV", client_number="C-1")
    grant(owner, "owner", entity)
    data = b"%PDF-1.7\n" + random.Random(4).randbytes(2 * PART_SIZE + 3 * MIB)
    base = live_server.url
    page = new_page()
    sign_in(page, base, owner.email)

    page.goto(f"{base}/entities/{entity.uuid}/files/")
    uploader = page.locator(".files-add .uploader")
    assert uploader.get_attribute("data-s3-uploads") == "/api/v1/s3-uploads"
    sent: list[str] = []
    page.on("request", lambda request: sent.append(f"{request.method} {request.url}"))
    # The connection drops once, on the second part: that part is sent again.
    dropped: list[str] = []

    def drop_once(route: Any) -> None:
        if route.request.method == "PUT" and not dropped:
            dropped.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route(re.compile(r".*[?&]partNumber=2&.*"), drop_once)
    uploader.locator("input.uploader-input").set_input_files(
        [{"name": "Grootboek 2025.pdf", "mimeType": "application/pdf", "buffer": data}]
    )
    item = uploader.locator(".uploader-item").first
    item.locator("progress").wait_for()
    page.wait_for_function(
        "(node) => /is-(done|error)/.test(node.className)",
        arg=item.element_handle(),
        timeout=60_000,
    )
    assert "is-done" in (item.get_attribute("class") or ""), item.inner_text()
    assert item.locator("progress").get_attribute("value") == "100"
    page.locator("#file-list .file-name a", has_text="Grootboek 2025.pdf").wait_for()

    # The parts went to the bucket, the API only signed and finished.
    puts = [line for line in sent if line.startswith("PUT ")]
    assert len(dropped) == 1
    assert len(puts) == 4  # three parts, one of them twice
    assert all(
        line.startswith(f"PUT {s3.meta.endpoint_url}/{bucket}/") for line in puts
    )
    assert not [line for line in sent if "/api/v1/uploads/" in line]  # no tus
    assert any(
        re.search(r"POST .*/api/v1/s3-uploads/[0-9a-f-]+/finish$", line)
        for line in sent
    )

    file = File.objects.get(entity=entity, name="Grootboek 2025.pdf")
    version = FileVersion.objects.get(file=file)
    digest = hashlib.sha256(data).hexdigest()
    assert version.sha256 == digest
    assert version.size == len(data)
    assert version.content_type == "application/pdf"
    stored = objects(s3, bucket)
    assert list(stored) == [version.blob]
    assert hashlib.sha256(stored[version.blob]).hexdigest() == digest
    head = s3.head_object(Bucket=bucket, Key=version.blob)
    assert head["ETag"].strip('"').endswith("-3")  # three parts
    assert unfinished_multipart_uploads(s3, bucket) == []
    assert Event.objects.filter(verb=Event.Verb.FILE_UPLOADED).count() == 1

    # No tus upload: no row left, no partial file on the local disk, and the
    # browser forgot the upload it could have resumed.
    assert not Upload.objects.exists()
    partial = storage.partial_dir()
    assert not partial.exists() or not any(Path(partial).iterdir())
    assert page.evaluate("Object.keys(localStorage)") == []
