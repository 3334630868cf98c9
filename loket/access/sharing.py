"""The sharing rule: who may hand out which role, on an entity or firm-wide,
and which entities a contact may be given as their client entity."""

from django.db.models import QuerySet

from loket.access.capabilities import Capability
from loket.access.grants import AnyUser, entity_capabilities, firm_capabilities
from loket.access.visibility import visible_entities
from loket.entities.models import Entity
from loket.roles.models import Role


def may_hand_out(
    user: AnyUser, role: Role, entity: Entity, *, held: frozenset[str] | None = None
) -> bool:
    """The sharing rule: `user` may share `entity` and holds every capability of
    `role` there, or may hand out any role. One query, none when the caller
    hands over what `user` holds on `entity` (`held`), read already."""
    if held is None:
        held = entity_capabilities(user, entity)
    if Capability.ENTITY_SHARE not in held:
        return False
    return Capability.ROLES_SHARE_ANY in held or set(role.capabilities) <= held


def roles_to_hand_out(
    user: AnyUser, entity: Entity, *, held: frozenset[str] | None = None
) -> list[Role]:
    """The entity roles `user` may give on `entity` (the sharing rule), in two
    queries whatever the number of roles (one with `held`, as `may_hand_out`)."""
    if held is None:
        held = entity_capabilities(user, entity)
    if Capability.ENTITY_SHARE not in held:
        return []
    roles = Role.objects.filter(scope=Role.Scope.ENTITY)
    if Capability.ROLES_SHARE_ANY in held:
        return list(roles)
    return [role for role in roles if set(role.capabilities) <= held]


def may_hand_out_firm_wide(
    user: AnyUser, role: Role, *, held: frozenset[str] | None = None
) -> bool:
    """The sharing rule, firm-wide: only roles whose capabilities `user` holds
    firm-wide, unless they may hand out any role. One query, none when the
    caller hands over what `user` holds firm-wide (`held`), read already."""
    if held is None:
        held = firm_capabilities(user)
    return Capability.ROLES_SHARE_ANY in held or set(role.capabilities) <= held


def assignable_client_entities(
    user: AnyUser, *, held: frozenset[str] | None = None
) -> QuerySet[Entity]:
    """Entities `user` may give a contact as its client entity (or filter contacts
    by): every entity for whoever manages contacts — a Staff Administrator holds
    no entity role, yet names each new contact's client entity — and the visible
    ones for anyone else. Naming the client entity grants no access. `held`:
    what `user` holds firm-wide, when the caller has read it already."""
    if held is None:
        held = firm_capabilities(user)
    if Capability.CONTACTS_MANAGE in held:
        return Entity.objects.all()
    return visible_entities(user)
