from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from loket import access
from loket.access import Capability
from loket.accounts import actions
from loket.accounts.models import User
from loket.contacts import exporting, importing
from loket.contacts.actions import import_contacts
from loket.contacts.forms import (
    ContactFilterForm,
    ContactForm,
    ImportConfirmForm,
    ImportUploadForm,
    client_entities,
)
from loket.contacts.lookups import get_contact_for_user
from loket.core.http import act_and_report, signed_in_user
from loket.roles.models import RoleAssignment

IMPORT_SESSION_KEY = "loket_contact_import"
PAGE_SIZE = 50


def _posted(request: HttpRequest) -> QueryDict | None:
    """The form data of a POST (even an empty one), else None: an unbound form."""
    return request.POST if request.method == "POST" else None


def _holding(request: HttpRequest, need: Capability) -> tuple[User, frozenset[str]]:
    """The signed-in user and what they hold firm-wide (one query); 403
    without `need`."""
    user = signed_in_user(request)
    held = access.firm_capabilities(user)
    access.require(need in held)
    return user, held


def _filtered(
    request: HttpRequest, user: User, held: frozenset[str]
) -> tuple[QuerySet[User], Any]:
    """The contacts the list's query string selects, and its filter form."""
    entities = client_entities(user, held=held)
    filters = ContactFilterForm(request.GET, entities=entities)
    contacts = filters.apply(access.visible_contacts(user, held=held))
    return contacts.order_by("last_name", "first_name", "email"), filters


def contact_list(request: HttpRequest) -> HttpResponse:
    user, held = _holding(request, Capability.CONTACTS_VIEW)
    contacts, filters = _filtered(request, user, held)
    page = Paginator(contacts.select_related("client_entity"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "contacts/list.html",
        {
            "page": page,
            "filters": filters,
            "can_manage": Capability.CONTACTS_MANAGE in held,
        },
    )


def export_csv(request: HttpRequest) -> HttpResponse:
    user, held = _holding(request, Capability.CONTACTS_VIEW)
    return exporting.csv_response(_filtered(request, user, held)[0])


def export_xlsx(request: HttpRequest) -> HttpResponse:
    user, held = _holding(request, Capability.CONTACTS_VIEW)
    return exporting.xlsx_response(_filtered(request, user, held)[0])


def _entity_access(contact: User, viewer: User) -> list[dict[str, Any]]:
    """The contact's roles on entities, directly or through a group, and
    whether `viewer` may open each entity."""
    assignments = list(
        RoleAssignment.objects.filter(
            Q(user=contact) | Q(group__memberships__user=contact),
            entity__isnull=False,
        )
        .select_related("entity", "role", "group")
        .order_by("entity__name", "role__name", "pk")
    )
    openable = set(
        access.visible_entities(viewer)
        .filter(pk__in={a.entity_id for a in assignments})
        .values_list("pk", flat=True)
    )
    return [
        {"assignment": a, "entity": a.entity, "openable": a.entity_id in openable}
        for a in assignments
    ]


def contact_detail(request: HttpRequest, contact_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    contact, held = get_contact_for_user(user, contact_uuid)
    return render(
        request,
        "contacts/detail.html",
        {
            "contact": contact,
            "entity_access": _entity_access(contact, user),
            "groups": [m.group for m in contact.memberships.select_related("group")],
            "can_manage": Capability.CONTACTS_MANAGE in held,
        },
    )


def contact_create(request: HttpRequest) -> HttpResponse:
    user, held = _holding(request, Capability.CONTACTS_MANAGE)
    form = ContactForm(_posted(request), entities=client_entities(user, held=held))
    if request.method == "POST" and form.is_valid():
        try:
            contact = actions.create_person(
                kind=User.Kind.CONTACT, **form.cleaned_data, actor=user, request=request
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("%(name)s has been added.") % {"name": contact})
            return redirect("contacts:detail", contact_uuid=contact.uuid)
    return render(request, "contacts/form.html", {"form": form, "contact": None})


def contact_edit(request: HttpRequest, contact_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    contact, held = get_contact_for_user(
        user, contact_uuid, need=Capability.CONTACTS_MANAGE
    )
    initial = {
        "email": contact.email,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "client_entity": contact.client_entity,
        "language": contact.language,
    }
    form = ContactForm(
        _posted(request),
        initial=initial,
        person=contact,
        entities=client_entities(user, held=held),
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_person(
                contact, actor=user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The changes have been saved."))
            return redirect("contacts:detail", contact_uuid=contact.uuid)
    return render(request, "contacts/form.html", {"form": form, "contact": contact})


# Bulk import: upload, preview (every row with its problems), confirm.


def import_upload(request: HttpRequest) -> HttpResponse:
    _holding(request, Capability.CONTACTS_MANAGE)
    posted = _posted(request)
    form = ImportUploadForm(posted, request.FILES if posted is not None else None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            rows = importing.read_upload(upload)
        except importing.FileRefused as refusal:
            form.add_error("file", str(refusal))
        else:
            request.session[IMPORT_SESSION_KEY] = importing.pending_import(
                rows, file_name=upload.name or ""
            )
            return redirect("contacts:import-preview")
    status = 400 if form.errors else 200
    return render(request, "contacts/import.html", {"form": form}, status=status)


def _checked(
    user: User, held: frozenset[str], pending: dict[str, Any]
) -> list[importing.CheckedRow]:
    return importing.check_rows(
        importing.pending_rows(pending),
        entities=client_entities(user, held=held),
        groups=access.visible_groups(user),
    )


def import_preview(request: HttpRequest) -> HttpResponse:
    user, held = _holding(request, Capability.CONTACTS_MANAGE)
    pending = request.session.get(IMPORT_SESSION_KEY)
    if not pending:
        messages.info(request, _("Upload a file to import first."))
        return redirect("contacts:import")
    # Checked again on every view and on confirming: the portal may have changed.
    rows = _checked(user, held, pending)
    good = [row for row in rows if row.ok]
    form = ImportConfirmForm(
        _posted(request),
        token=pending["token"],
        good=len(good),
        bad=len(rows) - len(good),
    )
    if request.method == "POST" and form.is_valid():
        try:
            created = import_contacts(
                [row.as_new_contact() for row in good],
                actor=user,
                request=request,
                file_name=pending["file_name"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            del request.session[IMPORT_SESSION_KEY]
            done = ngettext(
                "%(count)d contact has been imported.",
                "%(count)d contacts have been imported.",
                len(created),
            )
            messages.success(request, done % {"count": len(created)})
            return redirect("contacts:list")
    context = {"form": form, "rows": rows, "good": len(good), "pending": pending}
    status = 400 if form.errors else 200
    return render(request, "contacts/import_preview.html", context, status=status)


@require_POST
def import_cancel(request: HttpRequest) -> HttpResponse:
    _holding(request, Capability.CONTACTS_MANAGE)
    request.session.pop(IMPORT_SESSION_KEY, None)
    messages.info(request, _("The import has been cancelled; nothing was imported."))
    return redirect("contacts:list")


# Account state: activate (invite), deactivate, reactivate.


def _manage(
    request: HttpRequest,
    contact_uuid: UUID,
    action: Callable[[User, User, HttpRequest], object],
    done: str,
) -> HttpResponse:
    user = signed_in_user(request)
    contact, _held = get_contact_for_user(
        user, contact_uuid, need=Capability.CONTACTS_MANAGE
    )
    return act_and_report(
        request,
        lambda: action(contact, user, request),
        done.format(name=contact.full_name or contact.email),
        reverse("contacts:detail", args=[contact.uuid]),
    )


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
