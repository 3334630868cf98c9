"""Creating a signature request: uploading the PDF on the pick page (the
upload widget's commit, and the plain form without JavaScript), and the
signature boxes staff move and resize on the preview, down to the stamp in
the signed PDF."""

import io
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone

from loket.accounts.models import User
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.files import storage
from loket.files.actions import create_folder
from loket.files.models import File, Upload
from loket.notifications import notify
from loket.requests.models import Request
from loket.signatures import actions, boxes, certificates, pdf
from loket.signatures.models import SignatureRequest
from tests.conftest import ClientFor
from tests.files_support import add, finished_upload, partial_exists
from tests.pdfs import A4, make_pdf
from tests.test_signature_requests import current_pdf, run_commit_callbacks
from tests.test_signatures_pdf import ink, rendered_by_poppler

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="no poppler-utils"),
]

PICK = "/activities/new/signature-request/"


@pytest.fixture
def certificate(db: None) -> None:
    actions.generate_signing_certificate("Kantoor Test BV", actor=None)


def commit_url(entity: Entity) -> str:
    return f"{PICK}{entity.uuid}/commit/"


def upload_url(entity: Entity) -> str:
    return f"{PICK}{entity.uuid}/upload/"


def encrypted_pdf() -> bytes:
    """A PDF that opens only with a password: sniffed as a PDF, refused by
    pdf.inspect."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.pdf_utils.writer import copy_into_new_writer

    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(make_pdf())))
    writer.encrypt("owner-password", "secret")  # type: ignore[no-untyped-call]
    out = io.BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]
    return out.getvalue()


def stored_blobs(settings: Any) -> set[Path]:
    """Every blob in the files storage (not the partial uploads)."""
    root = Path(settings.LOKET_FILES_DIR)
    return {
        path
        for path in root.rglob("*")
        if path.is_file() and "partial" not in path.relative_to(root).parts
    }


# The upload widget's commit.


def test_a_pdf_upload_becomes_a_file_and_leads_to_its_request_form(
    entity: Entity, staff_reader: User, client_for: ClientFor
) -> None:
    upload = finished_upload(staff_reader, entity, make_pdf(), "offerte.pdf")
    client = client_for(staff_reader)

    response = client.post(commit_url(entity), {"upload": str(upload.uuid)})

    assert response.status_code == 201
    file = File.objects.get(entity=entity, name="offerte.pdf")
    assert file.folder is None
    assert file.created_by == staff_reader
    form_url = f"/files/{file.uuid}/request-signature/"
    assert f'href="{form_url}" data-continue'.encode() in response.content
    assert current_pdf(file) == make_pdf()
    assert not Upload.objects.filter(pk=upload.pk).exists()
    assert Event.objects.filter(
        verb=Event.Verb.FILE_UPLOADED, target_id=str(file.uuid), actor=staff_reader
    ).exists()
    form = client.get(form_url)
    assert form.status_code == 200
    assert "“offerte.pdf” has been uploaded." in form.content.decode()


def test_the_upload_goes_into_the_folder_chosen(
    entity: Entity, staff_owner: User, staff_reader: User, client_for: ClientFor
) -> None:
    folder = create_folder(entity, actor=staff_owner, name="Contracten")
    upload = finished_upload(staff_reader, entity, make_pdf(), "offerte.pdf")

    response = client_for(staff_reader).post(
        commit_url(entity), {"upload": str(upload.uuid), "folder": str(folder.uuid)}
    )

    assert response.status_code == 201
    assert File.objects.get(name="offerte.pdf").folder == folder


def test_an_upload_with_the_name_of_a_file_there_keeps_both(
    entity: Entity, staff_owner: User, staff_reader: User, client_for: ClientFor
) -> None:
    first = add(entity, staff_owner, "contract.pdf", make_pdf())
    upload = finished_upload(
        staff_reader, entity, make_pdf(text="Other"), "contract.pdf"
    )

    response = client_for(staff_reader).post(
        commit_url(entity), {"upload": str(upload.uuid)}
    )

    assert response.status_code == 201
    second = File.objects.get(entity=entity, name="contract (2).pdf")
    assert f"/files/{second.uuid}/request-signature/".encode() in response.content
    assert first.versions.count() == 1


@pytest.mark.parametrize(
    ("content", "filename", "sniffed", "message"),
    [
        (b"Name;Amount\nDe Vries;12\n", "bedragen.csv", "text/csv", "is not a PDF"),
        # The name says PDF; the bytes do not.
        (b"just some text\n", "contract.pdf", "text/plain", "is not a PDF"),
        (encrypted_pdf(), "beveiligd.pdf", "application/pdf", "protected with a pass"),
        (
            b"%PDF-1.7\n" + b"\x00garbage" * 200,
            "kapot.pdf",
            "application/pdf",
            "damaged",
        ),
    ],
    ids=["csv", "text-named-pdf", "encrypted", "damaged"],
)
def test_an_upload_that_cannot_be_signed_is_refused_and_nothing_is_kept(
    entity: Entity,
    staff_reader: User,
    client_for: ClientFor,
    settings: Any,
    content: bytes,
    filename: str,
    sniffed: str,
    message: str,
) -> None:
    upload = finished_upload(staff_reader, entity, content, filename)
    Upload.objects.filter(pk=upload.pk).update(content_type=sniffed)
    before = stored_blobs(settings)

    response = client_for(staff_reader).post(
        commit_url(entity), {"upload": str(upload.uuid)}
    )

    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert not File.objects.filter(entity=entity).exists()
    assert stored_blobs(settings) == before
    assert not Event.objects.filter(verb=Event.Verb.FILE_UPLOADED).exists()
    # The upload is left as it was, to expire like any upload not added.
    assert Upload.objects.filter(pk=upload.pk).exists()
    assert partial_exists(upload)


def test_a_non_pdf_is_refused_in_words_that_name_it(
    entity: Entity, staff_reader: User, client_for: ClientFor
) -> None:
    upload = finished_upload(staff_reader, entity, b"hello\n", "notes.txt")
    Upload.objects.filter(pk=upload.pk).update(content_type="text/plain")
    response = client_for(staff_reader).post(
        commit_url(entity), {"upload": str(upload.uuid)}
    )
    assert response.json() == {
        "detail": "“notes.txt” is not a PDF: only a PDF can be signed. Other "
        "files go in the entity's Files tab."
    }


def test_only_ones_own_finished_upload_of_this_entity_is_committed(
    entity: Entity,
    other_entity: Entity,
    staff_owner: User,
    staff_reader: User,
    client_for: ClientFor,
) -> None:
    client = client_for(staff_reader)
    someone_elses = finished_upload(staff_owner, entity, make_pdf(), "a.pdf")
    elsewhere = finished_upload(staff_reader, other_entity, make_pdf(), "b.pdf")
    unfinished = finished_upload(staff_reader, entity, make_pdf(), "c.pdf")
    Upload.objects.filter(pk=unfinished.pk).update(completed_at=None)
    cases = [
        (someone_elses.uuid, "There is no such upload."),
        (elsewhere.uuid, "This upload was made for another entity."),
        (unfinished.uuid, "The upload has not finished yet."),
        ("not-a-uuid", "There is no such upload."),
    ]
    for value, message in cases:
        response = client.post(commit_url(entity), {"upload": str(value)})
        assert response.status_code == 400, value
        assert response.json() == {"detail": message}
    assert not File.objects.exists()


def test_a_folder_that_is_gone_is_refused(
    entity: Entity, staff_reader: User, client_for: ClientFor
) -> None:
    upload = finished_upload(staff_reader, entity, make_pdf(), "offerte.pdf")
    response = client_for(staff_reader).post(
        commit_url(entity), {"upload": str(upload.uuid), "folder": str(entity.uuid)}
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "That folder is not there any more."}
    assert not File.objects.exists()


# The plain form (no JavaScript).


def test_the_plain_form_uploads_a_pdf_and_goes_to_its_request_form(
    entity: Entity, staff_owner: User, staff_reader: User, client_for: ClientFor
) -> None:
    folder = create_folder(entity, actor=staff_owner, name="Contracten")
    client = client_for(staff_reader)

    response = client.post(
        upload_url(entity),
        {
            "folder": str(folder.uuid),
            "file": SimpleUploadedFile("offerte.pdf", make_pdf(), "application/pdf"),
        },
    )

    file = File.objects.get(entity=entity, name="offerte.pdf")
    assert response.status_code == 302
    assert response["Location"] == f"/files/{file.uuid}/request-signature/"
    assert file.folder == folder
    assert current_pdf(file) == make_pdf()
    assert file.current_version is not None
    assert file.current_version.content_type == "application/pdf"
    assert Event.objects.filter(
        verb=Event.Verb.FILE_UPLOADED, target_id=str(file.uuid)
    ).exists()
    page = client.get(response["Location"])
    assert "“offerte.pdf” has been uploaded." in page.content.decode()


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"just some text\n", "contract.pdf", "“contract.pdf” is not a PDF"),
        (b"Name;Amount\nDe Vries;12\n", "bedragen.csv", "is not a PDF"),
        (encrypted_pdf(), "beveiligd.pdf", "protected with a password"),
        (b"", "leeg.pdf", "is empty"),
        (b"MZ\x90\x00" + b"\x00" * 200, "setup.exe", "can run programs"),
    ],
    ids=["text-named-pdf", "csv", "encrypted", "empty", "program"],
)
def test_the_plain_form_refuses_what_cannot_be_signed_before_keeping_it(
    entity: Entity,
    staff_reader: User,
    client_for: ClientFor,
    settings: Any,
    content: bytes,
    filename: str,
    message: str,
) -> None:
    before = stored_blobs(settings)
    response = client_for(staff_reader).post(
        upload_url(entity),
        {"file": SimpleUploadedFile(filename, content, "application/pdf")},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert b'id="upload-document"' in response.content  # the pick page again
    assert not File.objects.exists()
    assert stored_blobs(settings) == before


def test_the_plain_form_needs_a_file_and_a_folder_of_the_entity(
    entity: Entity, staff_reader: User, client_for: ClientFor
) -> None:
    client = client_for(staff_reader)
    assert client.post(upload_url(entity), {}).status_code == 400
    response = client.post(
        upload_url(entity),
        {
            "folder": str(entity.uuid),
            "file": SimpleUploadedFile("offerte.pdf", make_pdf()),
        },
    )
    assert response.status_code == 400
    assert not File.objects.exists()


# Who may upload there: the same people who may pick a PDF there.


@pytest.mark.parametrize("kind", ["commit", "upload"])
def test_uploading_is_for_staff_who_create_activities_on_the_entity(
    entity: Entity,
    other_entity: Entity,
    outsider: User,
    contact: User,
    viewer_contact: User,
    staff_member: User,
    staff_reader: User,
    client_for: ClientFor,
    kind: str,
) -> None:
    url = commit_url(entity) if kind == "commit" else upload_url(entity)

    def post(user: User | None, target: str = url) -> int:
        client = client_for(user) if user else Client()
        upload = finished_upload(user or staff_reader, entity, make_pdf(), "x.pdf")
        data: dict[str, Any] = {
            "upload": str(upload.uuid),
            "file": SimpleUploadedFile("x.pdf", make_pdf()),
        }
        return client.post(target, data).status_code

    anonymous = Client().post(url, {})
    assert anonymous.status_code == 302
    assert "/accounts/" in anonymous["Location"]
    assert post(outsider) == 404
    assert post(staff_member) == 404  # no role on the entity: does not see it
    assert post(viewer_contact) == 403
    assert post(contact) == 403  # creates activities, but is not staff
    assert not File.objects.exists()
    elsewhere = url.replace(str(entity.uuid), str(other_entity.uuid))
    assert post(staff_reader, elsewhere) == 404
    assert post(staff_reader) == (201 if kind == "commit" else 302)
    assert File.objects.count() == 1
    assert Client().get(url).status_code == 302
    assert client_for(staff_reader).get(url).status_code == 405


def test_an_archived_entity_takes_no_upload(
    entity: Entity, staff_reader: User, client_for: ClientFor
) -> None:
    Entity.objects.filter(pk=entity.pk).update(archived_at=timezone.now())
    upload = finished_upload(staff_reader, entity, make_pdf(), "x.pdf")
    client = client_for(staff_reader)
    assert (
        client.post(commit_url(entity), {"upload": str(upload.uuid)}).status_code == 403
    )
    plain = {"file": SimpleUploadedFile("x.pdf", make_pdf())}
    assert client.post(upload_url(entity), plain).status_code == 403
    assert not File.objects.exists()


def test_the_pick_page_offers_the_upload_widget_and_the_plain_form(
    entity: Entity, staff_owner: User, staff_reader: User, client_for: ClientFor
) -> None:
    create_folder(entity, actor=staff_owner, name="Contracten")
    page = client_for(staff_reader).get(f"{PICK}?entity={entity.uuid}")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-commit-url="{commit_url(entity)}"' in html
    assert f'action="{upload_url(entity)}"' in html
    assert 'enctype="multipart/form-data"' in html
    assert ">Contracten</option>" in html
    assert "js/signature-pick.js" in html
    assert "upload one below" in html  # no PDF yet


# Recording the request: the document is prepared outside the transaction.


def test_the_document_is_prepared_and_stored_outside_the_transaction(
    certificate: None,
    document: File,
    staff_owner: User,
    contact: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    depth = len(connection.atomic_blocks)  # the test's own transaction
    store = storage.store_bytes
    seen: list[int] = []

    def watched(data: bytes, name: str) -> storage.StoredBlob:
        seen.append(len(connection.atomic_blocks))
        return store(data, name)

    monkeypatch.setattr(storage, "store_bytes", watched)
    actions.request_signature(
        document, actor=staff_owner, signers=[contact], subject="Contract"
    )
    assert seen == [depth]


def test_when_recording_fails_nothing_is_kept_not_even_the_prepared_copy(
    certificate: None,
    document: File,
    staff_owner: User,
    contact: User,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(request: Request, users: object = None) -> None:
        raise RuntimeError("the e-mail queue is down")

    before = stored_blobs(settings)
    monkeypatch.setattr(notify, "notify_signature_requested", broken)
    with pytest.raises(RuntimeError, match="queue is down"):
        actions.request_signature(
            document, actor=staff_owner, signers=[contact], subject="Contract"
        )
    assert not Request.objects.exists()
    assert not SignatureRequest.objects.exists()
    assert not Event.objects.filter(verb=Event.Verb.REQUEST_CREATED).exists()
    assert stored_blobs(settings) == before


# The boxes: moved and resized on the preview, checked by the server.


def post_box(client: Client, file: File, contact: User, **box: str) -> Any:
    return client.post(
        f"/files/{file.uuid}/request-signature/",
        {
            "subject": "Contract",
            "signers": [str(contact.uuid)],
            "box_page": [box.get("page", "0")],
            "box_x": [box.get("x", "50")],
            "box_y": [box.get("y", "500")],
            "box_width": [box.get("width", "")],
            "box_height": [box.get("height", "")],
        },
    )


@pytest.fixture
def document(entity: Entity, staff_owner: User) -> File:
    return add(entity, staff_owner, "contract.pdf", make_pdf(text=""))


def test_a_resized_box_lands_in_the_signer_row_and_the_stamp_fills_it(
    certificate: None,
    document: File,
    staff_reader: User,
    contact: User,
    client_for: ClientFor,
    tmp_path: Path,
) -> None:
    response = post_box(
        client_for(staff_reader),
        document,
        contact,
        x="50",
        y="500.25",
        width="420",
        height="150.5",
    )
    assert response.status_code == 302, response.content
    signing = SignatureRequest.objects.get(file=document)
    row = signing.signers.get()
    assert (row.page, row.x, row.y, row.width, row.height) == (
        0,
        50.0,
        500.25,
        420.0,
        150.5,
    )

    run_commit_callbacks(
        lambda: actions.sign(
            signing, actor=contact, consent=True, typed_name="Daan de Vries"
        )
    )
    signing.refresh_from_db()
    assert signing.state == SignatureRequest.State.COMPLETED
    image = rendered_by_poppler(current_pdf(document), 0, tmp_path)
    box = (50, 500.25, 420, 150.5)
    inside = ink(image, box)
    assert inside > 1500, "the stamp fills its large box"
    assert ink(image, (0, 0, image.width, image.height)) - inside < 20
    # The typed name is drawn across the box, not in a default-sized corner.
    assert ink(image, (50 + 420 * 0.6, 500.25, 420 * 0.4, 150.5 * 0.6)) > 100


def test_the_smallest_box_allowed_is_accepted(
    certificate: None,
    document: File,
    staff_reader: User,
    contact: User,
    client_for: ClientFor,
) -> None:
    response = post_box(
        client_for(staff_reader), document, contact, width="100.00", height="30.00"
    )
    assert response.status_code == 302, response.content
    row = SignatureRequest.objects.get(file=document).signers.get()
    assert (row.width, row.height) == (100.0, 30.0)


@pytest.mark.parametrize(
    ("box", "message"),
    [
        ({"width": "99"}, "The signature box is too small."),
        ({"height": "20"}, "The signature box is too small."),
        ({"width": "-200"}, "The signature box is too small."),
        ({"x": "300", "width": "400"}, "The signature box does not fit on the page."),
        ({"y": "800", "height": "100"}, "The signature box does not fit on the page."),
        ({"x": "0", "width": "600"}, "The signature box does not fit on the page."),
        ({"width": "nan"}, "The signature box does not fit on the page."),
        ({"height": "inf"}, "The signature box does not fit on the page."),
        ({"width": "wide"}, "The signature box does not fit on the page."),
    ],
    ids=[
        "narrow",
        "low",
        "negative",
        "off-right",
        "off-bottom",
        "wider-than-page",
        "nan",
        "inf",
        "not-a-number",
    ],
)
def test_a_box_too_small_or_off_the_page_is_refused(
    certificate: None,
    document: File,
    staff_reader: User,
    contact: User,
    client_for: ClientFor,
    box: dict[str, str],
    message: str,
) -> None:
    response = post_box(client_for(staff_reader), document, contact, **box)
    assert response.status_code == 400
    assert message.encode() in response.content
    assert not Request.objects.exists()


def test_a_refused_form_keeps_the_boxes_size(
    certificate: None,
    document: File,
    staff_reader: User,
    contact: User,
    client_for: ClientFor,
) -> None:
    response = client_for(staff_reader).post(
        f"/files/{document.uuid}/request-signature/",
        {
            "subject": "",
            "signers": [str(contact.uuid)],
            "box_page": ["0"],
            "box_x": ["50"],
            "box_y": ["500"],
            "box_width": ["321.5"],
            "box_height": ["88"],
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert '<input type="hidden" name="box_width" value="321.5">' in html
    assert '<input type="hidden" name="box_height" value="88">' in html
    assert 'data-min-width="100.000000"' in html
    assert 'data-min-height="30.000000"' in html


def test_placed_box_takes_the_default_size_and_a_small_page_whole() -> None:
    info = pdf.inspect(make_pdf([(*A4, 0), (90.0, 25.0, 0)]))
    default = boxes.placed_box(info, page=0, x=10, y=10)
    assert (default.width, default.height) == (200.0, 70.0)
    # On a page smaller than the smallest box, the box may fill the page.
    whole = boxes.placed_box(info, page=1, x=0, y=0, width=90, height=25)
    assert (whole.width, whole.height) == (90.0, 25.0)
    assert boxes.min_box_size(info.pages[1]) == (90.0, 25.0)


# The engine stamps a box of any size allowed, on any page.


@pytest.fixture(scope="module")
def credentials() -> pdf.Credentials:
    pair = certificates.generate_self_signed("Kantoor Test BV", organization="Test")
    return pdf.Credentials(pair.certificate, pair.private_key, pair.chain)


@pytest.mark.parametrize(
    ("page", "size"),
    [
        ((*A4, 0), (100.0, 30.0)),
        ((*A4, 0), (500.0, 300.0)),
        ((*A4, 90), (700.0, 120.0)),  # landscape as displayed
        ((*A4, 270), (150.0, 400.0)),
    ],
    ids=["smallest", "large", "rotate-90-wide", "rotate-270-tall"],
)
def test_the_stamp_fills_a_box_of_any_allowed_size(
    credentials: pdf.Credentials,
    tmp_path: Path,
    page: tuple[float, float, int],
    size: tuple[float, float],
) -> None:
    data = make_pdf([page], text="")
    shown = pdf.inspect(data).pages[0]
    width, height = size
    box = pdf.SignatureBox(
        page=0,
        x=shown.width - width - 20,
        y=shown.height - height - 30,
        width=width,
        height=height,
    )

    signed = pdf.stamp_and_sign(
        data,
        box=box,
        signer_name="Daan de Vries",
        signed_at=timezone.now(),
        credentials=credentials,
        typed_name="Daan de Vries",
    )

    image = rendered_by_poppler(signed.data, 0, tmp_path)
    inside = ink(image, (box.x, box.y, box.width, box.height))
    everywhere = ink(image, (0, 0, image.width, image.height))
    assert inside > 100, "the stamp is drawn in its box"
    assert everywhere - inside < 20, "and nowhere else"
    # The signature uses the box: ink in its left and right halves.
    left = ink(image, (box.x, box.y, box.width / 2, box.height))
    assert left > 20
    assert inside - left > 20
