"""Stamping and signing (PAdES) with the firm's certificate."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.content import ResourceType
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.images import pil_image
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import SigFieldSpec
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper
from pyhanko.stamp import BaseStamp, BaseStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from loket.signatures.pdf.evidence import EvidenceStampStyle, evidence_box
from loket.signatures.pdf.reading import _inspect, _open, _read
from loket.signatures.pdf.text import (
    HANDWRITING_FONT,
    TEXT_FONT,
    _clip,
    _fit,
    _Font,
    _when,
    covers,
)
from loket.signatures.pdf.types import (
    MAX_SIGNATURE_IMAGE_BYTES,
    MAX_SIGNATURE_IMAGE_PIXELS,
    MIN_BOX_HEIGHT,
    MIN_BOX_WIDTH,
    TSA_TIMEOUT_SECONDS,
    Credentials,
    EvidenceRecord,
    Pdf,
    SignatureBox,
    SignedPdf,
    TimestampUnavailable,
)

logger = logging.getLogger(__name__)

# Either key usage will do: CA-issued document signing certificates often carry
# only one of them.
_KEY_USAGE = {"digital_signature", "non_repudiation"}

# The visible stamp.


def _signature_image(png: bytes) -> Image.Image:
    if len(png) > MAX_SIGNATURE_IMAGE_BYTES:
        raise ValidationError(_("The drawn signature is too large."), code="image")
    try:
        opened = Image.open(io.BytesIO(png))
        if opened.format != "PNG":
            raise ValidationError(
                _("The drawn signature is not a PNG image."), code="image"
            )
        if opened.width * opened.height > MAX_SIGNATURE_IMAGE_PIXELS:
            raise ValidationError(_("The drawn signature is too large."), code="image")
        image = opened.convert("RGBA")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise ValidationError(
            _("The drawn signature is not a PNG image."), code="image"
        ) from None
    # Trim the empty canvas around the strokes.
    bbox = image.getchannel("A").getbbox()
    if bbox is None:
        raise ValidationError(_("The drawn signature is empty."), code="image")
    return image.crop(bbox)


@dataclass(frozen=True)
class _StampStyle(BaseStampStyle):
    """A signature stamp: the drawn or typed signature over a line, then the
    signer's name and the date and time of signing."""

    image: Image.Image | None = None
    typed_name: str = ""
    caption: tuple[str, ...] = ()
    rotation: int = 0
    border_width: int = 0

    def create_stamp(
        self,
        writer: BasePdfFileWriter,
        box: BoxConstraints,
        text_params: dict[str, Any],
    ) -> _Stamp:
        return _Stamp(writer, self, box)


