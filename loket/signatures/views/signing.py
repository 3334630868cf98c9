"""The sign page: the document and who signed, for whoever sees the request;
for a signer who may sign, the forms to sign, decline or confirm the e-mail
code. Its status block follows the worker (polled while it works), and the
staff who manage the request may retry a signing that failed."""

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from loket import access
from loket.accounts.models import User
from loket.audit.actions import client_ip
from loket.core.http import act_and_report, signed_in_user
from loket.files import storage
from loket.requests.models import Request
from loket.signatures import actions, pdf, sealing
from loket.signatures.forms import CodeForm, DeclineForm, SignForm
from loket.signatures.lookups import (
    get_signer_for_user,
    get_signing_for_user,
    visible_signings,
)
from loket.signatures.models import SignatureRequest, Signer
from loket.signatures.signers import needs_code, signer_for, waiting_for
from loket.signatures.views.previews import page_png

# The event the sign page's images listen to (static/js/page-zoom.js).
PAGES_CHANGED = "loket:pages-changed"


def _status_context(
    user: User, signing: SignatureRequest, row: Signer | None, *, may_retry: bool
) -> dict[str, Any]:
    """What the status block says about the worker's part, and to whom: the
    problem to staff, a plain word to the others, Retry now to those who may.
    `row`: the user's signer row, if they are a signer."""
    return {
        "processing": sealing.processing(signing),
        "retrying": signing.attempts > 0 and sealing.in_progress(signing),
        "cancelled": signing.request.status == Request.Status.CANCELLED
        and signing.state != SignatureRequest.State.DECLINED,
        "viewer_signed": row is not None and row.status == Signer.Status.SIGNED,
        "staff_view": access.is_staff(user),
        "may_retry": signing.has_failed and may_retry,
    }


