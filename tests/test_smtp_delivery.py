"""The invitation travels over a real SMTP connection to an in-process server."""

import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import Client

from loket.accounts.models import User
from tests.conftest import NEW_PASSWORD_FOR_SMTP, ClientFor


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    try:
        yield inbox
    finally:
        controller.stop()


def body_text(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no plain-text part")


@pytest.mark.django_db
def test_the_invitation_arrives_over_smtp_and_its_link_works(
    smtp_server: Inbox, client_for: ClientFor, staff_admin: User, new_contact: User
) -> None:
    client_for(staff_admin).post(f"/contacts/{new_contact.uuid}/activate/")
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == new_contact.email
    kinds = {part.get_content_type() for part in message.walk()}
    assert {"text/plain", "text/html"} <= kinds
    text = body_text(message)
    link = next(word for word in text.split() if "/accounts/activate/" in word)
    path = link.split("://", 1)[1].split("/", 1)[1]
    contact_browser = Client()
    landing = contact_browser.get("/" + path)
    response = contact_browser.post(
        landing["Location"],
        {
            "new_password1": NEW_PASSWORD_FOR_SMTP,
            "new_password2": NEW_PASSWORD_FOR_SMTP,
        },
    )
    assert response["Location"] == "/"
    new_contact.refresh_from_db()
    assert new_contact.state == User.State.ACTIVE
