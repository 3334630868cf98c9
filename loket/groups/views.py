"""The Groups pages: contact groups and staff groups, and their members."""

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from loket import access
from loket.access import Capability
from loket.accounts.models import User
from loket.core.http import signed_in_user
from loket.groups import actions
from loket.groups.forms import GroupForm
from loket.groups.lookups import get_group_for_user, visible_groups_counted
from loket.groups.models import Group

PAGE_SIZE = 50

KINDS = [
    ("", gettext_lazy("All groups")),
    (Group.Kind.CONTACT.value, gettext_lazy("Contact groups")),
    (Group.Kind.STAFF.value, gettext_lazy("Staff groups")),
]


def _candidates(user: User, kind: str, held: frozenset[str]) -> QuerySet[User]:
    """Who may be ticked as a member: contacts for a contact group, staff for a
    staff group."""
    people = (
        access.visible_contacts(user, held=held)
        if kind == Group.Kind.CONTACT
        else access.visible_staff(user)
    )
    return people.order_by("last_name", "first_name", "email")


def _show_error(form: GroupForm, error: ValidationError) -> None:
    field = "name" if error.code == "duplicate_name" else None
    for message in error.messages:
        form.add_error(field, message)


def group_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    # Groups are the firm's own business: contacts have no Groups page.
    access.require(access.is_staff(user))
    query = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "")
    groups = visible_groups_counted(user)
    if kind in Group.Kind.values:
        groups = groups.filter(kind=kind)
    if query:
        groups = groups.filter(
            Q(name__icontains=query) | Q(description__icontains=query)
        )
    page = Paginator(groups.order_by("name", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "query": query,
        "kind": kind if kind in Group.Kind.values else "",
        "kinds": KINDS,
        "can_manage": access.can(user, Capability.GROUPS_MANAGE),
    }
    return render(request, "groups/list.html", context)


def group_detail(request: HttpRequest, group_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    group, held = get_group_for_user(user, group_uuid)
    members = User.objects.filter(memberships__group=group).order_by(
        "last_name", "first_name", "email"
    )
    context = {
        "group": group,
        "members": members,
        "can_manage": Capability.GROUPS_MANAGE in held,
    }
    return render(request, "groups/detail.html", context)


def group_create(request: HttpRequest, kind: str) -> HttpResponse:
    user = signed_in_user(request)
    held = access.firm_capabilities(user)
    access.require(Capability.GROUPS_MANAGE in held)
    form = GroupForm(
        request.POST or None, kind=kind, candidates=_candidates(user, kind, held)
    )
    if request.method == "POST" and form.is_valid():
        try:
            group = actions.create_group(kind=kind, actor=user, **form.cleaned_data)
        except ValidationError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("The group has been created."))
            return redirect(group)
    context = {"form": form, "kind": kind, "kind_label": Group.Kind(kind).label}
    status = 400 if form.errors else 200
    return render(request, "groups/form.html", context, status=status)


def group_edit(request: HttpRequest, group_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    group, held = get_group_for_user(user, group_uuid, need=Capability.GROUPS_MANAGE)
    form = GroupForm(
        request.POST or None,
        kind=group.kind,
        candidates=_candidates(user, group.kind, held),
        group=group,
        initial={
            "name": group.name,
            "description": group.description,
            "members": group.members.all(),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_group(group, actor=user, **form.cleaned_data)
        except ValidationError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("The changes have been saved."))
            return redirect(group)
    context = {"form": form, "group": group, "kind": group.kind}
    context["kind_label"] = group.get_kind_display()
    status = 400 if form.errors else 200
    return render(request, "groups/form.html", context, status=status)
