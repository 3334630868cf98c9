"""/api/v1: signature requests through the API, with the same access and
actions as the Signatures pages: asking for signatures on a file, the signing
side (read, download, consent, sign, decline, the e-mail code), Verify and the
firm's signing certificate."""

import base64
import io
import re
from typing import TYPE_CHECKING, Any

import pytest
from django.core import mail
from django.test import Client
from PIL import Image

from loket.accounts.models import User
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.files import storage
from loket.files.models import File
from loket.requests.models import Comment, Request
from loket.roles.models import RoleAssignment
from loket.signatures import actions, drawing, pdf
from loket.signatures.models import SignatureRequest, Signer, firm_trust_roots
from tests.conftest import ClientFor, grant
from tests.files_support import add
from tests.pdfs import make_pdf, signature_png
from tests.test_api_support import API, events, send, token_client

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

UNAUTHORIZED = {"detail": "Unauthorized"}


def ask(
    document: File,
    signers: list[User],
    *,
    actor: User,
    ordered: bool = True,
    email_code: bool = False,
) -> Request:
    return actions.request_signature(
        document,
        actor=actor,
        signers=signers,
        ordered=ordered,
        subject="Contract",
        email_code=email_code,
    )


@pytest.fixture
def pending(
    certificate: None, document: File, staff_owner: User, contact: User
) -> Request:
    return ask(document, [contact], actor=staff_owner)


def signing_url(request: Request, step: str = "") -> str:
    return f"{API}/requests/{request.uuid}/signing" + (f"/{step}" if step else "")


def signing_of(request: Request) -> SignatureRequest:
    return SignatureRequest.objects.get(request=request)


def png_b64(data: bytes | None = None) -> str:
    return base64.b64encode(signature_png() if data is None else data).decode()


def downloaded(response: "Response") -> bytes:
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


def verify_upload(client: Client, data: bytes, name: str = "signed.pdf") -> "Response":
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(f"{API}/signatures/verify", {"file": upload})


def detail_messages(response: "Response") -> str:
    detail = response.json()["detail"]
    if isinstance(detail, str):
        return detail
    return " ".join(item["msg"] for item in detail)


# Every endpoint refuses anonymous callers.

ENDPOINTS = [
    ("post", "files/{file}/signature-requests"),
    ("get", "requests/{request}/signing"),
    ("get", "requests/{request}/signing/document"),
    ("post", "requests/{request}/signing/consent"),
    ("post", "requests/{request}/signing/sign"),
    ("post", "requests/{request}/signing/decline"),
    ("post", "requests/{request}/signing/code"),
    ("post", "requests/{request}/signing/code/confirm"),
    ("post", "signatures/verify"),
    ("get", "signing-certificate"),
]
REQUEST_ENDPOINTS = [(m, p) for m, p in ENDPOINTS if "{request}" in p]


def _path(template: str, request: Request, document: File) -> str:
    return f"{API}/" + template.format(request=request.uuid, file=document.uuid)


def call(client: Client, method: str, url: str, body: Any) -> "Response":
    """A JSON body for POST, none for GET."""
    return send(client, method, url, body if method == "post" else None)


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_anonymous_gets_401(
    pending: Request, document: File, method: str, path: str
) -> None:
    before = Event.objects.count()
    response = call(Client(), method, _path(path, pending, document), {"x": 1})
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    assert Event.objects.count() == before


@pytest.mark.parametrize(("method", "path"), REQUEST_ENDPOINTS)
def test_an_outsider_gets_404_for_the_signing(
    pending: Request,
    document: File,
    outsider: User,
    client_for: ClientFor,
    method: str,
    path: str,
) -> None:
    body = {"reason": "x", "code": "123456", "typed_name": "Eva", "consent": True}
    response = call(client_for(outsider), method, _path(path, pending, document), body)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


