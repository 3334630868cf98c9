from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from loket import access
from loket.access import Capability, creatable_entities
from loket.access import may_manage_request as may_manage
from loket.accounts.models import User
from loket.audit.actions import client_ip
from loket.core.http import act_and_report, signed_in_user
from loket.entities.models import Entity
from loket.files import actions as file_actions
from loket.files import storage
from loket.files.lookups import get_finished_upload
from loket.files.models import File
from loket.files.tree import tree_of
from loket.requests.models import Request
from loket.signatures import actions, flow, pdf, permissions, sealing
from loket.signatures.forms import (
    CodeForm,
    DeclineForm,
    DocumentUploadForm,
    GenerateCertificateForm,
    ImportCertificateForm,
    SignatureRequestForm,
    SignForm,
    VerifyForm,
    check_pdf_upload,
)
from loket.signatures.models import (
    SignatureRequest,
    Signer,
    SigningCertificate,
    SigningSettings,
    firm_trust_roots,
)
from loket.signatures.permissions import may_sign as _may_sign
from loket.signatures.settings_forms import SigningSettingsForm

# The signer picker offers this many places, first signer first.
SIGNER_SLOTS = 4
PDF_TYPE = "application/pdf"
# The document picker lists at most this many PDFs of an entity.
PICK_LIMIT = 500
# The request form previews this many pages to place the boxes on.
PREVIEW_PAGES = 50


def _manager(request: HttpRequest) -> User:
    user = signed_in_user(request)
    access.require(access.can(user, Capability.SETTINGS_MANAGE))
    return user


def _certificate_page(
    request: HttpRequest, *, status: int = 200, **forms: BaseForm
) -> HttpResponse:
    context: dict[str, Any] = {
        "current": SigningCertificate.objects.current(),
        "earlier": SigningCertificate.objects.filter(is_current=False)[:20],
        "import_form": forms.get("import_form") or ImportCertificateForm(),
        "generate_form": forms.get("generate_form") or GenerateCertificateForm(),
        "tsa_url": settings.LOKET_TSA_URL,
        "settings_form": forms.get("settings_form")
        or SigningSettingsForm(instance=SigningSettings.load()),
    }
    return render(request, "signatures/certificate.html", context, status=status)


@require_GET
def certificate(request: HttpRequest) -> HttpResponse:
    _manager(request)
    return _certificate_page(request)