class _Stamp(BaseStamp):
    style: _StampStyle

    def _display_size(self) -> tuple[float, float]:
        width, height = float(self.box.width), float(self.box.height)
        return (height, width) if self.style.rotation in (90, 270) else (width, height)

    def render(self) -> bytes:
        writer = self._ensure_writer
        width, height = self._display_size()
        pad = max(2.0, min(6.0, min(width, height) * 0.05))
        text = _Font(writer, TEXT_FONT)
        self.set_resource(
            ResourceType.FONT, pdf_name("/LoketText"), text.engine.as_resource()
        )
        ops: list[bytes] = [b"q"]

        # The caption: name, then date and time; small, dark grey.
        lines = [line for line in self.style.caption if line]
        size = max(4.0, min(9.0, height * 0.12))
        leading = size * 1.2
        baseline = pad + size * 0.25
        ops.append(b"0.2 0.2 0.2 rg")
        for line in reversed(lines):
            line_size = _fit(text, line, size, width - 2 * pad, 4.0)
            line = _clip(text, line, line_size, width - 2 * pad)
            ops.append(text.show("LoketText", line, pad, baseline, line_size))
            baseline += leading
        rule = baseline - leading + size + pad * 0.5 if lines else pad
        ops.append(
            b"0.5 w 0.45 0.45 0.45 RG %.2f %.2f m %.2f %.2f l S"
            % (pad, rule, width - pad, rule)
        )

        # The signature itself, above the line.
        area_x, area_y = pad, rule + 1.5
        area_w, area_h = width - 2 * pad, height - pad - area_y
        if area_h > 2 and self.style.image is not None:
            image = self.style.image
            scale = min(area_w / image.width, area_h / image.height)
            draw_w, draw_h = image.width * scale, image.height * scale
            name = pdf_name("/LoketSignatureImage")
            self.set_resource(ResourceType.XOBJECT, name, pil_image(image, writer))
            ops.append(
                b"q %.3f 0 0 %.3f %.2f %.2f cm /LoketSignatureImage Do Q"
                % (draw_w, draw_h, area_x + (area_w - draw_w) / 2, area_y)
            )
        elif area_h > 2 and self.style.typed_name:
            # Dancing Script lacks some letters (Ł, č, ř…): such a name is
            # typed in the text font rather than with gaps.
            typed_font = (
                HANDWRITING_FONT
                if covers(HANDWRITING_FONT, self.style.typed_name)
                else TEXT_FONT
            )
            hand = _Font(writer, typed_font)
            self.set_resource(
                ResourceType.FONT, pdf_name("/LoketHand"), hand.engine.as_resource()
            )
            typed = self.style.typed_name
            hand_size = _fit(hand, typed, area_h * 0.8, area_w, 3.0)
            hand_w = hand.width(typed, hand_size)
            ops.append(b"0.05 0.12 0.45 rg")
            ops.append(
                hand.show(
                    "LoketHand",
                    typed,
                    area_x + max(0.0, (area_w - hand_w) / 2),
                    area_y + hand_size * 0.3,
                    hand_size,
                )
            )
        ops.append(b"Q")
        return b"\n".join(ops)

    def as_form_xobject(self) -> generic.StreamObject:
        content = self.render()
        width, height = self._display_size()
        # Drawn upright for the reader: counter the page's clockwise rotation.
        matrix = {
            0: (1, 0, 0, 1),
            90: (0, 1, -1, 0),
            180: (-1, 0, 0, -1),
            270: (0, -1, 1, 0),
        }[self.style.rotation]
        stream = generic.StreamObject(
            {
                pdf_name("/Type"): pdf_name("/XObject"),
                pdf_name("/Subtype"): pdf_name("/Form"),
                pdf_name("/BBox"): generic.ArrayObject(
                    [generic.FloatObject(v) for v in (0, 0, width, height)]
                ),
                pdf_name("/Matrix"): generic.ArrayObject(
                    [generic.NumberObject(v) for v in (*matrix, 0, 0)]
                ),
                pdf_name("/Resources"): self.resources.as_pdf_object(),
            },
            stream_data=content,
        )
        stream.compress()
        return stream


# Signing.


def _asn1_cert(der: bytes) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(der)


@cache
def _system_roots(path: str) -> tuple[asn1_x509.Certificate, ...]:
    from pyhanko.keys import load_certs_from_pemder_data

    try:
        return tuple(load_certs_from_pemder_data(Path(path).read_bytes()))
    except OSError:
        logger.warning("cannot read the trust roots at %s", path)
        return ()


def system_trust_roots() -> tuple[asn1_x509.Certificate, ...]:
    """The roots trusted besides the firm's certificates: the bundle at
    LOKET_SIGNING_TRUST_ROOTS, by default the Mozilla bundle of certifi."""
    return _system_roots(settings.LOKET_SIGNING_TRUST_ROOTS)


def _timestamper(url: str | None) -> TimeStamper | None:
    if not url:
        return None
    return RequestsHTTPTimeStamper(url, timeout=TSA_TIMEOUT_SECONDS)


