"""A throw-away Ceph cluster with a RADOS Gateway: a real S3 server for the tests.

One monitor, one OSD on memstore (in memory, nothing written to disk but logs)
and radosgw, all on 127.0.0.1 with cephx authentication, in a temporary
directory. Started once per test session (about 12 s), stopped at its end. An
S3 user is created with `radosgw-admin` for the keys.

Without the Ceph binaries the tests that need it are skipped, except in CI
(CI=true), where that is a failure: CI installs radosgw, ceph-mon, ceph-osd
and ceph-common.

Run `python -m tests.radosgw` to start one by hand; it prints the LOKET_S3_*
settings that use it.
"""

import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

BINARIES = (
    "ceph-mon",
    "ceph-osd",
    "radosgw",
    "radosgw-admin",
    "ceph",
    "ceph-authtool",
    "monmaptool",
)
ACCESS_KEY = "LOKETTESTACCESSKEY00"
SECRET_KEY = "loket-test-secret-key-0000000000000000000"


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(
            f"{reason} (CI must install radosgw ceph-mon ceph-osd ceph-common)",
            pytrace=False,
        )
    pytest.skip(reason)


def die_with_parent() -> None:
    """In the child before exec: be killed when the test process dies, even by
    SIGKILL, so no daemon outlives the run."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class Radosgw:
    root: Path
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY
    region: str = "us-east-1"
    mon_port: int = 0
    rgw_port: int = 0
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    start_seconds: float = 0.0

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.rgw_port}"

    @property
    def conf(self) -> Path:
        return self.root / "ceph.conf"

    def memory_mib(self) -> float:
        """Resident memory of the three daemons."""
        return sum(_rss_kib(p.pid) for p in self.processes) / 1024

    def _run(self, *args: str, timeout: float = 60) -> str:
        result = subprocess.run(
            [*args],
            capture_output=True,
            check=False,
            timeout=timeout,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args)} failed ({result.returncode}): {result.stderr}"
            )
        return result.stdout

    def _daemon(self, *args: str) -> None:
        log = (self.root / f"{Path(args[0]).name}.out").open("wb")
        # -f: stay in the foreground, so the process is ours to stop.
        self.processes.append(
            subprocess.Popen(
                [*args, "-f"],
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent,
            )
        )
        log.close()

    def _write_conf(self, fsid: str) -> None:
        root = self.root
        self.conf.write_text(
            f"""[global]
fsid = {fsid}
mon host = v2:127.0.0.1:{self.mon_port}
public addr = 127.0.0.1
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
auth allow insecure global id reclaim = false
keyring = {root}/keyring
run dir = {root}/run
admin socket = {root}/run/$name.asok
log file = {root}/$name.log
pid file = {root}/run/$name.pid
ms bind ipv6 = false
ms bind msgr1 = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0
osd crush chooseleaf type = 0

[mon]
mon data = {root}/mon.$id

[osd]
osd data = {root}/osd.$id
osd objectstore = memstore
memstore device bytes = 2147483648

