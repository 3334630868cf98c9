"""Helpers the API routers share: paging, PATCH bodies, looking up what a body
names."""

from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

from loket import access
from loket.accounts.models import User
from loket.entities.models import Entity
from loket.roles.models import Role


class Page(LimitOffsetPagination):
    """`?limit=` (1–200, 50 by default) and `?offset=`; answers
    `{"items": [...], "count": N}`."""

    class Input(Schema):
        limit: int = Field(50, ge=1, le=200)
        offset: int = Field(0, ge=0)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=200, **kwargs)


def changes(payload: Schema, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The fields a PATCH body set."""
    return {
        field: value
        for field, value in payload.model_dump(exclude_unset=True).items()
        if field not in exclude
    }


def require_staff(user: User) -> None:
    """Lists of staff, groups and roles are for staff members (403 otherwise)."""
    access.require(access.is_staff(user))


def unknown(field: str, message: str) -> ValidationError:
    """A body names something that does not exist or is out of sight (422)."""
    return ValidationError({field: message}, code="unknown")


def person(
    user: User, person_uuid: UUID, *, field: str, held: frozenset[str] | None = None
) -> User:
    """The person a body names among those `user` sees (`held`: what `user`
    holds firm-wide, read already); 422 otherwise."""
    result = access.visible_people(user, held=held).filter(uuid=person_uuid).first()
    if result is None:
        raise unknown(field, _("There is no such person."))
    return result


def people(
    user: User,
    uuids: list[UUID],
    *,
    field: str,
    held: frozenset[str] | None = None,
) -> list[User]:
    """The people a body names among those `user` sees (see `person`)."""
    wanted = set(uuids)
    found = list(access.visible_people(user, held=held).filter(uuid__in=wanted))
    if len(found) != len(wanted):
        raise unknown(field, _("There is no such person."))
    return found


def client_entity(entity_uuid: UUID) -> Entity:
    """A contact's client entity. Those who manage contacts pick from every
    entity (as on the pages): contacts.manage holds firm-wide."""
    entity = Entity.objects.filter(uuid=entity_uuid).first()
    if entity is None:
        raise unknown("client_entity", _("There is no such entity."))
    return entity


def role(user: User, key_or_uuid: str) -> Role:
    roles: QuerySet[Role] = access.visible_roles(user)
    try:
        found = roles.filter(uuid=UUID(key_or_uuid)).first()
    except ValueError:
        found = roles.filter(key=key_or_uuid).first()
    if found is None:
        raise unknown("role", _("There is no such role."))
    return found


def search_people(
    people: QuerySet[User], q: str, state: User.State | None
) -> QuerySet[User]:
    """People whose e-mail or name holds `q`, in `state`, by name."""
    if q.strip():
        term = q.strip()
        people = people.filter(
            Q(email__icontains=term)
            | Q(first_name__icontains=term)
            | Q(last_name__icontains=term)
        )
    if state:
        people = people.filter(state=state)
    return people.order_by("last_name", "first_name", "email")
