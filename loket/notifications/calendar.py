"""An iCalendar (RFC 5545) event for a request's due date, written by hand: one
all-day VEVENT, text escaped, lines folded at 75 octets, CRLF line ends."""

from datetime import UTC, date, datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.utils import timezone

# SEQUENCE must grow when the event changes: minutes since this moment do.
_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Split a content line into lines of at most 75 octets (RFC 5545 3.1),
    never inside a UTF-8 character; continuation lines start with a space."""
    out: list[str] = []
    current = ""
    size = 0
    limit = 75
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            out.append(current)
            current, size, limit = "", 0, 74  # the leading space takes one
        current += char
        size += width
    out.append(current)
    return "\r\n ".join(out)


def _host() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "loket"


def due_date_event(
    *, uid: str, due: date, summary: str, description: str, url: str
) -> bytes:
    """A calendar with one all-day event on `due`."""
    now = timezone.now().astimezone(UTC)
    sequence = max(0, int((now - _EPOCH).total_seconds() // 60))
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Loket//Client portal//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{uid}@{_host()}",
        f"DTSTAMP:{now:%Y%m%dT%H%M%SZ}",
        f"SEQUENCE:{sequence}",
        f"DTSTART;VALUE=DATE:{due:%Y%m%d}",
        f"DTEND;VALUE=DATE:{due + timedelta(days=1):%Y%m%d}",
        f"SUMMARY:{escape_text(summary)}",
        f"DESCRIPTION:{escape_text(description)}",
        f"URL:{url}",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return ("\r\n".join(fold(line) for line in lines) + "\r\n").encode()
