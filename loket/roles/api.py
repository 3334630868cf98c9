"""/api/v1/roles: built-in and custom roles, and who holds them firm-wide;
/api/v1/entities/{uuid}/access: who holds which role on an entity, and
sharing it (the Access tab and the Share dialog)."""

from datetime import datetime
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from pydantic import model_validator

from loket import access
from loket.access import Capability
from loket.accounts.models import User
from loket.api.auth import caller
from loket.api.common import Page, changes, person, require_staff, role
from loket.api.common import unknown as unknown_error
from loket.api.schemas import GroupRef, PatchSchema, PersonRef, RoleRef
from loket.entities.lookups import get_entity_for_user
from loket.groups.models import Group
from loket.roles import actions
from loket.roles.lookups import (
    get_assignment_for_user,
    get_firm_assignment_for_user,
    get_role_for_user,
)
from loket.roles.models import Role, RoleAssignment

router = Router(tags=["roles"])


class RoleOut(Schema):
    uuid: UUID
    key: str
    name: str
    description: str
    scope: Role.Scope
    audience: Role.Audience
    capabilities: list[str]
    builtin: bool

    @staticmethod
    def resolve_name(obj: Role) -> str:
        return obj.display_name


class RoleIn(Schema):
    name: str
    description: str = ""
    scope: Role.Scope
    audience: Role.Audience = Role.Audience.STAFF
    capabilities: list[Capability]


class RolePatch(PatchSchema):
    name: str | None = None
    description: str | None = None
    capabilities: list[Capability] | None = None


class PrincipalIn(Schema):
    """Exactly one of `user` and `group`."""

    user: UUID | None = None
    group: UUID | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> "PrincipalIn":
        if (self.user is None) == (self.group is None):
            raise ValueError("Give exactly one of user and group.")
        return self


class GrantIn(Schema):
    principal: PrincipalIn
    role: str = Field(description="The role's key or UUID.")


class AccessPatch(Schema):
    role: str = Field(description="The role's key or UUID.")


class AssignmentOut(Schema):
    uuid: UUID
    role: RoleRef
    user: PersonRef | None
    group: GroupRef | None
    created_at: datetime


@router.get("", response=list[RoleOut])
@paginate(Page)
def list_roles(request: HttpRequest, scope: Role.Scope | None = None) -> QuerySet[Role]:
    """Built-in and custom roles, firm roles first."""
    user = caller(request)
    require_staff(user)
    roles = access.visible_roles(user)
    if scope:
        roles = roles.filter(scope=scope)
    return roles.order_by("scope", "name", "pk")


@router.post("", response={201: RoleOut})
def create_role(request: HttpRequest, payload: RoleIn) -> Role:
    """A custom role: a named set of capabilities."""
    user = caller(request)
    access.require(access.can(user, Capability.ROLES_MANAGE))
    return actions.create_role(
        name=payload.name,
        description=payload.description,
        scope=payload.scope,
        audience=payload.audience,
        capabilities=[str(c) for c in payload.capabilities],
        actor=user,
    )


@router.get("/{role_uuid}", response=RoleOut)
def get_role(request: HttpRequest, role_uuid: UUID) -> Role:
    return get_role_for_user(caller(request), role_uuid)[0]


@router.patch("/{role_uuid}", response=RoleOut)
def update_role(request: HttpRequest, role_uuid: UUID, payload: RolePatch) -> Role:
    """Change a custom role; built-in roles cannot be changed (422)."""
    user = caller(request)
    role, _held = get_role_for_user(user, role_uuid, need=Capability.ROLES_MANAGE)
    fields = changes(payload)
    capabilities = fields.get("capabilities")
    return actions.update_role(
        role,
        name=fields.get("name", role.name),
        description=fields.get("description", role.description),
        capabilities=(
            role.capabilities
            if capabilities is None
            else [str(c) for c in capabilities]
        ),
        actor=user,
    )


@router.get("/{role_uuid}/assignments", response=list[AssignmentOut])
@paginate(Page)
def list_firm_assignments(
    request: HttpRequest, role_uuid: UUID
) -> QuerySet[RoleAssignment]:
    """Who holds this role firm-wide."""
    role, _held = get_role_for_user(
        caller(request), role_uuid, need=Capability.ROLES_MANAGE
    )
    return (
        role.assignments.filter(entity__isnull=True)
        .select_related("role", "user", "group")
        .order_by("created_at", "pk")
    )


