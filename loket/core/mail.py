"""The embedded e-mail backend: one .eml file per message under var/mail/."""

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from uuid import uuid4

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone


class EmlFileBackend(BaseEmailBackend):
    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        super().__init__(fail_silently=fail_silently)
        self.directory = Path(kwargs.get("file_path") or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        self.directory.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
            path = self.directory / f"{stamp}-{uuid4().hex[:8]}.eml"
            path.write_bytes(message.message().as_bytes(linesep="\n"))
            if settings.LOKET_MAIL_ECHO:
                sys.stdout.write(
                    f"\n--- e-mail to {', '.join(message.to)}: {message.subject}\n"
                    f"{message.body}\n--- saved as {path}\n"
                )
                sys.stdout.flush()
        return len(email_messages)
