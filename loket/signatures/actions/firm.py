"""The firm's signing certificate and its signing settings."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from loket.accounts.models import User
from loket.audit.actions import record
from loket.audit.models import Event
from loket.core.changes import apply_changes
from loket.signatures import certificates
from loket.signatures.models import (
    SigningCertificate,
    SigningSettings,
)


def _install(
    pair: certificates.KeyPair,
    *,
    source: str,
    verb: Event.Verb,
    actor: User | None,
) -> SigningCertificate:
    facts = certificates.describe(pair.certificate)
    protection = certificates.key_protection()
    now = timezone.now()
    previous = list(
        SigningCertificate.objects.select_for_update().filter(is_current=True)
    )
    SigningCertificate.objects.filter(is_current=True).update(
        is_current=False, replaced_at=now
    )
    certificate = SigningCertificate.objects.create(
        source=source,
        subject=facts.subject[:1000],
        common_name=facts.common_name[:255],
        issuer=facts.issuer[:1000],
        serial_number=facts.serial_number[:80],
        not_before=facts.not_before,
        not_after=facts.not_after,
        fingerprint_sha256=facts.fingerprint_sha256,
        self_signed=facts.self_signed,
        certificate_pem=certificates.to_pem([pair.certificate]),
        chain_pem=certificates.to_pem(list(pair.chain)),
        encrypted_private_key=certificates.encrypt_private_key(
            pair.private_key, protection
        ),
        key_protection=protection,
        is_current=True,
        created_at=now,
        created_by=actor,
    )
    record(
        verb,
        actor=actor,
        target=certificate,
        data={
            "subject": facts.subject,
            "issuer": facts.issuer,
            "fingerprint_sha256": facts.fingerprint_sha256,
            "not_after": facts.not_after.isoformat(),
            "replaces": [str(p.uuid) for p in previous],
        },
    )
    return certificate


@transaction.atomic
def generate_signing_certificate(
    name: str, *, organization: str = "", days: int = 3 * 365, actor: User | None
) -> SigningCertificate:
    """Make a self-signed certificate and key and make it the current one: for
    tests and demos (PDF readers call its signatures untrusted)."""
    pair = certificates.generate_self_signed(name, organization=organization, days=days)
    return _install(
        pair,
        source=SigningCertificate.Source.GENERATED,
        verb=Event.Verb.SIGNING_CERTIFICATE_GENERATED,
        actor=actor,
    )


@transaction.atomic
def import_signing_certificate(
    data: bytes, *, password: str, actor: User | None
) -> SigningCertificate:
    """Install the certificate and key of a PKCS#12 file as the current one.
    Raises ValidationError for a file that cannot be used."""
    pair = certificates.load_pkcs12(data, password)
    return _install(
        pair,
        source=SigningCertificate.Source.IMPORTED,
        verb=Event.Verb.SIGNING_CERTIFICATE_IMPORTED,
        actor=actor,
    )


SIGNING_SETTINGS_FIELDS = ("evidence", "email_attachments")


@transaction.atomic
def update_signing_settings(
    firm: SigningSettings, *, actor: User, changes: dict[str, Any]
) -> SigningSettings:
    """Save the firm's signing settings (the evidence record's form, e-mail
    attachments). A request keeps the evidence form it was made with."""
    changes = {k: v for k, v in changes.items() if k in SIGNING_SETTINGS_FIELDS}
    if changes.get("evidence", firm.evidence) not in SigningSettings.Evidence.values:
        raise ValidationError(
            {"evidence": _("Choose where the evidence record goes.")}, code="invalid"
        )
    diff = apply_changes(firm, changes)
    if not diff:
        return firm
    firm.save()
    record(Event.Verb.SIGNING_SETTINGS_CHANGED, actor=actor, target=firm, data=diff)
    return firm
