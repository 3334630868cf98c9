"""EMAIL_URL: the SMTP server in one variable, as DATABASE_URL does for the database.

    smtp://user:password@host:587      STARTTLS on 587 (the submission port)
    smtp://host:25                     plain SMTP (a relay on the same network)
    smtps://user:password@host:465     TLS from the first byte
    smtp+tls://…, smtp+ssl://…         force STARTTLS or TLS on any port

User name and password are URL-decoded (write `@` as `%40`). A query string may
set `timeout=N` (seconds).
"""

from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_SCHEMES = {"smtp", "smtps", "smtp+tls", "smtp+ssl", "submission"}


def parse_email_url(url: str) -> dict[str, Any]:
    """Django's EMAIL_* settings for `url`."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES or not parts.hostname:
        raise ImproperlyConfigured(
            "EMAIL_URL must look like smtp://user:password@host:587 "
            f"(schemes: {', '.join(sorted(_SCHEMES))})."
        )
    ssl = scheme in ("smtps", "smtp+ssl")
    try:
        port = parts.port
    except ValueError as error:
        raise ImproperlyConfigured(f"EMAIL_URL has a bad port: {error}") from error
    if port is None:
        port = 465 if ssl else 587
    tls = not ssl and (scheme in ("smtp+tls", "submission") or port == 587)
    query = parse_qs(parts.query)
    settings: dict[str, Any] = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": tls,
        "EMAIL_USE_SSL": ssl,
    }
    if "timeout" in query:
        settings["EMAIL_TIMEOUT"] = int(query["timeout"][0])
    return settings
