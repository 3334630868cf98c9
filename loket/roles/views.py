"""Sharing an entity (the Share dialog and the Access tab) and the Roles pages."""

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_stubs_ext import StrOrPromise

from loket import access
from loket.access import CAPABILITY_LABELS, Capability
from loket.accounts.models import User
from loket.core.http import signed_in_user
from loket.entities.lookups import get_entity_for_user
from loket.entities.models import Entity
from loket.entities.tabs import entity_page
from loket.groups.lookups import visible_groups_counted
from loket.groups.models import Group
from loket.roles import actions
from loket.roles.forms import EditRoleForm, FirmAssignmentForm, RoleForm
from loket.roles.lookups import (
    get_assignment_for_user,
    get_firm_assignment_for_user,
    get_role_for_user,
)
from loket.roles.models import Role, RoleAssignment

Principal = User | Group

# Each section of the Share dialog lists at most this many matches.
PICK_LIMIT = 50


# --- helpers -----------------------------------------------------------------


def _uuids(values: list[str]) -> list[UUID]:
    parsed = []
    for value in values:
        try:
            parsed.append(UUID(value))
        except ValueError:
            continue
    return parsed


def _source(held: access.HeldRole) -> str:
    if held.firm_wide and held.via_group is not None:
        return _("firm-wide, via group %(name)s") % {"name": held.via_group.name}
    if held.firm_wide:
        return _("firm-wide")
    if held.via_group is not None:
        return _("via group %(name)s") % {"name": held.via_group.name}
    return _("direct")


def _field_name(principal: Principal) -> str:
    prefix = "group" if isinstance(principal, Group) else "user"
    return f"roles-{prefix}-{principal.uuid}"


def _search(people: QuerySet[User], query: str) -> QuerySet[User]:
    for word in query.split():
        people = people.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
        )
    return people


def _capability_labels(capabilities: list[str]) -> list[StrOrPromise]:
    held = set(capabilities)
    return [label for c, label in CAPABILITY_LABELS.items() if c.value in held]


def _show_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


# --- the Share dialog ----------------------------------------------------------


@dataclass
class Chosen:
    """The people and groups picked in the Share dialog's first step."""

    users: list[User]
    groups: list[Group]
    # Everyone who may be chosen (a query not yet run).
    pool: QuerySet[User]

    @property
    def principals(self) -> list[Principal]:
        return [*self.groups, *self.users]

    def query(self) -> str:
        pairs = [("group", str(g.uuid)) for g in self.groups]
        pairs += [("user", str(u.uuid)) for u in self.users]
        return urlencode(pairs)


def _chosen(user: User, held: frozenset[str], data: QueryDict) -> Chosen:
    # Staff members and contacts `user` may share with.
    people = access.visible_people(user, held=held)
    people = people.exclude(state=User.State.DEACTIVATED)
    groups = visible_groups_counted(user)
    return Chosen(
        users=list(
            people.filter(uuid__in=_uuids(data.getlist("user"))).select_related(
                "client_entity"
            )
        ),
        groups=list(groups.filter(uuid__in=_uuids(data.getlist("group")))),
        pool=people,
    )


@dataclass
class Section:
    key: str
    title: str
    items: list[Any]
    more: bool
    empty: str


def _section(
    key: str, title: str, empty: str, found: QuerySet[Any], chosen: list[Any]
) -> Section:
    first = list(found[: PICK_LIMIT + 1])
    # Those already picked stay on the page, checked, whatever the search.
    extra = [item for item in chosen if item not in first[:PICK_LIMIT]]
    return Section(
        key, title, extra + first[:PICK_LIMIT], len(first) > PICK_LIMIT, empty
    )


