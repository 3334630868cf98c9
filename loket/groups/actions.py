"""Every change to a group and its members: atomic, each writing its history."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from loket.accounts.models import User
from loket.audit.actions import record
from loket.audit.models import Event
from loket.core.changes import apply_changes
from loket.groups.models import Group, GroupMembership


def _check_members(kind: str, members: Iterable[User]) -> list[User]:
    members = list(members)
    wrong = [m for m in members if m.kind != kind]
    if wrong:
        message = (
            _("A contact group holds only contacts.")
            if kind == Group.Kind.CONTACT
            else _("A staff group holds only staff members.")
        )
        raise ValidationError(message, code="wrong_member_kind")
    return members


def _check_name(group: Group) -> None:
    clash = Group.objects.filter(kind=group.kind, name__iexact=group.name)
    if group.pk:
        clash = clash.exclude(pk=group.pk)
    if clash.exists():
        raise ValidationError(
            _("There is already a group with this name."), code="duplicate_name"
        )


def _add(group: Group, user: User, actor: User) -> None:
    GroupMembership.objects.create(group=group, user=user)
    record(
        Event.Verb.GROUP_MEMBER_ADDED,
        actor=actor,
        target=group,
        data={"member": str(user.uuid), "member_email": user.email},
    )


@transaction.atomic
def create_group(
    *,
    kind: str,
    name: str,
    description: str = "",
    members: Iterable[User] = (),
    actor: User,
) -> Group:
    members = _check_members(kind, members)
    group = Group(kind=kind, name=name.strip(), description=description)
    _check_name(group)
    group.full_clean()
    group.save()
    record(
        Event.Verb.GROUP_CREATED,
        actor=actor,
        target=group,
        data={"kind": kind, "name": group.name},
    )
    for member in members:
        _add(group, member, actor)
    return group


@transaction.atomic
def update_group(
    group: Group,
    *,
    name: str,
    description: str,
    members: Iterable[User],
    actor: User,
) -> Group:
    """Rename or describe the group, and make its members exactly `members`."""
    wanted = {m.pk: m for m in _check_members(group.kind, members)}
    diff = apply_changes(group, {"name": name.strip(), "description": description})
    if diff:
        _check_name(group)
        group.full_clean()
        group.save()
        record(Event.Verb.GROUP_CHANGED, actor=actor, target=group, data=diff)
    current = {m.user_id: m for m in group.memberships.select_related("user")}
    for user_id, member in wanted.items():
        if user_id not in current:
            _add(group, member, actor)
    for user_id, membership in current.items():
        if user_id not in wanted:
            membership.delete()
            record(
                Event.Verb.GROUP_MEMBER_REMOVED,
                actor=actor,
                target=group,
                data={
                    "member": str(membership.user.uuid),
                    "member_email": membership.user.email,
                },
            )
    return group


@transaction.atomic
def add_member(group: Group, user: User, *, actor: User) -> Group:
    _check_members(group.kind, [user])
    if not group.memberships.filter(user=user).exists():
        _add(group, user, actor)
    return group


@transaction.atomic
def remove_member(group: Group, user: User, *, actor: User) -> Group:
    deleted, _count = group.memberships.filter(user=user).delete()
    if deleted:
        record(
            Event.Verb.GROUP_MEMBER_REMOVED,
            actor=actor,
            target=group,
            data={"member": str(user.uuid), "member_email": user.email},
        )
    return group