@pytest.mark.parametrize(("method", "path"), REQUEST_ENDPOINTS)
def test_a_file_request_is_not_a_signing(
    entity: Entity,
    staff_owner: User,
    contact: User,
    document: File,
    client_for: ClientFor,
    method: str,
    path: str,
) -> None:
    from loket.requests import actions as request_actions

    asked = request_actions.create_request(
        entity, actor=staff_owner, recipients=[contact], subject="Jaarstukken"
    )
    body = {"reason": "x", "code": "123456", "typed_name": "Daan", "consent": True}
    response = call(client_for(contact), method, _path(path, asked, document), body)
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [(m, p) for m, p in REQUEST_ENDPOINTS if m == "post"],
)
def test_staff_who_see_the_request_may_not_act_as_a_signer(
    pending: Request,
    document: File,
    staff_reader: User,
    method: str,
    path: str,
) -> None:
    before = Event.objects.count()
    body = {"reason": "Not mine", "code": "123456", "typed_name": "Ruud"}
    client = token_client(staff_reader)
    assert send(client, "get", signing_url(pending)).status_code == 200
    response = call(client, method, _path(path, pending, document), body)
    assert response.status_code == 403
    assert response.json() == {"detail": "Forbidden"}
    assert Event.objects.count() == before + 1  # the token's creation only
    assert not Signer.objects.exclude(status=Signer.Status.WAITING).exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [(m, p) for m, p in REQUEST_ENDPOINTS if m == "post"],
)
def test_a_signer_reduced_to_entity_access_may_not_act(
    pending: Request,
    document: File,
    contact: User,
    entity: Entity,
    client_for: ClientFor,
    method: str,
    path: str,
) -> None:
    RoleAssignment.objects.filter(user=contact).delete()
    grant(contact, "contact-entity-access", entity)
    client = client_for(contact)
    seen = send(client, "get", signing_url(pending))
    assert seen.status_code == 200
    assert seen.json()["caller"] is None
    body = {"reason": "x", "code": "123456", "typed_name": "Daan", "consent": True}
    response = call(client, method, _path(path, pending, document), body)
    assert response.status_code == 403
    row = signing_of(pending).signers.get()
    assert (row.status, row.consented_at) == (Signer.Status.WAITING, None)


# Asking for signatures.


def create_url(document: File) -> str:
    return f"{API}/files/{document.uuid}/signature-requests"


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("outsider", 404),
        ("staff_member", 404),
        ("contact", 403),
        ("viewer_contact", 403),
    ],
)
def test_only_staff_who_create_activities_ask_for_signatures(
    certificate: None,
    document: File,
    contact: User,
    persona: str,
    status: int,
    request: pytest.FixtureRequest,
    client_for: ClientFor,
) -> None:
    user: User = request.getfixturevalue(persona)
    body = {"signers": [str(contact.uuid)], "subject": "Contract"}
    response = send(client_for(user), "post", create_url(document), body)
    assert response.status_code == status
    assert not Request.objects.exists()


