"""The one place that decides who may see and do what.

Views and API endpoints fetch objects through the `visible_*` querysets (out
of scope is a 404, the same as a missing object) and check capabilities with
`can()` (a visible object without the capability is a 403). Code asks for
capabilities, never for role names.

What a user may do is the union of the roles assigned to them directly, to
their groups, and firm-wide. Every function here answers with a bounded number
of queries whatever the number of entities, groups and assignments, and
nothing is cached between requests: a change of role applies at once.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import BooleanField, Exists, Expression, F, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django_stubs_ext import StrOrPromise

from loket.accounts.models import User
from loket.entities.models import Entity
from loket.groups.models import Group, GroupMembership
from loket.roles.models import Role, RoleAssignment

if TYPE_CHECKING:
    from loket.files.models import File
    from loket.requests.models import RequestQuerySet


class Capability(StrEnum):
    # On an entity: granted by an entity role, or on every entity by a
    # firm-wide assignment.
    ENTITY_VIEW = "entity.view"
    FILES_VIEW = "files.view"
    ACTIVITIES_VIEW = "activities.view"
    ACTIVITIES_VIEW_ALL = "activities.view_all"
    FILES_CREATE = "files.create"
    ACTIVITIES_CREATE = "activities.create"
    ENTITY_EDIT = "entity.edit"
    CONTENT_DELETE = "content.delete"
    ENTITY_SHARE = "entity.share"
    HISTORY_VIEW = "history.view"
    # Limited items of others and the trash (restore, empty).
    CONTENT_MANAGE = "content.manage"
    # Firm-wide only.
    CONTACTS_VIEW = "contacts.view"
    CONTACTS_MANAGE = "contacts.manage"
    STAFF_MANAGE = "staff.manage"
    GROUPS_MANAGE = "groups.manage"
    ENTITIES_MANAGE = "entities.manage"
    SETTINGS_MANAGE = "settings.manage"
    ROLES_MANAGE = "roles.manage"
    ROLES_SHARE_ANY = "roles.share_any"
    HISTORY_VIEW_ALL = "history.view_all"


ENTITY_CAPABILITIES = frozenset(
    {
        Capability.ENTITY_VIEW,
        Capability.FILES_VIEW,
        Capability.ACTIVITIES_VIEW,
        Capability.ACTIVITIES_VIEW_ALL,
        Capability.FILES_CREATE,
        Capability.ACTIVITIES_CREATE,
        Capability.ENTITY_EDIT,
        Capability.CONTENT_DELETE,
        Capability.ENTITY_SHARE,
        Capability.HISTORY_VIEW,
        Capability.CONTENT_MANAGE,
    }
)
FIRM_CAPABILITIES = frozenset(Capability) - ENTITY_CAPABILITIES

CAPABILITY_LABELS: dict[Capability, StrOrPromise] = {
    Capability.ENTITY_VIEW: _("See the entity"),
    Capability.FILES_VIEW: _("See files"),
    Capability.ACTIVITIES_VIEW: _("See activities addressed to them"),
    Capability.ACTIVITIES_VIEW_ALL: _("See all activities"),
    Capability.FILES_CREATE: _("Create files"),
    Capability.ACTIVITIES_CREATE: _("Create activities"),
    Capability.ENTITY_EDIT: _("Edit"),
    Capability.CONTENT_DELETE: _("Delete"),
    Capability.ENTITY_SHARE: _("Share"),
    Capability.HISTORY_VIEW: _("See the history"),
    Capability.CONTENT_MANAGE: _("See limited items of others; manage the trash"),
    Capability.CONTACTS_VIEW: _("See contacts"),
    Capability.CONTACTS_MANAGE: _("Manage contacts"),
    Capability.STAFF_MANAGE: _("Manage staff"),
    Capability.GROUPS_MANAGE: _("Manage groups"),
    Capability.ENTITIES_MANAGE: _("Manage entities"),
    Capability.SETTINGS_MANAGE: _("Manage settings"),
    Capability.ROLES_MANAGE: _("Manage roles"),
    Capability.ROLES_SHARE_ANY: _("Hand out any role"),
    Capability.HISTORY_VIEW_ALL: _("See the firm-wide history"),
}

# Every active staff member holds these without any role.
STAFF_BASELINE = frozenset({Capability.CONTACTS_VIEW})

_C = Capability
_CONTACT_ACCESS = frozenset({_C.ENTITY_VIEW, _C.FILES_VIEW, _C.ACTIVITIES_VIEW})
_READER = _CONTACT_ACCESS | {
    _C.ACTIVITIES_VIEW_ALL,
    _C.ACTIVITIES_CREATE,
    _C.HISTORY_VIEW,
}
_EDITOR = _READER | {_C.FILES_CREATE, _C.ENTITY_EDIT, _C.CONTENT_DELETE}


@dataclass(frozen=True)
class BuiltinRole:
    name: str
    scope: str
    audience: str
    capabilities: frozenset[Capability]


# Built-in roles are data: roles.builtin.sync_builtin_roles keeps the Role table
# in step (a change here ships a migration that calls it).
BUILTIN_ROLES: dict[str, BuiltinRole] = {
    "administrator": BuiltinRole(
        gettext_noop("Administrator"), "firm", "staff", frozenset(Capability)
    ),
    "staff-administrator": BuiltinRole(
        gettext_noop("Staff Administrator"),
        "firm",
        "staff",
        frozenset({_C.CONTACTS_VIEW, _C.CONTACTS_MANAGE, _C.STAFF_MANAGE}),
    ),
    "entity-administrator": BuiltinRole(
        gettext_noop("Entity Administrator"),
        "firm",
        "staff",
        frozenset(
            {
                _C.ENTITIES_MANAGE,
                _C.GROUPS_MANAGE,
                _C.ENTITY_VIEW,
                _C.ENTITY_EDIT,
                _C.ENTITY_SHARE,
                _C.ROLES_SHARE_ANY,
                _C.HISTORY_VIEW,
            }
        ),
    ),
    "settings-administrator": BuiltinRole(
        gettext_noop("Settings Administrator"),
        "firm",
        "staff",
        frozenset({_C.SETTINGS_MANAGE}),
    ),
    "owner": BuiltinRole(
        gettext_noop("Owner"), "entity", "staff", frozenset(ENTITY_CAPABILITIES)
    ),
    "editor": BuiltinRole(gettext_noop("Editor"), "entity", "staff", _EDITOR),
    "reader": BuiltinRole(gettext_noop("Reader"), "entity", "staff", _READER),
    "contact-entity-access": BuiltinRole(
        gettext_noop("Contact – Entity Access"),
        "entity",
        "contact",
        _CONTACT_ACCESS,
    ),
    "contact-entity-staff": BuiltinRole(
        gettext_noop("Contact – Entity Staff"),
        "entity",
        "contact",
        _CONTACT_ACCESS | {_C.FILES_CREATE, _C.ACTIVITIES_CREATE},
    ),
}

AnyUser = User | AnonymousUser


def _active(user: AnyUser) -> User | None:
    if isinstance(user, User) and user.is_active:
        return user
    return None


def _my_group_ids(user: User) -> "QuerySet[GroupMembership, Any]":
    return GroupMembership.objects.filter(user=user).values("group_id")


def _assignments_of(user: User) -> QuerySet[RoleAssignment]:
    """Every assignment that applies to `user`: direct, or through a group."""
    return RoleAssignment.objects.filter(
        Q(user=user) | Q(group_id__in=_my_group_ids(user))
    )


def _capabilities_sql(on_entity: bool) -> str:
    assignment = RoleAssignment._meta.db_table
    role = Role._meta.db_table
    membership = GroupMembership._meta.db_table
    scope = (
        "(a.entity_id IS NULL OR a.entity_id = %s)"
        if on_entity
        else "a.entity_id IS NULL"
    )
    # Table names come from the models, values go as parameters.
    return (
        f"SELECT r.capabilities FROM {assignment} a "  # noqa: S608
        f"INNER JOIN {role} r ON r.id = a.role_id "
        f"WHERE {scope} AND (a.user_id = %s OR a.group_id IN "
        f"(SELECT m.group_id FROM {membership} m WHERE m.user_id = %s))"
    )


_FIRM_SQL = _capabilities_sql(on_entity=False)
_ENTITY_SQL = _capabilities_sql(on_entity=True)


def _decoded(capabilities: str | list[str]) -> list[str]:
    # Django's backends hand JSON columns over as text, for JSONField to decode.
    return json.loads(capabilities) if isinstance(capabilities, str) else capabilities


def _capabilities(user: User, entity: Entity | None) -> frozenset[str]:
    """The capabilities of every role assigned to `user`, directly or through a
    group, firm-wide (and on `entity`), in one query. Plain SQL: this runs on
    every request, and building it with the ORM costs ten times running it."""
    if entity is None:
        sql, params = _FIRM_SQL, [user.pk, user.pk]
    else:
        sql, params = _ENTITY_SQL, [entity.pk, user.pk, user.pk]
    granted: set[str] = set()
    with _cursor() as cursor:
        cursor.execute(sql, params)
        for (capabilities,) in cursor.fetchall():
            granted.update(_decoded(capabilities))
    if user.is_staff_member:
        granted |= STAFF_BASELINE
    return frozenset(granted)


def firm_capabilities(user: AnyUser) -> frozenset[str]:
    """The capabilities `user` holds firm-wide, in one query."""
    active = _active(user)
    if active is None:
        return frozenset()
    return _capabilities(active, None)


def entity_capabilities(user: AnyUser, entity: Entity) -> frozenset[str]:
    """The capabilities `user` holds on `entity` (firm-wide ones included), in
    one query."""
    active = _active(user)
    if active is None:
        return frozenset()
    return _capabilities(active, entity)


def can(user: AnyUser, capability: Capability, entity: Entity | None = None) -> bool:
    """May `user` use `capability`, on `entity` or firm-wide?"""
    if entity is None:
        return capability in firm_capabilities(user)
    return capability in entity_capabilities(user, entity)


def require(condition: bool) -> None:
    """Refuse with 403 unless `condition` holds."""
    if not condition:
        raise PermissionDenied


def roles_with(capability: Capability) -> list[int]:
    """Ids of the roles that grant `capability` (roles are few; one query)."""
    return [
        pk
        for pk, capabilities in Role.objects.order_by().values_list(
            "pk", "capabilities"
        )
        if capability in capabilities
    ]


# Up to this many assignments reaching a user, their entities are listed by id;
# beyond it each entity is checked as it is read, so that a first page or a
# detail page costs the same however many assignments reach them.
MANY_ASSIGNMENTS = 1000


def _cursor() -> Any:
    """A cursor for the plain SQL of this module. On PostgreSQL, when the
    connection may prepare statements (`prepare_threshold` in the database
    OPTIONS, see config/settings.py), one that sends the parameters apart from
    the SQL, so that psycopg prepares each statement after that many runs on the
    connection and PostgreSQL stops planning it on every request: planning was
    most of the time of these small statements. Django's own cursors bind on the
    client and are never prepared. Still Django's wrapper: logged, counted and
    with Django's errors, like `connection.cursor()`."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    if getattr(connection.connection, "prepare_threshold", None) is None:
        return connection.cursor()
    from django.db.backends.postgresql.base import (  # type: ignore[attr-defined]
        ServerBindingCursor,
    )

    with connection.wrap_database_errors:
        connection.validate_thread_sharing()
        cursor = ServerBindingCursor(connection.connection)
        if connection.queries_logged:
            return connection.make_debug_cursor(cursor)
        return connection.make_cursor(cursor)


