"""The Entities pages: the list, New → Entity, and the entity page's Overview
(the other tabs are the features' own: see entities/tabs.py)."""

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from loket import access
from loket.access import Capability
from loket.core.http import signed_in_user
from loket.entities import actions
from loket.entities.forms import EntityForm
from loket.entities.lookups import get_entity_for_user
from loket.entities.tabs import entity_page, open_tab

PAGE_SIZE = 50

# The list's state filter: what each choice shows.
STATES = {
    "": Q(archived_at__isnull=True),
    "archived": Q(archived_at__isnull=False),
    "all": Q(),
}


def entity_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    query = request.GET.get("q", "").strip()
    state = request.GET.get("state", "")
    entities = access.visible_entities(user).filter(STATES.get(state, STATES[""]))
    if query:
        entities = entities.filter(
            Q(name__icontains=query) | Q(client_number__icontains=query)
        )
    page = Paginator(entities.order_by("name", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "query": query,
        "state": state if state in STATES else "",
        "can_create": access.can(user, Capability.ENTITIES_MANAGE),
    }
    return render(request, "entities/list.html", context)


def entity_create(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    access.require(access.can(user, Capability.ENTITIES_MANAGE))
    form = EntityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            entity = actions.create_entity(actor=user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The entity has been created."))
            return redirect(entity)
    status = 400 if form.errors else 200
    return render(request, "entities/create.html", {"form": form}, status=status)


def entity_overview(request: HttpRequest, entity_uuid: UUID) -> HttpResponse:
    context = open_tab(request, entity_uuid, "overview")
    caps = context["caps"]
    # Firm-wide capabilities are among those held on the entity.
    context["can_manage"] = Capability.ENTITIES_MANAGE in caps
    context["has_actions"] = (
        Capability.ENTITY_EDIT in caps
        or Capability.ENTITY_SHARE in caps
        or context["can_manage"]
    )
    return render(request, "entities/overview.html", context)


def entity_edit(request: HttpRequest, entity_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    entity, caps = get_entity_for_user(user, entity_uuid, need=Capability.ENTITY_EDIT)
    form = EntityForm(request.POST or None, entity=entity)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_entity(entity, actor=user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The changes have been saved."))
            return redirect(entity)
    context = entity_page(user, entity, "overview", caps) | {"form": form}
    status = 400 if form.errors else 200
    return render(request, "entities/edit.html", context, status=status)


def _manage(request: HttpRequest, entity_uuid: UUID, archive: bool) -> HttpResponse:
    user = signed_in_user(request)
    # Firm-wide capabilities are among those held on the entity.
    entity, _caps = get_entity_for_user(
        user, entity_uuid, need=Capability.ENTITIES_MANAGE
    )
    if archive:
        actions.archive_entity(entity, actor=user)
        messages.success(request, _("The entity has been archived."))
    else:
        actions.restore_entity(entity, actor=user)
        messages.success(request, _("The entity has been restored."))
    return redirect(entity)


@require_POST
def entity_archive(request: HttpRequest, entity_uuid: UUID) -> HttpResponse:
    return _manage(request, entity_uuid, archive=True)


@require_POST
def entity_restore(request: HttpRequest, entity_uuid: UUID) -> HttpResponse:
    return _manage(request, entity_uuid, archive=False)
