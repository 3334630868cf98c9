"""Helpers for the notification tests: requests made straight in the
database (the requests app's actions are tested elsewhere), and an SMTP
server in this process."""

import socket
from collections.abc import Iterator
from datetime import date
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller
from django.utils import timezone

from loket.accounts.models import User
from loket.entities.models import Entity
from loket.requests.models import Comment, Recipient, Request


def make_request(
    entity: Entity,
    created_by: User,
    recipients: list[User],
    *,
    subject: str = "Jaarrekening 2025",
    description: str = "De bankafschriften van december.\nEn de kasstaat.",
    additional_message: str = "",
    due_date: date | None = None,
    status: str = Request.Status.AWAITING,
) -> Request:
    request = Request.objects.create(
        entity=entity,
        subject=subject,
        description=description,
        additional_message=additional_message,
        due_date=due_date,
        status=status,
        created_by=created_by,
        sent_at=timezone.now() if status != Request.Status.NOT_SENT else None,
    )
    for user in recipients:
        Recipient.objects.create(request=request, user=user)
    return request


def make_comment(
    request: Request,
    author: User,
    body: str = "Kun je ook de kasstaat sturen?",
    *,
    internal: bool = False,
) -> Comment:
    return Comment.objects.create(
        request=request, author=author, body=body, internal=internal
    )


class Inbox:
    """An aiosmtpd handler that keeps what it receives; `refuse` answers 550."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class SmtpServer:
    """aiosmtpd on a fixed port that can be stopped and started again."""

    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def settings(self) -> dict[str, Any]:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": self.port,
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
            "EMAIL_TIMEOUT": 5,
        }


def serve() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def text_part(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain" and not part.get_filename():
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no plain-text part")