def _grants_sql() -> str:
    assignment = RoleAssignment._meta.db_table
    role = Role._meta.db_table
    membership = GroupMembership._meta.db_table
    my_groups = f"SELECT m.group_id FROM {membership} m WHERE m.user_id = %s"  # noqa: S608
    # Table names come from the models, values go as parameters. The entity
    # assignments reaching the user are read in two index-friendly halves (an OR
    # scanned the whole table): first counted up to MANY_ASSIGNMENTS + 1 from
    # the indexes alone, then handed over only if there are no more than
    # MANY_ASSIGNMENTS.
    direct = "a.user_id = %s AND a.entity_id IS NOT NULL"
    through_groups = f"a.group_id IN ({my_groups}) AND a.entity_id IS NOT NULL"
    # The pairs are read only if the count allows: the one-row count comes first
    # in the join (CROSS JOIN keeps it first on SQLite, which would otherwise
    # test the count on every assignment of the user's groups).
    pairs = (
        "SELECT a.role_id, NULL, NULL, NULL, a.entity_id FROM reaching g "  # noqa: S608
        f"CROSS JOIN {assignment} a WHERE g.n <= %s AND "
    )
    return (
        "WITH reaching AS (SELECT COUNT(*) AS n FROM ("  # noqa: S608
        f"SELECT 1 FROM {assignment} a WHERE {direct} UNION ALL "
        f"SELECT 1 FROM {assignment} a WHERE {through_groups} LIMIT %s) counted) "
        f"SELECT r.id, r.capabilities, EXISTS (SELECT 1 FROM {assignment} a "
        "WHERE a.role_id = r.id AND a.entity_id IS NULL AND "
        f"(a.user_id = %s OR a.group_id IN ({my_groups}))), "
        f"(SELECT n FROM reaching), NULL FROM {role} r "
        f"UNION ALL {pairs}{direct} UNION ALL {pairs}{through_groups}"
    )


