"""Activities → New → File request: the seed's wizard, step by step.

1. **Recipients**: choose the entity; every contact with access to it is
   listed, those without Contact – Entity Staff shown but not choosable, with
   the reason; pick the recipients.
2. **Details**: subject, description, due date (and whether it is limited).
3. **Additional message**, only when the firm sends e-mail notifications.
4. **Attach files**: existing files of the entity, or uploads (the upload
   widget; they land in the entity's files). Then **Done** (create and send)
   or **Save as draft**.

The input lives in the session under a key the pages carry (so two wizards in
two tabs do not mix), and every step saves what was typed before moving, so
Back never loses it. Nothing is written to the database before Done or Save as
draft, except uploaded attachments, which are files of the entity from the
moment they arrive (a Reader may upload them: `activities.create` covers an
attachment, see docs/decisions/004-file-requests.md).
"""

import secrets
from dataclasses import asdict, dataclass, field
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from loket import access
from loket.accounts.models import User
from loket.core.http import signed_in_user
from loket.entities.models import Entity
from loket.files import actions as file_actions
from loket.files.lookups import get_finished_upload
from loket.files.models import File
from loket.notifications.notify import notifications_enabled
from loket.requests import actions
from loket.requests.forms import DetailsForm, MessageForm
from loket.requests.views import recipient_choices

SESSION_KEY = "loket.request_wizards"
# Wizards kept per session (the oldest goes first).
KEEP = 5
# Entities and files listed at most on a step; a search finds the others.
LIST_LIMIT = 50
FILE_LIMIT = 200


@dataclass
class Draft:
    """What has been entered so far, as typed."""

    entity: str = ""
    recipients: list[str] = field(default_factory=list)
    subject: str = ""
    description: str = ""
    due_date: str = ""
    limited: bool = False
    message: str = ""
    attachments: list[str] = field(default_factory=list)
    uploaded: list[str] = field(default_factory=list)


class Store:
    """The wizards of one session."""

    def __init__(self, session: SessionBase) -> None:
        self.session = session

    def _all(self) -> dict[str, dict[str, Any]]:
        found = self.session.get(SESSION_KEY)
        return found if isinstance(found, dict) else {}

    def get(self, key: str) -> Draft | None:
        data = self._all().get(key)
        if not isinstance(data, dict):
            return None
        try:
            return Draft(**data)
        except TypeError:
            return None

    def start(self) -> tuple[str, Draft]:
        return secrets.token_urlsafe(9), Draft()

    def save(self, key: str, draft: Draft) -> None:
        wizards = self._all()
        wizards.pop(key, None)
        wizards[key] = asdict(draft)
        while len(wizards) > KEEP:
            wizards.pop(next(iter(wizards)))
        self.session[SESSION_KEY] = wizards

    def drop(self, key: str) -> None:
        wizards = self._all()
        wizards.pop(key, None)
        self.session[SESSION_KEY] = wizards


def steps() -> list[str]:
    if notifications_enabled():
        return ["recipients", "details", "message", "attachments"]
    return ["recipients", "details", "attachments"]


def _creator(request: HttpRequest) -> User:
    """The signed-in user, who may create requests somewhere (403)."""
    user = signed_in_user(request)
    access.require(access.may_create_requests(user))
    return user


# Matches nothing: what a garbled uuid looks up.
NO_UUID = UUID(int=0)


def _uuid(value: object) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        return NO_UUID


def _entity(user: User, draft: Draft) -> Entity | None:
    if not draft.entity:
        return None
    return access.creatable_entities(user).filter(uuid=_uuid(draft.entity)).first()


def _url(key: str, step: str, **extra: str) -> str:
    query = urlencode({"wizard": key, "step": step, **extra})
    return f"{reverse('requests:new')}?{query}"


def _reached(user: User, draft: Draft, wanted: str) -> str:
    """`wanted`, or the first step before it that still misses its input."""
    order = steps()
    if wanted not in order:
        wanted = order[0]
    if _entity(user, draft) is None or not draft.recipients:
        return "recipients"
    if order.index(wanted) > 1 and not DetailsForm(_details_data(draft)).is_valid():
        return "details"
    return wanted


def _details_data(draft: Draft) -> dict[str, Any]:
    data: dict[str, Any] = {
        "subject": draft.subject,
        "description": draft.description,
        "due_date": draft.due_date,
    }
    if draft.limited:
        data["limited"] = "on"
    return data


