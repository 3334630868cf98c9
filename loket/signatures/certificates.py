"""The firm's signing certificate: making, importing, describing, protecting.

With the `pdf` package this is the only code that does cryptography (decision
003): `pdf/` handles PDF files and signatures, this module X.509 certificates
and private keys. Nothing here touches the database; `models.py` stores what these
functions return.

The private key is kept encrypted at rest as a PKCS#8 PEM (PBES2, AES-256)
under `LOKET_SIGNING_KEY_PASSPHRASE`, or under `SECRET_KEY` when that is not
set; it is decrypted in memory only, for one signature.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.translation import gettext as _

# Key sizes accepted for import: weaker keys make signatures that readers reject.
MIN_RSA_BITS = 2048
GENERATED_RSA_BITS = 3072
MAX_PKCS12_SIZE = 1024 * 1024


@dataclass(frozen=True)
class KeyPair:
    """A certificate with its private key and the certificates above it (DER)."""

    certificate: bytes
    private_key: bytes  # PKCS#8 DER, unencrypted: keep it in memory only
    chain: tuple[bytes, ...] = ()


@dataclass(frozen=True)
class CertificateFacts:
    """What Settings shows about a certificate."""

    subject: str
    common_name: str
    issuer: str
    serial_number: str
    not_before: dt.datetime
    not_after: dt.datetime
    fingerprint_sha256: str  # upper-case hex pairs joined by colons
    self_signed: bool


def _name(name: x509.Name) -> str:
    return name.rfc4514_string()


def _common_name(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else _name(name)


def fingerprint(certificate_der: bytes) -> str:
    digest = hashlib.sha256(certificate_der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def describe(certificate_der: bytes) -> CertificateFacts:
    cert = x509.load_der_x509_certificate(certificate_der)
    return CertificateFacts(
        subject=_name(cert.subject),
        common_name=_common_name(cert.subject),
        issuer=_name(cert.issuer),
        serial_number=format(cert.serial_number, "X"),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        fingerprint_sha256=fingerprint(certificate_der),
        self_signed=cert.issuer == cert.subject,
    )


def generate_self_signed(
    common_name: str,
    *,
    organization: str = "",
    days: int = 3 * 365,
    now: dt.datetime | None = None,
) -> KeyPair:
    """A self-signed document-signing certificate with a new RSA key, for tests
    and demos: PDF readers show its signatures as valid but not trusted."""
    common_name = common_name.strip()
    if not common_name:
        raise ValidationError(_("Give the certificate a name."), code="name")
    if not 1 <= days <= 10 * 365:
        raise ValidationError(
            _("A certificate is valid for 1 day to 10 years."), code="days"
        )
    key = rsa.generate_private_key(public_exponent=65537, key_size=GENERATED_RSA_BITS)
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])]
    if organization.strip():
        attributes.append(
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization.strip()[:64])
        )
    name = x509.Name(attributes)
    start = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(minutes=5)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False
        )
        .sign(key, hashes.SHA256())
    )
    return KeyPair(
        certificate=cert.public_bytes(serialization.Encoding.DER),
        private_key=key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


def load_pkcs12(data: bytes, password: str) -> KeyPair:
    """The key pair in a PKCS#12 (.p12/.pfx) file, checked for use in signing."""
    if len(data) > MAX_PKCS12_SIZE:
        raise ValidationError(_("This file is too large for a certificate file."))
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(
            data, password.encode() if password else None
        )
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ValidationError(
            _(
                "This certificate file could not be opened: the password is wrong "
                "or it is not a PKCS#12 (.p12 or .pfx) file."
            ),
            code="pkcs12",
        ) from None
    if key is None or cert is None:
        raise ValidationError(
            _("This file holds no certificate with its private key."),
            code="pkcs12",
        )
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < MIN_RSA_BITS:
            raise ValidationError(
                _("This certificate's RSA key is too short (at least 2048 bits)."),
                code="pkcs12",
            )
    elif not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValidationError(
            _("Only RSA and elliptic-curve keys can sign PDF documents."),
            code="pkcs12",
        )
    cert_key = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    own_key = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if cert_key != own_key:
        raise ValidationError(
            _("The private key in this file does not belong to its certificate."),
            code="pkcs12",
        )
    now = dt.datetime.now(dt.UTC)
    if cert.not_valid_after_utc <= now:
        raise ValidationError(_("This certificate has expired."), code="expired")
    chain = tuple(
        c.public_bytes(serialization.Encoding.DER)
        for c in (extra or [])
        if c.fingerprint(hashes.SHA256()) != cert.fingerprint(hashes.SHA256())
    )
    return KeyPair(
        certificate=cert.public_bytes(serialization.Encoding.DER),
        private_key=key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        chain=chain,
    )


# Protecting the key at rest.

# Which secret protects a stored key (names, not secrets).
PASSPHRASE = "passphrase"  # noqa: S105
SECRET_KEY = "secret_key"  # noqa: S105


def key_protection() -> str:
    """Which secret protects newly stored keys."""
    return PASSPHRASE if settings.LOKET_SIGNING_KEY_PASSPHRASE else SECRET_KEY


def _passphrases(protection: str) -> list[bytes]:
    if protection == PASSPHRASE:
        if not settings.LOKET_SIGNING_KEY_PASSPHRASE:
            raise ImproperlyConfigured(
                "The signing certificate's key is protected by "
                "LOKET_SIGNING_KEY_PASSPHRASE, which is not set."
            )
        return [settings.LOKET_SIGNING_KEY_PASSPHRASE.encode()]
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return [str(k).encode() for k in keys]


def encrypt_private_key(private_key_der: bytes, protection: str) -> str:
    """The key as an encrypted PKCS#8 PEM, under the secret `protection` names."""
    key = serialization.load_der_private_key(private_key_der, password=None)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_passphrases(protection)[0]),
    )
    return pem.decode("ascii")


def decrypt_private_key(encrypted_pem: str, protection: str) -> bytes:
    """The PKCS#8 DER key, for one signature; fails loudly when the secret that
    protected it has changed."""
    for passphrase in _passphrases(protection):
        try:
            key = serialization.load_pem_private_key(
                encrypted_pem.encode("ascii"), password=passphrase
            )
        except ValueError:
            continue
        return key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    secret = (
        "LOKET_SIGNING_KEY_PASSPHRASE" if protection == PASSPHRASE else "SECRET_KEY"
    )
    raise ImproperlyConfigured(
        f"The signing certificate's key cannot be decrypted: {secret} changed. "
        f"Restore the old value (for SECRET_KEY: add it to SECRET_KEY_FALLBACKS) "
        f"or install the certificate again."
    )


def to_pem(der_certificates: tuple[bytes, ...] | list[bytes]) -> str:
    return "".join(
        x509.load_der_x509_certificate(der)
        .public_bytes(serialization.Encoding.PEM)
        .decode("ascii")
        for der in der_certificates
    )


def from_pem(pem: str) -> tuple[bytes, ...]:
    if not pem.strip():
        return ()
    return tuple(
        c.public_bytes(serialization.Encoding.DER)
        for c in x509.load_pem_x509_certificates(pem.encode("ascii"))
    )
