"""The firm's signing certificate: the management command, the key at rest,
and the Settings page."""

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.utils import timezone

from loket.accounts.models import User
from loket.audit.models import Event
from loket.signatures import certificates, pdf
from loket.signatures.actions import generate_signing_certificate
from loket.signatures.models import SigningCertificate
from tests.conftest import ClientFor
from tests.pdfs import make_pdf

pytestmark = pytest.mark.django_db

URL = "/settings/signing-certificate/"


def pkcs12_file(
    password: str, *, days: int = 365, name: str = "Kantoor CA Cert"
) -> bytes:
    """A PKCS#12 like a CA delivers: a certificate issued by a CA, its key, and
    the CA's certificate."""
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=max(0, -days) + 1))
        .not_valid_after(now + dt.timedelta(days=days))
        .sign(ca_key, hashes.SHA256())
    )
    return pkcs12.serialize_key_and_certificates(
        b"firm",
        key,
        cert,
        [ca],
        serialization.BestAvailableEncryption(password.encode()),
    )


# The management command.


def test_generate_makes_a_self_signed_certificate_with_an_encrypted_key(
    capsys: pytest.CaptureFixture[str],
) -> None:
    call_command("signing_certificate", "generate", "--name", "Kantoor Test BV")

    certificate = SigningCertificate.objects.get()
    assert certificate.is_current
    assert certificate.self_signed
    assert certificate.common_name == "Kantoor Test BV"
    assert certificate.source == SigningCertificate.Source.GENERATED
    assert certificate.encrypted_private_key.startswith(
        "-----BEGIN ENCRYPTED PRIVATE KEY-----"
    )
    assert "BEGIN PRIVATE KEY" not in certificate.encrypted_private_key
    out = capsys.readouterr().out
    assert "CN=Kantoor Test BV" in out
    assert certificate.fingerprint_sha256 in out
    assert "PRIVATE KEY" not in out
    event = Event.objects.get(verb=Event.Verb.SIGNING_CERTIFICATE_GENERATED)
    assert event.actor is None
    assert event.data["fingerprint_sha256"] == certificate.fingerprint_sha256


def test_the_stored_key_signs_and_the_signature_checks_out() -> None:
    certificate = generate_signing_certificate("Kantoor Test BV", actor=None)

    signed = pdf.stamp_and_sign(
        make_pdf(),
        box=pdf.SignatureBox(page=0, x=40, y=40),
        signer_name="Daan de Vries",
        signed_at=timezone.now(),
        credentials=certificate.credentials(),
        typed_name="Daan de Vries",
    )

    (report,) = pdf.verify(signed.data, trust_roots=[certificate.certificate_der])
    assert report.intact
    assert report.trusted
    assert report.certificate_fingerprint == certificate.fingerprint_sha256


def test_the_key_is_protected_by_the_passphrase_when_one_is_set() -> None:
    with override_settings(LOKET_SIGNING_KEY_PASSPHRASE="a long passphrase"):
        certificate = generate_signing_certificate("Kantoor Test BV", actor=None)
        assert certificate.key_protection == certificates.PASSPHRASE
        assert certificate.credentials().private_key
    with (
        override_settings(LOKET_SIGNING_KEY_PASSPHRASE=""),
        pytest.raises(ImproperlyConfigured, match="LOKET_SIGNING_KEY_PASSPHRASE"),
    ):
        certificate.credentials()
    with (
        override_settings(LOKET_SIGNING_KEY_PASSPHRASE="another passphrase"),
        pytest.raises(ImproperlyConfigured, match="cannot be decrypted"),
    ):
        certificate.credentials()


def test_a_key_under_secret_key_survives_a_rotation_with_fallbacks() -> None:
    with override_settings(SECRET_KEY="the-old-secret-key-" * 3):
        certificate = generate_signing_certificate("Kantoor Test BV", actor=None)
    assert certificate.key_protection == certificates.SECRET_KEY
    with override_settings(
        SECRET_KEY="the-new-secret-key-" * 3,
        SECRET_KEY_FALLBACKS=["the-old-secret-key-" * 3],
    ):
        assert certificate.credentials().private_key
    with (
        override_settings(
            SECRET_KEY="the-new-secret-key-" * 3, SECRET_KEY_FALLBACKS=[]
        ),
        pytest.raises(ImproperlyConfigured, match="SECRET_KEY changed"),
    ):
        certificate.credentials()


def test_import_installs_a_pkcs12_and_keeps_the_one_it_replaces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = generate_signing_certificate("Old BV", actor=None)
    (tmp_path / "firm.p12").write_bytes(pkcs12_file("s3cret"))
    (tmp_path / "password").write_text("s3cret\n")

    call_command(
        "signing_certificate",
        "import",
        str(tmp_path / "firm.p12"),
        "--password-file",
        str(tmp_path / "password"),
    )

    current = SigningCertificate.objects.current()
    assert current is not None
    assert current.common_name == "Kantoor CA Cert"
    assert current.issuer == "CN=Test CA"
    assert not current.self_signed
    assert (
        "Test CA"
        in x509.load_pem_x509_certificate(
            current.chain_pem.encode()
        ).subject.rfc4514_string()
    )
    old.refresh_from_db()
    assert not old.is_current
    assert old.replaced_at is not None
    event = Event.objects.get(verb=Event.Verb.SIGNING_CERTIFICATE_IMPORTED)
    assert event.data["replaces"] == [str(old.uuid)]
    assert "CN=Kantoor CA Cert" in capsys.readouterr().out


