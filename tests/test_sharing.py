"""The Share dialog and the entity's Access tab."""

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from loket import access
from loket.access import Capability
from loket.accounts.models import User
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.groups.models import Group, GroupMembership
from loket.roles import actions
from loket.roles.models import Role, RoleAssignment
from tests.conftest import ClientFor, grant, make_user

pytestmark = pytest.mark.django_db


def share_url(entity: Entity) -> str:
    return f"/entities/{entity.uuid}/share/"


def access_url(entity: Entity) -> str:
    return f"/entities/{entity.uuid}/access/"


def change_url(entity: Entity, assignment: RoleAssignment) -> str:
    return f"/entities/{entity.uuid}/access/{assignment.uuid}/change/"


def revoke_url(entity: Entity, assignment: RoleAssignment) -> str:
    return f"/entities/{entity.uuid}/access/{assignment.uuid}/revoke/"


def role(key: str) -> Role:
    return Role.objects.get(key=key)


def assignment_of(principal: User | Group, entity: Entity) -> RoleAssignment:
    if isinstance(principal, Group):
        return RoleAssignment.objects.get(group=principal, entity=entity)
    return RoleAssignment.objects.get(user=principal, entity=entity)


def staff(email: str) -> User:
    return make_user(email, kind=User.Kind.STAFF)


# Each URL of the feature, given an entity and an assignment on it.
URLS: dict[str, Callable[[Entity, RoleAssignment], str]] = {
    "access": lambda e, a: access_url(e),
    "share": lambda e, a: share_url(e),
    "revoke": revoke_url,
}


@pytest.fixture
def contact_assignment(contact: User, entity: Entity) -> RoleAssignment:
    return assignment_of(contact, entity)


# --- who may open what -------------------------------------------------------


@pytest.mark.parametrize("name", [*URLS, "change"])
def test_anonymous_is_sent_to_sign_in(
    client: Client, entity: Entity, contact_assignment: RoleAssignment, name: str
) -> None:
    url = {**URLS, "change": change_url}[name](entity, contact_assignment)
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/sign-in/?next=")


@pytest.mark.parametrize("name", [*URLS, "change"])
@pytest.mark.parametrize("persona", ["outsider", "staff_member"])
def test_those_who_cannot_see_the_entity_get_404(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    entity: Entity,
    contact_assignment: RoleAssignment,
    name: str,
    persona: str,
) -> None:
    client = client_for(request.getfixturevalue(persona))
    url = {**URLS, "change": change_url}[name](entity, contact_assignment)
    assert client.get(url).status_code in (404, 405)
    assert client.post(url, {"role": role("reader").uuid}).status_code == 404
    assert RoleAssignment.objects.filter(pk=contact_assignment.pk).exists()


@pytest.mark.parametrize("name", [*URLS, "change"])
@pytest.mark.parametrize("persona", ["staff_reader", "contact", "viewer_contact"])
def test_those_who_see_the_entity_without_sharing_it_get_403(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    entity: Entity,
    contact_assignment: RoleAssignment,
    name: str,
    persona: str,
) -> None:
    client = client_for(request.getfixturevalue(persona))
    url = {**URLS, "change": change_url}[name](entity, contact_assignment)
    if name != "change":
        assert client.get(url).status_code == 403
    post = {"role": role("contact-entity-access").uuid, "step": "share"}
    assert client.post(url, post).status_code == 403
    assert assignment_of(
        User.objects.get(email="daan@client.test"), entity
    ).role == role("contact-entity-staff")
    assert not Event.objects.filter(verb__startswith="access.").exists()


def test_an_assignment_of_another_entity_is_not_found_through_this_one(
    client_for: ClientFor, staff_owner: User, entity: Entity, outsider: User
) -> None:
    other_entity = Entity.objects.get(name="Garage Jansen VOF")
    foreign = assignment_of(outsider, other_entity)
    client = client_for(staff_owner)
    assert client.get(revoke_url(entity, foreign)).status_code == 404
    assert client.post(revoke_url(entity, foreign)).status_code == 404
    response = client.post(
        change_url(entity, foreign), {"role": role("contact-entity-access").uuid}
    )
    assert response.status_code == 404
    assert RoleAssignment.objects.get(pk=foreign.pk).role.key == "contact-entity-staff"


