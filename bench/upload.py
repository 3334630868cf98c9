"""How fast files go in and out through the real app server, beside the disk.

    .venv/bin/python bench/upload.py              # 1 GiB, 3 rounds, 3 minutes
    .venv/bin/python bench/upload.py --size-mib 256 --rounds 1

Runs Loket under gunicorn (one sync worker) on a throw-away SQLite database and
files folder, in a temporary folder on the disk that holds var/ (or --dir), and
measures on that disk:

- `dd … conv=fdatasync`: a sequential write that reaches the disk;
- a tus upload of the file (POST, then PATCHes of --chunk-mib, each streamed
  from the file with sendfile() so the client costs next to nothing), until
  the server answers the last PATCH: hashed, synced, sniffed;
- a plain Django multipart upload of the same file (request.FILES, then
  storage.store_stream), sent the same way;
- downloads through the app (FileResponse; gunicorn uses sendfile()) and
  through nginx with X-Accel-Redirect, beside `cat file > /dev/null`;
- the gunicorn worker's memory: peak resident size (VmHWM, reset before each
  phase) minus its size before the phase.

Downloads and `cat` read a file that was just written, so from the page cache:
they measure the path through the servers, not the disk. Each measurement is
made --rounds times, interleaved (dd, tus, multipart, downloads, then again),
and the median is reported, since a shared disk's speed moves from minute to
minute. The last line printed is JSON. Record results in docs/performance.md.
"""

# ruff: noqa: S603, S607 (runs dd, cat, df, nginx and gunicorn, by design)

import argparse
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from base64 import b64encode
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MB = 1_000_000
MIB = 1024 * 1024
# Goals from issue 4.
GOAL_TUS_VS_DISK = 0.5
GOAL_TUS_VS_MULTIPART = 1.3
GOAL_MEMORY_MIB = 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="file size")
    parser.add_argument(
        "--chunk-mib", type=int, default=256, help="bytes per tus PATCH"
    )
    parser.add_argument("--rounds", type=int, default=3, help="median of N runs")
    parser.add_argument("--dir", help="where to work (default: a folder in var/)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--no-nginx", action="store_true")
    args = parser.parse_args()

    base = Path(args.dir) if args.dir else ROOT / "var"
    base.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-upload-", dir=base))
    try:
        figures = run(work, args)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(figures))


