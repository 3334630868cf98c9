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


@dataclass(frozen=True)
class Entry:
    """One event to append with `record_many`: the arguments of `record`."""

    verb: Event.Verb
    actor: User | None
    target: models.Model | None = None
    target_label: str = ""
    entity: Entity | None = None
    data: dict[str, Any] | None = None


def _event(entry: Entry, request: HttpRequest | None, prev_hash: str) -> Event:
    entity = entry.entity
    if entity is None and isinstance(entry.target, Entity):
        entity = entry.target
    event = Event(
        created_at=timezone.now(),
        actor=entry.actor,
        actor_label=entry.actor.email if entry.actor else "",
        entity=entity,
        verb=entry.verb,
        data=entry.data or {},
        ip_address=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request else "")[:512],
        prev_hash=prev_hash,
        target_label=entry.target_label,
    )
    if entry.target is not None:
        event.target_type = entry.target._meta.label_lower
        event.target_id = str(getattr(entry.target, "uuid", entry.target.pk))
        event.target_label = entry.target_label or str(entry.target)
    event.hash = event.compute_hash()
    return event


@transaction.atomic
def record_many(entries: list[Entry], *, request: HttpRequest | None = None) -> None:
    """Append several events at once (a bulk import): one lock, one read of the
    chain's head, one insert."""
    if not entries:
        return
    _lock_chain()
    previous = Event.objects.order_by("-id").values_list("hash", flat=True).first()
    events = []
    for entry in entries:
        event = _event(entry, request, previous or GENESIS_HASH)
        previous = event.hash
        events.append(event)
    Event.objects.bulk_create(events)


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
    _lock_chain()
    previous = Event.objects.order_by("-id").values_list("hash", flat=True).first()
    entry = Entry(verb, actor, target, target_label, entity, data)
    event = _event(entry, request, previous or GENESIS_HASH)
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