def test_import_with_the_wrong_password_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / "firm.p12").write_bytes(pkcs12_file("s3cret"))
    (tmp_path / "password").write_text("wrong")

    with pytest.raises(CommandError, match="the password is wrong"):
        call_command(
            "signing_certificate",
            "import",
            str(tmp_path / "firm.p12"),
            "--password-file",
            str(tmp_path / "password"),
        )
    assert not SigningCertificate.objects.exists()
    assert not Event.objects.filter(verb=Event.Verb.SIGNING_CERTIFICATE_IMPORTED)


def test_an_expired_certificate_is_not_imported() -> None:
    with pytest.raises(Exception, match="has expired"):
        certificates.load_pkcs12(pkcs12_file("x", days=-1), "x")


def test_show_describes_the_current_certificate(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(CommandError, match="no signing certificate"):
        call_command("signing_certificate", "show")
    generate_signing_certificate("Kantoor Test BV", actor=None)

    call_command("signing_certificate", "show")

    assert "self-signed: yes" in capsys.readouterr().out


# The Settings page.


def test_anonymous_is_sent_to_sign_in() -> None:
    response = Client().get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/sign-in/?next=")


@pytest.mark.parametrize("persona", ["outsider", "staff_owner", "staff_admin"])
def test_it_requires_settings_manage(
    request: pytest.FixtureRequest, client_for: ClientFor, persona: str
) -> None:
    user = request.getfixturevalue(persona)
    client = client_for(user)

    assert client.get(URL).status_code == 403
    response = client.post(URL + "generate/", {"name": "Sneaky BV"})
    assert response.status_code == 403
    assert not SigningCertificate.objects.exists()


def test_it_shows_the_certificate_and_never_the_key(
    client_for: ClientFor, settings_admin: User
) -> None:
    certificate = generate_signing_certificate("Kantoor Test BV", actor=None)

    response = client_for(settings_admin).get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert "CN=Kantoor Test BV" in page
    assert certificate.fingerprint_sha256 in page
    assert "self-signed" in page
    assert "PRIVATE KEY" not in page
    assert certificate.encrypted_private_key[40:80] not in page


def test_it_warns_when_the_certificate_expires_within_30_days(
    client_for: ClientFor, settings_admin: User
) -> None:
    generate_signing_certificate("Kantoor Test BV", days=20, actor=None)

    page = client_for(settings_admin).get(URL).content.decode()

    assert "This certificate expires on" in page


def test_it_says_when_there_is_no_certificate(
    client_for: ClientFor, firm_admin: User
) -> None:
    page = client_for(firm_admin).get(URL).content.decode()
    assert "There is no signing certificate yet" in page


def test_settings_links_to_the_page(
    client_for: ClientFor, settings_admin: User
) -> None:
    page = client_for(settings_admin).get("/settings/").content.decode()
    assert URL in page


def test_a_settings_manager_imports_a_pkcs12(
    client_for: ClientFor, settings_admin: User
) -> None:
    upload = SimpleUploadedFile("firm.p12", pkcs12_file("s3cret"))

    response = client_for(settings_admin).post(
        URL + "import/", {"file": upload, "password": "s3cret"}
    )

    assert response.status_code == 302
    current = SigningCertificate.objects.current()
    assert current is not None
    assert current.common_name == "Kantoor CA Cert"
    assert current.created_by == settings_admin
    event = Event.objects.get(verb=Event.Verb.SIGNING_CERTIFICATE_IMPORTED)
    assert event.actor == settings_admin


@pytest.mark.parametrize(
    ("data", "password", "message"),
    [
        (b"not a certificate", "x", "the password is wrong or it is not a PKCS#12"),
        (None, "wrong", "the password is wrong or it is not a PKCS#12"),
    ],
)
def test_a_bad_pkcs12_upload_is_refused_with_a_reason(
    client_for: ClientFor,
    settings_admin: User,
    data: bytes | None,
    password: str,
    message: str,
) -> None:
    upload = SimpleUploadedFile("firm.p12", data or pkcs12_file("s3cret"))

    response = client_for(settings_admin).post(
        URL + "import/", {"file": upload, "password": password}
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SigningCertificate.objects.exists()
    assert not Event.objects.filter(verb=Event.Verb.SIGNING_CERTIFICATE_IMPORTED)


def test_a_settings_manager_generates_a_self_signed_certificate(
    client_for: ClientFor, settings_admin: User
) -> None:
    response = client_for(settings_admin).post(
        URL + "generate/", {"name": "Demo Kantoor"}
    )

    assert response.status_code == 302
    current = SigningCertificate.objects.current()
    assert current is not None
    assert current.common_name == "Demo Kantoor"
    assert (
        Event.objects.get(verb=Event.Verb.SIGNING_CERTIFICATE_GENERATED).actor
        == settings_admin
    )


def test_generating_without_a_name_is_refused(
    client_for: ClientFor, settings_admin: User
) -> None:
    response = client_for(settings_admin).post(URL + "generate/", {"name": ""})

    assert response.status_code == 400
    assert not SigningCertificate.objects.exists()
