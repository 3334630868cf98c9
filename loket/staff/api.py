"""/api/v1/staff: the firm's staff members."""

from collections.abc import Callable
from uuid import UUID

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate

from loket import access
from loket.access import Capability
from loket.accounts import actions
from loket.accounts.models import User
from loket.api.auth import caller
from loket.api.common import Page, changes, require_staff, search_people
from loket.api.schemas import StaffIn, StaffOut, StaffPatch
from loket.staff.lookups import get_staff_member_for_user

router = Router(tags=["staff"])


@router.get("", response=list[StaffOut])
@paginate(Page)
def list_staff(
    request: HttpRequest, q: str = "", state: User.State | None = None
) -> QuerySet[User]:
    """Staff members, filtered by name or e-mail (`q`) and account state."""
    user = caller(request)
    require_staff(user)
    return search_people(access.visible_staff(user), q, state)


@router.post("", response={201: StaffOut})
def create_staff_member(request: HttpRequest, payload: StaffIn) -> User:
    """A new staff member; the account starts not activated (invite it next)."""
    user = caller(request)
    access.require(access.can(user, Capability.STAFF_MANAGE))
    return actions.create_person(
        kind=User.Kind.STAFF,
        email=payload.email,
        first_name=payload.first_name,
        last_name=payload.last_name,
        language=payload.language,
        actor=user,
        request=request,
    )


@router.get("/{staff_uuid}", response=StaffOut)
def get_staff_member(request: HttpRequest, staff_uuid: UUID) -> User:
    return get_staff_member_for_user(caller(request), staff_uuid)[0]


@router.patch("/{staff_uuid}", response=StaffOut)
def update_staff_member(
    request: HttpRequest, staff_uuid: UUID, payload: StaffPatch
) -> User:
    """Change the fields given; the others stay as they are."""
    user = caller(request)
    member, _held = get_staff_member_for_user(
        user, staff_uuid, need=Capability.STAFF_MANAGE
    )
    return actions.update_person(
        member, actor=user, request=request, **changes(payload)
    )


def _state_change(
    request: HttpRequest, staff_uuid: UUID, action: Callable[..., User]
) -> User:
    user = caller(request)
    member, _held = get_staff_member_for_user(
        user, staff_uuid, need=Capability.STAFF_MANAGE
    )
    return action(member, actor=user, request=request)


@router.post("/{staff_uuid}/invite", response=StaffOut)
def invite_staff_member(request: HttpRequest, staff_uuid: UUID) -> User:
    """E-mail an invitation (again) to an account that is not active yet."""
    return _state_change(request, staff_uuid, actions.send_invitation)


@router.post("/{staff_uuid}/deactivate", response=StaffOut)
def deactivate_staff_member(request: HttpRequest, staff_uuid: UUID) -> User:
    return _state_change(request, staff_uuid, actions.deactivate_user)


@router.post("/{staff_uuid}/reactivate", response=StaffOut)
def reactivate_staff_member(request: HttpRequest, staff_uuid: UUID) -> User:
    return _state_change(request, staff_uuid, actions.reactivate_user)
