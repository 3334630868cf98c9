"""Checking every signature in a PDF with pyHanko's validator."""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from typing import Any

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import (
    validate_pdf_signature,
)
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from loket.signatures.pdf.reading import _damaged, _not_pdf, _read
from loket.signatures.pdf.signing import _KEY_USAGE, _asn1_cert, system_trust_roots
from loket.signatures.pdf.types import Pdf, SignatureReport

logger = logging.getLogger(__name__)

# Verifying.


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


def _claimed_name(signature: Any) -> str:
    try:
        return _text(signature.sig_object.get("/Name"))
    except Exception:
        return ""


def _cert_name(cert: asn1_x509.Certificate) -> str:
    try:
        return str(
            cert.subject.native.get("common_name") or cert.subject.human_friendly
        )
    except Exception:
        return str(cert.subject.human_friendly)


def _fingerprint(cert: asn1_x509.Certificate) -> str:
    digest = cert.sha256.hex().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def verify(pdf: Pdf, *, trust_roots: Sequence[bytes] = ()) -> list[SignatureReport]:
    """Every signature in the PDF, checked with pyHanko's validator; trusted
    means the certificate leads to one of `trust_roots` (DER; the firm's
    certificates) or to the system's roots. Raises ValidationError for a file
    that is not a readable PDF."""
    data = _read(pdf)
    if b"%PDF-" not in data[:1024]:
        raise _not_pdf()
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        if reader.encrypted:
            # Readable without a password? Then its signatures can be checked.
            reader.decrypt(b"")
        signatures = reader.embedded_regular_signatures
    except Exception as error:
        logger.info("unverifiable PDF: %s", error)
        raise _damaged() from None
    roots = [_asn1_cert(der) for der in trust_roots] + list(system_trust_roots())
    reports = []
    for signature in signatures:
        reports.append(_report(signature, roots))
    return reports


def _report(signature: Any, roots: list[asn1_x509.Certificate]) -> SignatureReport:
    context = ValidationContext(
        trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail"
    )
    field_name = _text(signature.field_name)
    reason = _text(signature.sig_object.get("/Reason"))
    location = _text(signature.sig_object.get("/Location"))
    try:
        cert = signature.signer_cert
        status = validate_pdf_signature(
            signature,
            signer_validation_context=context,
            key_usage_settings=KeyUsageConstraints(key_usage=set(_KEY_USAGE)),
        )
    except Exception as error:
        logger.info("signature %s could not be validated: %s", field_name, error)
        return SignatureReport(
            field_name=field_name,
            signer_name=_claimed_name(signature),
            certificate_subject="",
            certificate_issuer="",
            certificate_fingerprint="",
            signed_at=None,
            timestamp_at=None,
            intact=False,
            trusted=False,
            covers_whole_file=False,
            changed_after=True,
            reason=reason,
            location=location,
            problem=str(error)[:500],
        )
    intact = bool(status.intact and status.valid)
    level = status.modification_level
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    changed = not intact or (
        not whole
        and (
            status.coverage != SignatureCoverageLevel.ENTIRE_REVISION
            or level is None
            or level > ModificationLevel.FORM_FILLING
            or status.docmdp_ok is False
        )
    )
    problems = []
    if status.trust_problem_indic is not None:
        problems.append(str(status.trust_problem_indic.standard_name))
    if changed and level is not None and not whole:
        problems.append(f"modifications: {level.name}")
    ts = status.timestamp_validity
    return SignatureReport(
        field_name=field_name,
        signer_name=_claimed_name(signature) or _cert_name(cert),
        certificate_subject=cert.subject.human_friendly,
        certificate_issuer=cert.issuer.human_friendly,
        certificate_fingerprint=_fingerprint(cert),
        signed_at=status.signer_reported_dt,
        timestamp_at=ts.timestamp if ts is not None else None,
        intact=intact,
        trusted=bool(status.trusted),
        covers_whole_file=whole,
        changed_after=changed,
        reason=reason,
        location=location,
        problem="; ".join(problems),
    )
