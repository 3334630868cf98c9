"""The grants engine: what a user holds, read from the role assignments with a
few statements of plain SQL (the ORM took longer to build them than the
database took to run them). What a user may do is the union of the roles
assigned to them directly, to their groups, and firm-wide; nothing is cached
between requests, so a change of role applies at once.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import BooleanField, Expression, F, Q, QuerySet

from loket.access.capabilities import STAFF_BASELINE, Capability, Held
from loket.accounts.models import User
from loket.entities.models import Entity
from loket.groups.models import GroupMembership
from loket.roles.models import Role, RoleAssignment

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


def _capabilities(user: User, entity: Entity | None) -> Held:
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
    return Held(granted)


def firm_capabilities(user: AnyUser) -> frozenset[str]:
    """The capabilities `user` holds firm-wide, in one query (a `Held`, which
    templates read as `caps.settings_manage`)."""
    active = _active(user)
    if active is None:
        return Held()
    return _capabilities(active, None)


def entity_capabilities(user: AnyUser, entity: Entity) -> frozenset[str]:
    """The capabilities `user` holds on `entity` (firm-wide ones included), in
    one query (a `Held`, which templates read as `caps.files_create`)."""
    active = _active(user)
    if active is None:
        return Held()
    return _capabilities(active, entity)


def is_staff(user: AnyUser) -> bool:
    """Is `user` an active staff member of the firm (not a contact)? The one
    place that tells staff from contacts for what they may see and do."""
    active = _active(user)
    return active is not None and active.is_staff_member


def is_contact(user: AnyUser) -> bool:
    """Is `user` an active contact (a client's person)?"""
    active = _active(user)
    return active is not None and not active.is_staff_member


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


def can(user: AnyUser, capability: Capability, entity: Entity | None = None) -> bool:
    """May `user` use `capability`, on `entity` or firm-wide?"""
    if entity is None:
        return capability in firm_capabilities(user)
    return capability in entity_capabilities(user, entity)


def require(condition: bool) -> None:
    """Refuse with 403 unless `condition` holds."""
    if not condition:
        raise PermissionDenied
