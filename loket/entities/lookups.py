"""Fetching an entity through access, for the pages and the API alike."""

from uuid import UUID

from loket import access
from loket.access import AnyUser, Capability
from loket.entities.models import Entity


def _itself(entity: Entity) -> Entity:
    return entity


def get_entity_for_user(
    user: AnyUser, entity_uuid: UUID, *, need: Capability | None = None
) -> tuple[Entity, frozenset[str]]:
    """The entity `user` sees (404 otherwise) and what they hold there,
    firm-wide capabilities included (one query); 403 without `need`."""
    return access.fetch(
        user,
        access.visible_entities(user),
        need=need,
        entity_of=_itself,
        uuid=entity_uuid,
    )
