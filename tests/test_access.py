"""Each function of loket.access on the personas: one example per rule.

tests/test_access_model.py checks the same rules on random firms.
"""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from loket import access
from loket.access import ENTITY_CAPABILITIES, Capability
from loket.accounts.models import User
from loket.entities.models import Entity
from loket.groups.models import Group, GroupMembership
from loket.roles.models import Role, RoleAssignment
from tests.conftest import grant, make_user

pytestmark = pytest.mark.django_db

C = Capability


def _role(key: str, *capabilities: Capability, audience: str = "staff") -> Role:
    return Role.objects.create(
        key=key,
        name=key,
        scope=Role.Scope.ENTITY,
        audience=audience,
        capabilities=sorted(capabilities),
    )


# firm_capabilities, entity_capabilities and can


def test_an_administrator_holds_every_capability_firm_wide(firm_admin: User) -> None:
    assert access.firm_capabilities(firm_admin) == frozenset(Capability)
    assert access.can(firm_admin, C.SETTINGS_MANAGE) is True


def test_a_staff_member_without_roles_may_only_see_contacts(
    staff_member: User, entity: Entity
) -> None:
    assert access.firm_capabilities(staff_member) == {C.CONTACTS_VIEW}
    assert access.entity_capabilities(staff_member, entity) == {C.CONTACTS_VIEW}
    assert access.can(staff_member, C.ENTITY_VIEW, entity) is False


def test_a_contact_holds_nothing_firm_wide(contact: User) -> None:
    assert access.firm_capabilities(contact) == frozenset()
    assert access.can(contact, C.CONTACTS_VIEW) is False


def test_a_staff_administrator_manages_contacts_and_staff(staff_admin: User) -> None:
    assert access.can(staff_admin, C.CONTACTS_MANAGE) is True
    assert access.can(staff_admin, C.STAFF_MANAGE) is True
    assert access.can(staff_admin, C.SETTINGS_MANAGE) is False


def test_a_settings_administrator_only_manages_settings(settings_admin: User) -> None:
    assert access.firm_capabilities(settings_admin) == {
        C.SETTINGS_MANAGE,
        C.CONTACTS_VIEW,
    }


def test_an_owner_holds_every_entity_capability_on_their_entity_only(
    staff_owner: User, entity: Entity, other_entity: Entity
) -> None:
    held = access.entity_capabilities(staff_owner, entity)
    assert held == ENTITY_CAPABILITIES | {C.CONTACTS_VIEW}
    assert access.can(staff_owner, C.ENTITY_VIEW, other_entity) is False
    assert access.can(staff_owner, C.ENTITY_VIEW) is False


def test_reader_cannot_share_entity(staff_reader: User, entity: Entity) -> None:
    assert access.can(staff_reader, C.ENTITY_VIEW, entity) is True
    assert access.can(staff_reader, C.HISTORY_VIEW, entity) is True
    assert access.can(staff_reader, C.ENTITY_SHARE, entity) is False
    assert access.can(staff_reader, C.FILES_CREATE, entity) is False


def test_a_contact_may_create_files_on_their_entity(
    contact: User, entity: Entity
) -> None:
    assert access.can(contact, C.FILES_CREATE, entity) is True
    assert access.can(contact, C.ACTIVITIES_VIEW_ALL, entity) is False


def test_a_viewer_contact_may_see_but_not_create_files(
    viewer_contact: User, entity: Entity
) -> None:
    assert access.can(viewer_contact, C.FILES_VIEW, entity) is True
    assert access.can(viewer_contact, C.FILES_CREATE, entity) is False


def test_a_group_contact_holds_the_role_of_their_group(
    group_contact: User, entity: Entity
) -> None:
    assert access.can(group_contact, C.FILES_CREATE, entity) is True


def test_leaving_the_group_takes_its_access_away_at_once(
    group_contact: User, entity: Entity
) -> None:
    GroupMembership.objects.filter(user=group_contact).delete()
    assert access.can(group_contact, C.ENTITY_VIEW, entity) is False


def test_an_outsider_holds_nothing_on_entity(outsider: User, entity: Entity) -> None:
    assert access.entity_capabilities(outsider, entity) == frozenset()


def test_direct_and_group_roles_add_up(staff_reader: User, entity: Entity) -> None:
    team = Group.objects.create(kind=Group.Kind.STAFF, name="Team North")
    GroupMembership.objects.create(group=team, user=staff_reader)
    grant(team, "editor", entity)
    held = access.entity_capabilities(staff_reader, entity)
    assert {C.HISTORY_VIEW, C.FILES_CREATE, C.ENTITY_EDIT} <= held
    assert C.ENTITY_SHARE not in held


def test_a_firm_wide_entity_role_applies_to_every_entity(
    staff_member: User, entity: Entity, other_entity: Entity
) -> None:
    grant(staff_member, "reader", None)
    assert access.can(staff_member, C.ENTITY_VIEW, entity) is True
    assert access.can(staff_member, C.ENTITY_VIEW, other_entity) is True
    assert access.can(staff_member, C.ENTITY_VIEW) is True