# --- step 1: choosing people and groups ----------------------------------------


def test_owner_sees_groups_staff_and_contacts_to_choose_from(
    client_for: ClientFor,
    staff_owner: User,
    entity: Entity,
    contact: User,
    contact_group: Group,
) -> None:
    staff_group = Group.objects.create(kind=Group.Kind.STAFF, name="Audit team")
    response = client_for(staff_owner).get(share_url(entity))
    assert response.status_code == 200
    page = response.content.decode()
    for text in ("Groups", "Staff", "Contacts", "Assign roles"):
        assert text in page
    assert f'name="group" value="{contact_group.uuid}"' in page
    assert f'name="group" value="{staff_group.uuid}"' in page
    assert f'name="user" value="{contact.uuid}"' in page
    assert f'name="user" value="{staff_owner.uuid}"' in page
    assert 'type="search"' in page


def test_deactivated_people_are_not_offered(
    client_for: ClientFor, staff_owner: User, entity: Entity
) -> None:
    gone = make_user("weg@client.test", state=User.State.DEACTIVATED)
    page = client_for(staff_owner).get(share_url(entity)).content.decode()
    assert str(gone.uuid) not in page


def test_the_search_narrows_every_section_on_the_server(
    client_for: ClientFor,
    staff_owner: User,
    entity: Entity,
    contact: User,
    viewer_contact: User,
    contact_group: Group,
) -> None:
    response = client_for(staff_owner).get(share_url(entity), {"q": "Vera Tester"})
    page = response.content.decode()
    assert str(viewer_contact.uuid) in page
    assert str(contact.uuid) not in page
    assert str(staff_owner.uuid) not in page
    assert str(contact_group.uuid) not in page
    assert "No groups match." in page
    assert "No staff members match." in page


def test_people_already_chosen_stay_checked_whatever_the_search(
    client_for: ClientFor, staff_owner: User, entity: Entity, contact: User
) -> None:
    response = client_for(staff_owner).get(
        share_url(entity), {"q": "nobody-matches", "user": [str(contact.uuid)]}
    )
    assert f'name="user" value="{contact.uuid}" checked' in response.content.decode()


def test_step_one_lists_at_most_fifty_per_section_in_a_bounded_number_of_queries(
    client_for: ClientFor, staff_owner: User, entity: Entity
) -> None:
    client = client_for(staff_owner)
    with CaptureQueriesContext(connection) as few:
        client.get(share_url(entity))
    User.objects.bulk_create(
        User(
            email=f"contact{n}@many.test",
            first_name=f"Contact{n}",
            last_name="Many",
            kind=User.Kind.CONTACT,
            state=User.State.ACTIVE,
            client_entity=entity,
        )
        for n in range(120)
    )
    groups = Group.objects.bulk_create(
        Group(kind=Group.Kind.CONTACT, name=f"Group {n}") for n in range(60)
    )
    GroupMembership.objects.bulk_create(
        GroupMembership(group=group, user=person)
        for group in groups
        for person in User.objects.filter(email__endswith="@many.test")[:5]
    )
    with CaptureQueriesContext(connection) as many:
        response = client.get(share_url(entity))
    assert len(many) == len(few) <= 13
    page = response.content.decode()
    assert page.count('name="user"') == 51  # 50 contacts and the owner
    assert page.count('name="group"') == 50
    assert "5 members" in page
    assert "Showing the first 50 matches." in page
    page = client.get(share_url(entity), {"q": "contact119"}).content.decode()
    assert page.count('name="user"') == 1
    assert "contact119@many.test" in page


# --- step 2: the roles for each of them ----------------------------------------