def test_a_reader_asks_two_signers_with_a_placed_box_and_a_default_one(
    certificate: None,
    document: File,
    staff_reader: User,
    contact: User,
    second_contact: User,
) -> None:
    response = send(
        token_client(staff_reader),
        "post",
        create_url(document),
        {
            "signers": [str(second_contact.uuid), str(contact.uuid)],
            "boxes": [{"page": 0, "x": 72, "y": 100, "width": 150, "height": 50}, None],
            "ordered": False,
            "subject": "Contract 2026",
            "message": "Graag tekenen.",
            "due_date": "2099-01-31",
            "email_code": True,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    request = Request.objects.get(uuid=body["request"])
    assert (request.kind, request.status) == (
        Request.Kind.SIGNATURE,
        Request.Status.AWAITING,
    )
    assert request.created_by == staff_reader
    assert request.additional_message == "Graag tekenen."
    assert str(request.due_date) == "2099-01-31"
    signing = signing_of(request)
    assert (signing.ordered, signing.auth_method) == (False, "email")
    assert signing.file == document
    rows = list(signing.signers.order_by("position"))
    assert [row.user for row in rows] == [second_contact, contact]
    assert (rows[0].page, rows[0].x, rows[0].y) == (0, 72.0, 100.0)
    assert (rows[0].width, rows[0].height) == (150.0, 50.0)
    assert rows[1].box == pdf.SignatureBox.default(
        pdf.inspect(storage.read_blob(document.current_version.blob))  # type: ignore[union-attr]
    )
    assert body["state"] == "open"
    assert body["auth_method"] == "email"
    assert body["file"] == str(document.uuid)
    assert body["sha256_original"] == document.current_version.sha256  # type: ignore[union-attr]
    assert body["signed_version"] is None
    assert [s["person"]["uuid"] for s in body["signers"]] == [
        str(second_contact.uuid),
        str(contact.uuid),
    ]
    assert body["signers"][0]["box"]["x"] == 72.0
    assert body["caller"] is None
    created = events(Event.Verb.REQUEST_CREATED)
    assert len(created) == 1
    assert created[0].actor == staff_reader
    assert created[0].data["signers"] == [second_contact.email, contact.email]
    assert events(Event.Verb.REQUEST_SENT)[0].entity == document.entity
    told = {address for message in mail.outbox for address in message.to}
    assert {contact.email, second_contact.email} <= told


def test_without_boxes_every_signer_gets_a_stacked_default_box(
    certificate: None,
    document: File,
    staff_reader: User,
    contact: User,
    second_contact: User,
) -> None:
    body = {
        "signers": [str(contact.uuid), str(second_contact.uuid)],
        "subject": "Contract",
    }
    response = send(token_client(staff_reader), "post", create_url(document), body)
    assert response.status_code == 201, response.content
    first, second = (s["box"] for s in response.json()["signers"])
    assert first["page"] == second["page"]
    assert second["y"] + second["height"] <= first["y"]  # stacked upwards
    assert response.json()["auth_method"] == "email"  # the page's default too


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"signers": []}, "signers", "Choose at least one signer."),
        ("duplicate", "signers", "Name each signer once."),
        ("viewer", "signers", "cannot be asked to sign for this entity"),
        ("stranger", "signers", "cannot be asked to sign for this entity"),
        (
            {"boxes": [{"page": 3, "x": 10, "y": 10}]},
            "boxes",
            "This page does not exist.",
        ),
        (
            {"boxes": [{"page": 0, "x": 580, "y": 10}]},
            "boxes",
            "The signature box does not fit on the page.",
        ),
        (
            {"boxes": [{"page": 0, "x": 10, "y": 10, "width": 20, "height": 10}]},
            "boxes",
            "The signature box is too small.",
        ),
        ({"boxes": [None, None]}, "boxes", "Give one signature box per signer."),
        ({"due_date": "2000-01-01"}, "", "past"),
        ({"subject": "  "}, "", "subject"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_made(
    certificate: None,
    document: File,
    staff_reader: User,
    contact: User,
    viewer_contact: User,
    outsider: User,
    change: Any,
    field: str,
    message: str,
) -> None:
    body: dict[str, Any] = {"signers": [str(contact.uuid)], "subject": "Contract"}
    if change == "duplicate":
        body["signers"] = [str(contact.uuid), str(contact.uuid)]
    elif change == "viewer":
        body["signers"] = [str(contact.uuid), str(viewer_contact.uuid)]
    elif change == "stranger":
        body["signers"] = [str(outsider.uuid)]
    else:
        body.update(change)
    before = Event.objects.count()
    response = send(token_client(staff_reader), "post", create_url(document), body)
    assert response.status_code == 422, response.content
    assert message.lower() in detail_messages(response).lower()
    if field:
        assert ["body", field] in [item["loc"] for item in response.json()["detail"]]
    assert not Request.objects.exists()
    assert not SignatureRequest.objects.exists()
    assert Event.objects.count() == before + 1  # the token's creation only


def test_without_the_firms_certificate_asking_is_refused(
    document: File, staff_reader: User, contact: User
) -> None:
    body = {"signers": [str(contact.uuid)], "subject": "Contract"}
    response = send(token_client(staff_reader), "post", create_url(document), body)
    assert response.status_code == 422
    assert "signing certificate" in detail_messages(response)
    assert not Request.objects.exists()


def test_a_file_that_is_not_a_pdf_is_refused(
    certificate: None, entity: Entity, staff_reader: User, contact: User
) -> None:
    text = add(entity, staff_reader, "notes.txt", b"just some text\n")
    body = {
        "signers": [str(contact.uuid)],
        "subject": "Contract",
        "boxes": [{"page": 0, "x": 10, "y": 10}],
    }
    response = send(token_client(staff_reader), "post", create_url(text), body)
    assert response.status_code == 422
    assert "not a PDF" in detail_messages(response)
    assert not Request.objects.exists()


def test_the_message_is_translated_for_a_dutch_caller(
    certificate: None, document: File, staff_reader: User
) -> None:
    staff_reader.language = "nl"
    staff_reader.save()
    body: dict[str, Any] = {"signers": [], "subject": "Contract"}
    response = send(token_client(staff_reader), "post", create_url(document), body)
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "signers"],
            "msg": "Kies ten minste één ondertekenaar.",
            "type": "required",
        }
    ]


