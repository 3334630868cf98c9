"""/api/v1/groups: contact groups and staff groups, and their members."""

from datetime import datetime
from uuid import UUID

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from loket import access
from loket.access import Capability
from loket.accounts.models import User
from loket.api.auth import caller
from loket.api.common import Page, changes, people, require_staff
from loket.api.schemas import PatchSchema, PersonRef
from loket.groups import actions
from loket.groups.lookups import get_group_for_user, visible_groups_counted
from loket.groups.models import Group

router = Router(tags=["groups"])


class GroupOut(Schema):
    uuid: UUID
    kind: Group.Kind
    name: str
    description: str
    created_at: datetime
    member_count: int


class GroupIn(Schema):
    kind: Group.Kind
    name: str
    description: str = ""
    members: list[UUID] = Field(default_factory=list, description="User UUIDs.")


class GroupPatch(PatchSchema):
    name: str | None = None
    description: str | None = None
    members: list[UUID] | None = Field(
        None, description="User UUIDs: the group's members become exactly these."
    )


@router.get("", response=list[GroupOut])
@paginate(Page)
def list_groups(
    request: HttpRequest, q: str = "", kind: Group.Kind | None = None
) -> QuerySet[Group]:
    """Groups, filtered by name (`q`) and kind."""
    user = caller(request)
    require_staff(user)
    groups = visible_groups_counted(user)
    if q.strip():
        groups = groups.filter(name__icontains=q.strip())
    if kind:
        groups = groups.filter(kind=kind)
    return groups.order_by("name", "pk")


@router.post("", response={201: GroupOut})
def create_group(request: HttpRequest, payload: GroupIn) -> Group:
    user = caller(request)
    held = access.firm_capabilities(user)
    access.require(Capability.GROUPS_MANAGE in held)
    group = actions.create_group(
        kind=payload.kind,
        name=payload.name,
        description=payload.description,
        members=people(user, payload.members, field="members", held=held),
        actor=user,
    )
    return visible_groups_counted(user).get(pk=group.pk)


@router.get("/{group_uuid}", response=GroupOut)
def get_group(request: HttpRequest, group_uuid: UUID) -> Group:
    return get_group_for_user(caller(request), group_uuid)[0]


@router.patch("/{group_uuid}", response=GroupOut)
def update_group(request: HttpRequest, group_uuid: UUID, payload: GroupPatch) -> Group:
    """Rename or describe the group; `members`, when given, become its exact
    members."""
    user = caller(request)
    group, held = get_group_for_user(user, group_uuid, need=Capability.GROUPS_MANAGE)
    fields = changes(payload)
    members = (
        people(user, fields["members"], field="members", held=held)
        if "members" in fields
        else list(group.members.all())
    )
    actions.update_group(
        group,
        name=fields.get("name", group.name),
        description=fields.get("description", group.description),
        members=members,
        actor=user,
    )
    return visible_groups_counted(user).get(pk=group.pk)


@router.get("/{group_uuid}/members", response=list[PersonRef])
@paginate(Page)
def list_group_members(request: HttpRequest, group_uuid: UUID) -> QuerySet[User]:
    group, _held = get_group_for_user(caller(request), group_uuid)
    return group.members.order_by("last_name", "first_name", "email")


@router.put("/{group_uuid}/members/{user_uuid}", response={204: None})
def add_group_member(request: HttpRequest, group_uuid: UUID, user_uuid: UUID) -> None:
    """Add a member (a contact to a contact group, staff to a staff group)."""
    user = caller(request)
    group, held = get_group_for_user(user, group_uuid, need=Capability.GROUPS_MANAGE)
    actions.add_member(group, _member(user, held, user_uuid), actor=user)


@router.delete("/{group_uuid}/members/{user_uuid}", response={204: None})
def remove_group_member(
    request: HttpRequest, group_uuid: UUID, user_uuid: UUID
) -> None:
    user = caller(request)
    group, held = get_group_for_user(user, group_uuid, need=Capability.GROUPS_MANAGE)
    actions.remove_member(group, _member(user, held, user_uuid), actor=user)


def _member(user: User, held: frozenset[str], user_uuid: UUID) -> User:
    return get_object_or_404(access.visible_people(user, held=held), uuid=user_uuid)
