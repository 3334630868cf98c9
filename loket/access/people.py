"""Who holds what: the people holding a capability on an entity (request
recipients, signers, the staff to tell), and the roles a person or group holds
there with where each comes from (the Share dialog's Inherited column)."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from loket.access.capabilities import Capability
from loket.access.grants import _assignments_of
from loket.accounts.models import User
from loket.entities.models import Entity
from loket.groups.models import Group, GroupMembership
from loket.roles.models import Role, RoleAssignment


def roles_with(capability: Capability) -> list[int]:
    """Ids of the roles that grant `capability` (roles are few; one query)."""
    return [
        pk
        for pk, capabilities in Role.objects.order_by().values_list(
            "pk", "capabilities"
        )
        if capability in capabilities
    ]


def people_with(
    entity: Entity, capability: Capability, *, firm_wide: bool = True
) -> QuerySet[User]:
    """Users not deactivated who hold `capability` on `entity`, directly or
    through a group — and, with `firm_wide`, through firm-wide assignments.
    Two queries (the roles, then the users)."""
    role_ids = roles_with(capability)
    here = Q(entity=entity) | Q(entity__isnull=True) if firm_wide else Q(entity=entity)
    group_here = (
        Q(group__assignments__entity=entity)
        | Q(group__assignments__entity__isnull=True)
        if firm_wide
        else Q(group__assignments__entity=entity)
    )
    direct = (
        RoleAssignment.objects.filter(here, role_id__in=role_ids, user__isnull=False)
        .order_by()
        .values("user_id")
    )
    through_groups = GroupMembership.objects.filter(
        group_here, group__assignments__role_id__in=role_ids
    ).values("user_id")
    return (
        User.objects.filter(id__in=direct.union(through_groups))
        .exclude(state=User.State.DEACTIVATED)
        .order_by("kind", "first_name", "last_name", "email")
    )


def contacts_with_access(
    entity: Entity, capability: Capability = Capability.ENTITY_VIEW
) -> QuerySet[User]:
    """Contacts who hold `capability` on `entity` through a direct or group
    assignment: the recipients a request on this entity can be addressed to."""
    return people_with(entity, capability, firm_wide=False).filter(
        kind=User.Kind.CONTACT
    )


@dataclass(frozen=True)
class HeldRole:
    """A role a principal holds on an entity, and where it comes from."""

    role: Role
    assignment: RoleAssignment
    via_group: Group | None
    firm_wide: bool

    @property
    def direct(self) -> bool:
        return self.via_group is None and not self.firm_wide


def roles_of(principal: User | Group, entity: Entity) -> list[HeldRole]:
    """The roles `principal` holds on `entity`, each with its source: direct,
    through a group, firm-wide. One query."""
    if isinstance(principal, Group):
        scope = RoleAssignment.objects.filter(group=principal)
    else:
        scope = _assignments_of(principal)
    assignments = (
        scope.filter(Q(entity__isnull=True) | Q(entity=entity))
        .select_related("role", "group")
        .order_by("role__name", "pk")
    )
    held = []
    for assignment in assignments:
        via = (
            assignment.group
            if assignment.group_id and isinstance(principal, User)
            else None
        )
        held.append(
            HeldRole(
                role=assignment.role,
                assignment=assignment,
                via_group=via,
                firm_wide=assignment.entity_id is None,
            )
        )
    return held


def holders_of(capability: Capability) -> QuerySet[User]:
    """Active staff who hold `capability` firm-wide, directly or through a group."""
    role_ids = roles_with(capability)
    direct = RoleAssignment.objects.filter(
        entity__isnull=True, role_id__in=role_ids, user__isnull=False
    ).values("user_id")
    through_groups = GroupMembership.objects.filter(
        group__assignments__entity__isnull=True,
        group__assignments__role_id__in=role_ids,
    ).values("user_id")
    return User.objects.filter(
        kind=User.Kind.STAFF,
        state=User.State.ACTIVE,
        id__in=direct.union(through_groups),
    )