def run(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    size = args.size_mib * MIB
    files_dir = work / "files"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.upload_settings",
        "PYTHONPATH": str(ROOT),
        "LOKET_VAR_DIR": str(work / "var"),
        "LOKET_FILES_DIR": str(files_dir),
        "LOKET_BENCH_TMP": str(work / "tmp"),
        "SECRET_KEY": secrets.token_urlsafe(40),
        "DEBUG": "false",
        "LOKET_HTTPS": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOKET_MAX_UPLOAD_SIZE": str(max(size, 5 * 1024**3)),
    }
    env.pop("DATABASE_URL", None)
    (work / "tmp").mkdir()
    (work / "var" / "static").mkdir(parents=True)  # WhiteNoise looks for it
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    token, entity_uuid = seed()

    print(f"work folder: {work} ({filesystem_of(work)})")
    print(f"file: {args.size_mib} MiB; tus PATCH: {args.chunk_mib} MiB")
    source = work / "source.pdf"
    make_file(source, size)

    app_port, accel_port, nginx_port = free_port(), free_port(), free_port()
    use_nginx = not args.no_nginx and shutil.which("nginx") is not None
    runs: dict[str, list[float]] = {}
    memory: dict[str, list[float]] = {}

    def note(name: str, seconds: float, growth: float | None = None) -> None:
        runs.setdefault(name, []).append(size / seconds / MB)
        if growth is not None:
            memory.setdefault(name, []).append(growth)
        extra = f"  (+{growth:.1f} MiB)" if growth is not None else ""
        print(f"  {name:26} {size / seconds / MB:8.1f} MB/s{extra}", flush=True)

    with (
        gunicorn(env, app_port, work / "app") as app,
        gunicorn(
            {**env, "LOKET_SENDFILE": "x-accel-redirect"}, accel_port, work / "accel"
        ),
        nginx(work / "nginx", nginx_port, accel_port, files_dir, use_nginx),
    ):
        client = Http("127.0.0.1", app_port, token)
        via_nginx = Http("127.0.0.1", nginx_port, token)
        warm_up(client, entity_uuid)
        if use_nginx:  # the X-Accel worker loads Django on its first request
            for _ in range(3):
                via_nginx.request("OPTIONS", "/api/v1/uploads/", {})
        worker = Worker(app)
        path = ""
        stored = Path()
        for round_ in range(1, args.rounds + 1):
            print(f"round {round_}:")
            note("dd conv=fdatasync", dd_write(source, work / "dd.bin", args.size_mib))

            worker.reset()
            seconds, location = tus_upload(
                client, source, entity_uuid, args.chunk_mib * MIB
            )
            note("tus upload", seconds, worker.growth_mib())
            if not path:
                version_uuid = add_version(location)
                path = f"/bench/download/{version_uuid}/"
                stored = files_dir / blob_of(version_uuid)
            else:
                drop_upload(location)

            worker.reset()
            note("multipart upload", multipart_upload(client, source), None)
            memory.setdefault("multipart upload", []).append(worker.growth_mib())
            drop_blobs(files_dir, keep=stored)

            worker.reset()
            note("download, app", download(client, path, size), worker.growth_mib())
            if use_nginx:
                note("download, nginx X-Accel", download(via_nginx, path, size))
            note("cat > /dev/null", cat_seconds(stored))

    median = {name: statistics.median(values) for name, values in runs.items()}
    growth = max(max(values) for values in memory.values())
    tus, disk = median["tus upload"], median["dd conv=fdatasync"]
    multipart = median["multipart upload"]
    print()
    for name, values in runs.items():
        low, high = min(values), max(values)
        print(f"{name:28} median {median[name]:8.1f} MB/s  ({low:.1f}–{high:.1f})")
    for name, values in memory.items():
        print(f"{name:28} memory growth, worst {max(values):.1f} MiB")
    print(
        f"tus / disk sync write: {tus / disk:.2f} (goal ≥ {GOAL_TUS_VS_DISK}); "
        f"tus / multipart: {tus / multipart:.2f} (goal ≥ {GOAL_TUS_VS_MULTIPART}); "
        f"memory growth: {growth:.1f} MiB (goal < {GOAL_MEMORY_MIB})"
    )
    nginx_median = median.get("download, nginx X-Accel")
    return {
        "tus_upload_mb_s": round(tus, 1),
        "multipart_upload_mb_s": round(multipart, 1),
        "disk_sync_write_mb_s": round(disk, 1),
        "server_memory_growth_mib": round(growth, 1),
        "download_mb_s": round(median["download, app"], 1),
        "cat_mb_s": round(median["cat > /dev/null"], 1),
        "nginx_download_mb_s": round(nginx_median, 1) if nginx_median else None,
        "tus_vs_disk": round(tus / disk, 2),
        "tus_vs_multipart": round(tus / multipart, 2),
        "size_mib": args.size_mib,
        "chunk_mib": args.chunk_mib,
        "rounds": args.rounds,
    }


# --- Set-up -------------------------------------------------------------------


def seed() -> tuple[str, str]:
    """A fresh database with a staff Owner of one entity, and their token."""
    from django.core.management import call_command

    from loket.accounts.api_tokens import create_api_token
    from loket.accounts.models import User
    from loket.entities.models import Entity
    from loket.roles.models import Role, RoleAssignment

    call_command("migrate", verbosity=0)
    user = User.objects.create_user(
        "bench@firm.test", None, kind=User.Kind.STAFF, state=User.State.ACTIVE
    )
    entity = Entity.objects.create(name="Bench BV", client_number="B-1")
    RoleAssignment.objects.create(
        user=user, role=Role.objects.get(key="owner"), entity=entity
    )
    _token, raw = create_api_token(user, name="bench", actor=user)
    return raw, str(entity.uuid)


def make_file(path: Path, size: int) -> None:
    """A PDF header, then random bytes (nothing for a disk to compress)."""
    block = os.urandom(MIB)
    with path.open("wb") as out:
        out.write(b"%PDF-1.7\n")
        written = 9
        while written < size:
            piece = block[: min(MIB, size - written)]
            out.write(piece)
            written += len(piece)


