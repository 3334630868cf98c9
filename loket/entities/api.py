"""/api/v1/entities: the firm's client entities."""

from datetime import datetime
from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from loket import access
from loket.access import Capability
from loket.accounts.models import User
from loket.api.auth import caller
from loket.api.common import Page, changes
from loket.api.schemas import PatchSchema
from loket.entities import actions
from loket.entities.lookups import get_entity_for_user
from loket.entities.models import Entity

router = Router(tags=["entities"])


class EntityOut(Schema):
    uuid: UUID
    name: str
    client_number: str
    type: Entity.Type
    street: str
    postal_code: str
    city: str
    country: str
    email: str
    phone: str
    notes: str | None = Field(description="The firm's notes; null for contacts.")
    created_at: datetime
    archived_at: datetime | None

    @staticmethod
    def resolve_notes(obj: Entity, context: dict[str, Any]) -> str | None:
        user = getattr(context["request"], "auth", None)
        return obj.notes if isinstance(user, User) and access.is_staff(user) else None


class EntityIn(Schema):
    name: str
    client_number: str = ""
    type: Entity.Type = Entity.Type.COMPANY
    street: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = ""
    email: str = ""
    phone: str = ""
    notes: str = ""


class EntityPatch(PatchSchema):
    name: str | None = None
    client_number: str | None = None
    type: Entity.Type | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None
    email: str | None = None
    phone: str | None = None
    notes: str | None = None


@router.get("", response=list[EntityOut])
@paginate(Page)
def list_entities(
    request: HttpRequest, q: str = "", archived: bool | None = None
) -> QuerySet[Entity]:
    """The entities the caller may see, filtered by name or client number
    (`q`) and by whether they are archived."""
    entities = access.visible_entities(caller(request))
    if q.strip():
        term = q.strip()
        entities = entities.filter(
            Q(name__icontains=term) | Q(client_number__icontains=term)
        )
    if archived is not None:
        entities = entities.filter(archived_at__isnull=not archived)
    return entities.order_by("name", "pk")


@router.post("", response={201: EntityOut})
def create_entity(request: HttpRequest, payload: EntityIn) -> Entity:
    user = caller(request)
    access.require(access.can(user, Capability.ENTITIES_MANAGE))
    return actions.create_entity(actor=user, **payload.model_dump())


@router.get("/{entity_uuid}", response=EntityOut)
def get_entity(request: HttpRequest, entity_uuid: UUID) -> Entity:
    entity, _caps = get_entity_for_user(caller(request), entity_uuid)
    return entity


@router.patch("/{entity_uuid}", response=EntityOut)
def update_entity(
    request: HttpRequest, entity_uuid: UUID, payload: EntityPatch
) -> Entity:
    """Change the fields given; the others stay as they are."""
    user = caller(request)
    entity, _caps = get_entity_for_user(user, entity_uuid, need=Capability.ENTITY_EDIT)
    return actions.update_entity(entity, actor=user, **changes(payload))


@router.post("/{entity_uuid}/archive", response=EntityOut)
def archive_entity(request: HttpRequest, entity_uuid: UUID) -> Entity:
    """Archive the entity: it stays, with its history, but is no longer active."""
    user = caller(request)
    entity, _caps = get_entity_for_user(
        user, entity_uuid, need=Capability.ENTITIES_MANAGE
    )
    return actions.archive_entity(entity, actor=user)


@router.post("/{entity_uuid}/restore", response=EntityOut)
def restore_entity(request: HttpRequest, entity_uuid: UUID) -> Entity:
    user = caller(request)
    entity, _caps = get_entity_for_user(
        user, entity_uuid, need=Capability.ENTITIES_MANAGE
    )
    return actions.restore_entity(entity, actor=user)
