from collections.abc import Callable
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from loket import access
from loket.access import Capability
from loket.accounts import actions
from loket.accounts.models import User
from loket.core.http import act_and_report, signed_in_user
from loket.roles.models import RoleAssignment
from loket.staff.forms import StaffForm
from loket.staff.lookups import get_staff_member_for_user

PAGE_SIZE = 50


def _posted(request: HttpRequest) -> QueryDict | None:
    """The form data of a POST (even an empty one), else None: an unbound form."""
    return request.POST if request.method == "POST" else None


def _manager(request: HttpRequest) -> User:
    user = signed_in_user(request)
    access.require(access.can(user, Capability.STAFF_MANAGE))
    return user


def _staff_member(request: HttpRequest, staff_uuid: UUID) -> tuple[User, User]:
    """The signed-in manager and the staff member the URL names (404 if not
    visible, 403 without the capability)."""
    user = signed_in_user(request)
    member, _held = get_staff_member_for_user(
        user, staff_uuid, need=Capability.STAFF_MANAGE
    )
    return user, member


def staff_list(request: HttpRequest) -> HttpResponse:
    user = _manager(request)
    staff = access.visible_staff(user)
    query = request.GET.get("q", "").strip()
    if query:
        staff = staff.filter(
            Q(email__icontains=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
        )
    state = request.GET.get("state", "")
    if state in User.State.values:
        staff = staff.filter(state=state)
    page = Paginator(
        staff.order_by("last_name", "first_name", "email"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    context = {"page": page, "query": query, "state": state}
    return render(request, "staff/list.html", {**context, "states": User.State.choices})


def staff_detail(request: HttpRequest, staff_uuid: UUID) -> HttpResponse:
    user, member = _staff_member(request, staff_uuid)
    # Firm-wide roles: held directly or through a staff group.
    roles = (
        RoleAssignment.objects.filter(
            Q(user=member) | Q(group__memberships__user=member), entity__isnull=True
        )
        .select_related("role", "group")
        .order_by("role__name", "pk")
    )
    return render(
        request,
        "staff/detail.html",
        {"member": member, "roles": roles, "is_self": member == user},
    )


def staff_create(request: HttpRequest) -> HttpResponse:
    user = _manager(request)
    form = StaffForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            member = actions.create_person(
                kind=User.Kind.STAFF, **form.cleaned_data, actor=user, request=request
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("%(name)s has been added.") % {"name": member})
            return redirect("staff:detail", staff_uuid=member.uuid)
    return render(request, "staff/form.html", {"form": form, "member": None})


def staff_edit(request: HttpRequest, staff_uuid: UUID) -> HttpResponse:
    user, member = _staff_member(request, staff_uuid)
    initial = {
        "email": member.email,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "language": member.language,
    }
    form = StaffForm(_posted(request), initial=initial, person=member)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_person(
                member, actor=user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The changes have been saved."))
            return redirect("staff:detail", staff_uuid=member.uuid)
    return render(request, "staff/form.html", {"form": form, "member": member})


def _manage(
    request: HttpRequest,
    staff_uuid: UUID,
    action: Callable[[User, User, HttpRequest], object],
    done: str,
) -> HttpResponse:
    user, member = _staff_member(request, staff_uuid)
    return act_and_report(
        request,
        lambda: action(member, user, request),
        done % {"name": member},
        reverse("staff:detail", args=[member.uuid]),
    )


@require_POST
def invite(request: HttpRequest, staff_uuid: UUID) -> HttpResponse:
    return _manage(
        request,
        staff_uuid,
        lambda m, u, r: actions.send_invitation(m, actor=u, request=r),
        _("An invitation has been sent to %(name)s."),
    )


@require_POST
def deactivate(request: HttpRequest, staff_uuid: UUID) -> HttpResponse:
    return _manage(
        request,
        staff_uuid,
        lambda m, u, r: actions.deactivate_user(m, actor=u, request=r),
        _("The account of %(name)s has been deactivated."),
    )


@require_POST
def reactivate(request: HttpRequest, staff_uuid: UUID) -> HttpResponse:
    return _manage(
        request,
        staff_uuid,
        lambda m, u, r: actions.reactivate_user(m, actor=u, request=r),
        _("The account of %(name)s has been reactivated."),
    )