def _pick_step(
    request: HttpRequest,
    user: User,
    entity: Entity,
    chosen: Chosen,
    *,
    error: str = "",
) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    groups = visible_groups_counted(user)
    if query:
        groups = groups.filter(name__icontains=query)
    people = _search(chosen.pool, query)
    # By kind, the picked people too: access.is_staff would drop the invited.
    staff = people.filter(kind=User.Kind.STAFF)
    contacts = people.filter(kind=User.Kind.CONTACT).select_related("client_entity")
    sections = [
        _section("group", _("Groups"), _("No groups match."), groups, chosen.groups),
        _section(
            "user",
            _("Staff"),
            _("No staff members match."),
            staff,
            [u for u in chosen.users if u.kind == User.Kind.STAFF],
        ),
        _section(
            "user",
            _("Contacts"),
            _("No contacts match."),
            contacts,
            [u for u in chosen.users if u.kind == User.Kind.CONTACT],
        ),
    ]
    context = {
        "entity": entity,
        "query": query,
        "sections": sections,
        "chosen": {p.uuid for p in chosen.principals},
        "limit": PICK_LIMIT,
        "error": error,
    }
    return render(request, "roles/share.html", context, status=400 if error else 200)


@dataclass
class Block:
    """One chosen person or group in the Share dialog's second step."""

    principal: Principal
    field_name: str
    inherited: list[tuple[access.HeldRole, str]]
    options: list[Role]
    picked: set[str] = field(default_factory=set)
    error: str = ""

    @property
    def key(self) -> str:
        return "group" if isinstance(self.principal, Group) else "user"


def _blocks(
    entity: Entity, chosen: Chosen, data: QueryDict, to_hand_out: list[Role]
) -> list[Block]:
    return [
        Block(
            principal=principal,
            field_name=_field_name(principal),
            inherited=[(h, _source(h)) for h in access.roles_of(principal, entity)],
            options=[r for r in to_hand_out if r.audience == principal.kind],
            picked=set(data.getlist(_field_name(principal))),
        )
        for principal in chosen.principals
    ]


def _roles_step(
    request: HttpRequest,
    user: User,
    entity: Entity,
    held: frozenset[str],
    chosen: Chosen,
    *,
    blocks: list[Block] | None = None,
    errors: list[str] | None = None,
) -> HttpResponse:
    if blocks is None:
        data = request.POST if request.method == "POST" else request.GET
        to_hand_out = access.roles_to_hand_out(user, entity, held=held)
        blocks = _blocks(entity, chosen, data, to_hand_out)
    failed = bool(errors) or any(block.error for block in blocks)
    context = {
        "entity": entity,
        "blocks": blocks,
        "back": f"{reverse('entities:share', args=[entity.uuid])}?{chosen.query()}",
        "errors": errors or [],
    }
    return render(
        request, "roles/share_roles.html", context, status=400 if failed else 200
    )


def _share(
    request: HttpRequest,
    user: User,
    entity: Entity,
    held: frozenset[str],
    chosen: Chosen,
) -> HttpResponse:
    to_hand_out = access.roles_to_hand_out(user, entity, held=held)
    allowed = {str(role.uuid): role for role in to_hand_out}
    blocks = _blocks(entity, chosen, request.POST, to_hand_out)
    # A role the actor may not hand out can only come from a forged form.
    if any(picked not in allowed for b in blocks for picked in b.picked):
        raise PermissionDenied
    for block in blocks:
        if not block.picked:
            block.error = _("Choose at least one role for %(name)s.") % {
                "name": block.principal
            }
    if any(b.error for b in blocks):
        return _roles_step(request, user, entity, held, chosen, blocks=blocks)
    try:
        actions.share_entity_with(
            entity,
            grants=[
                (block.principal, [allowed[key] for key in sorted(block.picked)])
                for block in blocks
            ],
            actor=user,
        )
    except ValidationError as error:
        return _roles_step(
            request, user, entity, held, chosen, blocks=blocks, errors=error.messages
        )
    names = ", ".join(str(p) for p in chosen.principals)
    messages.success(
        request,
        _("%(entity)s is shared with %(names)s.") % {"entity": entity, "names": names},
    )
    return redirect("entities:access", entity.uuid)


