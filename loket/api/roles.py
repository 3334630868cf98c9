"""/api/v1/roles: built-in and custom roles, and who holds them firm-wide."""

from uuid import UUID

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router
from ninja.pagination import paginate

from loket import access
from loket.access import Capability
from loket.accounts.models import User
from loket.api.access import already_held, principal
from loket.api.auth import caller
from loket.api.common import Page, changes, require_staff
from loket.api.schemas import (
    AssignmentOut,
    PrincipalIn,
    RoleIn,
    RoleOut,
    RolePatch,
)
from loket.roles import actions
from loket.roles.models import Role, RoleAssignment

router = Router(tags=["roles"])


def _manage(request: HttpRequest, role_uuid: UUID) -> tuple[User, Role]:
    user = caller(request)
    role = get_object_or_404(access.visible_roles(user), uuid=role_uuid)
    access.require(access.can(user, Capability.ROLES_MANAGE))
    return user, role


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
    return get_object_or_404(access.visible_roles(caller(request)), uuid=role_uuid)


@router.patch("/{role_uuid}", response=RoleOut)
def update_role(request: HttpRequest, role_uuid: UUID, payload: RolePatch) -> Role:
    """Change a custom role; built-in roles cannot be changed (422)."""
    user, role = _manage(request, role_uuid)
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
    _user, role = _manage(request, role_uuid)
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
    user, role = _manage(request, role_uuid)
    access.require(access.may_hand_out_firm_wide(user, role))
    assignment = actions.assign_firm_role(role, principal(user, payload), actor=user)
    if assignment is None:
        raise already_held()
    return assignment


@router.delete("/{role_uuid}/assignments/{assignment_uuid}", response={204: None})
def revoke_firm_role(
    request: HttpRequest, role_uuid: UUID, assignment_uuid: UUID
) -> None:
    user, role = _manage(request, role_uuid)
    assignment = get_object_or_404(
        role.assignments.filter(entity__isnull=True).select_related("user", "group"),
        uuid=assignment_uuid,
    )
    access.require(access.may_hand_out_firm_wide(user, role))
    actions.revoke_access(assignment, actor=user)
