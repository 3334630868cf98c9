"""Every change to an entity: atomic, each writing its history event."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from loket.accounts.models import User
from loket.audit.actions import record
from loket.audit.models import Event
from loket.core.changes import apply_changes
from loket.entities.models import Entity


@transaction.atomic
def create_entity(*, actor: User, **fields: Any) -> Entity:
    entity = Entity(**fields)
    entity.full_clean()
    entity.save()
    record(
        Event.Verb.ENTITY_CREATED,
        actor=actor,
        target=entity,
        data={k: str(v) for k, v in fields.items() if v},
    )
    return entity


@transaction.atomic
def update_entity(entity: Entity, *, actor: User, **changes: Any) -> Entity:
    diff = apply_changes(entity, changes)
    if diff:
        entity.full_clean()
        entity.save()
        record(Event.Verb.ENTITY_CHANGED, actor=actor, target=entity, data=diff)
    return entity


@transaction.atomic
def archive_entity(entity: Entity, *, actor: User) -> Entity:
    if entity.archived_at is None:
        entity.archived_at = timezone.now()
        entity.save(update_fields=["archived_at"])
        record(Event.Verb.ENTITY_ARCHIVED, actor=actor, target=entity)
    return entity


@transaction.atomic
def restore_entity(entity: Entity, *, actor: User) -> Entity:
    if entity.archived_at is not None:
        entity.archived_at = None
        entity.save(update_fields=["archived_at"])
        record(Event.Verb.ENTITY_RESTORED, actor=actor, target=entity)
    return entity
