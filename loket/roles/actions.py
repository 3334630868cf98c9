"""Roles and who holds them: custom roles, sharing an entity, firm-wide roles."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from loket import access
from loket.access import ENTITY_CAPABILITIES, Capability
from loket.accounts.models import User
from loket.audit.actions import record
from loket.audit.models import Event
from loket.core.changes import apply_changes
from loket.entities.models import Entity
from loket.groups.models import Group
from loket.notifications.notify import notify_access_granted
from loket.roles.models import Role, RoleAssignment

Principal = User | Group


def _audience_of(principal: Principal) -> str:
    return principal.kind  # "staff" or "contact", for users and groups alike


def _describe(principal: Principal) -> dict[str, str]:
    if isinstance(principal, Group):
        return {"group": str(principal.uuid), "group_name": principal.name}
    return {"user": str(principal.uuid), "user_email": principal.email}


def _check_capabilities(scope: str, capabilities: Iterable[str]) -> list[str]:
    known = {c.value for c in Capability}
    chosen = sorted(set(capabilities))
    if not chosen:
        raise ValidationError(
            {"capabilities": _("Choose at least one capability.")}, code="required"
        )
    unknown = [c for c in chosen if c not in known]
    if unknown:
        raise ValidationError(
            {"capabilities": _("Unknown capability: %(name)s") % {"name": unknown[0]}},
            code="unknown",
        )
    if Capability.ENTITIES_MANAGE in chosen and Capability.ENTITY_VIEW not in chosen:
        # Otherwise the role would list entities whose pages it may not open.
        raise ValidationError(
            {
                "capabilities": _(
                    "A role that manages entities must also see them: "
                    "add “See the entity”."
                )
            },
            code="incomplete",
        )
    if scope == Role.Scope.ENTITY and not set(chosen) <= ENTITY_CAPABILITIES:
        raise ValidationError(
            {"capabilities": _("An entity role can only hold entity capabilities.")},
            code="scope",
        )
    return chosen


@transaction.atomic
def create_role(
    *,
    name: str,
    description: str = "",
    scope: str,
    audience: str,
    capabilities: Iterable[str],
    actor: User,
) -> Role:
    """A custom role ("or equivalent permissions")."""
    chosen = _check_capabilities(scope, capabilities)
    if scope == Role.Scope.FIRM and audience != Role.Audience.STAFF:
        raise ValidationError(
            {"audience": _("Firm roles can only be given to staff.")}, code="audience"
        )
    base = slugify(name)[:50] or "role"
    key, n = f"custom-{base}", 1
    while Role.objects.filter(key=key).exists():
        n += 1
        key = f"custom-{base}-{n}"
    role = Role(
        key=key,
        name=name.strip(),
        description=description,
        scope=scope,
        audience=audience,
        capabilities=chosen,
    )
    role.full_clean()
    role.save()
    record(
        Event.Verb.ROLE_CREATED,
        actor=actor,
        target=role,
        data={"scope": scope, "audience": audience, "capabilities": chosen},
    )
    return role


@transaction.atomic
def update_role(
    role: Role,
    *,
    name: str,
    description: str,
    capabilities: Iterable[str],
    actor: User,
) -> Role:
    if role.builtin:
        raise ValidationError(
            _("Built-in roles cannot be changed; create a custom role instead."),
            code="builtin",
        )
    chosen = _check_capabilities(role.scope, capabilities)
    diff = apply_changes(
        role, {"name": name.strip(), "description": description, "capabilities": chosen}
    )
    if diff:
        role.full_clean()
        role.save()
        record(Event.Verb.ROLE_CHANGED, actor=actor, target=role, data=diff)
    return role


def _check_assignable(role: Role, principal: Principal, entity: Entity | None) -> None:
    if _audience_of(principal) != role.audience:
        message = (
            _("A contact role can only be given to contacts and contact groups.")
            if role.audience == Role.Audience.CONTACT
            else _("A staff role can only be given to staff members and staff groups.")
        )
        raise ValidationError(message, code="audience")
    if entity is not None and role.scope != Role.Scope.ENTITY:
        raise ValidationError(
            _("A firm role applies to the whole firm, not to one entity."),
            code="scope",
        )
    if entity is None and role.audience == Role.Audience.CONTACT:
        raise ValidationError(
            _("Contacts can only be given access to one entity at a time."),
            code="scope",
        )
    if isinstance(principal, User) and principal.state == User.State.DEACTIVATED:
        raise ValidationError(
            _("%(name)s is deactivated.") % {"name": principal}, code="deactivated"
        )


def _assign(
    role: Role, principal: Principal, entity: Entity | None, actor: User
) -> RoleAssignment | None:
    _check_assignable(role, principal, entity)
    lookup: dict[str, object] = {"role": role, "entity": entity}
    lookup["group" if isinstance(principal, Group) else "user"] = principal
    if RoleAssignment.objects.filter(**lookup).exists():
        return None
    assignment = RoleAssignment.objects.create(**lookup)
    record(
        Event.Verb.ACCESS_GRANTED,
        actor=actor,
        target=assignment,
        target_label=f"{principal} — {role.name}",
        entity=entity,
        data={"role": role.key, "scope": "entity" if entity else "firm"}
        | _describe(principal),
    )
    return assignment


@transaction.atomic
def share_entity(
    entity: Entity,
    *,
    principals: Iterable[Principal],
    roles: Iterable[Role],
    actor: User,
    notify: bool = True,
) -> list[RoleAssignment]:
    """Give each principal each role on `entity` (the seed's Share dialog).
    Roles they already hold directly are left as they are. All or nothing.
    A principal new to the entity is told (its members, for a group), once the
    change commits, unless `notify` is False."""
    created = []
    newcomers: list[Principal] = []
    for principal in principals:
        holder = {"group" if isinstance(principal, Group) else "user": principal}
        new_here = not RoleAssignment.objects.filter(entity=entity, **holder).exists()
        given = 0
        for role in roles:
            assignment = _assign(role, principal, entity, actor)
            if assignment is not None:
                created.append(assignment)
                given += 1
        if new_here and given:
            newcomers.append(principal)
    if notify and newcomers:
        notify_access_granted(entity, newcomers)
    return created


@transaction.atomic
def share_entity_with(
    entity: Entity,
    *,
    grants: Iterable[tuple[Principal, Iterable[Role]]],
    actor: User,
) -> list[RoleAssignment]:
    """The Share dialog's outcome: each principal gets its own roles on `entity`.
    All or nothing."""
    created = []
    for principal, roles in grants:
        created += share_entity(
            entity, principals=[principal], roles=list(roles), actor=actor
        )
    return created


def _keep_an_administrator(assignment: RoleAssignment, old_role: Role) -> None:
    """Called after a firm-wide assignment lost `old_role`, inside the action's
    transaction: refuse (and so roll back) if nobody can manage roles any more,
    which would lock the firm out of its own settings."""
    manage = Capability.ROLES_MANAGE
    if assignment.entity_id is not None or manage not in old_role.capabilities:
        return
    if not access.holders_of(manage).exists():
        raise ValidationError(
            _("At least one administrator who can manage roles must remain."),
            code="last_administrator",
        )


@transaction.atomic
def assign_firm_role(
    role: Role, principal: Principal, *, actor: User
) -> RoleAssignment | None:
    """Give a role firm-wide: a firm role, or an entity role on every entity."""
    return _assign(role, principal, None, actor)


@transaction.atomic
def change_access(
    assignment: RoleAssignment, *, role: Role, actor: User
) -> RoleAssignment:
    """Replace the role of an existing assignment."""
    principal = assignment.user or assignment.group
    assert principal is not None
    if role.pk == assignment.role_id:
        return assignment
    _check_assignable(role, principal, assignment.entity)
    duplicate = RoleAssignment.objects.filter(
        role=role,
        entity=assignment.entity,
        user=assignment.user,
        group=assignment.group,
    ).exists()
    if duplicate:
        raise ValidationError(_("They already hold this role."), code="duplicate")
    old = assignment.role
    assignment.role = role
    assignment.save(update_fields=["role"])
    _keep_an_administrator(assignment, old)
    record(
        Event.Verb.ACCESS_CHANGED,
        actor=actor,
        target=assignment,
        target_label=f"{principal} — {role.name}",
        entity=assignment.entity,
        data={"role": [old.key, role.key]} | _describe(principal),
    )
    return assignment


@transaction.atomic
def revoke_access(assignment: RoleAssignment, *, actor: User) -> None:
    principal = assignment.user or assignment.group
    assert principal is not None
    record(
        Event.Verb.ACCESS_REVOKED,
        actor=actor,
        target=assignment,
        target_label=f"{principal} — {assignment.role.name}",
        entity=assignment.entity,
        data={
            "role": assignment.role.key,
            "scope": "entity" if assignment.entity_id else "firm",
        }
        | _describe(principal),
    )
    assignment.delete()
    _keep_an_administrator(assignment, assignment.role)
