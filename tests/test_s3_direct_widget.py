"""The upload widget's switch to direct uploads, and `manage.py s3_cors`, the
bucket's CORS rule they need (against radosgw; the browser test is
tests/test_browser_s3_upload.py)."""

import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from loket.accounts.models import User
from loket.entities.models import Entity
from tests.conftest import ClientFor
from tests.test_s3 import bucket, s3

__all__ = ["bucket", "s3"]  # fixtures, shared

pytestmark = pytest.mark.django_db


def _files_tab(client_for: ClientFor, user: User, entity: Entity) -> str:
    response = client_for(user).get(f"/entities/{entity.uuid}/files/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_widget_uses_tus_when_files_are_on_local_disk(
    entity: Entity, staff_owner: User, client_for: ClientFor
) -> None:
    page = _files_tab(client_for, staff_owner, entity)
    assert 'class="uploader"' in page
    assert "data-s3-uploads" not in page


def test_the_widget_goes_to_the_bucket_when_files_are_on_s3(
    bucket: str, entity: Entity, staff_owner: User, client_for: ClientFor
) -> None:
    page = _files_tab(client_for, staff_owner, entity)
    assert 'data-s3-uploads="/api/v1/s3-uploads"' in page


def test_s3_cors_lets_the_origin_put_parts_and_read_the_etag(
    settings: Any, s3: Any, bucket: str
) -> None:
    settings.LOKET_S3_CORS_ORIGINS = ["https://portal.example.nl/"]
    out = io.StringIO()
    call_command("s3_cors", stdout=out)
    assert "https://portal.example.nl" in out.getvalue()
    (rule,) = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert rule["AllowedOrigins"] == ["https://portal.example.nl"]
    assert rule["AllowedMethods"] == ["PUT"]
    assert rule["ExposeHeaders"] == ["ETag"]

    shown = io.StringIO()
    call_command("s3_cors", "--show", stdout=shown)
    assert json.loads(shown.getvalue())["CORSRules"][0]["AllowedMethods"] == ["PUT"]


def test_s3_cors_defaults_to_the_sites_origin(
    settings: Any, s3: Any, bucket: str
) -> None:
    settings.LOKET_S3_CORS_ORIGINS = []
    settings.LOKET_BASE_URL = "https://loket.kantoor.nl"
    call_command("s3_cors", stdout=io.StringIO())
    (rule,) = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert rule["AllowedOrigins"] == ["https://loket.kantoor.nl"]


def test_s3_cors_refuses_what_is_not_an_origin(s3: Any, bucket: str) -> None:
    for wrong in ("portal.example.nl", "https://portal.example.nl/app", "ftp://x"):
        with pytest.raises(CommandError):
            call_command("s3_cors", origin=[wrong], stdout=io.StringIO())
    with pytest.raises(s3.exceptions.ClientError):
        s3.get_bucket_cors(Bucket=bucket)


def test_s3_cors_refuses_when_files_are_on_local_disk() -> None:
    with pytest.raises(CommandError, match="not on S3"):
        call_command("s3_cors", stdout=io.StringIO())
