"""A small client for the ClamAV daemon's INSTREAM command.

The address is `unix:///run/clamav/clamd.ctl` or `tcp://127.0.0.1:3310`. The
stream is sent in chunks, each prefixed with its length as 4 bytes big-endian,
and ended by a zero-length chunk; clamd answers `stream: OK` or
`stream: <signature> FOUND`. Nothing here holds more than one chunk in memory.
"""

import socket
from dataclasses import dataclass
from typing import IO
from urllib.parse import urlsplit

# Well below clamd's StreamMaxLength (default 100M): one chunk is one send.
CHUNK_SIZE = 256 * 1024


class ClamdError(Exception):
    """The daemon could not be reached or did not give a verdict."""


@dataclass(frozen=True)
class Verdict:
    infected: bool
    signature: str = ""


def _connect(address: str, timeout: float) -> socket.socket:
    parts = urlsplit(address)
    try:
        if parts.scheme == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(parts.path)
        elif parts.scheme == "tcp" and parts.hostname and parts.port:
            sock = socket.create_connection((parts.hostname, parts.port), timeout)
        else:
            raise ClamdError(f"Not a clamd address: {address!r}.")
    except OSError as error:
        raise ClamdError(f"Cannot connect to clamd at {address}: {error}.") from error
    return sock


def _reply(sock: socket.socket) -> str:
    data = b""
    while not data.endswith(b"\0"):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.rstrip(b"\0\n").decode("utf-8", "replace")


def ping(address: str, *, timeout: float = 5.0) -> bool:
    try:
        with _connect(address, timeout) as sock:
            sock.sendall(b"zPING\0")
            return _reply(sock) == "PONG"
    except (ClamdError, OSError):
        return False


def scan_stream(address: str, stream: IO[bytes], *, timeout: float = 120.0) -> Verdict:
    """Stream `stream` to clamd and return its verdict; ClamdError when there is
    none (daemon down, size limit exceeded, read error)."""
    with _connect(address, timeout) as sock:
        try:
            sock.sendall(b"zINSTREAM\0")
            chunk = stream.read(CHUNK_SIZE)
            while chunk:
                sock.sendall(len(chunk).to_bytes(4, "big") + chunk)
                chunk = stream.read(CHUNK_SIZE)
            sock.sendall(b"\0\0\0\0")
        except (BrokenPipeError, ConnectionResetError):
            # clamd closes the connection early on its size limit: read why.
            pass
        except OSError as error:
            raise ClamdError(f"Sending to clamd failed: {error}.") from error
        try:
            reply = _reply(sock)
        except OSError as error:
            raise ClamdError(f"No answer from clamd: {error}.") from error
    if reply == "stream: OK":
        return Verdict(infected=False)
    if reply.startswith("stream: ") and reply.endswith(" FOUND"):
        return Verdict(infected=True, signature=reply[len("stream: ") : -len(" FOUND")])
    raise ClamdError(f"clamd answered {reply!r}.")
