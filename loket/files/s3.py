"""Stored files in an S3-compatible bucket (AWS S3, Ceph RADOS Gateway, MinIO…).

`S3BlobStorage` is django-storages' S3 storage, adjusted for blobs:
- writes stream: the bytes are read once, in order, and sent by multipart
  upload, so the caller can hash and sniff them on the way (`store_stream`) and
  memory stays bounded (a few parts);
- reads stream too: `open()` fetches the object as it is read (a seek starts a
  ranged GET) instead of downloading it whole to a temporary file first;
- downloads are short-lived pre-signed GET URLs that name the file and its type
  (`presigned_get`); the bucket itself stays private.

Only the checksums S3 requires are sent: older S3-compatible servers (radosgw
before Reef) refuse or ignore the newer default CRC checksums.
"""

import io
from typing import IO, Any, cast

from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from django.core.files import File
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

# Multipart part size: 5 GiB is 640 parts (S3 allows 10,000).
PART_SIZE = 8 * 1024 * 1024
# Parts held in memory at once by a streamed upload (each PART_SIZE).
PARTS_IN_MEMORY = 4


class _Sequential(io.RawIOBase):
    """Presents a stream as read-only and not seekable, so boto3 reads it once,
    in order, in one thread: whoever wraps the stream sees every byte once."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read(self, size: int | None = -1) -> bytes:
        return cast(bytes, self.stream.read(size if size is not None else -1))

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class _ObjectReader(io.RawIOBase):
    """An object's bytes, fetched as they are read; seeking starts a ranged GET."""

    def __init__(self, client: Any, bucket: str, key: str, size: int) -> None:
        self.client, self.bucket, self.key, self.size = client, bucket, key, size
        self.position = 0
        self.body: Any = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}
        position = max(0, base[whence] + offset)
        if position != self.position:
            self._drop_body()
            self.position = position
        return position

    def readinto(self, buffer: Any) -> int:
        if self.position >= self.size or len(buffer) == 0:
            return 0
        if self.body is None:
            self.body = self.client.get_object(
                Bucket=self.bucket, Key=self.key, Range=f"bytes={self.position}-"
            )["Body"]
        data = self.body.read(len(buffer))
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)

    def _drop_body(self) -> None:
        if self.body is not None:
            self.body.close()
            self.body = None

    def close(self) -> None:
        self._drop_body()
        super().close()


class S3BlobStorage(S3Storage):  # type: ignore[misc]
    """The "files" storage on S3 (see the module's docstring)."""

    def __init__(self, **settings: Any) -> None:
        settings.setdefault("default_acl", None)
        settings.setdefault("querystring_auth", True)
        settings.setdefault("querystring_expire", 60)
        # Blob names are generated and unique: no existence check per write.
        settings.setdefault("file_overwrite", True)
        settings.setdefault("signature_version", "s3v4")
        settings.setdefault(
            "client_config",
            Config(
                s3={"addressing_style": settings.get("addressing_style") or "auto"},
                signature_version=settings["signature_version"],
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )
        transfer = TransferConfig(
            multipart_threshold=PART_SIZE,
            multipart_chunksize=PART_SIZE,
            max_concurrency=PARTS_IN_MEMORY,
        )
        transfer.max_in_memory_upload_chunks = PARTS_IN_MEMORY
        settings.setdefault("transfer_config", transfer)
        super().__init__(**settings)

    @property
    def client(self) -> Any:
        return self.connection.meta.client

    def key(self, name: str) -> str:
        return cast(str, self._normalize_name(clean_name(name)))

    def _open(self, name: str, mode: str = "rb") -> File[bytes]:
        if mode != "rb":
            return cast(File[bytes], super()._open(name, mode))
        key = self.key(name)
        try:
            head = self.client.head_object(Bucket=self.bucket_name, Key=key)
        except self.client.exceptions.ClientError as error:
            if error.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
                raise FileNotFoundError(f"No blob {name}") from error
            raise
        raw = _ObjectReader(self.client, self.bucket_name, key, head["ContentLength"])
        return File(cast(IO[bytes], io.BufferedReader(raw, PART_SIZE // 8)), name)

    def _save(self, name: str, content: Any) -> str:
        # Not django-storages' _save: it would seek the stream and let boto3
        # read it from several threads.
        stream = content.file if isinstance(content, File) else content
        self.client.upload_fileobj(
            _Sequential(stream),
            self.bucket_name,
            self.key(name),
            ExtraArgs={"ContentType": "application/octet-stream"},
            Config=self.transfer_config,
        )
        return name

    def move(self, name: str, new_name: str) -> None:
        """Server-side copy then delete (multipart copy for large objects)."""
        self.client.copy(
            {"Bucket": self.bucket_name, "Key": self.key(name)},
            self.bucket_name,
            self.key(new_name),
            Config=self.transfer_config,
        )
        self.delete(name)

    def presigned_get(
        self, name: str, *, content_disposition: str, content_type: str, seconds: int
    ) -> str:
        """A GET URL for `name`, valid for `seconds`, whose response carries the
        given Content-Disposition and Content-Type."""
        return cast(
            str,
            self.client.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self.bucket_name,
                    "Key": self.key(name),
                    "ResponseContentDisposition": content_disposition,
                    "ResponseContentType": content_type,
                    "ResponseCacheControl": "private, no-cache",
                },
                ExpiresIn=seconds,
            ),
        )
