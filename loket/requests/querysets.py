"""The Activities lists: filters, counts per status, and what a page of
requests reads along (a fixed number of queries, whatever the page holds)."""

from datetime import timedelta
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from loket.accounts.models import User
from loket.requests.models import DECLINED, SHOWN_STATUS_CHOICES, Recipient, Request

OPEN = [Request.Status.AWAITING, Request.Status.RETURNED]


def filtered(
    requests: QuerySet[Request], data: dict[str, Any], user: User
) -> QuerySet[Request]:
    """Apply the list's filters except the status (the counts are per status)."""
    term = (data.get("entity") or "").strip()
    if term:
        requests = requests.filter(
            Q(entity__name__icontains=term) | Q(entity__client_number__icontains=term)
        )
    words = (data.get("recipient") or "").split()
    if words:
        rows = Recipient.objects.filter(request_id=OuterRef("pk"))
        for word in words:
            rows = rows.filter(
                Q(user__first_name__icontains=word)
                | Q(user__last_name__icontains=word)
                | Q(user__email__icontains=word)
            )
        requests = requests.filter(Exists(rows))
    today = timezone.localdate()
    due = data.get("due") or ""
    if due == "overdue":
        requests = requests.filter(status__in=OPEN, due_date__lt=today)
    elif due == "week":
        requests = requests.filter(
            due_date__gte=today, due_date__lte=today + timedelta(days=7)
        )
    elif due == "none":
        requests = requests.filter(due_date__isnull=True)
    if data.get("mine"):
        requests = requests.filter(created_by=user)
    return requests


# A signature request a signer declined: cancelled, and shown as declined.
_DECLINED = Q(status=Request.Status.CANCELLED, signing__state=DECLINED)


def with_status(requests: QuerySet[Request], status: str) -> QuerySet[Request]:
    """Requests in `status` as shown (see Request.shown_status)."""
    if status == "open":
        return requests.filter(status__in=OPEN)
    if status == DECLINED:
        return requests.filter(_DECLINED)
    if status == Request.Status.CANCELLED:
        return requests.filter(status=status).exclude(_DECLINED)
    if status in Request.Status.values:
        return requests.filter(status=status)
    return requests


def counts(requests: QuerySet[Request]) -> dict[str, int]:
    """How many requests there are in each status as shown (one query)."""
    shown = Case(When(_DECLINED, then=Value(DECLINED)), default=F("status"))
    found = {
        row["shown"]: row["n"]
        for row in requests.order_by().values(shown=shown).annotate(n=Count("pk"))
    }
    return {status: found.get(status, 0) for status, _label in SHOWN_STATUS_CHOICES}


def for_list(requests: QuerySet[Request]) -> QuerySet[Request]:
    """What a list row shows: the entity, the author, the recipients, and
    whether a signature request was declined."""
    return requests.select_related("entity", "created_by", "signing").prefetch_related(
        Prefetch(
            "recipient_rows",
            queryset=Recipient.objects.select_related("user").order_by(
                "user__last_name", "user__first_name", "pk"
            ),
        )
    )


def by_due_date(requests: QuerySet[Request]) -> QuerySet[Request]:
    return requests.order_by(F("due_date").asc(nulls_last=True), "created_at", "pk")