@require_POST
def import_certificate(request: HttpRequest) -> HttpResponse:
    user = _manager(request)
    form = ImportCertificateForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            actions.import_signing_certificate(
                form.cleaned_data["file"],
                password=form.cleaned_data["password"],
                actor=user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The signing certificate was imported."))
            return redirect("signatures:certificate")
    return _certificate_page(request, status=400, import_form=form)


@require_POST
def generate_certificate(request: HttpRequest) -> HttpResponse:
    user = _manager(request)
    form = GenerateCertificateForm(request.POST)
    if form.is_valid():
        try:
            actions.generate_signing_certificate(form.cleaned_data["name"], actor=user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("A self-signed signing certificate was generated.")
            )
            return redirect("signatures:certificate")
    return _certificate_page(request, status=400, generate_form=form)


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Anyone signed in may check the signatures of a PDF they have: the page
    reads the upload, reports, and keeps nothing."""
    signed_in_user(request)
    posted = request.method == "POST"
    form = VerifyForm(request.POST, request.FILES) if posted else VerifyForm()
    reports = None
    status = 200
    if posted:
        if form.is_valid():
            try:
                reports = pdf.verify(
                    form.cleaned_data["file"], trust_roots=firm_trust_roots()
                )
            except ValidationError as error:
                form.add_error("file", error)
        if reports is None:
            status = 400
    context = {
        "form": form,
        "reports": reports,
        "file_name": getattr(request.FILES.get("file"), "name", ""),
    }
    return render(request, "signatures/verify.html", context, status=status)


# Signature requests (decision 006).


def _staff_file(request: HttpRequest, file_uuid: UUID) -> tuple[User, File]:
    """A PDF the signed-in staff member may ask signatures for (404, 403)."""
    user = signed_in_user(request)
    return user, permissions.staff_file(user, file_uuid)


def _creating_on(request: HttpRequest, entity_uuid: UUID) -> tuple[User, Entity]:
    """An entity where the signed-in user may start a signature request: 404
    when they do not see it, 403 unless they are staff holding
    activities.create there and it is not archived."""
    user = signed_in_user(request)
    entity = get_object_or_404(access.visible_entities(user), uuid=entity_uuid)
    caps = access.entity_capabilities(user, entity)
    access.require(
        user.is_staff_member
        and Capability.ACTIVITIES_CREATE in caps
        and entity.archived_at is None
    )
    return user, entity


def _pick_page(
    request: HttpRequest,
    user: User,
    entity: Entity,
    upload_form: DocumentUploadForm | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    """The entity's PDFs to choose from, and the form to upload one."""
    context: dict[str, Any] = {
        "entities": [],
        "entity": entity,
        "files": (
            access.visible_files(user, entity)
            .filter(current_version__content_type=PDF_TYPE)
            .select_related("folder", "current_version")
            .order_by("name")[:PICK_LIMIT]
        ),
        "upload_form": upload_form
        or DocumentUploadForm(folders=tree_of(entity).choices()),
    }
    return render(request, "signatures/pick.html", context, status=status)


@require_GET
def pick_document(request: HttpRequest) -> HttpResponse:
    """Activities → New → Signature request: choose the entity (where the
    staff member creates activities), then one of its PDFs or upload one; the
    request form of that file follows."""
    user = signed_in_user(request)
    chosen = request.GET.get("entity", "")
    if chosen:
        try:
            entity_uuid = UUID(chosen)
        except ValueError as error:
            raise Http404 from error
        user, entity = _creating_on(request, entity_uuid)
        return _pick_page(request, user, entity)
    access.require(user.is_staff_member)
    context: dict[str, Any] = {
        "entities": creatable_entities(user).order_by("name")[:PICK_LIMIT],
        "entity": None,
    }
    return render(request, "signatures/pick.html", context)


@require_POST
def upload_document(request: HttpRequest, entity_uuid: UUID) -> HttpResponse:
    """The pick page's plain upload (no JavaScript needed): a PDF that can be
    signed becomes a file of the entity (both kept on a name clash) and its
    request form follows. Anything else is refused before a byte is kept."""
    user, entity = _creating_on(request, entity_uuid)
    tree = tree_of(entity)
    form = DocumentUploadForm(request.POST, request.FILES, folders=tree.choices())
    if form.is_valid():
        received = form.cleaned_data["file"]
        try:
            blob = storage.store_stream(received, received.name)
            try:
                version = file_actions.add_file(
                    entity,
                    actor=user,
                    blob=blob,
                    name=received.name,
                    folder=tree.get(form.cleaned_data["folder"]),
                    on_clash="copy",
                )
            except BaseException:
                storage.delete_blob(blob.blob)
                raise
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            return _uploaded(request, version.file, redirect_to_form=True)
    return _pick_page(request, user, entity, form, status=400)


@require_POST
def commit_document(request: HttpRequest, entity_uuid: UUID) -> HttpResponse:
    """The upload widget's commit on the pick page: a finished upload that is
    a PDF that can be signed becomes a file of the entity (both kept on a name
    clash). Answers with the link to its request form, which the page follows
    (201), or why it was refused (400, JSON) with nothing kept."""
    user, entity = _creating_on(request, entity_uuid)
    try:
        upload = get_finished_upload(user, request.POST.get("upload"))
        if upload.entity_id != entity.pk:
            raise ValidationError(_("This upload was made for another entity."))
        try:
            folder = tree_of(entity).get(request.POST.get("folder"))
        except Http404 as error:
            raise ValidationError(_("That folder is not there any more.")) from error
        check_pdf_upload(upload)
        version = file_actions.add_upload(
            entity, actor=user, upload=upload, folder=folder, on_clash="copy"
        )
    except ValidationError as error:
        return JsonResponse({"detail": " ".join(error.messages)}, status=400)
    return _uploaded(request, version.file, redirect_to_form=False)


def _uploaded(
    request: HttpRequest, file: File, *, redirect_to_form: bool
) -> HttpResponse:
    messages.success(request, _("“%(name)s” has been uploaded.") % {"name": file.name})
    if redirect_to_form:
        return redirect("signatures:new", file.uuid)
    return render(request, "signatures/_uploaded.html", {"file": file}, status=201)


def _document(file: File) -> bytes:
    """The current version of `file`, as the request form reads it (404 when
    it cannot be read)."""
    version = file.current_version
    if version is None or not version.is_available:
        raise Http404
    return flow.read_blob(version.blob)


def _inspected(file: File) -> pdf.PdfInfo | None:
    try:
        return pdf.inspect(_document(file))
    except (ValidationError, Http404):
        return None  # request_signature refuses it with the reason


def _placed_boxes(
    post: Any, info: pdf.PdfInfo | None, slots: list[int]
) -> list[pdf.SignatureBox | None] | None:
    """The boxes staff placed on the preview for the signers in `slots`
    (their places in the picker), None for those left at the default; None
    when none was placed. ValidationError for a box off its page."""
    columns = [
        post.getlist(name)
        for name in ("box_page", "box_x", "box_y", "box_width", "box_height")
    ]
    placed: list[pdf.SignatureBox | None] = []
    for slot in slots:
        values = [
            column[slot].strip() if slot < len(column) else "" for column in columns
        ]
        if not all(values[:3]):
            placed.append(None)
            continue
        if info is None:
            return None  # not a PDF: request_signature says so
        try:
            page, x, y = int(values[0]), float(values[1]), float(values[2])
            # A box left at its size (or placed without JavaScript's sizes).
            width = float(values[3]) if values[3] else None
            height = float(values[4]) if values[4] else None
        except ValueError as error:
            raise ValidationError(
                _("The signature box does not fit on the page."), code="box"
            ) from error
        placed.append(
            flow.placed_box(info, page=page, x=x, y=y, width=width, height=height)
        )
    return placed if any(placed) else None


def _preview_pages(info: pdf.PdfInfo | None) -> list[dict[str, Any]]:
    if info is None:
        return []
    pages = []
    for page in info.pages[:PREVIEW_PAGES]:
        width, height = flow.box_size(page)
        min_width, min_height = flow.min_box_size(page)
        pages.append(
            {
                "index": page.index,
                "width": page.width,
                "height": page.height,
                "box_width": width,
                "box_height": height,
                "min_width": min_width,
                "min_height": min_height,
            }
        )
    return pages


@require_http_methods(["GET", "POST"])
def new_signature_request(request: HttpRequest, file_uuid: UUID) -> HttpResponse:
    user, file = _staff_file(request, file_uuid)
    people = list(flow.eligible_signers(file.entity).order_by("last_name", "email"))
    posted = request.method == "POST"
    form = SignatureRequestForm(request.POST if posted else None)
    chosen = request.POST.getlist("signers") if posted else []
    info = _inspected(file)
    if posted and form.is_valid():
        by_uuid = {str(person.uuid): person for person in people}
        signers: list[User] = []
        slots: list[int] = []
        for slot, value in enumerate(chosen):
            person = by_uuid.get(value)
            if person is not None and person not in signers:
                signers.append(person)
                slots.append(slot)
        try:
            placed = _placed_boxes(request.POST, info, slots)
            req = actions.request_signature(
                file,
                actor=user,
                signers=signers,
                ordered=form.cleaned_data["ordered"],
                subject=form.cleaned_data["subject"],
                message=form.cleaned_data["message"],
                due_date=form.cleaned_data["due_date"],
                boxes=flow.boxes_for(info, placed) if info and placed else None,
                email_code=form.cleaned_data["email_code"],
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("The signature request has been sent."))
            return redirect(req.get_absolute_url())

    def column(name: str, n: int) -> str:
        values = request.POST.getlist(name) if posted else []
        return values[n] if n < len(values) else ""

    context = {
        "file": file,
        "form": form,
        "people": people,
        "slots": [
            {
                "chosen": column("signers", n),
                "page": column("box_page", n),
                "x": column("box_x", n),
                "y": column("box_y", n),
                "width": column("box_width", n),
                "height": column("box_height", n),
            }
            for n in range(SIGNER_SLOTS)
        ],
        "pages": _preview_pages(info),
        "more_pages": info is not None and info.page_count > PREVIEW_PAGES,
        "certificate": SigningCertificate.objects.current(),
    }
    status = 400 if posted else 200
    return render(request, "signatures/new.html", context, status=status)


@require_GET
def file_page_image(request: HttpRequest, file_uuid: UUID, page: int) -> HttpResponse:
    """One page of a PDF staff are about to ask signatures for, as a PNG, to
    place the boxes on."""
    _user, file = _staff_file(request, file_uuid)
    try:
        width = min(max(int(request.GET.get("width", "900")), 200), 1600)
    except ValueError:
        width = 900
    try:
        png = pdf.render_page(_document(file), page, width)
    except ValidationError as error:
        raise Http404 from error
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response


def _signing(request: HttpRequest, request_uuid: UUID) -> tuple[User, SignatureRequest]:
    """A signature request the signed-in user sees (404 otherwise)."""
    user = signed_in_user(request)
    return user, permissions.visible_signing(user, request_uuid)


def _signer(
    request: HttpRequest, request_uuid: UUID
) -> tuple[User, SignatureRequest, Signer]:
    """The signed-in user's signer row: 403 for those who see the request but
    may not sign it (not a signer, or no longer holding activities.create)."""
    user, signing = _signing(request, request_uuid)
    return user, signing, permissions.signer(user, signing)


def _sign_page(
    request: HttpRequest,
    signing: SignatureRequest,
    signer: Signer | None,
    *,
    form: SignForm | None = None,
    decline_form: DeclineForm | None = None,
    code_form: CodeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    req = signing.request
    info = pdf.inspect(flow.read_blob(signing.working_blob))
    context = {
        "req": req,
        "signing": signing,
        "signer": signer,
        "signers": signing.signers.select_related("user"),
        "waiting_for": flow.waiting_for(signer) if signer else [],
        "pages": range(info.page_count),
        "form": form or SignForm(),
        "decline_form": decline_form or DeclineForm(),
        "code_form": code_form or CodeForm(),
        "needs_code": signer is not None and flow.needs_code(signer),
        **_status_context(request, signing),
    }
    return render(request, "signatures/sign.html", context, status=status)


def _client_ip(request: HttpRequest) -> str:
    return client_ip(request) or ""


@require_http_methods(["GET", "POST"])
def sign(request: HttpRequest, request_uuid: UUID) -> HttpResponse:
    """The document, who signed, and for a signer the form to sign or decline.
    Everyone who sees the request may read it; only its signers sign."""
    if request.method == "GET":
        user, signing = _signing(request, request_uuid)
        may_sign = _may_sign(user, signing)
        if may_sign is not None:
            actions.record_view(signing, actor=user, ip=_client_ip(request))
        return _sign_page(request, signing, may_sign)
    user, signing, signer = _signer(request, request_uuid)
    req = signing.request
    form = SignForm(request.POST)
    if form.is_valid():
        drawn = form.cleaned_data["method"] == "drawn"
        try:
            actions.sign(
                signing,
                actor=user,
                consent=form.cleaned_data["consent"],
                image_png=form.cleaned_data["drawing"] if drawn else None,
                typed_name="" if drawn else form.cleaned_data["typed_name"],
                ip=_client_ip(request),
                user_agent=request.headers.get("User-Agent", ""),
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("Thank you: your signature is being added."))
            return redirect("signatures:sign", req.uuid)
    signer.refresh_from_db()
    return _sign_page(request, signing, signer, form=form, status=400)


@require_POST
def decline(request: HttpRequest, request_uuid: UUID) -> HttpResponse:
    user, signing, signer = _signer(request, request_uuid)
    req = signing.request
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            actions.decline_signature(
                signing, actor=user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("You declined to sign this document."))
            return redirect(req.get_absolute_url())
    return _sign_page(request, signing, signer, decline_form=form, status=400)


@require_GET
def page_image(request: HttpRequest, request_uuid: UUID, page: int) -> HttpResponse:
    """One page of the document being signed, as a PNG, for whoever sees the
    request."""
    _user, signing = _signing(request, request_uuid)
    try:
        width = min(max(int(request.GET.get("width", "900")), 200), 1600)
    except ValueError:
        width = 900
    try:
        png = pdf.render_page(flow.read_blob(signing.working_blob), page, width)
    except ValidationError as error:
        raise Http404 from error
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response


# The event the sign page's images listen to (static/js/page-zoom.js).
PAGES_CHANGED = "loket:pages-changed"


@require_GET
def signing_status(request: HttpRequest, request_uuid: UUID) -> HttpResponse:
    """Who has signed, for the sign page's polling."""
    _user, signing = _signing(request, request_uuid)
    req = signing.request
    context = {
        "req": req,
        "signing": signing,
        "signers": signing.signers.select_related("user"),
        **_status_context(request, signing),
    }
    response = render(request, "signatures/_status.html", context)
    if request.headers.get("HX-Request") and not context["processing"]:
        # Only a page waiting on the worker polls: now it is done, the page
        # images are drawn again with the new stamps (static/js/page-zoom.js);
        # not a reload, which would lose what someone is typing.
        response["HX-Trigger"] = PAGES_CHANGED
    return response


@require_POST
def send_code(request: HttpRequest, request_uuid: UUID) -> HttpResponse:
    user, signing, _signer_row = _signer(request, request_uuid)
    return act_and_report(
        request,
        lambda: actions.send_signing_code(signing, actor=user),
        _("A code has been sent to %(email)s.") % {"email": user.email},
        reverse("signatures:sign", args=[signing.request.uuid]),
    )


@require_POST
def confirm_code(request: HttpRequest, request_uuid: UUID) -> HttpResponse:
    user, signing, signer = _signer(request, request_uuid)
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            actions.confirm_signing_code(
                signing, actor=user, code=form.cleaned_data["code"]
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("Thank you: you can sign now."))
            return redirect("signatures:sign", signing.request.uuid)
    signer.refresh_from_db()
    return _sign_page(request, signing, signer, code_form=form, status=400)


# Signing settings, and a signature request whose signing failed (decision 007).


def _status_context(request: HttpRequest, signing: SignatureRequest) -> dict[str, Any]:
    """What the status block says about the worker's part, and to whom: the
    problem to staff, a plain word to the others, Retry now to those who may."""
    user = signed_in_user(request)
    row = flow.signer_for(signing, user)
    return {
        "processing": flow.processing(signing),
        "retrying": signing.attempts > 0 and sealing.in_progress(signing),
        "cancelled": signing.request.status == Request.Status.CANCELLED
        and signing.state != SignatureRequest.State.DECLINED,
        "viewer_signed": row is not None and row.status == Signer.Status.SIGNED,
        "staff_view": user.is_staff_member,
        "may_retry": signing.state == SignatureRequest.State.FAILED
        and _may_retry(user, signing),
    }


def _may_retry(user: User, signing: SignatureRequest) -> bool:
    """Staff who manage the request (activities.create on its entity)."""
    caps = access.entity_capabilities(user, signing.request.entity)
    return user.is_staff_member and may_manage(user, caps, signing.request)


@require_POST
def retry(request: HttpRequest, request_uuid: UUID) -> HttpResponse:
    """Retry now: staff who manage the request start signing again once it
    has failed (409 when it has not, or was cancelled)."""
    user, signing = _signing(request, request_uuid)
    access.require(_may_retry(user, signing))
    try:
        actions.retry_signing(signing, actor=user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        signing.refresh_from_db()
        return _sign_page(request, signing, _may_sign(user, signing), status=409)
    messages.success(request, _("Signing is being tried again."))
    return redirect("signatures:sign", signing.request.uuid)


@require_POST
def signing_settings(request: HttpRequest) -> HttpResponse:
    """Settings → Signing certificate: the evidence record's form and e-mail
    attachments, for settings managers."""
    user = _manager(request)
    firm = SigningSettings.load()
    # The form cleans into its own copy, so the action sees what changed.
    form = SigningSettingsForm(request.POST, instance=SigningSettings.load())
    if form.is_valid():
        try:
            actions.update_signing_settings(firm, actor=user, changes=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The signing settings were saved."))
            return redirect("signatures:certificate")
    return _certificate_page(request, status=400, settings_form=form)
