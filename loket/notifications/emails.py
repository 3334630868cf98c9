"""One function per e-mail. Each renders templates/emails/<name>-subject.txt,
<name>.txt and <name>.html in the recipient's language and sends it."""

from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from loket.accounts.models import User
from loket.accounts.tokens import make_invitation_token


def absolute_url(path: str) -> str:
    return f"{settings.LOKET_BASE_URL}{path}"


def _send(name: str, user: User, context: dict[str, Any]) -> None:
    with translation.override(user.language):
        context = {"user": user, "firm_name": settings.LOKET_FIRM_NAME, **context}
        subject = render_to_string(f"emails/{name}-subject.txt", context)
        text = render_to_string(f"emails/{name}.txt", context)
        html = render_to_string(f"emails/{name}.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=text,
        to=[user.email],
    )
    message.attach_alternative(html, "text/html")
    message.send()


def invitation(user: User) -> None:
    token = make_invitation_token(user)
    path = reverse("accounts:activate", args=[user.uuid, token])
    _send(
        "invitation",
        user,
        {"link": absolute_url(path), "days": settings.LOKET_INVITATION_DAYS},
    )


def password_reset(user: User) -> None:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:password-reset-confirm", args=[uid, token])
    _send(
        "password-reset",
        user,
        {"link": absolute_url(path), "hours": settings.PASSWORD_RESET_TIMEOUT // 3600},
    )
