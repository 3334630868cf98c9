"""The Activities pages: the list (across entities, and an entity's Activities
tab), a request's page for staff and for contacts, and the buttons on it. The
New → File request wizard is in wizard.py; who may do what in
loket/access/requests.py."""

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from loket import access
from loket.access import Capability
from loket.accounts.models import User
from loket.core.http import act_and_report, signed_in_user
from loket.entities.tabs import open_tab
from loket.files.lookups import get_finished_upload
from loket.files.models import File
from loket.notifications.actions import is_following
from loket.notifications.notify import notifications_enabled
from loket.requests import actions, kinds
from loket.requests.forms import (
    CommentForm,
    EditForm,
    NotApplicableForm,
    RequestFilterForm,
    ReturnForm,
    SubmitForm,
)
from loket.requests.lookups import get_request_for_user
from loket.requests.models import (
    EDITABLE,
    SHOWN_STATUS_CHOICES,
    Request,
    RequestFile,
)
from loket.requests.querysets import counts, filtered, for_list, with_status

PAGE_SIZE = 50


def _show_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


# --- the lists -------------------------------------------------------------


def _list_context(
    request: HttpRequest, user: User, requests: Any, *, with_entity: bool
) -> dict[str, Any]:
    """Filters, counts per status and one page of `requests`: a fixed number of
    queries, whatever the page holds."""
    form = RequestFilterForm(request.GET or None, with_entity=with_entity)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    base = filtered(requests, data, user)
    status = data.get("status", "")
    rows = for_list(with_status(base, status)).order_by("-created_at", "-pk")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    per_status = counts(base)
    return {
        "filters": form,
        "page": page,
        "status": status,
        "counts": [
            {"value": value, "label": label, "count": per_status[value]}
            for value, label in SHOWN_STATUS_CHOICES
        ],
        "total": sum(per_status.values()),
    }


def request_list(request: HttpRequest) -> HttpResponse:
    """Activities: every request the user may see, across entities."""
    user = signed_in_user(request)
    context = _list_context(
        request, user, access.visible_requests(user), with_entity=True
    )
    context["can_create"] = access.may_create_requests(user)
    context["can_request_signature"] = access.may_start_signature_requests(
        user, creates_anywhere=context["can_create"]
    )
    return render(request, "requests/list.html", context)


def activities_tab(request: HttpRequest, entity_uuid: UUID) -> HttpResponse:
    """The entity's Activities tab: the same list for one entity."""
    context = open_tab(request, entity_uuid, "activities")
    user = signed_in_user(request)
    entity, caps = context["entity"], context["caps"]
    requests = access.visible_requests(user, entity, held=caps)
    context |= _list_context(request, user, requests, with_entity=False)
    context["can_create"] = access.may_create_requests_in(caps, entity)
    context["can_request_signature"] = access.may_start_signature_request(
        user, caps, entity
    )
    return render(request, "entities/activities.html", context)


# --- a request's page --------------------------------------------------------


def _detail_context(user: User, req: Request, caps: frozenset[str]) -> dict[str, Any]:
    """What a request's page shows `user`, who holds `caps` on its entity: a
    fixed number of queries, whatever the request holds."""
    rows = list(
        req.recipient_rows.select_related("user").order_by(
            "user__last_name", "user__first_name", "pk"
        )
    )
    mine = next((row for row in rows if row.user_id == user.pk), None)
    links = list(
        req.request_files.select_related("file", "version", "added_by").order_by(
            "added_at", "pk"
        )
    )
    attachments = [link for link in links if link.role == RequestFile.Role.ATTACHMENT]
    responses = [link for link in links if link.role == RequestFile.Role.RESPONSE]
    comments = req.comments.select_related("author").order_by("created_at", "pk")
    internal = access.may_use_internal_comments(user)
    if not internal:
        comments = comments.filter(internal=False)
    addressed = mine is not None
    follow = access.may_follow(caps)
    return {
        "req": req,
        "entity": req.entity,
        "recipients": rows,
        "mine": mine,
        "attachments": attachments,
        "responses": responses,
        "pending": [link for link in responses if link.submitted_at is None],
        "comments": list(comments),
        "can_manage": access.may_manage_request(user, caps, req),
        "can_respond": access.may_respond_now(user, caps, req, addressed=addressed),
        "can_answer_ever": access.may_respond(user, caps, req, addressed=addressed),
        "can_send": access.may_send_request(user, caps, req),
        "can_review": access.may_review(user, caps, req),
        "can_edit": access.may_edit_request(user, caps, req),
        **kinds.detail_context(req),
        "can_cancel": access.may_cancel_request(user, caps, req),
        "show_internal": internal,
        "staff_view": access.is_staff(user),
        "can_follow": follow,
        "following": follow and is_following(req, user),
        "can_remind": access.may_remind(caps, req),
        "notifications": notifications_enabled(),
    }


