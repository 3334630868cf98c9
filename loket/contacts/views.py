from collections.abc import Callable
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from loket import access
from loket.access import Capability
from loket.accounts import actions
from loket.accounts.models import User
from loket.core.http import signed_in_user


def contact_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    access.require(access.can(user, Capability.CONTACTS_VIEW))
    contacts = access.visible_contacts(user)
    query = request.GET.get("q", "").strip()
    if query:
        contacts = contacts.filter(
            Q(email__icontains=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
        )
    state = request.GET.get("state", "")
    if state in User.State.values:
        contacts = contacts.filter(state=state)
    page = Paginator(
        contacts.order_by("last_name", "first_name", "email"), 50
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "contacts/list.html",
        {"page": page, "query": query, "state": state, "states": User.State.choices},
    )


def contact_detail(request: HttpRequest, contact_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    contact = get_object_or_404(access.visible_contacts(user), uuid=contact_uuid)
    return render(
        request,
        "contacts/detail.html",
        {
            "contact": contact,
            "can_manage": access.can(user, Capability.CONTACTS_MANAGE),
        },
    )


def _manage(
    request: HttpRequest,
    contact_uuid: UUID,
    action: Callable[[User, User, HttpRequest], object],
    done: str,
) -> HttpResponse:
    user = signed_in_user(request)
    contact = get_object_or_404(access.visible_contacts(user), uuid=contact_uuid)
    access.require(access.can(user, Capability.CONTACTS_MANAGE))
    try:
        action(contact, user, request)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("contacts:detail", contact_uuid=contact.uuid)
    messages.success(request, done.format(name=contact.full_name or contact.email))
    return redirect("contacts:detail", contact_uuid=contact.uuid)


@require_POST
def activate(request: HttpRequest, contact_uuid: UUID) -> HttpResponse:
    return _manage(
        request,
        contact_uuid,
        lambda c, u, r: actions.send_invitation(c, actor=u, request=r),
        _("An invitation has been sent to {name}."),
    )


@require_POST
def deactivate(request: HttpRequest, contact_uuid: UUID) -> HttpResponse:
    return _manage(
        request,
        contact_uuid,
        lambda c, u, r: actions.deactivate_user(c, actor=u, request=r),
        _("The account of {name} has been deactivated."),
    )


@require_POST
def reactivate(request: HttpRequest, contact_uuid: UUID) -> HttpResponse:
    return _manage(
        request,
        contact_uuid,
        lambda c, u, r: actions.reactivate_user(c, actor=u, request=r),
        _("The account of {name} has been reactivated."),
    )
