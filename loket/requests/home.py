""" "What is asked of me" on the home page, for contacts and for staff."""

from typing import Any

from django.db.models import Exists, OuterRef
from django.utils import timezone

from loket import access
from loket.accounts.models import User
from loket.requests.models import Recipient, Request
from loket.requests.querysets import OPEN, by_due_date

# How many of each the home page lists.
SHOWN = 10
RECENT_FILES = 5


def asked_of_contact(user: User) -> dict[str, Any]:
    """The open requests addressed to `user` across their entities, by due date
    (overdue ones first), and the newest files they can see."""
    addressed = Recipient.objects.filter(request_id=OuterRef("pk"), user=user)
    asked = (
        access.visible_requests(user)
        .filter(Exists(addressed), status__in=OPEN)
        .select_related("entity")
    )
    files = (
        access.visible_files(user)
        .filter(current_version__isnull=False)
        .select_related("entity", "current_version")
        .order_by("-current_version__uploaded_at", "-pk")
    )
    return {
        "asked": list(by_due_date(asked)[:SHOWN]),
        "recent_files": list(files[:RECENT_FILES]),
    }


def asked_of_staff(user: User) -> dict[str, Any]:
    """The responses waiting for `user`'s review (requests they made) and their
    requests that are overdue."""
    mine = (
        access.visible_requests(user).filter(created_by=user).select_related("entity")
    )
    to_review = mine.filter(status=Request.Status.RESPONDED).order_by(
        "responded_at", "pk"
    )
    overdue = by_due_date(
        mine.filter(status__in=OPEN, due_date__lt=timezone.localdate())
    )
    return {
        "to_review": list(to_review[:SHOWN]),
        "overdue": list(overdue[:SHOWN]),
    }
