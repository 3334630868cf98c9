""" "What is asked of me" on the home page, for contacts and for staff."""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone

from loket import access
from loket.accounts.models import User
from loket.requests.models import Recipient, Request
from loket.requests.querysets import OPEN, by_due_date
from loket.signatures import signers

# How many of each the home page lists.
SHOWN = 10
RECENT_FILES = 5


@dataclass
class Asked:
    """One line of "what is asked of me": a request, and for a signature
    request whether it is the user's turn to sign or whom they wait for."""

    request: Request
    to_sign: bool = False
    waiting_for: list[User] = field(default_factory=list)

    @property
    def is_signature(self) -> bool:
        return self.request.kind == Request.Kind.SIGNATURE

    @property
    def link(self) -> str:
        if self.to_sign:
            return reverse("signatures:sign", args=[self.request.uuid])
        return self.request.get_absolute_url()

    @property
    def document_name(self) -> str:
        return self.request.signing.document_name if self.is_signature else ""


def _asked_of(user: User) -> QuerySet[Request]:
    """The open requests addressed to `user` that still ask something of
    them (not a signature request they have signed or declined)."""
    addressed = Recipient.objects.filter(request_id=OuterRef("pk"), user=user)
    return (
        access.visible_requests(user)
        .filter(Exists(addressed), status__in=OPEN)
        .filter(signers.asks_something_of(user))
        .select_related("entity", "signing")
    )


def _lines(requests: list[Request], user: User) -> list[Asked]:
    turns = signers.sign_turns(requests, user)
    lines = []
    for request in requests:
        ahead = turns.get(request.pk)
        if request.kind == Request.Kind.SIGNATURE and ahead is not None:
            lines.append(Asked(request, to_sign=not ahead, waiting_for=ahead))
        else:
            lines.append(Asked(request))
    return lines


def asked_of_contact(user: User) -> dict[str, Any]:
    """The open requests addressed to `user` across their entities, by due date
    (overdue ones first), and the newest files they can see. A signature
    request is theirs to sign, or shows whom it waits for first."""
    asked = list(by_due_date(_asked_of(user))[:SHOWN])
    files = (
        access.visible_files(user)
        .filter(current_version__isnull=False)
        .select_related("entity", "current_version")
        .order_by("-current_version__uploaded_at", "-pk")
    )
    return {
        "asked": _lines(asked, user),
        "recent_files": list(files[:RECENT_FILES]),
    }


def asked_of_staff(user: User) -> dict[str, Any]:
    """The responses waiting for `user`'s review (requests they made), their
    requests that are overdue, and documents they are asked to sign."""
    mine = (
        access.visible_requests(user).filter(created_by=user).select_related("entity")
    )
    to_review = mine.filter(status=Request.Status.RESPONDED).order_by(
        "responded_at", "pk"
    )
    overdue = by_due_date(
        mine.filter(status__in=OPEN, due_date__lt=timezone.localdate())
    )
    to_sign = by_due_date(_asked_of(user).filter(kind=Request.Kind.SIGNATURE))
    return {
        "to_review": list(to_review[:SHOWN]),
        "overdue": list(overdue[:SHOWN]),
        "to_sign": _lines(list(to_sign[:SHOWN]), user),
    }