def _detail_page(
    request: HttpRequest,
    user: User,
    req: Request,
    caps: frozenset[str],
    *,
    forms_in_use: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = _detail_context(user, req, caps)
    context["comment_form"] = CommentForm()
    context["return_form"] = ReturnForm()
    context["not_applicable_form"] = NotApplicableForm()
    context["submit_form"] = SubmitForm()
    context.update(forms_in_use or {})
    return render(request, "requests/detail.html", context, status=status)


def detail(request: HttpRequest, request_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    req, caps = get_request_for_user(user, request_uuid)
    return _detail_page(request, user, req, caps)


def _button(
    request: HttpRequest, req: Request, act: Callable[[], object], done: str
) -> HttpResponse:
    return act_and_report(request, act, done, req.get_absolute_url())


@require_POST
def send(request: HttpRequest, request_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    req, _caps = get_request_for_user(user, request_uuid, may=access.may_manage_request)
    return _button(
        request,
        req,
        lambda: actions.send_request(req, actor=user),
        _("The request has been sent."),
    )


@require_POST
def accept(request: HttpRequest, request_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    req, _caps = get_request_for_user(user, request_uuid, may=access.may_manage_request)
    return _button(
        request,
        req,
        lambda: actions.accept_response(req, actor=user),
        _("The response has been accepted; the request is completed."),
    )


@require_POST
def cancel(request: HttpRequest, request_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    req, _caps = get_request_for_user(user, request_uuid, may=access.may_manage_request)
    return _button(
        request,
        req,
        lambda: actions.cancel_request(req, actor=user),
        _("The request has been cancelled."),
    )


def _form_action(
    request: HttpRequest,
    user: User,
    req: Request,
    caps: frozenset[str],
    *,
    form: forms.Form,
    name: str,
    act: Callable[[dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    """A button with a form on the request's page: the page again with the
    form's errors (400), or the action and back to the page."""
    if form.is_valid():
        try:
            act(form.cleaned_data)
        except ValidationError as error:
            _show_errors(form, error)
        else:
            messages.success(request, done)
            return redirect(req)
    return _detail_page(request, user, req, caps, forms_in_use={name: form}, status=400)


@require_POST
def return_response(request: HttpRequest, request_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    req, caps = get_request_for_user(user, request_uuid, may=access.may_manage_request)
    return _form_action(
        request,
        user,
        req,
        caps,
        form=ReturnForm(request.POST),
        name="return_form",
        act=lambda data: actions.return_to_contact(
            req, actor=user, comment=data["comment"]
        ),
        done=_("The request has been returned to the contact."),
    )


@require_POST
def comment(request: HttpRequest, request_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    req, caps = get_request_for_user(user, request_uuid)
    return _form_action(
        request,
        user,
        req,
        caps,
        form=CommentForm(request.POST),
        name="comment_form",
        act=lambda data: actions.add_comment(
            req, actor=user, body=data["body"], internal=data["internal"]
        ),
        done=_("Your comment has been added."),
    )


@require_POST
def submit(request: HttpRequest, request_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    req, caps = get_request_for_user(user, request_uuid, may=access.may_respond)
    return _form_action(
        request,
        user,
        req,
        caps,
        form=SubmitForm(request.POST),
        name="submit_form",
        act=lambda data: actions.submit_response(req, actor=user, note=data["note"]),
        done=_("Thank you: your response has been sent."),
    )


@require_POST
def not_applicable(request: HttpRequest, request_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    req, caps = get_request_for_user(user, request_uuid, may=access.may_respond)
    return _form_action(
        request,
        user,
        req,
        caps,
        form=NotApplicableForm(request.POST),
        name="not_applicable_form",
        act=lambda data: actions.mark_not_applicable(
            req, actor=user, reason=data["reason"]
        ),
        done=_("Thank you: you told us this request does not apply to you."),
    )


@require_POST
def upload(request: HttpRequest, request_uuid: UUID) -> HttpResponse:
    """The upload widget's commit on a request's page: the contact's finished
    upload becomes a response (a new file, or a new version of the attached
    file named by `attachment`). Answers with the refreshed list of this
    round's files (201) or why it was refused (400, JSON)."""
    user = signed_in_user(request)
    req, caps = get_request_for_user(user, request_uuid, may=access.may_respond)
    try:
        upload = get_finished_upload(user, request.POST.get("upload"))
        attachment = _attachment(req, request.POST.get("attachment", ""))
        actions.add_response_file(req, actor=user, upload=upload, attachment=attachment)
    except ValidationError as error:
        return JsonResponse({"detail": " ".join(error.messages)}, status=400)
    context = _detail_context(user, req, caps)
    return render(request, "requests/_pending.html", context, status=201)


def _attachment(req: Request, value: str) -> File | None:
    if not value:
        return None
    try:
        file_uuid = UUID(value)
    except ValueError:
        file_uuid = UUID(int=0)
    link = (
        req.request_files.filter(role=RequestFile.Role.ATTACHMENT, file__uuid=file_uuid)
        .select_related("file")
        .first()
    )
    if link is None:
        raise ValidationError(_("That file is not attached to this request."))
    return link.file


# --- editing -------------------------------------------------------------------


def recipient_choices(
    entity: Any, chosen: set[str]
) -> tuple[list[dict[str, Any]], dict[str, User]]:
    """Every contact with access to `entity`, each marked whether they may
    receive requests (and why not), and the eligible ones by uuid."""
    everyone = access.contacts_with_access(entity).order_by(
        "last_name", "first_name", "email"
    )
    eligible = {
        str(user.uuid): user
        for user in access.contacts_with_access(entity, Capability.ACTIVITIES_CREATE)
    }
    rows = [
        {
            "user": user,
            "uuid": str(user.uuid),
            "eligible": str(user.uuid) in eligible,
            "checked": str(user.uuid) in chosen,
        }
        for user in everyone
    ]
    return rows, eligible


def edit(request: HttpRequest, request_uuid: UUID) -> HttpResponse:
    """Change a request's subject, description, due date, additional message
    and recipients. A signature request's signers stay as they are (its
    document was prepared for them): only the rest changes."""
    user = signed_in_user(request)
    req, _caps = get_request_for_user(user, request_uuid, may=access.may_manage_request)
    if req.status not in EDITABLE:
        messages.error(request, _("This request can no longer be changed."))
        return redirect(req)
    signature = req.kind == Request.Kind.SIGNATURE
    with_message = notifications_enabled()
    if request.method == "POST":
        form = EditForm(
            request.POST, with_message=with_message, kept_due_date=req.due_date
        )
        chosen = set(request.POST.getlist("recipient"))
    else:
        initial = {
            "subject": req.subject,
            "description": req.description,
            "due_date": req.due_date,
            "additional_message": req.additional_message,
        }
        form = EditForm(
            initial=initial, with_message=with_message, kept_due_date=req.due_date
        )
        chosen = {
            str(row.user.uuid) for row in req.recipient_rows.select_related("user")
        }
    if signature:
        # The sign page shows no description: a signature request has none.
        del form.fields["description"]
        choices: list[dict[str, Any]] = []
        eligible: dict[str, User] = {}
    else:
        choices, eligible = recipient_choices(req.entity, chosen)
    recipient_errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        people = None
        if not signature:
            people = [eligible[key] for key in chosen if key in eligible]
            people += _ineligible(req, chosen, eligible)
        try:
            actions.update_request(
                req, actor=user, recipients=people, **form.cleaned_data
            )
        except ValidationError as error:
            recipient_errors = _split_recipient_errors(form, error)
        else:
            messages.success(request, _("The changes have been saved."))
            return redirect(req)
    context = {
        "req": req,
        "entity": req.entity,
        "form": form,
        "choices": choices,
        "recipient_errors": recipient_errors,
        "signature": signature,
        **kinds.edit_context(req),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "requests/edit.html", context, status=status)


def _split_recipient_errors(form: forms.Form, error: ValidationError) -> list[str]:
    """Show an action's refusal: the recipients' part beside the list of
    contacts (returned), the rest on the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return []
    found: list[str] = []
    for name, errors in error.error_dict.items():
        if name in ("recipients", "attachments"):
            found.extend(message for item in errors for message in item.messages)
        else:
            form.add_error(name if name in form.fields else None, errors)
    return found


def _ineligible(
    req: Request, chosen: set[str], eligible: dict[str, User]
) -> list[User]:
    """Chosen people who may not receive requests (someone whose role changed
    since the page was drawn, or a forged form): the action says why."""
    others = chosen - set(eligible)
    if not others:
        return []
    found = access.contacts_with_access(req.entity).filter(uuid__in=_uuids(others))
    return list(found)


def _uuids(values: set[str]) -> list[UUID]:
    parsed = []
    for value in values:
        try:
            parsed.append(UUID(value))
        except ValueError:
            continue
    return parsed