@router.post("/{role_uuid}/assignments", response={201: AssignmentOut})
def assign_firm_role(
    request: HttpRequest, role_uuid: UUID, payload: PrincipalIn
) -> RoleAssignment:
    """Give the role firm-wide to a user or a group (409 if they hold it). The
    caller must hold its capabilities firm-wide, or may hand out any role."""
    user = caller(request)
    role, held = get_role_for_user(user, role_uuid, need=Capability.ROLES_MANAGE)
    access.require(access.may_hand_out_firm_wide(user, role, held=held))
    assignment = actions.assign_firm_role(
        role, principal(user, payload, held=held), actor=user
    )
    if assignment is None:
        raise already_held()
    return assignment


@router.delete("/{role_uuid}/assignments/{assignment_uuid}", response={204: None})
def revoke_firm_role(
    request: HttpRequest, role_uuid: UUID, assignment_uuid: UUID
) -> None:
    user = caller(request)
    role, held = get_role_for_user(user, role_uuid, need=Capability.ROLES_MANAGE)
    assignment, _held = get_firm_assignment_for_user(
        user, assignment_uuid, role=role, held=held
    )
    actions.revoke_access(assignment, actor=user)


# Access to an entity


access_router = Router(tags=["access"])


def principal(
    user: User, payload: PrincipalIn, *, held: frozenset[str] | None = None
) -> User | Group:
    """The user or group a body names, among those the caller can see (`held`:
    what the caller holds firm-wide or on an entity, read already)."""
    if payload.user is not None:
        return person(user, payload.user, field="principal", held=held)
    assert payload.group is not None
    group = access.visible_groups(user).filter(uuid=payload.group).first()
    if group is None:
        raise unknown_error("principal", _("There is no such group."))
    return group


def already_held() -> ValidationError:
    return ValidationError(_("They already hold this role."), code="duplicate")


@access_router.get("/{entity_uuid}/access", response=list[AssignmentOut])
@paginate(Page)
def list_access(request: HttpRequest, entity_uuid: UUID) -> QuerySet[RoleAssignment]:
    """The roles held on this entity itself (firm-wide roles are not listed)."""
    entity, _held = get_entity_for_user(
        caller(request), entity_uuid, need=Capability.ENTITY_SHARE
    )
    return entity.assignments.select_related("role", "user", "group").order_by(
        "created_at", "pk"
    )


@access_router.post("/{entity_uuid}/access", response={201: AssignmentOut})
def grant_access(
    request: HttpRequest, entity_uuid: UUID, payload: GrantIn
) -> RoleAssignment:
    """Share the entity: give a user or a group a role on it. The caller must
    hold every capability of the role there, or may hand out any role."""
    user = caller(request)
    entity, held = get_entity_for_user(user, entity_uuid, need=Capability.ENTITY_SHARE)
    chosen = role(user, payload.role)
    access.require(access.may_hand_out(user, chosen, entity, held=held))
    created = actions.share_entity(
        entity,
        principals=[principal(user, payload.principal, held=held)],
        roles=[chosen],
        actor=user,
    )
    if not created:
        raise already_held()
    return created[0]


@access_router.patch("/{entity_uuid}/access/{assignment_uuid}", response=AssignmentOut)
def change_access(
    request: HttpRequest, entity_uuid: UUID, assignment_uuid: UUID, payload: AccessPatch
) -> RoleAssignment:
    """Replace the role of an assignment; the caller must be able to hand out
    both the old role and the new one."""
    user = caller(request)
    assignment, held = get_assignment_for_user(user, entity_uuid, assignment_uuid)
    assert assignment.entity is not None
    chosen = role(user, payload.role)
    access.require(access.may_hand_out(user, chosen, assignment.entity, held=held))
    return actions.change_access(assignment, role=chosen, actor=user)


@access_router.delete("/{entity_uuid}/access/{assignment_uuid}", response={204: None})
def revoke_access(
    request: HttpRequest, entity_uuid: UUID, assignment_uuid: UUID
) -> None:
    """Take the role away; the caller must be able to hand it out."""
    user = caller(request)
    assignment, _held = get_assignment_for_user(user, entity_uuid, assignment_uuid)
    actions.revoke_access(assignment, actor=user)