def test_a_firm_wide_group_role_applies_to_its_members(
    staff_member: User, entity: Entity
) -> None:
    admins = Group.objects.create(kind=Group.Kind.STAFF, name="Admins")
    GroupMembership.objects.create(group=admins, user=staff_member)
    grant(admins, "staff-administrator", None)
    assert access.can(staff_member, C.STAFF_MANAGE) is True
    assert C.STAFF_MANAGE in access.entity_capabilities(staff_member, entity)


@pytest.mark.parametrize(
    "state", [User.State.DEACTIVATED, User.State.INVITED, User.State.NOT_ACTIVATED]
)
def test_an_account_that_is_not_active_holds_nothing(
    state: str, entity: Entity
) -> None:
    user = make_user("ivo@firm.test", kind=User.Kind.STAFF, state=state)
    grant(user, "administrator", None)
    grant(user, "owner", entity)
    assert access.firm_capabilities(user) == frozenset()
    assert access.entity_capabilities(user, entity) == frozenset()
    assert not access.visible_entities(user).exists()
    assert not access.visible_contacts(user).exists()
    assert not access.visible_staff(user).exists()
    assert not access.visible_groups(user).exists()
    assert not access.visible_roles(user).exists()


def test_an_anonymous_visitor_may_do_nothing(entity: Entity) -> None:
    anonymous = AnonymousUser()
    assert access.can(anonymous, C.CONTACTS_VIEW) is False
    assert access.can(anonymous, C.ENTITY_VIEW, entity) is False


# require


def test_require_refuses_with_permission_denied() -> None:
    with pytest.raises(PermissionDenied):
        access.require(False)


def test_require_lets_a_true_condition_pass() -> None:
    access.require(True)


# roles_with


def test_roles_with_lists_every_role_granting_the_capability(db: None) -> None:
    keys = set(
        Role.objects.filter(pk__in=access.roles_with(C.ENTITY_SHARE)).values_list(
            "key", flat=True
        )
    )
    assert keys == {"administrator", "entity-administrator", "owner"}


# visible_entities


def test_an_administrator_sees_every_entity(
    firm_admin: User, entity: Entity, other_entity: Entity
) -> None:
    assert set(access.visible_entities(firm_admin)) == {entity, other_entity}


def test_an_entity_administrator_sees_every_entity(
    entity_admin: User, entity: Entity, other_entity: Entity
) -> None:
    assert set(access.visible_entities(entity_admin)) == {entity, other_entity}


def test_an_owner_sees_only_the_entity_they_own(
    staff_owner: User, other_entity: Entity, entity: Entity
) -> None:
    assert list(access.visible_entities(staff_owner)) == [entity]


def test_a_staff_member_without_roles_sees_no_entity(
    staff_member: User, entity: Entity
) -> None:
    assert not access.visible_entities(staff_member).exists()


def test_contacts_see_the_entities_shared_with_them(
    contact: User,
    group_contact: User,
    outsider: User,
    entity: Entity,
    other_entity: Entity,
) -> None:
    assert list(access.visible_entities(contact)) == [entity]
    assert list(access.visible_entities(group_contact)) == [entity]
    assert list(access.visible_entities(outsider)) == [other_entity]


def test_a_role_without_entity_view_does_not_show_the_entity(
    staff_member: User, entity: Entity
) -> None:
    files_only = _role("custom-files", C.FILES_VIEW)
    grant(staff_member, files_only.key, entity)
    assert not access.visible_entities(staff_member).exists()


def test_an_entity_seen_twice_is_listed_once(staff_owner: User, entity: Entity) -> None:
    team = Group.objects.create(kind=Group.Kind.STAFF, name="Team South")
    GroupMembership.objects.create(group=team, user=staff_owner)
    grant(team, "reader", entity)
    grant(staff_owner, "reader", entity)
    assert list(access.visible_entities(staff_owner)) == [entity]


# visible_contacts, visible_staff, visible_groups, visible_roles


def test_staff_see_every_contact_deactivated_ones_included(
    staff_member: User, contact: User, new_contact: User
) -> None:
    gone = make_user("gone@client.test", state=User.State.DEACTIVATED)
    assert set(access.visible_contacts(staff_member)) == {contact, new_contact, gone}


def test_a_contact_sees_no_contacts(contact: User, viewer_contact: User) -> None:
    assert not access.visible_contacts(contact).exists()


def test_staff_see_every_staff_member_and_contacts_none(
    staff_member: User, staff_owner: User, contact: User
) -> None:
    assert set(access.visible_staff(staff_member)) == {staff_member, staff_owner}
    assert not access.visible_staff(contact).exists()


def test_staff_see_every_group_and_contacts_none(
    staff_member: User, contact_group: Group, group_contact: User
) -> None:
    assert list(access.visible_groups(staff_member)) == [contact_group]
    assert not access.visible_groups(group_contact).exists()


def test_staff_see_every_role_and_contacts_none(
    staff_member: User, contact: User
) -> None:
    assert access.visible_roles(staff_member).count() == Role.objects.count()
    assert not access.visible_roles(contact).exists()


# contacts_with_access


