"""Fetching roles, role assignments and the entity being shared, for the
Roles pages, the Share dialog, the Access tab and the API alike."""

from uuid import UUID

from django.shortcuts import get_object_or_404

from loket import access
from loket.access import AnyUser, Capability
from loket.entities.lookups import get_entity_for_user
from loket.roles.models import Role, RoleAssignment


def get_role_for_user(
    user: AnyUser, role_uuid: UUID, *, need: Capability | None = None
) -> tuple[Role, frozenset[str]]:
    """The role `role_uuid` and what `user` holds firm-wide: 404 for contacts,
    403 without `need`. Two queries."""
    return access.fetch_firm_wide(
        user, access.visible_roles(user), need=need, uuid=role_uuid
    )


def get_assignment_for_user(
    user: AnyUser, entity_uuid: UUID, assignment_uuid: UUID
) -> tuple[RoleAssignment, frozenset[str]]:
    """The role assignment `assignment_uuid` on the entity `entity_uuid`, and
    what `user` holds on that entity: as `get_entity_for_user` with
    `entity.share`, then
    404 for an assignment not on it, 403 unless `user` may hand out its role.
    Four queries."""
    entity, held = get_entity_for_user(user, entity_uuid, need=Capability.ENTITY_SHARE)
    assignment = get_object_or_404(
        entity.assignments.select_related("role", "user", "group"),
        uuid=assignment_uuid,
    )
    assignment.entity = entity
    access.require(access.may_hand_out(user, assignment.role, entity, held=held))
    return assignment, held


def get_firm_assignment_for_user(
    user: AnyUser,
    assignment_uuid: UUID,
    *,
    role: Role | None = None,
    held: frozenset[str] | None = None,
) -> tuple[RoleAssignment, frozenset[str]]:
    """The firm-wide assignment `assignment_uuid` (of `role`, when given) and
    what `user` holds firm-wide (`held`, when the caller has read it): 404
    for contacts and for an assignment on an entity, 403 unless `user` may hand
    out its role firm-wide. One or two queries."""
    assignments = RoleAssignment.objects.filter(
        entity__isnull=True, role__in=access.visible_roles(user)
    ).select_related("role", "user", "group")
    if role is not None:
        assignments = assignments.filter(role=role)
    assignment, held = access.fetch_firm_wide(
        user, assignments, held=held, uuid=assignment_uuid
    )
    access.require(access.may_hand_out_firm_wide(user, assignment.role, held=held))
    return assignment, held
