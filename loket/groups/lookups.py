"""Fetching groups, for the Groups pages, the Share dialog and /api/v1/groups
alike."""

from uuid import UUID

from django.db.models import Count, QuerySet

from loket import access
from loket.access import AnyUser, Capability
from loket.groups.models import Group


def visible_groups_counted(user: AnyUser) -> QuerySet[Group]:
    """The groups `user` may see, each with its `member_count`."""
    return access.visible_groups(user).annotate(member_count=Count("memberships"))


def get_group_for_user(
    user: AnyUser, group_uuid: UUID, *, need: Capability | None = None
) -> tuple[Group, frozenset[str]]:
    """The group `group_uuid` with its `member_count`, and what `user` holds
    firm-wide: 404 for contacts, 403 without `need`. Two queries."""
    return access.fetch_firm_wide(
        user, visible_groups_counted(user), need=need, uuid=group_uuid
    )