[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:{self.rgw_port}
rgw dns name = 127.0.0.1
"""
        )

    def start(self, timeout: float = 90.0) -> None:
        started = time.monotonic()
        root = self.root
        (root / "run").mkdir()
        (root / "mon.a").mkdir()
        (root / "osd.0").mkdir()
        self.mon_port, self.rgw_port = _free_port(), _free_port()
        fsid = str(uuid.uuid4())
        self._write_conf(fsid)
        conf = str(self.conf)
        keyring = str(root / "keyring")

        self._run(
            "ceph-authtool", "--create-keyring", keyring, "--gen-key", "-n", "mon.",
            "--cap", "mon", "allow *",
        )  # fmt: skip
        self._run(
            "ceph-authtool", keyring, "--gen-key", "-n", "client.admin",
            "--cap", "mon", "allow *", "--cap", "osd", "allow *",
            "--cap", "mgr", "allow *",
        )  # fmt: skip
        monmap = str(root / "monmap")
        self._run(
            "monmaptool", "--create", "--fsid", fsid,
            "--addv", "a", f"[v2:127.0.0.1:{self.mon_port}]", monmap,
        )  # fmt: skip
        self._run(
            "ceph-mon", "-c", conf, "--mkfs", "-i", "a", "--monmap", monmap,
            "--keyring", keyring,
        )  # fmt: skip
        self._daemon("ceph-mon", "-c", conf, "-i", "a")

        osd_uuid = str(uuid.uuid4())
        osd_key = self._run("ceph-authtool", "--gen-print-key").strip()
        secret = root / "osd-secret.json"
        secret.write_text(json.dumps({"cephx_secret": osd_key}))
        osd_id = self._run(
            "ceph", "-c", conf, "--connect-timeout", "30",
            "osd", "new", osd_uuid, "-i", str(secret),
        ).strip()  # fmt: skip
        osd_keyring = str(root / f"osd.{osd_id}" / "keyring")
        self._run(
            "ceph-authtool", "--create-keyring", osd_keyring, "-n", f"osd.{osd_id}",
            "--add-key", osd_key,
        )  # fmt: skip
        self._run(
            "ceph-osd", "-c", conf, "-i", osd_id, "--mkfs", "--osd-uuid", osd_uuid,
            "--keyring", osd_keyring,
        )  # fmt: skip
        self._daemon("ceph-osd", "-c", conf, "-i", osd_id, "--keyring", osd_keyring)

        rgw_key = self._run(
            "ceph", "-c", conf, "auth", "get-or-create", "client.rgw.a",
            "mon", "allow rw", "osd", "allow rwx",
        )  # fmt: skip
        with open(keyring, "a") as handle:
            handle.write(rgw_key)
        self._daemon("radosgw", "-c", conf, "-n", "client.rgw.a")
        self._wait_for_gateway(started + timeout)
        self._run(
            "radosgw-admin", "-c", conf, "user", "create", "--uid=loket",
            "--display-name=Loket tests", f"--access-key={self.access_key}",
            f"--secret-key={self.secret_key}",
        )  # fmt: skip
        self.start_seconds = time.monotonic() - started

    def _wait_for_gateway(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            for process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(
                        f"a Ceph daemon (pid {process.pid}) stopped; see "
                        f"{self.root}/*.log"
                    )
            try:
                with urllib.request.urlopen(self.endpoint, timeout=2):  # noqa: S310
                    return
            except urllib.error.HTTPError:
                return  # it answers
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("radosgw did not answer in time")

    def stop(self) -> None:
        # The gateway first, the monitor last; memstore keeps nothing worth a
        # clean shutdown, so whatever lingers is killed.
        for process in reversed(self.processes):
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 2
        for process in reversed(self.processes):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()


def start_radosgw(root: Path) -> Radosgw:
    gateway = Radosgw(root)
    try:
        gateway.start()
    except BaseException:
        gateway.stop()
        raise
    return gateway


@pytest.fixture(scope="session")
def radosgw() -> Iterator[Radosgw]:
    """A running radosgw with an S3 user (`access_key`, `secret_key`)."""
    missing = [name for name in BINARIES if shutil.which(name) is None]
    if missing:
        _missing(f"Ceph binaries missing: {', '.join(missing)}")
    with tempfile.TemporaryDirectory(prefix="loket-ceph-") as root:
        gateway = start_radosgw(Path(root))
        try:
            yield gateway
        finally:
            gateway.stop()


if __name__ == "__main__":
    directory = Path(tempfile.mkdtemp(prefix="loket-ceph-"))
    gateway = start_radosgw(directory)
    print(f"started in {gateway.start_seconds:.1f} s, {gateway.memory_mib():.0f} MiB")
    print(f"LOKET_S3_ENDPOINT_URL={gateway.endpoint}")
    print(f"LOKET_S3_ACCESS_KEY={gateway.access_key}")
    print(f"LOKET_S3_SECRET_KEY={gateway.secret_key}")
    print("(create the bucket yourself; Ctrl-C stops)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        gateway.stop()
        shutil.rmtree(directory)