_GRANTS_SQL = _grants_sql()


def _firm_capabilities_and_roles(
    user: User,
) -> tuple[frozenset[str], list[tuple[int, list[str]]], list[tuple[int, int]] | None]:
    """What `user` holds firm-wide, every role with its capabilities, and the
    entity assignments that reach `user` directly or through a group, as
    (role, entity) pairs — or None when there are more than MANY_ASSIGNMENTS of
    them: one query."""
    granted: set[str] = set()
    roles = []
    reached: list[tuple[int, int]] = []
    reaching = 0
    u, many = user.pk, MANY_ASSIGNMENTS
    with _cursor() as cursor:
        cursor.execute(_GRANTS_SQL, [u, u, many + 1, u, u, many, u, many, u])
        for pk, capabilities, held, count, entity_id in cursor.fetchall():
            if entity_id is not None:
                reached.append((pk, entity_id))
                continue
            reaching = count
            decoded = _decoded(capabilities)
            roles.append((pk, decoded))
            if held:
                granted.update(decoded)
    if user.is_staff_member:
        granted |= STAFF_BASELINE
    return frozenset(granted), roles, None if reaching > MANY_ASSIGNMENTS else reached


class _Granted(Expression):
    """`EXISTS` an assignment of one of `role_ids` on the entity, held by the user
    directly or through a group. Written as SQL because the ORM took longer to
    build the same `Exists(...)` than the database took to run it; the entity's
    column stays an expression, so aliasing (subqueries) still works."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, pk: Any, role_ids: list[int], user_id: int) -> None:
        super().__init__()
        self.pk = pk
        self.role_ids = role_ids
        self.user_id = user_id

    def get_source_expressions(self) -> list[Any]:
        return [self.pk]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.pk,) = exprs

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        pk_sql, pk_params = compiler.compile(self.pk)
        roles = ", ".join(["%s"] * len(self.role_ids))
        sql = (
            f"EXISTS (SELECT 1 FROM {RoleAssignment._meta.db_table} a "  # noqa: S608
            f"WHERE a.entity_id = {pk_sql} AND a.role_id IN ({roles}) "
            "AND (a.user_id = %s OR a.group_id IN (SELECT m.group_id FROM "
            f"{GroupMembership._meta.db_table} m WHERE m.user_id = %s)))"
        )
        return sql, [*pk_params, *self.role_ids, self.user_id, self.user_id]


@dataclass(frozen=True)
class _Grants:
    """What reaches a user, read once: firm-wide capabilities, every role with
    its capabilities, and the (role, entity) pairs of the entity assignments that
    reach them, or None when there are more than MANY_ASSIGNMENTS."""

    user: User
    firm: frozenset[str]
    roles: list[tuple[int, list[str]]]
    reached: list[tuple[int, int]] | None

    def entity_filter(self, capability: Capability, field: str = "pk") -> Q:
        """A filter on `field` (an entity id) for the entities on which the user
        holds `capability`: everything, nothing, an id list or a per-row EXISTS,
        depending on how many assignments reach the user. No query."""
        if capability in self.firm:
            # Not Q(): an empty Q vanishes when OR-ed with another.
            return Q(**{f"{field}__isnull": False})
        role_ids = [pk for pk, caps in self.roles if capability in caps]
        if not role_ids:
            return Q(pk__in=[])
        if self.reached is not None:
            granting = set(role_ids)
            ids = {entity for role, entity in self.reached if role in granting}
            return Q(**{f"{field}__in": ids})
        return Q(_Granted(F(field), role_ids, self.user.pk))


def _grants(user: User) -> _Grants:
    firm, roles, reached = _firm_capabilities_and_roles(user)
    return _Grants(user, firm, roles, reached)


def visible_entities(user: AnyUser) -> QuerySet[Entity]:
    """The entities `user` may see: all of them with a firm-wide grant, else those
    on which a direct or group assignment grants `entity.view`. One query, then
    the one the caller runs."""
    active = _active(user)
    if active is None:
        return Entity.objects.none()
    grants = _grants(active)
    if Capability.ENTITIES_MANAGE in grants.firm:
        return Entity.objects.all()
    return Entity.objects.filter(grants.entity_filter(Capability.ENTITY_VIEW))


def entities_with(user: AnyUser, capability: Capability) -> QuerySet[Entity]:
    """The entities on which `user` holds `capability` (firm-wide grants too)."""
    active = _active(user)
    if active is None:
        return Entity.objects.none()
    return Entity.objects.filter(_grants(active).entity_filter(capability))


def visible_files(user: AnyUser, entity: Entity | None = None) -> "QuerySet[File]":
    """Files (not in the trash) `user` may see, in `entity` or in every entity:
    where they hold `files.view`; a limited file only for its creator, the people
    it is shared with and whoever holds `content.manage` there. A bounded number
    of queries."""
    from loket.files.models import File

    active = _active(user)
    if active is None:
        return File.objects.none()
    files = File.objects.filter(deleted_at__isnull=True)
    shared = File.shared_with.through._default_manager.filter(
        file_id=OuterRef("pk"), user_id=active.pk
    )
    own = Q(limited=False) | Q(created_by=active) | Exists(shared)
    if entity is not None:
        held = entity_capabilities(active, entity)
        if Capability.FILES_VIEW not in held:
            return File.objects.none()
        files = files.filter(entity=entity)
        return files if Capability.CONTENT_MANAGE in held else files.filter(own)
    grants = _grants(active)
    return files.filter(
        grants.entity_filter(Capability.FILES_VIEW, "entity_id")
    ).filter(own | grants.entity_filter(Capability.CONTENT_MANAGE, "entity_id"))


def visible_requests(user: AnyUser, entity: Entity | None = None) -> "RequestQuerySet":
    """Requests `user` may see, in `entity` or everywhere: with
    `activities.view_all`, every request of the entity (a limited one only for
    its creator, its recipients and holders of `content.manage`); with
    `activities.view`, the sent requests addressed to them and those they made.
    A bounded number of queries."""
    from loket.requests.models import Recipient, Request

    active = _active(user)
    if active is None:
        return Request.objects.none()
    addressed = Exists(
        Recipient.objects.filter(request_id=OuterRef("pk"), user_id=active.pk)
    )
    mine = Q(created_by=active) | (addressed & ~Q(status=Request.Status.NOT_SENT))
    unlimited = Q(limited=False) | mine
    requests = Request.objects.all()
    if entity is not None:
        held = entity_capabilities(active, entity)
        requests = requests.filter(entity=entity)
        if Capability.ACTIVITIES_VIEW_ALL in held:
            if Capability.CONTENT_MANAGE in held:
                return requests
            return requests.filter(unlimited)
        if Capability.ACTIVITIES_VIEW in held:
            return requests.filter(mine)
        return Request.objects.none()
    grants = _grants(active)
    all_of = grants.entity_filter(Capability.ACTIVITIES_VIEW_ALL, "entity_id")
    manage = grants.entity_filter(Capability.CONTENT_MANAGE, "entity_id")
    addressed_to = grants.entity_filter(Capability.ACTIVITIES_VIEW, "entity_id")
    return requests.filter((all_of & (unlimited | manage)) | (addressed_to & mine))


def visible_contacts(user: AnyUser) -> QuerySet[User]:
    """The contacts `user` may see: all of them for staff who may see contacts."""
    contacts = User.objects.filter(kind=User.Kind.CONTACT)
    if can(user, Capability.CONTACTS_VIEW):
        return contacts
    return contacts.none()


def visible_staff(user: AnyUser) -> QuerySet[User]:
    """Staff members: visible to every active staff member, to none of the contacts."""
    staff = User.objects.filter(kind=User.Kind.STAFF)
    active = _active(user)
    if active is not None and active.is_staff_member:
        return staff
    return staff.none()


def visible_groups(user: AnyUser) -> QuerySet[Group]:
    """Groups: visible to every active staff member (sharing picks from them)."""
    active = _active(user)
    if active is not None and active.is_staff_member:
        return Group.objects.all()
    return Group.objects.none()


def visible_roles(user: AnyUser) -> QuerySet[Role]:
    active = _active(user)
    if active is not None and active.is_staff_member:
        return Role.objects.all()
    return Role.objects.none()


def people_with(
    entity: Entity, capability: Capability, *, firm_wide: bool = True
) -> QuerySet[User]:
    """Users not deactivated who hold `capability` on `entity`, directly or
    through a group — and, with `firm_wide`, through firm-wide assignments.
    Two queries (the roles, then the users)."""
    role_ids = roles_with(capability)
    here = Q(entity=entity) | Q(entity__isnull=True) if firm_wide else Q(entity=entity)
    group_here = (
        Q(group__assignments__entity=entity)
        | Q(group__assignments__entity__isnull=True)
        if firm_wide
        else Q(group__assignments__entity=entity)
    )
    direct = (
        RoleAssignment.objects.filter(here, role_id__in=role_ids, user__isnull=False)
        .order_by()
        .values("user_id")
    )
    through_groups = GroupMembership.objects.filter(
        group_here, group__assignments__role_id__in=role_ids
    ).values("user_id")
    return (
        User.objects.filter(id__in=direct.union(through_groups))
        .exclude(state=User.State.DEACTIVATED)
        .order_by("kind", "first_name", "last_name", "email")
    )


def contacts_with_access(
    entity: Entity, capability: Capability = Capability.ENTITY_VIEW
) -> QuerySet[User]:
    """Contacts who hold `capability` on `entity` through a direct or group
    assignment: the recipients a request on this entity can be addressed to."""
    return people_with(entity, capability, firm_wide=False).filter(
        kind=User.Kind.CONTACT
    )


@dataclass(frozen=True)
class HeldRole:
    """A role a principal holds on an entity, and where it comes from."""

    role: Role
    assignment: RoleAssignment
    via_group: Group | None
    firm_wide: bool

    @property
    def direct(self) -> bool:
        return self.via_group is None and not self.firm_wide


def roles_of(principal: User | Group, entity: Entity) -> list[HeldRole]:
    """The roles `principal` holds on `entity`, each with its source: direct,
    through a group, firm-wide. One query."""
    if isinstance(principal, Group):
        scope = RoleAssignment.objects.filter(group=principal)
    else:
        scope = _assignments_of(principal)
    assignments = (
        scope.filter(Q(entity__isnull=True) | Q(entity=entity))
        .select_related("role", "group")
        .order_by("role__name", "pk")
    )
    held = []
    for assignment in assignments:
        via = (
            assignment.group
            if assignment.group_id and isinstance(principal, User)
            else None
        )
        held.append(
            HeldRole(
                role=assignment.role,
                assignment=assignment,
                via_group=via,
                firm_wide=assignment.entity_id is None,
            )
        )
    return held


def may_hand_out(user: AnyUser, role: Role, entity: Entity) -> bool:
    """The sharing rule: `user` may share `entity` and holds every capability of
    `role` there, or may hand out any role."""
    held = entity_capabilities(user, entity)
    if Capability.ENTITY_SHARE not in held:
        return False
    return Capability.ROLES_SHARE_ANY in held or set(role.capabilities) <= held


def roles_to_hand_out(user: AnyUser, entity: Entity) -> list[Role]:
    """The entity roles `user` may give on `entity` (the sharing rule), in two
    queries whatever the number of roles."""
    held = entity_capabilities(user, entity)
    if Capability.ENTITY_SHARE not in held:
        return []
    roles = Role.objects.filter(scope=Role.Scope.ENTITY)
    if Capability.ROLES_SHARE_ANY in held:
        return list(roles)
    return [role for role in roles if set(role.capabilities) <= held]


def may_hand_out_firm_wide(user: AnyUser, role: Role) -> bool:
    """The sharing rule, firm-wide: only roles whose capabilities `user` holds
    firm-wide, unless they may hand out any role."""
    held = firm_capabilities(user)
    return Capability.ROLES_SHARE_ANY in held or set(role.capabilities) <= held


def holders_of(capability: Capability) -> QuerySet[User]:
    """Active staff who hold `capability` firm-wide, directly or through a group."""
    role_ids = roles_with(capability)
    direct = RoleAssignment.objects.filter(
        entity__isnull=True, role_id__in=role_ids, user__isnull=False
    ).values("user_id")
    through_groups = GroupMembership.objects.filter(
        group__assignments__entity__isnull=True,
        group__assignments__role_id__in=role_ids,
    ).values("user_id")
    return User.objects.filter(
        kind=User.Kind.STAFF,
        state=User.State.ACTIVE,
        id__in=direct.union(through_groups),
    )


def assignable_client_entities(user: AnyUser) -> QuerySet[Entity]:
    """Entities `user` may give a contact as its client entity (or filter contacts
    by): every entity for whoever manages contacts — a Staff Administrator holds
    no entity role, yet names each new contact's client entity — and the visible
    ones for anyone else. Naming the client entity grants no access."""
    if can(user, Capability.CONTACTS_MANAGE):
        return Entity.objects.all()
    return visible_entities(user)