def filesystem_of(path: Path) -> str:
    result = subprocess.run(
        ["df", "--output=source,fstype", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    return " ".join(result.stdout.split()[2:]) or "?"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(env: dict[str, str], port: int, name: Path) -> Iterator[int]:
    """A gunicorn master with one sync worker; yields the master's pid."""
    binary = Path(sys.executable).parent / "gunicorn"
    process = subprocess.Popen(
        [
            str(binary),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--timeout",
            "900",
            "--chdir",
            str(ROOT),
            "--error-logfile",
            f"{name}.log",
        ],
        env=env,
    )
    try:
        wait_for_port(port)
        yield process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port}")


NGINX_CONF = """
worker_processes 1;
daemon off;
user root root;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    server {{
        listen 127.0.0.1:{port};
        # Loket checks sizes itself; tus PATCHes stream straight through.
        client_max_body_size 0;
        proxy_request_buffering off;
        proxy_http_version 1.1;
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
        # Only reachable through X-Accel-Redirect from Loket.
        location /protected-files/ {{
            internal;
            alias {files}/;
            add_header X-Content-Type-Options nosniff always;
            add_header Content-Security-Policy "default-src 'none'; sandbox" always;
            add_header Cache-Control "private, no-cache" always;
        }}
    }}
}}
"""


@contextmanager
def nginx(
    work: Path, port: int, upstream: int, files: Path, wanted: bool
) -> Iterator[None]:
    if not wanted:
        yield
        return
    work.mkdir()
    conf = work / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(work=work, port=port, upstream=upstream, files=files)
    )
    process = subprocess.Popen(
        ["nginx", "-c", str(conf), "-p", str(work)], stderr=subprocess.DEVNULL
    )
    try:
        wait_for_port(port)
        yield
    finally:
        process.send_signal(signal.SIGQUIT)
        process.wait(timeout=30)


class Worker:
    """The gunicorn worker's memory, from /proc."""

    def __init__(self, master: int) -> None:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        self.pid = int(children[0])
        self.start = 0

    def status(self, field: str) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        raise KeyError(field)

    def reset(self) -> None:
        # Writing 5 to clear_refs resets the peak (VmHWM) to the current size.
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")
        self.start = self.status("VmRSS")

    def growth_mib(self) -> float:
        return (self.status("VmHWM") - self.start) / MIB


# --- The client: raw HTTP/1.1, bodies sent with sendfile() ---------------------