def new(request: HttpRequest) -> HttpResponse:
    """The wizard: GET draws a step, POST saves it and moves on."""
    user = _creator(request)
    store = Store(request.session)
    data = request.POST if request.method == "POST" else request.GET
    key = data.get("wizard", "")
    draft = store.get(key)
    if draft is None:
        if request.method == "POST":
            messages.error(
                request, _("This new request has expired. Please start again.")
            )
            return redirect("requests:new")
        key, draft = store.start()
        preset = request.GET.get("entity")
        if preset:
            entity = get_object_or_404(
                access.creatable_entities(user), uuid=_uuid(preset)
            )
            draft.entity = str(entity.uuid)
        store.save(key, draft)
    if request.method == "POST":
        return _post(request, user, store, key, draft)
    step = _reached(user, draft, request.GET.get("step", ""))
    return _page(request, user, key, draft, step)


def _post(
    request: HttpRequest, user: User, store: Store, key: str, draft: Draft
) -> HttpResponse:
    step = request.POST.get("step", "")
    action = request.POST.get("action", "")
    order = steps()
    form: DetailsForm | MessageForm
    if step not in order:
        return redirect(_url(key, "recipients"))
    _keep(request, user, step, draft)
    store.save(key, draft)
    index = order.index(step)
    if action == "back" and index > 0:
        return redirect(_url(key, order[index - 1]))
    if step == "recipients":
        return _post_recipients(request, user, store, key, draft, action)
    if step == "details" and action == "next":
        form = DetailsForm(_details_data(draft))
        if not form.is_valid():
            return _page(request, user, key, draft, step, form=form, status=400)
    if step == "message" and action == "next":
        form = MessageForm({"additional_message": draft.message})
        if not form.is_valid():
            return _page(request, user, key, draft, step, form=form, status=400)
    if step == "attachments" and action in ("done", "draft"):
        return _finish(request, user, store, key, draft, send=action == "done")
    if action == "next" and index + 1 < len(order):
        return redirect(_url(key, order[index + 1]))
    return redirect(_url(key, step))


def _keep(request: HttpRequest, user: User, step: str, draft: Draft) -> None:
    """Save what the step's form holds, as typed (Back keeps it too)."""
    post = request.POST
    if step == "recipients" and "entity" not in post and post.get("action") != "change":
        draft.recipients = post.getlist("recipient")
    elif step == "details":
        draft.subject = post.get("subject", "")
        draft.description = post.get("description", "")
        draft.due_date = post.get("due_date", "")
        draft.limited = bool(post.get("limited"))
    elif step == "message":
        draft.message = post.get("additional_message", "")
    elif step == "attachments":
        draft.attachments = [
            v for v in post.getlist("attachment") if _uuid(v) != NO_UUID
        ]


def _post_recipients(
    request: HttpRequest,
    user: User,
    store: Store,
    key: str,
    draft: Draft,
    action: str,
) -> HttpResponse:
    if action == "change":
        draft.entity = ""
        draft.recipients = []
        store.save(key, draft)
        return redirect(_url(key, "recipients"))
    if action == "choose":
        entity = (
            access.creatable_entities(user)
            .filter(uuid=_uuid(request.POST.get("entity")))
            .first()
        )
        if entity is None:
            error = _("Choose one of the entities listed.")
            return _page(
                request, user, key, draft, "recipients", error=error, status=400
            )
        if draft.entity != str(entity.uuid):
            draft.entity = str(entity.uuid)
            draft.recipients = []
            draft.attachments = []
            draft.uploaded = []
            store.save(key, draft)
        return redirect(_url(key, "recipients"))
    entity = _entity(user, draft)
    if entity is None:
        error = _("Choose the entity the request is for.")
        return _page(request, user, key, draft, "recipients", error=error, status=400)
    _choices, eligible = recipient_choices(entity, set(draft.recipients))
    if not draft.recipients:
        error = _("Choose at least one recipient.")
        return _page(request, user, key, draft, "recipients", error=error, status=400)
    if any(uuid not in eligible for uuid in draft.recipients):
        error = _(
            "Only contacts with the role Contact – Entity Staff on the entity "
            "can receive requests."
        )
        return _page(request, user, key, draft, "recipients", error=error, status=400)
    return redirect(_url(key, steps()[1]))


def _finish(
    request: HttpRequest,
    user: User,
    store: Store,
    key: str,
    draft: Draft,
    *,
    send: bool,
) -> HttpResponse:
    """Done (create and send) or Save as draft."""
    reached = _reached(user, draft, "attachments")
    if reached != "attachments":
        return redirect(_url(key, reached))
    entity = _entity(user, draft)
    assert entity is not None
    details = DetailsForm(_details_data(draft))
    details.is_valid()
    _choices, eligible = recipient_choices(entity, set(draft.recipients))
    files = access.visible_files(user, entity).filter(
        uuid__in=[_uuid(v) for v in draft.attachments]
    )
    try:
        req = actions.create_request(
            entity,
            actor=user,
            subject=details.cleaned_data["subject"],
            description=details.cleaned_data["description"],
            due_date=details.cleaned_data["due_date"],
            limited=details.cleaned_data["limited"],
            additional_message=draft.message if notifications_enabled() else "",
            recipients=[eligible[v] for v in draft.recipients if v in eligible],
            attachments=list(files),
            send=send,
        )
    except ValidationError as error:
        return _page(
            request,
            user,
            key,
            draft,
            "attachments",
            error=" ".join(error.messages),
            status=400,
        )
    store.drop(key)
    if send:
        messages.success(request, _("The file request has been created and sent."))
    else:
        messages.success(request, _("The file request has been saved as a draft."))
    return redirect(req)


