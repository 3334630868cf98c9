"""The Verify page: anyone signed in uploads a PDF and sees its signatures;
nothing is stored."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from loket.accounts.models import User
from loket.audit.models import Event
from loket.signatures import certificates, pdf
from loket.signatures.actions import generate_signing_certificate
from loket.signatures.models import SigningCertificate
from tests.conftest import ClientFor
from tests.pdfs import make_pdf

pytestmark = pytest.mark.django_db

URL = "/signatures/verify/"


def signed_pdf(credentials: pdf.Credentials, *, text: str = "Hello") -> bytes:
    return pdf.stamp_and_sign(
        make_pdf(text=text),
        box=pdf.SignatureBox(page=0, x=300, y=700),
        signer_name="Daan de Vries",
        signed_at=dt.datetime(2026, 3, 14, 9, 30, tzinfo=dt.UTC),
        credentials=credentials,
        typed_name="Daan de Vries",
        reason="Akkoord jaarrekening",
    ).data


def upload(client: Client, data: bytes, name: str = "jaarrekening.pdf") -> str:
    response = client.post(URL, {"file": SimpleUploadedFile(name, data)})
    return response.content.decode()


@pytest.fixture
def firm_certificate() -> SigningCertificate:
    return generate_signing_certificate("Kantoor Test BV", actor=None)


def test_anonymous_is_sent_to_sign_in() -> None:
    for response in (Client().get(URL), Client().post(URL)):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/sign-in/?next=")


@pytest.mark.parametrize("persona", ["outsider", "viewer_contact", "staff_member"])
def test_anyone_signed_in_may_open_it(
    request: pytest.FixtureRequest, client_for: ClientFor, persona: str
) -> None:
    response = client_for(request.getfixturevalue(persona)).get(URL)
    assert response.status_code == 200
    assert 'type="file"' in response.content.decode()


def test_a_document_signed_by_the_firm_is_valid_unchanged_and_trusted(
    client_for: ClientFor, contact: User, firm_certificate: SigningCertificate
) -> None:
    events = Event.objects.count()
    data = signed_pdf(firm_certificate.credentials())

    page = upload(client_for(contact), data)

    assert "Signatures in jaarrekening.pdf" in page
    assert "Daan de Vries" in page
    assert "Valid signature" in page
    assert "Not changed after signing" in page
    assert "Trusted certificate" in page
    assert "Akkoord jaarrekening" in page
    assert firm_certificate.fingerprint_sha256 in page
    # Only read: no rows, no history.
    assert Event.objects.count() == events
    assert SigningCertificate.objects.count() == 1


def test_a_certificate_that_is_not_the_firms_is_not_trusted(
    client_for: ClientFor, contact: User, firm_certificate: SigningCertificate
) -> None:
    other = certificates.generate_self_signed("Someone Else")
    data = signed_pdf(pdf.Credentials(other.certificate, other.private_key))

    page = upload(client_for(contact), data)

    assert "Valid signature" in page
    assert "Certificate not trusted" in page
    assert "Trusted certificate" not in page


def test_a_document_changed_after_signing_is_shown_invalid(
    client_for: ClientFor, staff_reader: User, firm_certificate: SigningCertificate
) -> None:
    data = signed_pdf(firm_certificate.credentials(), text="Total: 100 EUR")
    tampered = data.replace(b"Total: 100 EUR", b"Total: 999 EUR")

    page = upload(client_for(staff_reader), tampered)

    assert "Invalid signature" in page
    assert "Changed after signing" in page
    assert "Valid signature" not in page


def test_a_pdf_without_signatures_says_so(client_for: ClientFor, contact: User) -> None:
    page = upload(client_for(contact), make_pdf())
    assert "This PDF has no digital signatures." in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"Name;Amount\n", "This file is not a PDF document."),
        (b"%PDF-1.7\n" + b"\x00garbage" * 50, "This PDF is damaged"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_with_a_reason(
    client_for: ClientFor, contact: User, data: bytes, message: str
) -> None:
    response = client_for(contact).post(
        URL, {"file": SimpleUploadedFile("x.pdf", data)}
    )
    assert response.status_code == 400
    assert message in response.content.decode()


def test_posting_no_file_is_refused(client_for: ClientFor, contact: User) -> None:
    response = client_for(contact).post(URL, {})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
