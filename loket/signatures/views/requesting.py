"""Asking for signatures: Activities → New → Signature request (choose the
entity, then one of its PDFs or upload one) and the request form of a file,
with its page previews to place the boxes on."""

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from loket import access
from loket.access.signatures import PDF_TYPE
from loket.accounts.models import User
from loket.core.http import signed_in_user
from loket.entities.models import Entity
from loket.files import actions as file_actions
from loket.files import storage
from loket.files.lookups import get_finished_upload
from loket.files.models import File
from loket.files.tree import tree_of
from loket.signatures import actions, boxes, pdf
from loket.signatures.forms import (
    DocumentUploadForm,
    SignatureRequestForm,
    check_pdf_upload,
)
from loket.signatures.lookups import (
    get_entity_for_signature_request,
    get_file_for_signature_request,
)
from loket.signatures.models import SigningCertificate
from loket.signatures.signers import eligible_signers
from loket.signatures.views.previews import page_png

# The signer picker offers this many places, first signer first.
SIGNER_SLOTS = 4
# The document picker lists at most this many PDFs of an entity.
PICK_LIMIT = 500
# The request form previews this many pages to place the boxes on.
PREVIEW_PAGES = 50


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
        entity, _caps = get_entity_for_signature_request(user, entity_uuid)
        return _pick_page(request, user, entity)
    access.require(access.is_staff(user))
    context: dict[str, Any] = {
        "entities": access.creatable_entities(user).order_by("name")[:PICK_LIMIT],
        "entity": None,
    }
    return render(request, "signatures/pick.html", context)


@require_POST
def upload_document(request: HttpRequest, entity_uuid: UUID) -> HttpResponse:
    """The pick page's plain upload (no JavaScript needed): a PDF that can be
    signed becomes a file of the entity (both kept on a name clash) and its
    request form follows. Anything else is refused before a byte is kept."""
    user = signed_in_user(request)
    entity, _caps = get_entity_for_signature_request(user, entity_uuid)
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
    user = signed_in_user(request)
    entity, _caps = get_entity_for_signature_request(user, entity_uuid)
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
    return storage.read_blob(version.blob)


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
            boxes.placed_box(info, page=page, x=x, y=y, width=width, height=height)
        )
    return placed if any(placed) else None


def _preview_pages(info: pdf.PdfInfo | None) -> list[dict[str, Any]]:
    if info is None:
        return []
    pages = []
    for page in info.pages[:PREVIEW_PAGES]:
        width, height = boxes.box_size(page)
        min_width, min_height = boxes.min_box_size(page)
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
    user = signed_in_user(request)
    file, _caps = get_file_for_signature_request(user, file_uuid)
    people = list(eligible_signers(file.entity).order_by("last_name", "email"))
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
                boxes=boxes.boxes_for(info, placed) if info and placed else None,
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
    user = signed_in_user(request)
    file, _caps = get_file_for_signature_request(user, file_uuid)
    return page_png(request, _document(file), page)