# Reading the signing side.


def test_a_signer_reads_the_signing_with_their_own_part(
    pending: Request, contact: User, client_for: ClientFor
) -> None:
    response = client_for(contact).get(signing_url(pending))
    assert response.status_code == 200
    body = response.json()
    assert body["request"] == str(pending.uuid)
    assert body["status"] == "awaiting"
    assert body["state"] == "open"
    assert body["processing"] is False
    assert body["caller"] == {
        "position": 0,
        "status": "waiting",
        "needs_code": False,
        "waiting_for": [],
    }
    (signer,) = body["signers"]
    assert signer["name"] == str(contact)
    assert signer["status"] == "waiting"
    assert signer["ip_address"] is None
    assert body["problem"] is None
    # Reading the JSON is not viewing the document.
    assert not events(Event.Verb.SIGNATURE_VIEWED)


def test_a_contact_who_is_not_a_signer_gets_404(
    pending: Request, second_contact: User, client_for: ClientFor
) -> None:
    client = client_for(second_contact)
    assert client.get(signing_url(pending)).status_code == 404
    assert client.get(signing_url(pending, "document")).status_code == 404


def test_the_document_download_is_the_working_pdf_and_records_the_view(
    pending: Request, contact: User, client_for: ClientFor
) -> None:
    client = client_for(contact)
    response = client.get(signing_url(pending, "document"), REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert "contract.pdf" in response["Content-Disposition"]
    data = downloaded(response)
    assert pdf.sha256(data) == signing_of(pending).sha256_prepared
    assert pdf.inspect(data).page_count == 2  # with the evidence page
    client.get(signing_url(pending, "document"))
    (viewed,) = events(Event.Verb.SIGNATURE_VIEWED)
    assert viewed.actor == contact
    assert viewed.data == {"ip": "10.1.2.3"}
    assert signing_of(pending).signers.get().viewed_at is not None


def test_staff_download_the_document_without_a_view_recorded(
    pending: Request, staff_reader: User
) -> None:
    response = token_client(staff_reader).get(signing_url(pending, "document"))
    assert response.status_code == 200
    assert downloaded(response).startswith(b"%PDF")
    assert not events(Event.Verb.SIGNATURE_VIEWED)
    assert signing_of(pending).signers.get().viewed_at is None


# Consent, signing, declining.


def test_consent_is_recorded_once(
    pending: Request, contact: User, client_for: ClientFor
) -> None:
    client = client_for(contact)
    response = send(client, "post", signing_url(pending, "consent"))
    assert response.status_code == 200
    assert response.json()["signers"][0]["consented_at"] is not None
    assert send(client, "post", signing_url(pending, "consent")).status_code == 200
    assert len(events(Event.Verb.SIGNATURE_CONSENTED)) == 1
    assert signing_of(pending).signers.get().consented_at is not None


def test_a_signer_signs_with_a_typed_name(
    pending: Request, contact: User, client_for: ClientFor
) -> None:
    client = client_for(contact)
    client.defaults.update(HTTP_USER_AGENT="LoketCLI/1.0", REMOTE_ADDR="10.9.8.7")
    response = send(
        client,
        "post",
        signing_url(pending, "sign"),
        {"consent": True, "typed_name": "  Daan   Tester "},
    )
    assert response.status_code == 200, response.content
    assert response.json()["signers"][0]["status"] == "signed"
    assert response.json()["signers"][0]["method"] == "typed"
    row = signing_of(pending).signers.get()
    assert row.status == Signer.Status.SIGNED
    assert (row.typed_name, row.image_png) == ("Daan Tester", None)
    assert (row.ip_address, row.user_agent) == ("10.9.8.7", "LoketCLI/1.0")
    (signed,) = events(Event.Verb.SIGNATURE_SIGNED)
    assert signed.data == {
        "method": "typed",
        "ip": "10.9.8.7",
        "user_agent": "LoketCLI/1.0",
    }
    # The worker ran after the commit: the only signer, so it is completed.
    pending.refresh_from_db()
    assert pending.status == Request.Status.COMPLETED
    again = send(
        client, "post", signing_url(pending, "sign"), {"typed_name": "Daan Tester"}
    )
    assert again.status_code == 409


def test_staff_see_the_signers_ip_address_and_user_agent(
    pending: Request, contact: User, staff_reader: User, client_for: ClientFor
) -> None:
    send(
        client_for(contact),
        "post",
        signing_url(pending, "sign"),
        {"consent": True, "typed_name": "Daan"},
    )
    (staff_view,) = (
        token_client(staff_reader).get(signing_url(pending)).json()["signers"]
    )
    assert staff_view["ip_address"] == "127.0.0.1"
    assert staff_view["user_agent"] == ""
    (own_view,) = client_for(contact).get(signing_url(pending)).json()["signers"]
    assert own_view["ip_address"] is None
    assert own_view["user_agent"] is None


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"typed_name": "Daan"}, "consent", "agree to sign"),
        ({"consent": True}, "signature", "Draw your signature or type your name."),
        (
            {"consent": True, "typed_name": "Daan", "drawing": "x"},
            "signature",
            "not both",
        ),
        ({"consent": True, "drawing": "not base64!"}, "drawing", "could not be read"),
        (
            {"consent": True, "drawing": base64.b64encode(b"GIF89a....").decode()},
            "drawing",
            "not a PNG image",
        ),
        (
            {"consent": True, "drawing": "data:image/png;base64," + png_b64()[:200]},
            "drawing",
            "not a PNG image",
        ),
        ("transparent", "drawing", "The drawn signature is empty."),
    ],
)
def test_a_bad_signature_is_refused_and_nothing_recorded(
    pending: Request,
    contact: User,
    client_for: ClientFor,
    body: Any,
    field: str,
    message: str,
) -> None:
    if body == "transparent":
        blank = io.BytesIO()
        Image.new("RGBA", (200, 80), (0, 0, 0, 0)).save(blank, format="PNG")
        body = {"consent": True, "drawing": png_b64(blank.getvalue())}
    response = send(client_for(contact), "post", signing_url(pending, "sign"), body)
    assert response.status_code == 422, response.content
    assert message in detail_messages(response)
    assert response.json()["detail"][0]["loc"] == ["body", field]
    row = signing_of(pending).signers.get()
    assert (row.status, row.signed_at) == (Signer.Status.WAITING, None)
    assert not events(Event.Verb.SIGNATURE_SIGNED)


