"""Writing and checking the history."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_noop

from loket.accounts.models import User
from loket.audit.models import GENESIS_HASH, Event
from loket.entities.models import Entity

# Any constant will do: it names the lock that serialises writers of the chain.
_CHAIN_LOCK_ID = 7_405_371


def _lock_chain() -> None:
    # SQLite runs with transaction_mode=IMMEDIATE, so writers are already
    # serialised; PostgreSQL needs an explicit lock held until commit.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_ID])


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    from axes.helpers import get_client_ip_address

    ip: str | None = get_client_ip_address(request)
    return ip or None


@transaction.atomic
def record(
    verb: Event.Verb,
    *,
    actor: User | None,
    target: models.Model | None = None,
    target_label: str = "",
    entity: Entity | None = None,
    data: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> Event:
    """Append one event to the history, inside the caller's transaction.

    `target` is the object acted on; its `uuid` (or primary key) and `str()` are
    kept so the event still reads well if the object is later changed. `entity`
    files the event in that entity's history (an entity target files itself).
    """
    if entity is None and isinstance(target, Entity):
        entity = target
    _lock_chain()
    previous = Event.objects.order_by("-id").values_list("hash", flat=True).first()
    event = Event(
        created_at=timezone.now(),
        actor=actor,
        actor_label=actor.email if actor else "",
        entity=entity,
        verb=verb,
        data=data or {},
        ip_address=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request else "")[:512],
        prev_hash=previous or GENESIS_HASH,
    )
    if target is not None:
        event.target_type = target._meta.label_lower
        event.target_id = str(getattr(target, "uuid", target.pk))
        event.target_label = target_label or str(target)
    else:
        event.target_label = target_label
    event.hash = event.compute_hash()
    event.save()
    return event


@dataclass(frozen=True)
class ChainReport:
    intact: bool
    count: int
    broken_event_id: int | None = None
    reason: str = ""


def _walk(events: Iterator[Event]) -> ChainReport:
    expected_prev = GENESIS_HASH
    count = 0
    for event in events:
        if event.prev_hash != expected_prev:
            return ChainReport(
                False,
                count,
                event.pk,
                gettext_noop("its link to the previous event is broken"),
            )
        if event.compute_hash() != event.hash:
            return ChainReport(
                False,
                count,
                event.pk,
                gettext_noop("its content does not match its hash"),
            )
        expected_prev = event.hash
        count += 1
    return ChainReport(True, count)


def verify_chain() -> ChainReport:
    """Walk the whole history in order and report the first broken event."""
    return _walk(Event.objects.order_by("id").iterator(chunk_size=2000))