def test_step_two_shows_inherited_roles_with_their_source(
    client_for: ClientFor,
    staff_owner: User,
    entity: Entity,
    group_contact: User,
) -> None:
    grant(group_contact, "contact-entity-access", entity)
    colleague = staff("piet@firm.test")
    audit_team = Group.objects.create(kind=Group.Kind.STAFF, name="Audit team")
    GroupMembership.objects.create(group=audit_team, user=colleague)
    grant(audit_team, "reader", entity)
    grant(colleague, "entity-administrator", None)
    response = client_for(staff_owner).get(
        share_url(entity),
        {"step": "roles", "user": [str(group_contact.uuid), str(colleague.uuid)]},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("Inherited") == 2
    via_group = "(via group Directie De Vries)"
    assert f'Contact – Entity Staff</strong> <span class="help">{via_group}' in page
    assert 'Contact – Entity Access</strong> <span class="help">(direct)' in page
    assert 'Reader</strong> <span class="help">(via group Audit team)' in page
    assert 'Entity Administrator</strong> <span class="help">(firm-wide)' in page


def test_step_two_offers_only_entity_roles_of_the_matching_audience(
    client_for: ClientFor,
    staff_owner: User,
    entity: Entity,
    contact: User,
    contact_group: Group,
) -> None:
    colleague = staff("piet@firm.test")
    response = client_for(staff_owner).get(
        share_url(entity),
        {
            "step": "roles",
            "user": [str(contact.uuid), str(colleague.uuid)],
            "group": [str(contact_group.uuid)],
        },
    )
    page = response.content.decode()
    contact_roles = {role("contact-entity-access"), role("contact-entity-staff")}
    staff_roles = {role("owner"), role("editor"), role("reader")}
    cases: list[tuple[User | Group, set[Role]]] = [
        (contact, contact_roles),
        (contact_group, contact_roles),
        (colleague, staff_roles),
    ]
    for principal, offered in cases:
        kind = "group" if isinstance(principal, Group) else "user"
        name = f"roles-{kind}-{principal.uuid}"
        for candidate in Role.objects.all():
            shown = f'name="{name}" value="{candidate.uuid}"' in page
            assert shown == (candidate in offered), (principal, candidate.key)


def test_step_two_also_answers_a_post_and_keeps_the_choice(
    client_for: ClientFor, staff_owner: User, entity: Entity, contact: User
) -> None:
    response = client_for(staff_owner).post(
        share_url(entity), {"step": "roles", "user": str(contact.uuid)}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert f'type="hidden" name="user" value="{contact.uuid}"' in page
    assert f"?user={contact.uuid}" in page  # Back keeps the choice
    assert not RoleAssignment.objects.filter(user=contact).exclude(
        role__key="contact-entity-staff"
    )


def test_step_two_uses_a_bounded_number_of_queries(
    client_for: ClientFor,
    staff_owner: User,
    entity: Entity,
    contact: User,
    contact_group: Group,
) -> None:
    client = client_for(staff_owner)
    chosen = {
        "step": "roles",
        "user": str(contact.uuid),
        "group": str(contact_group.uuid),
    }
    client.get(share_url(entity), chosen)
    with CaptureQueriesContext(connection) as few:
        assert client.get(share_url(entity), chosen).status_code == 200
    # The capabilities on the entity and firm-wide were read four times (17).
    assert len(few) <= 15
    for number in range(12):
        actions.create_role(
            name=f"Entity role {number:02}",
            scope=Role.Scope.ENTITY,
            audience=Role.Audience.CONTACT,
            capabilities=[Capability.ENTITY_VIEW],
            actor=staff_owner,
        )
        group = Group.objects.create(kind=Group.Kind.CONTACT, name=f"G{number:02}")
        GroupMembership.objects.create(group=group, user=contact)
        grant(group, "contact-entity-access", entity)
    with CaptureQueriesContext(connection) as many:
        response = client.get(share_url(entity), chosen)
    assert "Entity role 11" in response.content.decode()
    assert len(many) == len(few)


def test_assign_roles_without_anyone_chosen_asks_to_choose(
    client_for: ClientFor, staff_owner: User, entity: Entity
) -> None:
    response = client_for(staff_owner).get(share_url(entity), {"step": "roles"})
    assert response.status_code == 400
    assert "Choose at least one group, staff member or contact." in (
        response.content.decode()
    )


# --- step 3: sharing -------------------------------------------------------------


def test_owner_shares_with_a_contact_group_and_a_staff_member(
    client_for: ClientFor, staff_owner: User, entity: Entity
) -> None:
    board = Group.objects.create(kind=Group.Kind.CONTACT, name="Board")
    member = make_user("lid@client.test")
    GroupMembership.objects.create(group=board, user=member)
    colleague = staff("piet@firm.test")
    client = client_for(staff_owner)
    assert entity not in access.visible_entities(member)
    response = client.post(
        share_url(entity),
        {
            "step": "share",
            "group": str(board.uuid),
            "user": str(colleague.uuid),
            f"roles-group-{board.uuid}": str(role("contact-entity-staff").uuid),
            f"roles-user-{colleague.uuid}": [
                str(role("reader").uuid),
                str(role("editor").uuid),
            ],
        },
    )
    assert response.status_code == 302
    assert response["Location"] == access_url(entity)
    assert assignment_of(board, entity).role.key == "contact-entity-staff"
    assert {a.role.key for a in RoleAssignment.objects.filter(user=colleague)} == {
        "reader",
        "editor",
    }
    events = Event.objects.filter(verb=Event.Verb.ACCESS_GRANTED)
    assert events.count() == 3
    assert all(event.entity == entity for event in events)
    assert all(event.actor == staff_owner for event in events)
    # The change applies at once: the group's member sees the entity now.
    assert entity in access.visible_entities(member)
    page = client.get(response["Location"]).content.decode()
    assert "Bakkerij de Vries BV is shared with Board, Piet Tester." in page


def test_every_chosen_person_needs_a_role(
    client_for: ClientFor, staff_owner: User, entity: Entity, contact_group: Group
) -> None:
    colleague = staff("piet@firm.test")
    response = client_for(staff_owner).post(
        share_url(entity),
        {
            "step": "share",
            "user": str(colleague.uuid),
            "group": str(contact_group.uuid),
            f"roles-user-{colleague.uuid}": str(role("reader").uuid),
        },
    )
    assert response.status_code == 400
    assert "Choose at least one role for Directie De Vries." in (
        response.content.decode()
    )
    assert not RoleAssignment.objects.filter(user=colleague).exists()


def test_a_contact_role_for_a_staff_member_is_refused_and_nothing_is_written(
    client_for: ClientFor, staff_owner: User, entity: Entity
) -> None:
    board = Group.objects.create(kind=Group.Kind.CONTACT, name="Board")
    colleague = staff("piet@firm.test")
    response = client_for(staff_owner).post(
        share_url(entity),
        {
            "step": "share",
            "group": str(board.uuid),
            "user": str(colleague.uuid),
            f"roles-group-{board.uuid}": str(role("contact-entity-staff").uuid),
            f"roles-user-{colleague.uuid}": str(role("contact-entity-access").uuid),
        },
    )
    assert response.status_code == 400
    assert (
        "A contact role can only be given to contacts and contact groups."
        in response.content.decode()
    )
    # All or nothing: the group's valid role was not written either.
    assert not RoleAssignment.objects.filter(group=board).exists()
    assert not RoleAssignment.objects.filter(user=colleague).exists()
    assert not Event.objects.filter(verb=Event.Verb.ACCESS_GRANTED).exists()


def test_a_firm_role_forged_into_the_form_is_refused(
    client_for: ClientFor, staff_owner: User, entity: Entity
) -> None:
    colleague = staff("piet@firm.test")
    response = client_for(staff_owner).post(
        share_url(entity),
        {
            "step": "share",
            "user": str(colleague.uuid),
            f"roles-user-{colleague.uuid}": str(role("administrator").uuid),
        },
    )
    assert response.status_code == 403
    assert not RoleAssignment.objects.filter(user=colleague).exists()


@pytest.fixture
def limited_sharer(entity: Entity, firm_admin: User) -> User:
    """May share `entity`, but holds only a few capabilities there."""
    gatekeeper = actions.create_role(
        name="Gatekeeper",
        scope=Role.Scope.ENTITY,
        audience=Role.Audience.STAFF,
        capabilities=[
            Capability.ENTITY_VIEW,
            Capability.FILES_VIEW,
            Capability.ENTITY_SHARE,
        ],
        actor=firm_admin,
    )
    user = staff("gert@firm.test")
    RoleAssignment.objects.create(user=user, role=gatekeeper, entity=entity)
    return user


@pytest.fixture
def uploader(firm_admin: User) -> Role:
    """A custom role holding more than the limited sharer holds."""
    return actions.create_role(
        name="Uploader",
        scope=Role.Scope.ENTITY,
        audience=Role.Audience.STAFF,
        capabilities=[
            Capability.ENTITY_VIEW,
            Capability.FILES_VIEW,
            Capability.FILES_CREATE,
        ],
        actor=firm_admin,
    )


def test_a_sharer_is_offered_only_roles_within_their_own_capabilities(
    client_for: ClientFor, limited_sharer: User, entity: Entity, uploader: Role
) -> None:
    colleague = staff("piet@firm.test")
    page = (
        client_for(limited_sharer)
        .get(share_url(entity), {"step": "roles", "user": str(colleague.uuid)})
        .content.decode()
    )
    assert str(uploader.uuid) not in page
    assert str(role("owner").uuid) not in page
    assert str(role("reader").uuid) not in page
    assert "Gatekeeper" in page  # the sharer's own role is within reach


def test_a_role_beyond_the_sharers_capabilities_forged_into_the_form_is_refused(
    client_for: ClientFor, limited_sharer: User, entity: Entity, uploader: Role
) -> None:
    colleague = staff("piet@firm.test")
    gatekeeper = Role.objects.get(name="Gatekeeper")
    response = client_for(limited_sharer).post(
        share_url(entity),
        {
            "step": "share",
            "user": str(colleague.uuid),
            f"roles-user-{colleague.uuid}": [str(gatekeeper.uuid), str(uploader.uuid)],
        },
    )
    assert response.status_code == 403
    assert not RoleAssignment.objects.filter(user=colleague).exists()
    assert not Event.objects.filter(verb=Event.Verb.ACCESS_GRANTED).exists()


def test_an_entity_administrator_may_hand_out_any_entity_role(
    client_for: ClientFor, entity_admin: User, entity: Entity, uploader: Role
) -> None:
    colleague = staff("piet@firm.test")
    response = client_for(entity_admin).post(
        share_url(entity),
        {
            "step": "share",
            "user": str(colleague.uuid),
            f"roles-user-{colleague.uuid}": str(uploader.uuid),
        },
    )
    assert response.status_code == 302
    assert assignment_of(colleague, entity).role == uploader


# --- the Access tab --------------------------------------------------------------


def test_the_access_tab_lists_entity_and_firm_wide_assignments(
    client_for: ClientFor,
    staff_owner: User,
    entity: Entity,
    contact: User,
    contact_group: Group,
    entity_admin: User,
    staff_admin: User,
    other_entity: Entity,
) -> None:
    elsewhere = staff("elders@firm.test")
    grant(elsewhere, "reader", other_entity)
    response = client_for(staff_owner).get(access_url(entity))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'aria-current="page">Access</a>' in page
    assert f'href="{share_url(entity)}">Share</a>' in page
    for assignment in RoleAssignment.objects.filter(entity=entity):
        assert change_url(entity, assignment) in page
        assert revoke_url(entity, assignment) in page
    assert "Directie De Vries" in page
    assert "Contact group" in page
    assert "Daan Tester" in page
    assert "Contact – Entity Staff" in page
    # Firm-wide: the Entity Administrator sees every entity; the Staff
    # Administrator's role gives no access to entities.
    firm_part = page.split("Firm-wide roles that also apply")[1]
    assert "Erik Tester" in firm_part
    assert "Entity Administrator" in firm_part
    assert "firm-wide" in firm_part
    assert "Bram Tester" not in page
    assert "Elders" not in page


def test_the_change_select_offers_only_roles_of_the_principals_audience(
    client_for: ClientFor, staff_owner: User, entity: Entity, contact: User
) -> None:
    page = client_for(staff_owner).get(access_url(entity)).content.decode()
    row = page.split(change_url(entity, assignment_of(contact, entity)))[1]
    select = row.split("</select>")[0]
    assert str(role("contact-entity-access").uuid) in select
    assert str(role("owner").uuid) not in select


def test_owner_changes_a_contacts_role_and_it_applies_at_once(
    client_for: ClientFor,
    staff_owner: User,
    entity: Entity,
    contact: User,
    contact_assignment: RoleAssignment,
) -> None:
    assert access.can(contact, Capability.FILES_CREATE, entity)
    response = client_for(staff_owner).post(
        change_url(entity, contact_assignment),
        {"role": role("contact-entity-access").uuid},
    )
    assert response.status_code == 302
    assert response["Location"] == access_url(entity)
    contact_assignment.refresh_from_db()
    assert contact_assignment.role.key == "contact-entity-access"
    event = Event.objects.get(verb=Event.Verb.ACCESS_CHANGED)
    assert event.entity == entity
    assert event.data["role"] == ["contact-entity-staff", "contact-entity-access"]
    assert not access.can(contact, Capability.FILES_CREATE, entity)


def test_changing_a_contact_to_a_staff_role_is_refused_in_words(
    client_for: ClientFor,
    staff_owner: User,
    entity: Entity,
    contact_assignment: RoleAssignment,
) -> None:
    response = client_for(staff_owner).post(
        change_url(entity, contact_assignment), {"role": role("reader").uuid}
    )
    assert response.status_code == 400
    assert "A staff role can only be given to staff members and staff groups." in (
        response.content.decode()
    )
    contact_assignment.refresh_from_db()
    assert contact_assignment.role.key == "contact-entity-staff"
    assert not Event.objects.filter(verb=Event.Verb.ACCESS_CHANGED).exists()


def test_changing_without_a_role_asks_for_one(
    client_for: ClientFor,
    staff_owner: User,
    entity: Entity,
    contact_assignment: RoleAssignment,
) -> None:
    response = client_for(staff_owner).post(
        change_url(entity, contact_assignment), {"role": "not-a-uuid"}
    )
    assert response.status_code == 400
    assert "Choose a role." in response.content.decode()


def test_changing_to_a_role_beyond_the_sharers_capabilities_is_refused(
    client_for: ClientFor,
    limited_sharer: User,
    entity: Entity,
    uploader: Role,
) -> None:
    colleague = staff("piet@firm.test")
    gatekeeper = Role.objects.get(name="Gatekeeper")
    assignment = RoleAssignment.objects.create(
        user=colleague, role=gatekeeper, entity=entity
    )
    response = client_for(limited_sharer).post(
        change_url(entity, assignment), {"role": uploader.uuid}
    )
    assert response.status_code == 403
    assignment.refresh_from_db()
    assert assignment.role == gatekeeper


def test_a_sharer_cannot_change_or_revoke_a_role_beyond_their_capabilities(
    client_for: ClientFor,
    limited_sharer: User,
    entity: Entity,
    staff_owner: User,
) -> None:
    owner_assignment = assignment_of(staff_owner, entity)
    client = client_for(limited_sharer)
    page = client.get(access_url(entity)).content.decode()
    assert revoke_url(entity, owner_assignment) not in page
    assert "You may not change this role." in page
    response = client.post(
        change_url(entity, owner_assignment), {"role": role("reader").uuid}
    )
    assert response.status_code == 403
    assert client.post(revoke_url(entity, owner_assignment)).status_code == 403
    assert assignment_of(staff_owner, entity).role.key == "owner"


def test_revoking_asks_first_then_the_contact_loses_the_entity_at_once(
    client_for: ClientFor,
    staff_owner: User,
    entity: Entity,
    contact: User,
    contact_assignment: RoleAssignment,
) -> None:
    owner = client_for(staff_owner)
    contact_client = client_for(contact)
    assert contact_client.get(access_url(entity)).status_code == 403  # visible
    confirmation = owner.get(revoke_url(entity, contact_assignment))
    assert confirmation.status_code == 200
    assert (
        "Daan Tester will no longer hold the role Contact – Entity Staff on "
        "Bakkerij de Vries BV." in confirmation.content.decode()
    )
    assert RoleAssignment.objects.filter(pk=contact_assignment.pk).exists()
    response = owner.post(revoke_url(entity, contact_assignment))
    assert response.status_code == 302
    assert response["Location"] == access_url(entity)
    assert not RoleAssignment.objects.filter(pk=contact_assignment.pk).exists()
    event = Event.objects.get(verb=Event.Verb.ACCESS_REVOKED)
    assert event.entity == entity
    assert event.data["user"] == str(contact.uuid)
    assert entity not in access.visible_entities(contact)
    assert contact_client.get(access_url(entity)).status_code == 404
    assert contact_client.get(share_url(entity)).status_code == 404


def test_an_owner_who_revokes_their_own_role_goes_back_to_the_entities(
    client_for: ClientFor, staff_owner: User, entity: Entity
) -> None:
    own = assignment_of(staff_owner, entity)
    response = client_for(staff_owner).post(revoke_url(entity, own))
    assert response.status_code == 302
    assert response["Location"] == "/entities/"
    assert not access.can(staff_owner, Capability.ENTITY_SHARE, entity)


def test_the_access_tab_uses_a_bounded_number_of_queries(
    client_for: ClientFor, staff_owner: User, entity: Entity, entity_admin: User
) -> None:
    client = client_for(staff_owner)
    with CaptureQueriesContext(connection) as few:
        client.get(access_url(entity))
    # The capabilities on the entity were read three times (16).
    assert len(few) <= 14
    people = User.objects.bulk_create(
        User(
            email=f"p{n}@many.test",
            first_name=f"P{n}",
            last_name="Many",
            kind=User.Kind.CONTACT,
            state=User.State.ACTIVE,
        )
        for n in range(60)
    )
    reader = role("contact-entity-access")
    RoleAssignment.objects.bulk_create(
        RoleAssignment(user=person, role=reader, entity=entity) for person in people
    )
    with CaptureQueriesContext(connection) as many:
        response = client.get(access_url(entity))
    assert len(many) == len(few)
    assert response.content.decode().count("@many.test") == 60


def test_the_last_administrator_cannot_lose_the_right_to_manage_roles(
    client_for: ClientFor, firm_admin: User
) -> None:
    from loket.roles import actions as role_actions

    assignment = RoleAssignment.objects.get(user=firm_admin, entity__isnull=True)
    pk = assignment.pk
    with pytest.raises(ValidationError, match="must remain"):
        role_actions.revoke_access(assignment, actor=firm_admin)
    assert RoleAssignment.objects.filter(pk=pk).exists()
    assignment = RoleAssignment.objects.get(pk=pk)
    reader = Role.objects.get(key="settings-administrator")
    with pytest.raises(ValidationError, match="must remain"):
        role_actions.change_access(assignment, role=reader, actor=firm_admin)
    assignment.refresh_from_db()
    assert assignment.role.key == "administrator"
    page = client_for(firm_admin).post(
        f"/settings/roles/assignments/{assignment.uuid}/revoke/", follow=True
    )
    assert "must remain" in page.text
    assert RoleAssignment.objects.filter(pk=pk).exists()


def test_an_administrator_may_go_once_another_remains(firm_admin: User) -> None:
    from loket.roles import actions as role_actions

    make_user("second@firm.test", kind=User.Kind.STAFF, role="administrator")
    assignment = RoleAssignment.objects.get(user=firm_admin, entity__isnull=True)
    role_actions.revoke_access(assignment, actor=firm_admin)
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()


def test_the_entity_overview_offers_share_to_owners_only(
    client_for: ClientFor, staff_owner: User, staff_reader: User, entity: Entity
) -> None:
    url = f"/entities/{entity.uuid}/"
    assert f"/entities/{entity.uuid}/share/" in client_for(staff_owner).get(url).text
    assert (
        f"/entities/{entity.uuid}/share/" not in client_for(staff_reader).get(url).text
    )