def _sign_page(
    request: HttpRequest,
    user: User,
    signing: SignatureRequest,
    caps: frozenset[str],
    row: Signer | None,
    *,
    form: SignForm | None = None,
    decline_form: DeclineForm | None = None,
    code_form: CodeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The page, for `user` holding `caps` on the entity; `row`: their signer
    row, if any (the forms only for a signer who may sign)."""
    signer = row if access.may_sign(user, caps, row) else None
    info = pdf.inspect(storage.read_blob(signing.working_blob))
    context = {
        "req": signing.request,
        "signing": signing,
        "signer": signer,
        "signers": signing.signers.select_related("user"),
        "waiting_for": waiting_for(signer) if signer else [],
        "pages": range(info.page_count),
        "form": form or SignForm(),
        "decline_form": decline_form or DeclineForm(),
        "code_form": code_form or CodeForm(),
        "needs_code": signer is not None and needs_code(signer),
        **_status_context(
            user, signing, row, may_retry=access.may_retry_signing(user, caps)
        ),
    }
    return render(request, "signatures/sign.html", context, status=status)


def _form_step(
    request: HttpRequest,
    user: User,
    signing: SignatureRequest,
    signer: Signer,
    caps: frozenset[str],
    *,
    form: BaseForm,
    name: str,
    act: Callable[[dict[str, Any]], object],
    done: str,
    to: str,
) -> HttpResponse:
    """A signer's form on the sign page (`name`: its place in the page): the
    action and on to `to`, or the page again with the form's errors (400)."""
    if form.is_valid():
        try:
            act(form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, done)
            return redirect(to)
    signer.refresh_from_db()
    forms: dict[str, Any] = {name: form}
    return _sign_page(request, user, signing, caps, signer, status=400, **forms)


@require_http_methods(["GET", "POST"])
def sign(request: HttpRequest, request_uuid: UUID) -> HttpResponse:
    """The document, who signed, and for a signer the form to sign or decline.
    Everyone who sees the request may read it; only its signers sign."""
    user = signed_in_user(request)
    if request.method == "GET":
        signing, caps = get_signing_for_user(user, request_uuid)
        row = signer_for(signing, user)
        if access.may_sign(user, caps, row):
            actions.record_view(signing, actor=user, ip=client_ip(request) or "")
        return _sign_page(request, user, signing, caps, row)
    signing, signer, caps = get_signer_for_user(user, request_uuid)

    def sign_with(data: dict[str, Any]) -> object:
        drawn = data["method"] == "drawn"
        return actions.sign(
            signing,
            actor=user,
            consent=data["consent"],
            image_png=data["drawing"] if drawn else None,
            typed_name="" if drawn else data["typed_name"],
            ip=client_ip(request) or "",
            user_agent=request.headers.get("User-Agent", ""),
        )

    return _form_step(
        request,
        user,
        signing,
        signer,
        caps,
        form=SignForm(request.POST),
        name="form",
        act=sign_with,
        done=_("Thank you: your signature is being added."),
        to=reverse("signatures:sign", args=[signing.request.uuid]),
    )


@require_POST
def decline(request: HttpRequest, request_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    signing, signer, caps = get_signer_for_user(user, request_uuid)
    return _form_step(
        request,
        user,
        signing,
        signer,
        caps,
        form=DeclineForm(request.POST),
        name="decline_form",
        act=lambda data: actions.decline_signature(
            signing, actor=user, reason=data["reason"]
        ),
        done=_("You declined to sign this document."),
        to=signing.request.get_absolute_url(),
    )


@require_POST
def send_code(request: HttpRequest, request_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    signing, _signer, _caps = get_signer_for_user(user, request_uuid)
    return act_and_report(
        request,
        lambda: actions.send_signing_code(signing, actor=user),
        _("A code has been sent to %(email)s.") % {"email": user.email},
        reverse("signatures:sign", args=[signing.request.uuid]),
    )


@require_POST
def confirm_code(request: HttpRequest, request_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    signing, signer, caps = get_signer_for_user(user, request_uuid)
    return _form_step(
        request,
        user,
        signing,
        signer,
        caps,
        form=CodeForm(request.POST),
        name="code_form",
        act=lambda data: actions.confirm_signing_code(
            signing, actor=user, code=data["code"]
        ),
        done=_("Thank you: you can sign now."),
        to=reverse("signatures:sign", args=[signing.request.uuid]),
    )


@require_GET
def page_image(request: HttpRequest, request_uuid: UUID, page: int) -> HttpResponse:
    """One page of the document being signed, as a PNG, for whoever sees the
    request."""
    user = signed_in_user(request)
    signing = get_object_or_404(visible_signings(user), request__uuid=request_uuid)
    return page_png(request, storage.read_blob(signing.working_blob), page)


@require_GET
def signing_status(request: HttpRequest, request_uuid: UUID) -> HttpResponse:
    """Who has signed, for the sign page's polling (what the user holds on
    the entity is read only once signing failed: for Retry now)."""
    user = signed_in_user(request)
    signing = get_object_or_404(visible_signings(user), request__uuid=request_uuid)
    may_retry = signing.has_failed and access.may_retry_signing(
        user, access.entity_capabilities(user, signing.request.entity)
    )
    context = {
        "req": signing.request,
        "signing": signing,
        "signers": signing.signers.select_related("user"),
        **_status_context(
            user, signing, signer_for(signing, user), may_retry=may_retry
        ),
    }
    response = render(request, "signatures/_status.html", context)
    if request.headers.get("HX-Request") and not context["processing"]:
        # Only a page waiting on the worker polls: now it is done, the page
        # images are drawn again with the new stamps (static/js/page-zoom.js);
        # not a reload, which would lose what someone is typing.
        response["HX-Trigger"] = PAGES_CHANGED
    return response


@require_POST
def retry(request: HttpRequest, request_uuid: UUID) -> HttpResponse:
    """Retry now: staff who manage the request start signing again once it
    has failed (409 when it has not, or was cancelled)."""
    user = signed_in_user(request)
    signing, caps = get_signing_for_user(user, request_uuid)
    access.require(access.may_retry_signing(user, caps))
    try:
        actions.retry_signing(signing, actor=user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        signing.refresh_from_db()
        row = signer_for(signing, user)
        return _sign_page(request, user, signing, caps, row, status=409)
    messages.success(request, _("Signing is being tried again."))
    return redirect("signatures:sign", signing.request.uuid)
