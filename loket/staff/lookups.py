"""Fetching a staff member, for the Staff pages and /api/v1/staff alike."""

from uuid import UUID

from loket import access
from loket.access import AnyUser, Capability
from loket.accounts.models import User


def get_staff_member_for_user(
    user: AnyUser, staff_uuid: UUID, *, need: Capability | None = None
) -> tuple[User, frozenset[str]]:
    """The staff member `staff_uuid` and what `user` holds firm-wide: 404 for
    contacts, 403 without `need`. Two queries."""
    return access.fetch_firm_wide(
        user, access.visible_staff(user), need=need, uuid=staff_uuid
    )