class _Signer(signers.SimpleSigner):
    """pyHanko's SimpleSigner loads and checks the key for every signature it
    makes (twice per PDF: a dry run sizes the signature); the key is ours and
    was checked when it was installed, so load it once, unchecked."""

    def __init__(self, credentials: Credentials) -> None:
        cert = _asn1_cert(credentials.certificate)
        chain = [_asn1_cert(c) for c in credentials.chain]
        super().__init__(
            signing_cert=cert,
            signing_key=asn1_keys.PrivateKeyInfo.load(credentials.private_key),
            cert_registry=SimpleCertificateStore.from_certs([cert, *chain]),
        )
        self._key = serialization.load_der_private_key(
            credentials.private_key, password=None, unsafe_skip_rsa_key_validation=True
        )

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        algorithm = mechanism.signature_algo
        digest = get_pyca_cryptography_hash(digest_algorithm)
        key = self._key
        if algorithm == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, padding.PKCS1v15(), digest)
        if algorithm == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(digest))
        result: bytes = super().sign_raw(data, digest_algorithm)
        return result


def _signer(credentials: Credentials) -> signers.SimpleSigner:
    return _Signer(credentials)


def _long_term_context(
    credentials: Credentials, trust_roots: Sequence[bytes]
) -> ValidationContext:
    certs = [_asn1_cert(c) for c in (credentials.certificate, *credentials.chain)]
    own_roots = [c for c in certs if c.self_signed] + [
        _asn1_cert(c) for c in trust_roots
    ]
    return ValidationContext(
        trust_roots=[*own_roots, *system_trust_roots()],
        other_certs=certs,
        allow_fetching=True,
        # Fail (and fall back to B-T) when a certificate names a revocation
        # service that cannot be reached: B-LT without that data is not B-LT.
        revocation_mode="hard-fail",
    )


def _sign(
    data: bytes,
    *,
    credentials: Credentials,
    field_spec: SigFieldSpec,
    style: BaseStampStyle | None,
    name: str,
    reason: str,
    location: str,
    contact_info: str,
    timestamp_url: str | None,
    long_term: bool,
    trust_roots: Sequence[bytes],
) -> tuple[bytes, str]:
    timestamper = _timestamper(timestamp_url)
    attempts = [True, False] if (long_term and timestamper) else [False]
    for embed in attempts:
        meta = signers.PdfSignatureMetadata(
            field_name=field_spec.sig_field_name,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            name=name or None,
            reason=reason or None,
            location=location or None,
            contact_info=contact_info or None,
            signer_key_usage=set(_KEY_USAGE),
            embed_validation_info=embed,
            validation_context=(
                _long_term_context(credentials, trust_roots) if embed else None
            ),
        )
        pdf_signer = signers.PdfSigner(
            meta,
            signer=_signer(credentials),
            timestamper=timestamper,
            stamp_style=style,
            new_field_spec=field_spec,
        )
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        try:
            out = pdf_signer.sign_pdf(writer)
        except Exception as error:
            if embed:
                # No trusted path or no revocation data: no B-LT, so B-T.
                logger.info("B-LT not possible, signing B-T: %s", error)
                continue
            # TimestampRequestError and the HTTP client's errors are OSErrors.
            if timestamper is not None and isinstance(error, OSError):
                raise TimestampUnavailable(str(error)) from error
            raise
        level = "B-LT" if embed else ("B-T" if timestamper else "B-B")
        return out.getvalue(), level
    raise AssertionError("unreachable")  # pragma: no cover


def _field_name() -> str:
    return f"Signature-{uuid.uuid4().hex[:12]}"


