"""loket.access answers with the same small number of queries in a small firm and
in a large one (2,000 entities, 300 groups, 20,000 role assignments)."""

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from loket import access
from loket.access import Capability, grants
from loket.accounts.models import User
from loket.entities.models import Entity
from loket.groups.models import Group, GroupMembership
from loket.roles.models import Role, RoleAssignment
from tests.conftest import grant, make_user

pytestmark = pytest.mark.django_db

C = Capability

# The queries each call makes, whatever the size of the firm. Reading the
# firm-wide capabilities is one query, reading the roles one more.
EXPECTED = {
    "can on an entity": 1,
    "can firm-wide": 1,
    "entity_capabilities": 1,
    "firm_capabilities": 1,
    # Firm capabilities with the roles and the entities reached (or, past
    # access.MANY_ASSIGNMENTS assignments, only their count), then the page.
    "visible_entities, first page": 2,
    "visible_entities, first page, firm-wide": 2,
    "entities_with, first page": 2,
    "visible_contacts, first page": 2,
    "visible_staff, first page": 1,
    "visible_groups, first page": 1,
    "contacts_with_access": 2,  # roles, the contacts
    "roles_of a user": 1,
    "roles_of a group": 1,
    "may_hand_out": 1,
}


@dataclass
class Firm:
    entity: Entity
    contact: User
    group_contact: User
    staff: User  # in several staff groups, with direct roles too
    admin: User
    contact_group: Group
    roles: dict[str, Role]


def _small_firm() -> Firm:
    roles = {r.key: r for r in Role.objects.all()}
    entity = Entity.objects.create(name="Bakkerij de Vries BV")
    contact = make_user("daan@client.test")
    grant(contact, "contact-entity-staff", entity)
    contact_group = Group.objects.create(kind=Group.Kind.CONTACT, name="Directie")
    grant(contact_group, "contact-entity-access", entity)
    group_contact = make_user("gerda@client.test")
    GroupMembership.objects.create(group=contact_group, user=group_contact)
    staff = make_user("olga@firm.test", kind=User.Kind.STAFF)
    team = Group.objects.create(kind=Group.Kind.STAFF, name="Team 0")
    GroupMembership.objects.create(group=team, user=staff)
    grant(team, "editor", entity)
    grant(staff, "owner", entity)
    admin = make_user("anna@firm.test", kind=User.Kind.STAFF, role="administrator")
    return Firm(entity, contact, group_contact, staff, admin, contact_group, roles)


def _grow(firm: Firm) -> None:
    """Make the firm large, with much of it reaching the measured users."""
    roles = firm.roles
    entities = Entity.objects.bulk_create(
        Entity(name=f"Client {n:04}") for n in range(2000)
    )
    staff = User.objects.bulk_create(
        User(
            email=f"staff{n}@firm.test",
            password="!",
            kind=User.Kind.STAFF,
            state=User.State.ACTIVE,
        )
        for n in range(100)
    )
    contacts = User.objects.bulk_create(
        User(
            email=f"contact{n}@client.test",
            password="!",
            kind=User.Kind.CONTACT,
            state=User.State.DEACTIVATED if n % 10 == 0 else User.State.ACTIVE,
        )
        for n in range(1000)
    )
    staff_groups = Group.objects.bulk_create(
        Group(kind=Group.Kind.STAFF, name=f"Team {n + 1}") for n in range(200)
    )
    contact_groups = Group.objects.bulk_create(
        Group(kind=Group.Kind.CONTACT, name=f"Board {n}") for n in range(100)
    )
    members = [
        GroupMembership(group=g, user=staff[(i * 7 + k) % len(staff)])
        for i, g in enumerate(staff_groups)
        for k in range(10)
    ]
    members += [
        GroupMembership(group=g, user=contacts[(i * 13 + k) % len(contacts)])
        for i, g in enumerate(contact_groups)
        for k in range(10)
    ]
    # The measured users join many groups.
    members += [GroupMembership(group=g, user=firm.staff) for g in staff_groups[:50]]
    members += [
        GroupMembership(group=g, user=firm.group_contact) for g in contact_groups[:20]
    ]
    GroupMembership.objects.bulk_create(members)
    staff_roles = itertools.cycle([roles["reader"], roles["editor"], roles["owner"]])
    assignments = [
        # 12,000: every staff group works on 60 entities.
        RoleAssignment(group=g, entity=entities[(i * 60 + k) % 2000], role=role)
        for i, g in enumerate(staff_groups)
        for k, role in zip(range(60), staff_roles, strict=False)
    ]
    assignments += [
        # 5,000: contacts, five entities each.
        RoleAssignment(
            user=c,
            entity=entities[(i * 5 + k) % 2000],
            role=roles["contact-entity-staff"],
        )
        for i, c in enumerate(contacts)
        for k in range(5)
    ]
    assignments += [
        # 2,000: contact groups, twenty entities each.
        RoleAssignment(
            group=g,
            entity=entities[(i * 20 + k) % 2000],
            role=roles["contact-entity-access"],
        )
        for i, g in enumerate(contact_groups)
        for k in range(20)
    ]
    assignments += [
        # 1,000: direct staff roles, and the measured users' own.
        RoleAssignment(
            user=s, entity=entities[(i * 9 + k) % 2000], role=roles["reader"]
        )
        for i, s in enumerate(staff)
        for k in range(9)
    ]
    assignments += [
        RoleAssignment(user=firm.contact, entity=e, role=roles["contact-entity-access"])
        for e in entities[:50]
    ]
    assignments += [
        RoleAssignment(user=firm.staff, entity=e, role=roles["reader"])
        for e in entities[:50]
    ]
    assignments += [
        RoleAssignment(user=s, role=roles["staff-administrator"]) for s in staff[:10]
    ]
    # A group role on the measured entity, a firm-wide one, and many contacts.
    assignments += [
        RoleAssignment(group=staff_groups[0], entity=firm.entity, role=roles["reader"]),
        RoleAssignment(group=staff_groups[1], role=roles["settings-administrator"]),
    ]
    assignments += [
        RoleAssignment(user=c, entity=firm.entity, role=roles["contact-entity-access"])
        for c in contacts[:-100]
    ]
    RoleAssignment.objects.bulk_create(assignments, batch_size=5000)
    assert RoleAssignment.objects.count() > 20_000