def test_a_drawing_over_the_size_limit_is_refused(
    pending: Request,
    contact: User,
    client_for: ClientFor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    png = signature_png()
    monkeypatch.setattr(drawing, "MAX_DRAWING_BYTES", len(png) - 1)
    body = {"consent": True, "drawing": png_b64(png)}
    response = send(client_for(contact), "post", signing_url(pending, "sign"), body)
    assert response.status_code == 422
    assert "This drawing is too large." in detail_messages(response)
    assert not events(Event.Verb.SIGNATURE_SIGNED)
    monkeypatch.setattr(drawing, "MAX_DRAWING_BYTES", len(png))
    response = send(client_for(contact), "post", signing_url(pending, "sign"), body)
    assert response.status_code == 200, response.content
    assert signing_of(pending).signers.get().status == Signer.Status.SIGNED
    assert events(Event.Verb.SIGNATURE_SIGNED)[0].data["method"] == "drawn"


def test_a_drawn_signature_as_a_data_url_is_stamped(
    pending: Request, contact: User, client_for: ClientFor
) -> None:
    body = {"consent": True, "drawing": "data:image/png;base64," + png_b64()}
    response = send(client_for(contact), "post", signing_url(pending, "sign"), body)
    assert response.status_code == 200, response.content
    assert response.json()["signers"][0]["method"] == "drawn"
    row = signing_of(pending).signers.get()
    assert (row.status, row.typed_name) == (Signer.Status.SIGNED, "")
    assert row.stamped_at is not None
    pending.refresh_from_db()
    assert pending.status == Request.Status.COMPLETED
    assert events(Event.Verb.SIGNATURE_SIGNED)[0].data["method"] == "drawn"


def test_declining_closes_the_request_with_the_reason(
    pending: Request, contact: User, client_for: ClientFor
) -> None:
    client = client_for(contact)
    empty = send(client, "post", signing_url(pending, "decline"), {"reason": "  "})
    assert empty.status_code == 422
    assert "Say why you decline to sign." in detail_messages(empty)
    response = send(
        client, "post", signing_url(pending, "decline"), {"reason": "Wrong amount"}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["status"]) == ("declined", "cancelled")
    assert body["signers"][0]["decline_reason"] == "Wrong amount"
    assert body["signers"][0]["declined_at"] is not None
    pending.refresh_from_db()
    assert pending.status == Request.Status.CANCELLED
    assert signing_of(pending).state == SignatureRequest.State.DECLINED
    assert Comment.objects.filter(request=pending, body__contains="Wrong amount")
    (declined,) = events(Event.Verb.SIGNATURE_DECLINED)
    assert declined.data == {"reason": "Wrong amount"}
    closed = send(
        client,
        "post",
        signing_url(pending, "sign"),
        {"consent": True, "typed_name": "D"},
    )
    assert closed.status_code == 409
    assert "closed" in closed.json()["detail"]


# The e-mail code.


@pytest.fixture
def with_code(
    certificate: None, document: File, staff_owner: User, contact: User
) -> Request:
    return ask(document, [contact], actor=staff_owner, email_code=True)


def last_code(user: User) -> str:
    sent = [str(m.body) for m in mail.outbox if user.email in m.to]
    found = re.search(r"\b(\d{6})\b", sent[-1])
    assert found is not None
    return found.group(1)


def test_signing_with_an_email_code(
    with_code: Request, contact: User, client_for: ClientFor
) -> None:
    client = client_for(contact)
    signature = {"consent": True, "typed_name": "Daan"}
    assert client.get(signing_url(with_code)).json()["caller"]["needs_code"] is True
    early = send(client, "post", signing_url(with_code, "sign"), signature)
    assert early.status_code == 422
    assert "code sent to you" in detail_messages(early)

    mail.outbox.clear()
    sent = send(client, "post", signing_url(with_code, "code"))
    assert sent.status_code == 200
    assert [m.to for m in mail.outbox] == [[contact.email]]
    code = last_code(contact)
    assert code not in signing_of(with_code).signers.get().code_hash
    (sent_event,) = events(Event.Verb.SIGNATURE_CODE_SENT)
    assert sent_event.data == {"to": contact.email}
    throttled = send(client, "post", signing_url(with_code, "code"))
    assert throttled.status_code == 422
    assert "wait a little" in detail_messages(throttled)

    wrong = "000000" if code != "000000" else "111111"
    refused = send(
        client, "post", signing_url(with_code, "code/confirm"), {"code": wrong}
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "code"]
    assert "not right" in detail_messages(refused)
    assert signing_of(with_code).signers.get().code_attempts == 1
    assert len(events(Event.Verb.SIGNATURE_CODE_FAILED)) == 1

    confirmed = send(
        client, "post", signing_url(with_code, "code/confirm"), {"code": code}
    )
    assert confirmed.status_code == 200
    assert confirmed.json()["caller"]["needs_code"] is False
    assert len(events(Event.Verb.SIGNATURE_CODE_VERIFIED)) == 1
    signed = send(client, "post", signing_url(with_code, "sign"), signature)
    assert signed.status_code == 200, signed.content
    assert signing_of(with_code).signers.get().status == Signer.Status.SIGNED


def test_a_request_without_a_code_sends_none(
    pending: Request, contact: User, client_for: ClientFor
) -> None:
    mail.outbox.clear()
    response = send(client_for(contact), "post", signing_url(pending, "code"))
    assert response.status_code == 422
    assert "needs no code" in detail_messages(response)
    assert not mail.outbox
    assert not events(Event.Verb.SIGNATURE_CODE_SENT)


# The whole flow through the API.


def test_two_signers_in_order_through_the_api(
    certificate: None,
    document: File,
    staff_reader: User,
    contact: User,
    second_contact: User,
    client_for: ClientFor,
) -> None:
    staff = token_client(staff_reader)
    created = send(
        staff,
        "post",
        create_url(document),
        {
            "signers": [str(contact.uuid), str(second_contact.uuid)],
            "subject": "Contract 2026",
            "ordered": True,
            "email_code": False,
        },
    )
    assert created.status_code == 201, created.content
    request = Request.objects.get(uuid=created.json()["request"])
    first, second = client_for(contact), client_for(second_contact)

    waiting = second.get(signing_url(request)).json()["caller"]
    assert [p["uuid"] for p in waiting["waiting_for"]] == [str(contact.uuid)]
    too_early = send(
        second,
        "post",
        signing_url(request, "sign"),
        {"consent": True, "typed_name": "Sanne Tester"},
    )
    assert too_early.status_code == 409
    assert "must sign first" in too_early.json()["detail"]
    assert not events(Event.Verb.SIGNATURE_SIGNED)

    typed = send(
        first,
        "post",
        signing_url(request, "sign"),
        {"consent": True, "typed_name": "Daan Tester"},
    )
    assert typed.status_code == 200, typed.content
    after_first = staff.get(signing_url(request)).json()
    assert after_first["state"] == "open"
    assert after_first["processing"] is False  # stamped by the worker already
    assert second.get(signing_url(request)).json()["caller"]["waiting_for"] == []

    drawn = send(
        second,
        "post",
        signing_url(request, "sign"),
        {"consent": True, "drawing": png_b64()},
    )
    assert drawn.status_code == 200, drawn.content

    done = staff.get(signing_url(request)).json()
    assert (done["state"], done["status"]) == ("completed", "completed")
    assert [s["method"] for s in done["signers"]] == ["typed", "drawn"]
    document.refresh_from_db()
    version = document.current_version
    assert version is not None
    assert version.number == 2
    assert done["signed_version"] == str(version.uuid)
    assert done["sha256_signed"] == version.sha256
    assert len(events(Event.Verb.SIGNATURE_SIGNED)) == 2
    assert len(events(Event.Verb.SIGNATURE_COMPLETED)) == 1

    download = staff.get(
        f"{API}/files/{document.uuid}/versions/{version.uuid}/download"
    )
    assert download.status_code == 200
    data = downloaded(download)
    assert downloaded(second.get(signing_url(request, "document"))) == data
    reports = pdf.verify(data, trust_roots=firm_trust_roots())
    assert len(reports) == 3  # two signers and the firm's seal
    assert all(report.valid and report.trusted for report in reports), reports
    assert [r.signer_name for r in reports[:2]] == [str(contact), str(second_contact)]

    checked = verify_upload(staff, data)
    assert checked.status_code == 200, checked.content
    assert [r["signer_name"] for r in checked.json()[:2]] == [
        str(contact),
        str(second_contact),
    ]
    assert all(r["valid"] and r["trusted"] for r in checked.json())


# Verify.


def test_any_signed_in_user_verifies_a_pdf_and_nothing_is_kept(
    pending: Request, contact: User, outsider: User, client_for: ClientFor
) -> None:
    send(
        client_for(contact),
        "post",
        signing_url(pending, "sign"),
        {"consent": True, "typed_name": "Daan Tester"},
    )
    version = signing_of(pending).signed_version
    assert version is not None
    data = storage.read_blob(version.blob)
    before = (Event.objects.count(), File.objects.count())
    response = verify_upload(client_for(outsider), data)
    assert response.status_code == 200, response.content
    first, seal = response.json()
    assert first["signer_name"] == str(contact)
    assert (first["intact"], first["trusted"]) == (True, True)
    assert first["changed_after"] is False
    assert first["certificate_fingerprint"]
    assert seal["covers_whole_file"] is True
    assert (Event.objects.count(), File.objects.count()) == before


def test_verify_reports_an_unsigned_pdf_as_having_no_signatures(
    staff_reader: User,
) -> None:
    response = verify_upload(token_client(staff_reader), make_pdf())
    assert response.status_code == 200
    assert response.json() == []


def test_verify_refuses_what_is_not_a_pdf_or_no_file(
    contact: User, client_for: ClientFor
) -> None:
    client = client_for(contact)
    response = verify_upload(client, b"just some text\n", "notes.txt")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "file"]
    assert "not a PDF" in detail_messages(response)
    missing = client.post(f"{API}/signatures/verify", {})
    assert missing.status_code == 422