def share(request: HttpRequest, entity_uuid: UUID) -> HttpResponse:
    """The Share dialog: pick people and groups, then the roles each gets."""
    user = signed_in_user(request)
    entity, held = get_entity_for_user(user, entity_uuid, need=Capability.ENTITY_SHARE)
    data = request.POST if request.method == "POST" else request.GET
    chosen = _chosen(user, held, data)
    step = data.get("step", "")
    if step in ("roles", "share") and not chosen.principals:
        error = _("Choose at least one group, staff member or contact.")
        return _pick_step(request, user, entity, chosen, error=error)
    if step == "share" and request.method == "POST":
        return _share(request, user, entity, held, chosen)
    if step == "roles":
        return _roles_step(request, user, entity, held, chosen)
    return _pick_step(request, user, entity, chosen)


# --- the Access tab ------------------------------------------------------------


def _access_page(
    request: HttpRequest,
    user: User,
    entity: Entity,
    held: frozenset[str],
    *,
    error: str = "",
) -> HttpResponse:
    to_hand_out = access.roles_to_hand_out(user, entity, held=held)
    on_entity = RoleAssignment.objects.filter(entity=entity).select_related(
        "role", "user", "group"
    )
    firm_wide = RoleAssignment.objects.filter(
        entity__isnull=True, role_id__in=access.roles_with(Capability.ENTITY_VIEW)
    ).select_related("role", "user", "group")
    rows = []
    for assignment in on_entity.order_by("created_at", "pk"):
        principal = assignment.user or assignment.group
        assert principal is not None
        rows.append(
            {
                "assignment": assignment,
                "principal": principal,
                "manageable": assignment.role in to_hand_out,
                "options": [r for r in to_hand_out if r.audience == principal.kind],
            }
        )
    context = entity_page(user, entity, "access", caps=held) | {
        "rows": rows,
        "firm_wide": firm_wide.order_by("created_at", "pk"),
        "error": error,
    }
    return render(request, "roles/access.html", context, status=400 if error else 200)


def entity_access(request: HttpRequest, entity_uuid: UUID) -> HttpResponse:
    """The Access tab: who holds which role on this entity."""
    user = signed_in_user(request)
    entity, held = get_entity_for_user(user, entity_uuid, need=Capability.ENTITY_SHARE)
    return _access_page(request, user, entity, held)


@require_POST
def access_change(
    request: HttpRequest, entity_uuid: UUID, assignment_uuid: UUID
) -> HttpResponse:
    user = signed_in_user(request)
    assignment, held = get_assignment_for_user(user, entity_uuid, assignment_uuid)
    entity = assignment.entity
    assert entity is not None
    role = Role.objects.filter(uuid__in=_uuids([request.POST.get("role", "")])).first()
    if role is None:
        return _access_page(request, user, entity, held, error=_("Choose a role."))
    access.require(access.may_hand_out(user, role, entity, held=held))
    try:
        actions.change_access(assignment, role=role, actor=user)
    except ValidationError as error:
        message = " ".join(error.messages)
        return _access_page(request, user, entity, held, error=message)
    messages.success(
        request,
        _("%(name)s now holds the role %(role)s.")
        % {"name": assignment.principal, "role": role.display_name},
    )
    return redirect("entities:access", entity.uuid)


