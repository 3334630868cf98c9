"""The shape of every `get_<thing>_for_user` helper (each app's `lookups.py`):
fetch through a `visible_*` queryset (out of scope is a 404, the same as
missing), read the user's capabilities on the object's entity once (firm-wide
for what has no entity: contacts, staff, groups, roles), and refuse with 403
without the one a page or endpoint needs. The pages and the API call the same
helper, and a page hands the capabilities down instead of asking the database
again."""

from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404

from loket.access.capabilities import Capability
from loket.access.grants import (
    AnyUser,
    entity_capabilities,
    firm_capabilities,
    require,
)
from loket.entities.models import Entity

T = TypeVar("T", bound=Model)


def _entity_of(obj: Any) -> Entity:
    entity: Entity = obj.entity
    return entity


def fetch(
    user: AnyUser,
    visible: QuerySet[T],
    *,
    need: Capability | None = None,
    entity_of: Callable[[T], Entity] = _entity_of,
    **lookup: Any,
) -> tuple[T, frozenset[str]]:
    """The object of `visible` matching `lookup` (404 when there is none) and
    what `user` holds on its entity (one query); 403 unless that holds `need`."""
    obj = get_object_or_404(visible, **lookup)
    caps = entity_capabilities(user, entity_of(obj))
    if need is not None:
        require(need in caps)
    return obj, caps


def fetch_firm_wide(
    user: AnyUser,
    visible: QuerySet[T],
    *,
    need: Capability | None = None,
    held: frozenset[str] | None = None,
    **lookup: Any,
) -> tuple[T, frozenset[str]]:
    """`fetch` for what has no entity: the object of `visible` matching
    `lookup` (404 when there is none) and what `user` holds firm-wide (one
    query, none when the caller hands over `held`, read already); 403 unless
    that holds `need`."""
    obj = get_object_or_404(visible, **lookup)
    if held is None:
        held = firm_capabilities(user)
    if need is not None:
        require(need in held)
    return obj, held