def _calls(firm: Firm) -> dict[str, Callable[[], object]]:
    entity, staff = firm.entity, firm.staff
    reader = firm.roles["reader"]

    def roles_of(principal: User | Group) -> object:
        return [
            (h.role.name, h.via_group and h.via_group.name)
            for h in access.roles_of(principal, entity)
        ]

    return {
        "can on an entity": lambda: access.can(staff, C.FILES_CREATE, entity),
        "can firm-wide": lambda: access.can(staff, C.CONTACTS_MANAGE),
        "entity_capabilities": lambda: access.entity_capabilities(firm.contact, entity),
        "firm_capabilities": lambda: access.firm_capabilities(staff),
        "visible_entities, first page": lambda: list(
            access.visible_entities(staff).order_by("name")[:50]
        ),
        "visible_entities, first page, firm-wide": lambda: list(
            access.visible_entities(firm.admin).order_by("name")[:50]
        ),
        "entities_with, first page": lambda: list(
            access.entities_with(staff, C.FILES_CREATE).order_by("name")[:50]
        ),
        "visible_contacts, first page": lambda: list(
            access.visible_contacts(staff)[:50]
        ),
        "visible_staff, first page": lambda: list(access.visible_staff(staff)[:50]),
        "visible_groups, first page": lambda: list(access.visible_groups(staff)[:50]),
        "contacts_with_access": lambda: list(access.contacts_with_access(entity)),
        "roles_of a user": lambda: roles_of(staff),
        "roles_of a group": lambda: roles_of(firm.contact_group),
        "may_hand_out": lambda: access.may_hand_out(staff, reader, entity),
    }


def _count(calls: dict[str, Callable[[], object]]) -> dict[str, int]:
    counts = {}
    for name, call in calls.items():
        with CaptureQueriesContext(connection) as queries:
            call()
        counts[name] = len(queries)
    return counts


def test_access_answers_with_the_same_few_queries_in_a_small_and_a_large_firm(
    db: None,
) -> None:
    firm = _small_firm()
    small = _count(_calls(firm))
    _grow(firm)
    large = _count(_calls(firm))
    assert small == EXPECTED
    # The same in the large firm, where the measured staff member is reached by
    # more than MANY_ASSIGNMENTS assignments and each entity is checked as read.
    assert large == EXPECTED


def test_the_large_firm_reaches_the_measured_users(db: None) -> None:
    """The large firm is not large beside the point: the measured calls see it."""
    firm = _small_firm()
    _grow(firm)
    assert access.visible_entities(firm.staff).count() > 1000
    assert access.visible_entities(firm.contact).count() == 51
    assert access.visible_entities(firm.group_contact).count() > 300
    assert len(access.roles_of(firm.staff, firm.entity)) == 4
    assert access.contacts_with_access(firm.entity).count() > 800
    # The staff member's entities are checked one by one as they are read; the
    # contact's are listed.
    assert grants._grants(firm.staff).reached is None
    assert grants._grants(firm.contact).reached is not None


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements: PostgreSQL only"
)
def test_on_postgresql_the_grants_are_read_with_a_prepared_statement(
    staff_member: User,
) -> None:
    """config/settings.py lets psycopg prepare access's own statements; planning
    them was most of their time (docs/performance.md)."""
    assert connection.settings_dict["OPTIONS"]["prepare_threshold"] is not None
    for _ in range(6):
        list(access.visible_entities(staff_member)[:1])
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert any(statement.startswith("WITH reaching AS") for statement in prepared)