def access_revoke(
    request: HttpRequest, entity_uuid: UUID, assignment_uuid: UUID
) -> HttpResponse:
    """Asks first (GET), then revokes (POST)."""
    user = signed_in_user(request)
    assignment, _held = get_assignment_for_user(user, entity_uuid, assignment_uuid)
    entity = assignment.entity
    assert entity is not None
    if request.method != "POST":
        back = reverse("entities:access", args=[entity.uuid])
        context = {"assignment": assignment, "entity": entity, "back": back}
        return render(request, "roles/revoke_confirm.html", context)
    try:
        actions.revoke_access(assignment, actor=user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("entities:access", entity.uuid)
    messages.success(
        request,
        _("%(name)s no longer holds the role %(role)s.")
        % {"name": assignment.principal, "role": assignment.role.display_name},
    )
    if access.can(user, Capability.ENTITY_SHARE, entity):
        return redirect("entities:access", entity.uuid)
    return redirect("entities:list")


# --- the Roles pages (Settings) ------------------------------------------------


def _managing_roles(request: HttpRequest) -> tuple[User, frozenset[str]]:
    """The signed-in user and what they hold firm-wide; 403 unless they manage
    roles."""
    user = signed_in_user(request)
    held = access.firm_capabilities(user)
    access.require(Capability.ROLES_MANAGE in held)
    return user, held


def role_list(request: HttpRequest) -> HttpResponse:
    _managing_roles(request)
    context: dict[str, list[dict[str, Any]]] = {"builtin": [], "custom": []}
    for role in Role.objects.order_by("scope", "name"):
        row = {"role": role, "capabilities": _capability_labels(role.capabilities)}
        context["builtin" if role.builtin else "custom"].append(row)
    return render(request, "roles/list.html", context)


def role_create(request: HttpRequest) -> HttpResponse:
    user, _held = _managing_roles(request)
    form = RoleForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            role = actions.create_role(**form.cleaned_data, actor=user)
        except ValidationError as error:
            _show_errors(form, error)
        else:
            messages.success(
                request, _("The role %(name)s was created.") % {"name": role}
            )
            return redirect("roles:list")
    status = 400 if form.errors else 200
    return render(request, "roles/form.html", {"form": form}, status=status)


def role_edit(request: HttpRequest, role_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    role, _held = get_role_for_user(user, role_uuid, need=Capability.ROLES_MANAGE)
    if role.builtin:
        context = {"role": role, "capabilities": _capability_labels(role.capabilities)}
        return render(request, "roles/builtin.html", context, status=403)
    data = request.POST if request.method == "POST" else None
    form = EditRoleForm(data, role=role)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_role(role, **form.cleaned_data, actor=user)
        except ValidationError as error:
            _show_errors(form, error)
        else:
            messages.success(
                request, _("The role %(name)s was saved.") % {"name": role}
            )
            return redirect("roles:list")
    status = 400 if form.errors else 200
    return render(
        request, "roles/form.html", {"form": form, "role": role}, status=status
    )


def _assignment_form(
    request: HttpRequest, user: User, held: frozenset[str]
) -> FirmAssignmentForm:
    roles = Role.objects.filter(audience=Role.Audience.STAFF).order_by("scope", "name")
    staff = access.visible_staff(user).exclude(state=User.State.DEACTIVATED)
    groups = access.visible_groups(user).filter(kind=Group.Kind.STAFF)
    return FirmAssignmentForm(
        request.POST if request.method == "POST" else None,
        roles=[
            role
            for role in roles
            if access.may_hand_out_firm_wide(user, role, held=held)
        ],
        staff=list(staff),
        groups=list(groups),
    )


def firm_assignments(request: HttpRequest) -> HttpResponse:
    """Who holds which role firm-wide; give a role firm-wide."""
    user, held = _managing_roles(request)
    form = _assignment_form(request, user, held)
    if request.method == "POST" and form.is_valid():
        principal, role = form.cleaned_data["principal"], form.cleaned_data["role"]
        try:
            actions.assign_firm_role(role, principal, actor=user)
        except ValidationError as error:
            _show_errors(form, error)
        else:
            messages.success(
                request,
                _("%(name)s now holds the role %(role)s firm-wide.")
                % {"name": principal, "role": role.display_name},
            )
            return redirect("roles:assignments")
    assignments = RoleAssignment.objects.filter(entity__isnull=True).select_related(
        "role", "user", "group"
    )
    context = {"form": form, "assignments": assignments.order_by("role__name", "pk")}
    return render(
        request, "roles/assignments.html", context, status=400 if form.errors else 200
    )


def firm_assignment_revoke(request: HttpRequest, assignment_uuid: UUID) -> HttpResponse:
    """Asks first (GET), then revokes a firm-wide role (POST)."""
    user, held = _managing_roles(request)
    assignment, _held = get_firm_assignment_for_user(user, assignment_uuid, held=held)
    if request.method != "POST":
        context = {"assignment": assignment, "back": reverse("roles:assignments")}
        return render(request, "roles/revoke_confirm.html", context)
    try:
        actions.revoke_access(assignment, actor=user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("roles:assignments")
    messages.success(
        request,
        _("%(name)s no longer holds the role %(role)s firm-wide.")
        % {"name": assignment.principal, "role": assignment.role.display_name},
    )
    return redirect("roles:assignments")