def test_contacts_with_access_are_direct_and_group_contacts(
    contact: User,
    viewer_contact: User,
    group_contact: User,
    outsider: User,
    staff_owner: User,
    entity: Entity,
) -> None:
    found = set(access.contacts_with_access(entity))
    assert found == {contact, viewer_contact, group_contact}


def test_contacts_with_access_hold_the_capability_asked_for(
    contact: User, viewer_contact: User, group_contact: User, entity: Entity
) -> None:
    found = set(access.contacts_with_access(entity, C.FILES_CREATE))
    assert found == {contact, group_contact}


def test_deactivated_contacts_have_no_access_but_invited_ones_do(
    contact: User, new_contact: User, entity: Entity
) -> None:
    grant(new_contact, "contact-entity-access", entity)
    contact.state = User.State.DEACTIVATED
    contact.save()
    assert list(access.contacts_with_access(entity)) == [new_contact]


def test_a_contact_in_two_ways_is_listed_once(
    group_contact: User, contact_group: Group, entity: Entity
) -> None:
    grant(group_contact, "contact-entity-access", entity)
    assert list(access.contacts_with_access(entity)) == [group_contact]


# roles_of


def test_roles_of_tells_where_each_role_comes_from(
    staff_member: User, entity: Entity, other_entity: Entity
) -> None:
    team = Group.objects.create(kind=Group.Kind.STAFF, name="Team West")
    GroupMembership.objects.create(group=team, user=staff_member)
    grant(staff_member, "reader", entity)
    grant(staff_member, "owner", other_entity)
    grant(team, "editor", entity)
    grant(staff_member, "settings-administrator", None)
    held = {
        (h.role.key, h.via_group, h.firm_wide, h.direct)
        for h in access.roles_of(staff_member, entity)
    }
    assert held == {
        ("reader", None, False, True),
        ("editor", team, False, False),
        ("settings-administrator", None, True, False),
    }


def test_roles_of_a_group_are_its_own(
    contact_group: Group, group_contact: User, entity: Entity
) -> None:
    [held] = access.roles_of(contact_group, entity)
    assert held.role.key == "contact-entity-staff"
    assert held.direct is True


def test_roles_of_are_ordered_by_role_name(staff_member: User, entity: Entity) -> None:
    grant(staff_member, "reader", entity)
    grant(staff_member, "editor", entity)
    grant(staff_member, "owner", entity)
    names = [h.role.name for h in access.roles_of(staff_member, entity)]
    assert names == ["Editor", "Owner", "Reader"]


# may_hand_out


def test_an_owner_may_hand_out_every_entity_role(
    staff_owner: User, entity: Entity
) -> None:
    for role in Role.objects.filter(scope=Role.Scope.ENTITY):
        assert access.may_hand_out(staff_owner, role, entity) is True


def test_reader_cannot_hand_out_any_role(staff_reader: User, entity: Entity) -> None:
    reader = Role.objects.get(key="reader")
    assert access.may_hand_out(staff_reader, reader, entity) is False


def test_an_entity_administrator_may_hand_out_roles_beyond_their_own(
    entity_admin: User, entity: Entity
) -> None:
    owner = Role.objects.get(key="owner")
    assert C.FILES_CREATE not in access.entity_capabilities(entity_admin, entity)
    assert access.may_hand_out(entity_admin, owner, entity) is True


def test_a_sharer_may_hand_out_only_roles_within_their_own_capabilities(
    staff_member: User, entity: Entity
) -> None:
    sharer = _role("custom-sharer", C.ENTITY_VIEW, C.ENTITY_SHARE)
    grant(staff_member, sharer.key, entity)
    access_role = Role.objects.get(key="contact-entity-access")
    assert access.may_hand_out(staff_member, sharer, entity) is True
    assert access.may_hand_out(staff_member, access_role, entity) is False


def test_nobody_hands_out_roles_on_an_entity_they_cannot_share(
    staff_owner: User, other_entity: Entity, entity: Entity
) -> None:
    reader = Role.objects.get(key="reader")
    assert access.may_hand_out(staff_owner, reader, other_entity) is False


def test_a_user_reached_by_many_assignments_sees_the_same_entities_as_a_subquery(
    staff_member: User,
) -> None:
    """Above MANY_ASSIGNMENTS the check is an EXISTS per entity; it must give the
    same answer, also when the queryset is used inside another query."""
    reader = Role.objects.get(key="reader")
    entities = Entity.objects.bulk_create(
        Entity(name=f"Klant {n:04}") for n in range(access.MANY_ASSIGNMENTS + 5)
    )
    hidden = Entity.objects.create(name="Klant zonder toegang")
    RoleAssignment.objects.bulk_create(
        RoleAssignment(role=reader, user=staff_member, entity=e) for e in entities
    )
    visible = access.visible_entities(staff_member)
    assert visible.count() == len(entities)
    assert not visible.filter(pk=hidden.pk).exists()
    first_page = list(visible.order_by("name")[:3])
    assert [e.name for e in first_page] == ["Klant 0000", "Klant 0001", "Klant 0002"]
    nested = Entity.objects.filter(pk__in=visible.values("pk"))
    assert nested.count() == len(entities)
    assert not nested.filter(pk=hidden.pk).exists()
