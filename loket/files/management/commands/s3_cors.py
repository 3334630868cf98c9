"""Sets the S3 bucket's CORS rule that direct uploads need: browsers PUT the
parts of a file to the bucket from Loket's pages (`loket.files.s3_uploads`),
and read each part's ETag from the answer.

The origins: --origin (repeatable), else LOKET_S3_CORS_ORIGINS, else the origin
of LOKET_BASE_URL. The rule replaces the bucket's CORS configuration.
`--show` prints the current one."""

import json
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from loket.files import s3_uploads

MAX_AGE_SECONDS = 3600


def cors_configuration(origins: list[str]) -> dict[str, Any]:
    """The bucket's CORS configuration for direct uploads from `origins`."""
    return {
        "CORSRules": [
            {
                "ID": "loket-direct-uploads",
                "AllowedOrigins": origins,
                "AllowedMethods": ["PUT"],
                "AllowedHeaders": ["*"],
                "ExposeHeaders": ["ETag"],
                "MaxAgeSeconds": MAX_AGE_SECONDS,
            }
        ]
    }


def origin_of(url: str) -> str:
    """`https://portal.example.nl` of a URL; CommandError when it is none."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CommandError(f"Not an http(s) origin: {url!r}")
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise CommandError(f"An origin has no path: {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


class Command(BaseCommand):
    help = "Set the S3 bucket's CORS rule so browsers may upload to it directly."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--origin",
            action="append",
            default=[],
            help="an origin allowed to PUT parts (repeatable), "
            "e.g. https://portal.example.nl",
        )
        parser.add_argument(
            "--show", action="store_true", help="print the current CORS rules"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        files = s3_uploads.bucket_storage()
        if files is None:
            raise CommandError("The files are not on S3 (LOKET_S3_BUCKET is empty).")
        client = files.client
        if options["show"]:
            try:
                rules = client.get_bucket_cors(Bucket=files.bucket_name)["CORSRules"]
            except client.exceptions.ClientError as error:
                if error.response["Error"]["Code"] != "NoSuchCORSConfiguration":
                    raise
                rules = []
            self.stdout.write(json.dumps({"CORSRules": rules}, indent=2))
            return
        wanted = (
            options["origin"]
            or list(settings.LOKET_S3_CORS_ORIGINS)
            or [settings.LOKET_BASE_URL]
        )
        origins = sorted({origin_of(url) for url in wanted})
        client.put_bucket_cors(
            Bucket=files.bucket_name, CORSConfiguration=cors_configuration(origins)
        )
        self.stdout.write(
            f"Bucket {files.bucket_name}: PUT allowed from {', '.join(origins)}."
        )