class Http:
    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port, self.token = host, port, token

    def request(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        body: list[bytes | tuple[Path, int, int]] | None = None,
        sink: bool = False,
    ) -> tuple[int, dict[str, str], bytes, int]:
        """Send, then read the answer; `sink` counts the body's bytes instead
        of keeping them. Returns status, headers, body, body length."""
        body = body or []
        length = sum(len(part) if isinstance(part, bytes) else part[2] for part in body)
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        head += [f"Authorization: Bearer {self.token}", "Connection: close"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        if body or method in ("POST", "PATCH"):
            head.append(f"Content-Length: {length}")
        with socket.create_connection((self.host, self.port)) as sock:
            sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
            for part in body:
                if isinstance(part, bytes):
                    sock.sendall(part)
                else:
                    send_file(sock, *part)
            response = http.client.HTTPResponse(sock, method=method)
            response.begin()
            answer_headers = {
                name.lower(): value for name, value in response.getheaders()
            }
            if sink:
                received = 0
                buffer = bytearray(4 * MIB)
                while count := response.readinto(buffer):
                    received += count
                return response.status, answer_headers, b"", received
            data = response.read()
            return response.status, answer_headers, data, len(data)


def send_file(sock: socket.socket, path: Path, offset: int, count: int) -> None:
    with path.open("rb") as file:
        while count:
            sent = os.sendfile(sock.fileno(), file.fileno(), offset, count)
            offset += sent
            count -= sent


def warm_up(http_: Http, entity_uuid: str) -> None:
    """One small upload and a multipart one, so that the worker has imported and
    allocated what it needs before it is measured."""
    small = Path(tempfile.mkstemp(suffix=".pdf")[1])
    try:
        small.write_bytes(b"%PDF-1.7\n" + os.urandom(2 * MIB))
        tus_upload(http_, small, entity_uuid, MIB)
        multipart_upload(http_, small)
    finally:
        small.unlink()


def tus_upload(
    http_: Http, source: Path, entity_uuid: str, chunk: int
) -> tuple[float, str]:
    size = source.stat().st_size
    metadata = ",".join(
        f"{key} {b64encode(value.encode()).decode()}"
        for key, value in {"filename": source.name, "entity": entity_uuid}.items()
    )
    started = time.perf_counter()
    status, headers, body, _length = http_.request(
        "POST",
        "/api/v1/uploads/",
        {
            "Tus-Resumable": "1.0.0",
            "Upload-Length": str(size),
            "Upload-Metadata": metadata,
        },
    )
    if status != 201:
        raise SystemExit(f"tus creation failed: {status} {body!r}")
    location = headers["location"]
    path = "/" + location.split("/", 3)[3]
    offset = 0
    while offset < size:
        count = min(chunk, size - offset)
        status, headers, body, _length = http_.request(
            "PATCH",
            path,
            {
                "Tus-Resumable": "1.0.0",
                "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream",
            },
            [(source, offset, count)],
        )
        if status != 204:
            raise SystemExit(f"tus PATCH failed: {status} {body!r}")
        offset = int(headers["upload-offset"])
    return time.perf_counter() - started, location


def multipart_upload(http_: Http, source: Path) -> float:
    boundary = "----loket-bench-" + secrets.token_hex(8)
    preamble = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{source.name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    epilogue = f"\r\n--{boundary}--\r\n".encode()
    started = time.perf_counter()
    status, _headers, body, _length = http_.request(
        "POST",
        "/bench/multipart/",
        {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        [preamble, (source, 0, source.stat().st_size), epilogue],
    )
    if status != 201:
        raise SystemExit(f"multipart upload failed: {status} {body!r}")
    return time.perf_counter() - started


def add_version(location: str) -> str:
    """Turn the finished upload into a file version, as the files action does
    (storage.take_upload: a link, not a copy)."""
    from django.db import transaction

    from loket.files import storage
    from loket.files.models import File, FileVersion, Upload

    upload = Upload.objects.get(uuid=location.rsplit("/", 1)[1])
    with transaction.atomic():
        blob = storage.take_upload(upload)
        file = File.objects.create(
            entity=upload.entity, name=upload.filename, created_by=upload.owner
        )
        version = FileVersion.objects.create(
            file=file,
            number=1,
            blob=blob.blob,
            original_name=upload.filename,
            size=blob.size,
            content_type=blob.content_type,
            sha256=blob.sha256,
            uploaded_by=upload.owner,
        )
        upload.delete()
    return str(version.uuid)


def drop_upload(location: str) -> None:
    """Forget a finished upload of a later round (the disk stays as full)."""
    from loket.files import storage
    from loket.files.models import Upload

    upload = Upload.objects.get(uuid=location.rsplit("/", 1)[1])
    storage.delete_partial(upload)
    upload.delete()


def drop_blobs(files_dir: Path, keep: Path) -> None:
    """Remove the multipart round's blob; keep the one downloaded."""
    for path in files_dir.rglob("*"):
        if path.is_file() and path != keep and "partial" not in path.parts:
            path.unlink()


def blob_of(version_uuid: str) -> str:
    from loket.files.models import FileVersion

    return FileVersion.objects.get(uuid=version_uuid).blob


def download(http_: Http, path: str, size: int) -> float:
    started = time.perf_counter()
    status, headers, _body, length = http_.request("GET", path, {}, sink=True)
    seconds = time.perf_counter() - started
    if status != 200 or length != size:
        raise SystemExit(f"download failed: {status}, {length} of {size} bytes")
    if headers.get("x-content-type-options") != "nosniff" or not headers.get(
        "content-disposition", ""
    ).startswith("attachment"):
        raise SystemExit(f"download headers missing: {headers}")
    return seconds


def dd_write(source: Path, path: Path, size_mib: int) -> float:
    """Write the upload's own bytes: zeros may never reach a virtual disk (its
    layer can spot zero blocks), which made later rounds report 2 GB/s."""
    started = time.perf_counter()
    subprocess.run(
        [
            "dd",
            f"if={source}",
            f"of={path}",
            "bs=1M",
            f"count={size_mib}",
            "conv=fdatasync",
        ],
        check=True,
        capture_output=True,
    )
    seconds = time.perf_counter() - started
    path.unlink()
    return seconds


def cat_seconds(path: Path) -> float:
    started = time.perf_counter()
    subprocess.run(["cat", str(path)], stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