@require_POST
def new_upload(request: HttpRequest) -> HttpResponse:
    """The upload widget's commit on the Attach files step: the upload becomes a
    file of the entity and is attached. Answers with the list of files uploaded
    in this wizard (201) or why it was refused (400, JSON)."""
    user = _creator(request)
    store = Store(request.session)
    key = request.POST.get("wizard", "")
    draft = store.get(key)
    if draft is None:
        detail = _("This new request has expired. Please start again.")
        return JsonResponse({"detail": detail}, status=400)
    entity = _entity(user, draft)
    if entity is None:
        detail = _("Choose the entity the request is for.")
        return JsonResponse({"detail": detail}, status=400)
    try:
        upload = get_finished_upload(user, request.POST.get("upload"))
        version = file_actions.add_upload(
            entity, actor=user, upload=upload, on_clash="copy"
        )
    except ValidationError as error:
        return JsonResponse({"detail": " ".join(error.messages)}, status=400)
    uuid = str(version.file.uuid)
    draft.uploaded.append(uuid)
    draft.attachments.append(uuid)
    store.save(key, draft)
    context = {
        "uploaded": _uploaded(user, entity, draft),
        "checked": set(draft.attachments),
    }
    return render(request, "requests/_wizard_uploaded.html", context, status=201)


def _uploaded(user: User, entity: Entity, draft: Draft) -> list[File]:
    found = access.visible_files(user, entity).filter(
        uuid__in=[_uuid(v) for v in draft.uploaded]
    )
    return list(found.select_related("current_version").order_by("name", "pk"))


def _page(
    request: HttpRequest,
    user: User,
    key: str,
    draft: Draft,
    step: str,
    *,
    form: Any = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    order = steps()
    entity = _entity(user, draft)
    context: dict[str, Any] = {
        "key": key,
        "draft": draft,
        "step": step,
        "number": order.index(step) + 1,
        "total": len(order),
        "entity": entity,
        "error": error,
        "first": step == order[0],
    }
    if step == "recipients":
        context |= _recipients_context(request, user, entity, draft)
    elif step == "details":
        context["form"] = form or DetailsForm(initial=_details_initial(draft))
    elif step == "message":
        context["form"] = form or MessageForm(
            initial={"additional_message": draft.message}
        )
    else:
        assert entity is not None
        context |= _attachments_context(request, user, entity, draft)
    return render(request, "requests/wizard.html", context, status=status)


def _details_initial(draft: Draft) -> dict[str, Any]:
    # The due date stays as typed (an ISO date from the date input, or not).
    return _details_data(draft) | {"limited": draft.limited}


def _recipients_context(
    request: HttpRequest, user: User, entity: Entity | None, draft: Draft
) -> dict[str, Any]:
    if entity is not None:
        choices, _eligible = recipient_choices(entity, set(draft.recipients))
        return {"choices": choices}
    query = request.GET.get("q", "").strip()
    entities = access.creatable_entities(user)
    for word in query.split():
        entities = entities.filter(
            Q(name__icontains=word) | Q(client_number__icontains=word)
        )
    found = list(entities.order_by("name", "pk")[: LIST_LIMIT + 1])
    return {
        "query": query,
        "entities": found[:LIST_LIMIT],
        "more": len(found) > LIST_LIMIT,
        "limit": LIST_LIMIT,
    }


def _attachments_context(
    request: HttpRequest, user: User, entity: Entity, draft: Draft
) -> dict[str, Any]:
    query = request.GET.get("fq", "").strip()
    files = (
        access.visible_files(user, entity)
        .filter(current_version__isnull=False)
        .exclude(uuid__in=[_uuid(v) for v in draft.uploaded])
        .select_related("folder", "current_version")
    )
    for word in query.split():
        files = files.filter(name__icontains=word)
    found = list(files.order_by("name", "pk")[: FILE_LIMIT + 1])
    return {
        "files": found[:FILE_LIMIT],
        "more_files": len(found) > FILE_LIMIT,
        "file_limit": FILE_LIMIT,
        "file_query": query,
        "uploaded": _uploaded(user, entity, draft),
        "checked": set(draft.attachments),
    }