def test_verify_refuses_a_file_over_the_limit(
    contact: User, client_for: ClientFor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from loket.signatures import forms

    monkeypatch.setattr(forms, "MAX_VERIFY_SIZE", 100)
    response = verify_upload(client_for(contact), make_pdf())
    assert response.status_code == 422
    assert "too large" in detail_messages(response)


# The signing certificate.


def test_settings_managers_read_the_certificate_but_never_its_key(
    certificate: None, settings_admin: User
) -> None:
    response = token_client(settings_admin).get(f"{API}/signing-certificate")
    assert response.status_code == 200
    body = response.json()
    assert body["common_name"] == "Kantoor Test BV"
    assert body["self_signed"] is True
    assert body["source"] == "generated"
    assert (body["expired"], body["expires_soon"]) == (False, False)
    assert re.fullmatch(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", body["fingerprint_sha256"])
    text = response.content.decode()
    assert "PRIVATE" not in text
    assert "BEGIN" not in text
    assert not {"encrypted_private_key", "key_protection", "id"} & set(body)


@pytest.mark.parametrize("persona", ["staff_reader", "contact", "staff_member"])
def test_the_certificate_is_for_settings_managers_only(
    certificate: None,
    persona: str,
    request: pytest.FixtureRequest,
    client_for: ClientFor,
) -> None:
    user: User = request.getfixturevalue(persona)
    response = client_for(user).get(f"{API}/signing-certificate")
    assert response.status_code == 403
    assert response.json() == {"detail": "Forbidden"}


def test_without_a_certificate_there_is_none_to_read(settings_admin: User) -> None:
    response = token_client(settings_admin).get(f"{API}/signing-certificate")
    assert response.status_code == 404
