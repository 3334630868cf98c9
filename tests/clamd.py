"""A real ClamAV daemon for the tests, with a signature database of its own.

Debian's ClamAV ships no signatures (they are downloaded by freshclam), so the
daemon loads one hash signature: the SHA-256 and size of the EICAR test file,
in sigtool's `.hsb` format (`sha256:size:name`). The daemon is started once per
test session on a unix socket in a temporary directory. Without the `clamd`
binary the tests that need it are skipped, except in CI (CI=true), where a
missing daemon is a failure.

Run `python -m tests.clamd` to start one by hand; it prints its address.
"""

import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from loket.files import clamd
from tests.radosgw import die_with_parent

# The EICAR anti-virus test file: harmless, detected by every scanner.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
SIGNATURE = "Loket-Test-EICAR"
# clamd names signatures from databases it does not know as unofficial.
FOUND_NAME = f"{SIGNATURE}.UNOFFICIAL"


def clamd_binary() -> str | None:
    """clamd lives in /usr/sbin, which is not on every user's PATH."""
    found = shutil.which("clamd") or shutil.which("clamd", path="/usr/sbin")
    return found


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI must install clamav-daemon)", pytrace=False)
    pytest.skip(reason)


class Clamd:
    """A clamd process with the test signature, on a unix socket under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.socket = root / "clamd.sock"
        self.address = f"unix://{self.socket}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> float:
        """Start the daemon and wait for its answer; return the seconds it took."""
        database = self.root / "db"
        database.mkdir()
        digest = hashlib.sha256(EICAR).hexdigest()
        (database / "loket-test.hsb").write_text(f"{digest}:{len(EICAR)}:{SIGNATURE}\n")
        config = self.root / "clamd.conf"
        config.write_text(
            f"DatabaseDirectory {database}\n"
            f"LocalSocket {self.socket}\n"
            f"LogFile {self.root / 'clamd.log'}\n"
            f"PidFile {self.root / 'clamd.pid'}\n"
            "Foreground yes\n"
            # As root clamd would switch to the clamav user, who cannot read
            # the temporary directory.
            + ("User root\n" if os.geteuid() == 0 else "")
            + "StreamMaxLength 64M\n"
        )
        started = time.monotonic()
        self.process = subprocess.Popen(
            [clamd_binary() or "clamd", "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=die_with_parent,
        )
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                error = self.process.stderr.read() if self.process.stderr else b""
                raise RuntimeError(f"clamd stopped: {error.decode(errors='replace')}")
            if self.socket.exists() and clamd.ping(self.address):
                return time.monotonic() - started
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"clamd did not answer within {timeout} s")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()
        self.process = None


@pytest.fixture(scope="session")
def clamd_daemon() -> Iterator[Clamd]:
    """A running clamd that knows the EICAR test signature."""
    if clamd_binary() is None:
        _missing("clamd is not installed (apt-get install clamav-daemon)")
    with tempfile.TemporaryDirectory(prefix="loket-clamd-") as root:
        daemon = Clamd(Path(root))
        daemon.start()
        try:
            yield daemon
        finally:
            daemon.stop()


if __name__ == "__main__":
    directory = Path(tempfile.mkdtemp(prefix="loket-clamd-"))
    daemon = Clamd(directory)
    seconds = daemon.start()
    print(f"LOKET_CLAMD={daemon.address}  (started in {seconds:.2f} s; Ctrl-C stops)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        daemon.stop()
        shutil.rmtree(directory)
