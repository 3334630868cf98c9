"""Settings, Roles: built-in and custom roles, and roles held firm-wide."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from loket import access
from loket.access import Capability
from loket.accounts.models import User
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.groups.models import Group
from loket.roles import actions
from loket.roles.models import Role, RoleAssignment
from tests.conftest import ClientFor, grant, make_user

pytestmark = pytest.mark.django_db

LIST = "/settings/roles/"
NEW = "/settings/roles/new/"
ASSIGNMENTS = "/settings/roles/assignments/"


def edit_url(role: Role) -> str:
    return f"/settings/roles/{role.uuid}/edit/"


def revoke_url(assignment: RoleAssignment) -> str:
    return f"/settings/roles/assignments/{assignment.uuid}/revoke/"


@pytest.fixture
def custom_role(firm_admin: User) -> Role:
    return actions.create_role(
        name="Bookkeeper",
        description="Keeps the books.",
        scope=Role.Scope.ENTITY,
        audience=Role.Audience.STAFF,
        capabilities=[Capability.ENTITY_VIEW, Capability.FILES_VIEW],
        actor=firm_admin,
    )


@pytest.fixture
def firm_assignment(staff_admin: User) -> RoleAssignment:
    return RoleAssignment.objects.get(user=staff_admin, entity__isnull=True)


def urls(custom_role: Role, firm_assignment: RoleAssignment) -> list[str]:
    return [
        LIST,
        NEW,
        edit_url(custom_role),
        ASSIGNMENTS,
        revoke_url(firm_assignment),
    ]


# --- who may open what -------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(
    client: Client, custom_role: Role, firm_assignment: RoleAssignment
) -> None:
    for url in urls(custom_role, firm_assignment):
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith("/accounts/sign-in/?next=")


@pytest.mark.parametrize(
    "persona",
    [
        "outsider",
        "contact",
        "staff_member",
        "staff_owner",
        "staff_admin",
        "entity_admin",
        "settings_admin",
    ],
)
def test_only_role_managers_may_open_the_roles_pages(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    custom_role: Role,
    firm_assignment: RoleAssignment,
    persona: str,
) -> None:
    user = request.getfixturevalue(persona)
    client = client_for(user)
    for url in urls(custom_role, firm_assignment):
        # Contacts see no roles at all: a role's page is not found for them.
        refused = 404 if user.is_contact and url == edit_url(custom_role) else 403
        assert client.get(url).status_code == refused, url
        assert client.post(url, {"name": "Taken over"}).status_code == refused, url
    assert Role.objects.get(pk=custom_role.pk).name == "Bookkeeper"
    assert RoleAssignment.objects.filter(pk=firm_assignment.pk).exists()


def test_an_unknown_role_or_assignment_is_not_found(
    client_for: ClientFor, firm_admin: User, entity: Entity, staff_owner: User
) -> None:
    client = client_for(firm_admin)
    missing = Role(name="gone")
    assert client.get(edit_url(missing)).status_code == 404
    # An assignment on an entity is not a firm-wide one.
    on_entity = RoleAssignment.objects.get(user=staff_owner)
    assert client.post(revoke_url(on_entity)).status_code == 404
    assert RoleAssignment.objects.filter(pk=on_entity.pk).exists()


# --- the list --------------------------------------------------------------------


def test_the_list_shows_built_in_and_custom_roles_with_their_capabilities(
    client_for: ClientFor, firm_admin: User, custom_role: Role
) -> None:
    response = client_for(firm_admin).get(LIST)
    assert response.status_code == 200
    page = response.content.decode()
    builtin_part, custom_part = page.split("Custom roles")
    for name in ("Administrator", "Owner", "Reader", "Contact – Entity Staff"):
        assert name in builtin_part
    assert "Built-in, not editable" in builtin_part
    assert "/edit/" not in builtin_part
    assert "Bookkeeper" in custom_part
    assert edit_url(custom_role) in custom_part
    assert "Keeps the books." in custom_part
    assert "See the entity" in custom_part
    assert "Create files" not in custom_part
    assert "Hand out any role" in builtin_part  # the Administrator's
    assert f'href="{NEW}"' in page


# --- a custom role ---------------------------------------------------------------


def test_administrator_creates_a_custom_role(
    client_for: ClientFor, firm_admin: User
) -> None:
    client = client_for(firm_admin)
    form = client.get(NEW).content.decode()
    assert "On an entity" in form
    assert "Firm-wide" in form
    response = client.post(
        NEW,
        {
            "name": "Payroll clerk",
            "description": "Uploads payslips.",
            "scope": "entity",
            "audience": "staff",
            "capabilities": ["entity.view", "files.view", "files.create"],
        },
    )
    assert response.status_code == 302
    assert response["Location"] == LIST
    role = Role.objects.get(name="Payroll clerk")
    assert role.builtin is False
    assert role.scope == Role.Scope.ENTITY
    assert role.capabilities == ["entity.view", "files.create", "files.view"]
    event = Event.objects.get(verb=Event.Verb.ROLE_CREATED)
    assert event.actor == firm_admin
    assert event.target_id == str(role.uuid)
    assert "The role Payroll clerk was created." in client.get(LIST).content.decode()


def test_an_entity_role_with_a_firm_capability_is_refused_in_words(
    client_for: ClientFor, firm_admin: User
) -> None:
    response = client_for(firm_admin).post(
        NEW,
        {
            "name": "Sneaky",
            "scope": "entity",
            "audience": "staff",
            "capabilities": ["entity.view", "staff.manage"],
        },
    )
    assert response.status_code == 400
    assert "An entity role can only hold entity capabilities." in (
        response.content.decode()
    )
    assert not Role.objects.filter(name="Sneaky").exists()
    assert not Event.objects.filter(verb=Event.Verb.ROLE_CREATED).exists()


def test_a_firm_role_for_contacts_is_refused_in_words(
    client_for: ClientFor, firm_admin: User
) -> None:
    response = client_for(firm_admin).post(
        NEW,
        {
            "name": "Client admin",
            "scope": "firm",
            "audience": "contact",
            "capabilities": ["contacts.view"],
        },
    )
    assert response.status_code == 400
    assert "Firm roles can only be given to staff." in response.content.decode()
    assert not Role.objects.filter(name="Client admin").exists()


def test_a_role_needs_a_name_and_a_capability(
    client_for: ClientFor, firm_admin: User
) -> None:
    response = client_for(firm_admin).post(
        NEW, {"name": "", "scope": "entity", "audience": "staff"}
    )
    assert response.status_code == 400
    assert response.content.decode().count("This field is required.") == 2
    assert Role.objects.filter(builtin=False).count() == 0


def test_administrator_edits_a_custom_role_and_it_applies_at_once(
    client_for: ClientFor,
    firm_admin: User,
    custom_role: Role,
    entity: Entity,
) -> None:
    holder = make_user("hans@firm.test", kind=User.Kind.STAFF)
    RoleAssignment.objects.create(user=holder, role=custom_role, entity=entity)
    client = client_for(firm_admin)
    form = client.get(edit_url(custom_role)).content.decode()
    assert re.search(r'value="files\.view"[^>]* checked', form)
    assert 'value="staff.manage"' not in form  # an entity role: entity capabilities
    response = client.post(
        edit_url(custom_role),
        {
            "name": "Senior bookkeeper",
            "description": "Keeps and files the books.",
            "capabilities": ["entity.view", "files.view", "files.create"],
        },
    )
    assert response.status_code == 302
    custom_role.refresh_from_db()
    assert custom_role.name == "Senior bookkeeper"
    assert "files.create" in custom_role.capabilities
    event = Event.objects.get(verb=Event.Verb.ROLE_CHANGED)
    assert event.data["name"] == ["Bookkeeper", "Senior bookkeeper"]
    assert access.can(holder, Capability.FILES_CREATE, entity)


def test_editing_refuses_a_firm_capability_on_an_entity_role(
    client_for: ClientFor, firm_admin: User, custom_role: Role
) -> None:
    response = client_for(firm_admin).post(
        edit_url(custom_role),
        {"name": "Bookkeeper", "capabilities": ["entity.view", "staff.manage"]},
    )
    assert response.status_code == 400
    custom_role.refresh_from_db()
    assert "staff.manage" not in custom_role.capabilities
    assert not Event.objects.filter(verb=Event.Verb.ROLE_CHANGED).exists()


def test_built_in_roles_cannot_be_edited(
    client_for: ClientFor, firm_admin: User
) -> None:
    owner = Role.objects.get(key="owner")
    before = list(owner.capabilities)
    client = client_for(firm_admin)
    response = client.get(edit_url(owner))
    assert response.status_code == 403
    assert "Built-in roles cannot be changed; create a custom role instead." in (
        response.content.decode()
    )
    response = client.post(
        edit_url(owner), {"name": "Boss", "capabilities": ["entity.view"]}
    )
    assert response.status_code == 403
    owner.refresh_from_db()
    assert owner.name == "Owner"
    assert owner.capabilities == before
    assert not Event.objects.filter(verb=Event.Verb.ROLE_CHANGED).exists()


# --- roles held firm-wide --------------------------------------------------------


def test_the_firm_wide_page_lists_who_holds_which_role(
    client_for: ClientFor, firm_admin: User, staff_admin: User, staff_owner: User
) -> None:
    team = Group.objects.create(kind=Group.Kind.STAFF, name="Partners")
    actions.assign_firm_role(Role.objects.get(key="reader"), team, actor=firm_admin)
    page = client_for(firm_admin).get(ASSIGNMENTS).content.decode()
    held = page.split("Who holds a role firm-wide")[1]
    assert "Anna Tester" in held
    assert "Bram Tester" in held
    assert "Staff Administrator" in held
    assert "Partners" in held
    assert "Staff group" in held
    assert "Olga Tester" not in held  # an Owner of one entity only
    for assignment in RoleAssignment.objects.filter(entity__isnull=True):
        assert revoke_url(assignment) in held


@pytest.mark.parametrize("page", ["list", "edit", "assignments", "revoke"])
def test_the_roles_pages_use_a_bounded_number_of_queries(
    client_for: ClientFor,
    firm_admin: User,
    custom_role: Role,
    firm_assignment: RoleAssignment,
    page: str,
) -> None:
    url = {
        "list": LIST,
        "edit": edit_url(custom_role),
        "assignments": ASSIGNMENTS,
        "revoke": revoke_url(firm_assignment),
    }[page]
    client = client_for(firm_admin)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    # The firm-wide page read the capabilities once per role (20 queries).
    assert len(few) <= {"list": 9, "edit": 9, "assignments": 12, "revoke": 9}[page]
    team = Group.objects.create(kind=Group.Kind.STAFF, name="Partners")
    for number in range(12):
        role = actions.create_role(
            name=f"Firm role {number:02}",
            scope=Role.Scope.FIRM,
            audience=Role.Audience.STAFF,
            capabilities=[Capability.CONTACTS_VIEW],
            actor=firm_admin,
        )
        grant(
            make_user(f"s{number:02}@firm.test", kind=User.Kind.STAFF), role.key, None
        )
        grant(team, role.key, None)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_administrator_gives_a_staff_member_a_role_firm_wide(
    client_for: ClientFor, firm_admin: User, staff_member: User, entity: Entity
) -> None:
    response = client_for(firm_admin).post(
        ASSIGNMENTS,
        {
            "principal": f"user:{staff_member.uuid}",
            "role": Role.objects.get(key="reader").uuid,
        },
    )
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(user=staff_member)
    assert assignment.entity is None
    assert assignment.role.key == "reader"
    event = Event.objects.get(verb=Event.Verb.ACCESS_GRANTED)
    assert event.data["scope"] == "firm"
    assert event.entity is None
    # A Reader firm-wide reads every entity.
    assert access.can(staff_member, Capability.ENTITY_VIEW, entity)


def test_administrator_gives_a_staff_group_a_role_firm_wide(
    client_for: ClientFor, firm_admin: User
) -> None:
    team = Group.objects.create(kind=Group.Kind.STAFF, name="Partners")
    response = client_for(firm_admin).post(
        ASSIGNMENTS,
        {
            "principal": f"group:{team.uuid}",
            "role": Role.objects.get(key="entity-administrator").uuid,
        },
    )
    assert response.status_code == 302
    assert RoleAssignment.objects.get(group=team).role.key == "entity-administrator"


def test_contacts_and_contact_roles_are_not_offered_firm_wide(
    client_for: ClientFor, firm_admin: User, contact: User, contact_group: Group
) -> None:
    client = client_for(firm_admin)
    page = client.get(ASSIGNMENTS).content.decode()
    assert str(contact.uuid) not in page
    assert str(contact_group.uuid) not in page
    assert str(Role.objects.get(key="contact-entity-staff").uuid) not in page
    response = client.post(
        ASSIGNMENTS,
        {
            "principal": f"user:{contact.uuid}",
            "role": Role.objects.get(key="contact-entity-staff").uuid,
        },
    )
    assert response.status_code == 400
    assert not RoleAssignment.objects.filter(user=contact, entity__isnull=True)


def test_a_role_already_held_firm_wide_is_left_as_it_is(
    client_for: ClientFor, firm_admin: User, staff_admin: User
) -> None:
    response = client_for(firm_admin).post(
        ASSIGNMENTS,
        {
            "principal": f"user:{staff_admin.uuid}",
            "role": Role.objects.get(key="staff-administrator").uuid,
        },
    )
    assert response.status_code == 302
    assert RoleAssignment.objects.filter(user=staff_admin).count() == 1
    assert not Event.objects.filter(verb=Event.Verb.ACCESS_GRANTED).exists()


def test_a_role_manager_cannot_hand_out_more_than_they_hold(
    client_for: ClientFor, firm_admin: User, staff_member: User
) -> None:
    keeper = actions.create_role(
        name="Role keeper",
        scope=Role.Scope.FIRM,
        audience=Role.Audience.STAFF,
        capabilities=[Capability.ROLES_MANAGE, Capability.CONTACTS_VIEW],
        actor=firm_admin,
    )
    manager = make_user("rolf@firm.test", kind=User.Kind.STAFF)
    RoleAssignment.objects.create(user=manager, role=keeper)
    client = client_for(manager)
    administrator = Role.objects.get(key="administrator")
    assert str(administrator.uuid) not in client.get(ASSIGNMENTS).content.decode()
    response = client.post(
        ASSIGNMENTS,
        {"principal": f"user:{staff_member.uuid}", "role": administrator.uuid},
    )
    assert response.status_code == 400
    assert not RoleAssignment.objects.filter(user=staff_member).exists()
    # Nor take away a role they could not give.
    admin_assignment = RoleAssignment.objects.get(user=firm_admin)
    assert client.post(revoke_url(admin_assignment)).status_code == 403
    assert RoleAssignment.objects.filter(pk=admin_assignment.pk).exists()


def test_revoking_a_firm_wide_role_asks_first_and_applies_at_once(
    client_for: ClientFor,
    firm_admin: User,
    staff_admin: User,
    firm_assignment: RoleAssignment,
) -> None:
    client = client_for(firm_admin)
    confirmation = client.get(revoke_url(firm_assignment))
    assert confirmation.status_code == 200
    assert (
        "Bram Tester will no longer hold the role Staff Administrator firm-wide."
        in confirmation.content.decode()
    )
    assert RoleAssignment.objects.filter(pk=firm_assignment.pk).exists()
    response = client.post(revoke_url(firm_assignment))
    assert response.status_code == 302
    assert response["Location"] == ASSIGNMENTS
    assert not RoleAssignment.objects.filter(pk=firm_assignment.pk).exists()
    event = Event.objects.get(verb=Event.Verb.ACCESS_REVOKED)
    assert event.data["scope"] == "firm"
    assert not access.can(staff_admin, Capability.STAFF_MANAGE)


def test_a_role_that_manages_entities_must_see_them(firm_admin: User) -> None:
    from django.core.exceptions import ValidationError

    from loket.roles import actions as role_actions

    with pytest.raises(ValidationError, match="must also see them"):
        role_actions.create_role(
            name="Entity clerk",
            scope="firm",
            audience="staff",
            capabilities=["entities.manage"],
            actor=firm_admin,
        )
    assert not Role.objects.filter(name="Entity clerk").exists()
    role = role_actions.create_role(
        name="Entity clerk",
        scope="firm",
        audience="staff",
        capabilities=["entities.manage", "entity.view"],
        actor=firm_admin,
    )
    assert sorted(role.capabilities) == ["entities.manage", "entity.view"]
