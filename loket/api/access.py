"""/api/v1/entities/{uuid}/access: who holds which role on an entity, and
sharing it (the Access tab and the Share dialog)."""

from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router
from ninja.pagination import paginate

from loket import access
from loket.access import Capability
from loket.accounts.models import User
from loket.api.auth import caller
from loket.api.common import Page, person, role
from loket.api.common import unknown as unknown_error
from loket.api.schemas import AccessPatch, AssignmentOut, GrantIn, PrincipalIn
from loket.entities.models import Entity
from loket.groups.models import Group
from loket.roles import actions
from loket.roles.models import RoleAssignment

router = Router(tags=["access"])


def principal(user: User, payload: PrincipalIn) -> User | Group:
    """The user or group a body names, among those the caller can see."""
    if payload.user is not None:
        return person(user, payload.user, field="principal")
    assert payload.group is not None
    group = access.visible_groups(user).filter(uuid=payload.group).first()
    if group is None:
        raise unknown_error("principal", _("There is no such group."))
    return group


def already_held() -> ValidationError:
    return ValidationError(_("They already hold this role."), code="duplicate")


def _sharing(request: HttpRequest, entity_uuid: UUID) -> tuple[User, Entity]:
    user = caller(request)
    entity = get_object_or_404(access.visible_entities(user), uuid=entity_uuid)
    access.require(access.can(user, Capability.ENTITY_SHARE, entity))
    return user, entity


def _assignment(entity: Entity, assignment_uuid: UUID) -> RoleAssignment:
    return get_object_or_404(
        entity.assignments.select_related("role", "user", "group"),
        uuid=assignment_uuid,
    )


@router.get("/{entity_uuid}/access", response=list[AssignmentOut])
@paginate(Page)
def list_access(request: HttpRequest, entity_uuid: UUID) -> QuerySet[RoleAssignment]:
    """The roles held on this entity itself (firm-wide roles are not listed)."""
    _user, entity = _sharing(request, entity_uuid)
    return entity.assignments.select_related("role", "user", "group").order_by(
        "created_at", "pk"
    )


@router.post("/{entity_uuid}/access", response={201: AssignmentOut})
def grant_access(
    request: HttpRequest, entity_uuid: UUID, payload: GrantIn
) -> RoleAssignment:
    """Share the entity: give a user or a group a role on it. The caller must
    hold every capability of the role there, or may hand out any role."""
    user, entity = _sharing(request, entity_uuid)
    chosen = role(user, payload.role)
    access.require(access.may_hand_out(user, chosen, entity))
    created = actions.share_entity(
        entity,
        principals=[principal(user, payload.principal)],
        roles=[chosen],
        actor=user,
    )
    if not created:
        raise already_held()
    return created[0]


@router.patch("/{entity_uuid}/access/{assignment_uuid}", response=AssignmentOut)
def change_access(
    request: HttpRequest, entity_uuid: UUID, assignment_uuid: UUID, payload: AccessPatch
) -> RoleAssignment:
    """Replace the role of an assignment; the caller must be able to hand out
    both the old role and the new one."""
    user, entity = _sharing(request, entity_uuid)
    assignment = _assignment(entity, assignment_uuid)
    chosen = role(user, payload.role)
    access.require(
        access.may_hand_out(user, assignment.role, entity)
        and access.may_hand_out(user, chosen, entity)
    )
    return actions.change_access(assignment, role=chosen, actor=user)


@router.delete("/{entity_uuid}/access/{assignment_uuid}", response={204: None})
def revoke_access(
    request: HttpRequest, entity_uuid: UUID, assignment_uuid: UUID
) -> None:
    """Take the role away; the caller must be able to hand it out."""
    user, entity = _sharing(request, entity_uuid)
    assignment = _assignment(entity, assignment_uuid)
    access.require(access.may_hand_out(user, assignment.role, entity))
    actions.revoke_access(assignment, actor=user)