def stamp_and_sign(
    pdf: Pdf,
    *,
    box: SignatureBox,
    signer_name: str,
    signed_at: dt.datetime,
    credentials: Credentials,
    signature_image: bytes | None = None,
    typed_name: str = "",
    reason: str = "",
    location: str = "",
    contact_info: str = "",
    timestamp_url: str | None = None,
    long_term: bool = True,
    trust_roots: Sequence[bytes] = (),
) -> SignedPdf:
    """Stamp one signer's signature in `box` and sign the document (PAdES) with
    the firm's certificate, as an incremental update.

    The stamp shows `signature_image` (the signature pad's PNG) or `typed_name`
    in the handwriting font, over `signer_name` and `signed_at`. With a
    `timestamp_url` the signature gets an RFC 3161 timestamp (B-T) and, when
    `long_term` and the chain's validation data can be fetched, that data too
    (B-LT); otherwise B-B. `trust_roots` (DER) are extra roots for B-LT.

    Raises ValidationError for an unusable PDF, box or signature image, and
    TimestampUnavailable when the timestamp server does not answer.
    """
    data = _read(pdf)
    info, geometries = _inspect(data)
    if (signature_image is None) == (not typed_name.strip()):
        raise ValueError("give exactly one of signature_image and typed_name")
    image = _signature_image(signature_image) if signature_image else None
    if not 0 <= box.page < info.page_count:
        raise ValidationError(_("This page does not exist."), code="page")
    page = info.pages[box.page]
    if box.width < MIN_BOX_WIDTH or box.height < MIN_BOX_HEIGHT:
        raise ValidationError(_("The signature box is too small."), code="box")
    if (
        box.x < -0.5
        or box.y < -0.5
        or box.x + box.width > page.width + 0.5
        or box.y + box.height > page.height + 0.5
    ):
        raise ValidationError(
            _("The signature box does not fit on the page."), code="box"
        )
    geometry = geometries[box.page]
    rect = geometry.to_user_space(box)
    name = _field_name()
    style = _StampStyle(
        image=image,
        typed_name=typed_name.strip(),
        caption=(signer_name, _("Signed %(when)s") % {"when": _when(signed_at)}),
        rotation=geometry.rotation,
    )
    spec = SigFieldSpec(
        sig_field_name=name,
        on_page=box.page,
        box=rect,  # type: ignore[arg-type]  # floats are fine, pyHanko rounds
        readable_field_name=signer_name,
    )
    signed, level = _sign(
        data,
        credentials=credentials,
        field_spec=spec,
        style=style,
        name=signer_name,
        reason=reason,
        location=location,
        contact_info=contact_info,
        timestamp_url=timestamp_url,
        long_term=long_term,
        trust_roots=trust_roots,
    )
    return SignedPdf(
        data=signed,
        sha256_before=info.sha256,
        sha256_after=hashlib.sha256(signed).hexdigest(),
        level=level,
        field_name=name,
    )


def seal(
    pdf: Pdf,
    *,
    credentials: Credentials,
    name: str,
    evidence: EvidenceRecord | None = None,
    reason: str = "",
    location: str = "",
    timestamp_url: str | None = None,
    long_term: bool = True,
    trust_roots: Sequence[bytes] = (),
) -> SignedPdf:
    """The firm's final signature over the whole document, an incremental
    update like the others. With `evidence`, the record is the signature's
    appearance on the page `add_evidence_page` added before the first
    signature; without, the seal is invisible.

    Raises ValidationError (code evidence_too_long) when the record does not
    fit on its page: then keep it as a separate PDF (`evidence_pdf`)."""
    data = _read(pdf)
    reader = _open(data)
    field_name = f"Seal-{uuid.uuid4().hex[:12]}"
    spec = SigFieldSpec(sig_field_name=field_name)
    style: BaseStampStyle | None = None
    if evidence is not None:
        page, rect = evidence_box(reader)
        spec = SigFieldSpec(
            sig_field_name=field_name,
            on_page=page,
            box=rect,  # type: ignore[arg-type]  # floats are fine, pyHanko rounds
            readable_field_name=name,
        )
        style = EvidenceStampStyle(record=evidence)
    signed, level = _sign(
        data,
        credentials=credentials,
        field_spec=spec,
        style=style,
        name=name,
        reason=reason,
        location=location,
        contact_info="",
        timestamp_url=timestamp_url,
        long_term=long_term,
        trust_roots=trust_roots,
    )
    return SignedPdf(
        data=signed,
        sha256_before=hashlib.sha256(data).hexdigest(),
        sha256_after=hashlib.sha256(signed).hexdigest(),
        level=level,
        field_name=field_name,
    )
