"""The values the pdf package takes and returns: plain dataclasses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

# Signature boxes: big enough to hold a readable name and date.
MIN_BOX_WIDTH = 60.0
MIN_BOX_HEIGHT = 24.0
DEFAULT_BOX_WIDTH = 200.0
DEFAULT_BOX_HEIGHT = 70.0
DEFAULT_BOX_MARGIN = 36.0
# Drawn signatures: the signature pad's PNG.
MAX_SIGNATURE_IMAGE_BYTES = 2 * 1024 * 1024
MAX_SIGNATURE_IMAGE_PIXELS = 4000 * 2000
# Previews.
MIN_RENDER_WIDTH = 16
MAX_RENDER_WIDTH = 3000
TSA_TIMEOUT_SECONDS = 10

Pdf = bytes | IO[bytes]


class TimestampUnavailable(RuntimeError):
    """The configured RFC 3161 timestamp server did not answer; try again later
    rather than sign without the timestamp the firm asked for."""


@dataclass(frozen=True)
class Credentials:
    """The firm's certificate and private key (DER), decrypted in memory only."""

    certificate: bytes
    private_key: bytes  # PKCS#8
    chain: tuple[bytes, ...] = ()


@dataclass(frozen=True)
class PageInfo:
    index: int  # from 0
    width: float  # points, as displayed: a landscape page is wider than high
    height: float
    rotation: int  # the page's /Rotate: 0, 90, 180 or 270 (clockwise)


@dataclass(frozen=True)
class PdfInfo:
    page_count: int
    pages: tuple[PageInfo, ...]
    signature_count: int
    size: int
    sha256: str


@dataclass(frozen=True)
class SignatureBox:
    """Where a signature goes: a page (from 0) and a rectangle in points from the
    top-left corner of the page as displayed."""

    page: int
    x: float
    y: float
    width: float = DEFAULT_BOX_WIDTH
    height: float = DEFAULT_BOX_HEIGHT

    @classmethod
    def default(cls, info: PdfInfo) -> SignatureBox:
        """The end of the last page: bottom right, inside a margin."""
        page = info.pages[-1]
        width = min(DEFAULT_BOX_WIDTH, page.width - 2 * DEFAULT_BOX_MARGIN)
        height = min(DEFAULT_BOX_HEIGHT, page.height - 2 * DEFAULT_BOX_MARGIN)
        width, height = max(width, MIN_BOX_WIDTH), max(height, MIN_BOX_HEIGHT)
        return cls(
            page=page.index,
            x=max(0.0, page.width - DEFAULT_BOX_MARGIN - width),
            y=max(0.0, page.height - DEFAULT_BOX_MARGIN - height),
            width=width,
            height=height,
        )


@dataclass(frozen=True)
class SignedPdf:
    data: bytes
    sha256_before: str
    sha256_after: str
    level: str  # the PAdES baseline level reached: "B-B", "B-T" or "B-LT"
    field_name: str


@dataclass(frozen=True)
class EvidenceSigner:
    """One signer's part in a signature request, for the evidence record."""

    name: str
    email: str
    auth_method: str  # as shown, e.g. "Signed in, code sent by e-mail"
    ip_address: str = ""
    user_agent: str = ""
    viewed_at: dt.datetime | None = None
    consented_at: dt.datetime | None = None
    signed_at: dt.datetime | None = None
    declined_at: dt.datetime | None = None
    decline_reason: str = ""
    sha256_before: str = ""
    sha256_after: str = ""


@dataclass(frozen=True)
class EvidenceRecord:
    document_name: str
    reference: str  # the request, e.g. its subject and number
    sha256_original: str
    sha256_signed: str  # after the last signature, before this record
    signers: Sequence[EvidenceSigner]
    completed_at: dt.datetime
    firm_name: str = ""
    certificate: str = ""  # the sealing certificate's subject and fingerprint
    sha256_prepared: str = ""  # after add_evidence_page, before the first signer
    # A record kept as a PDF of its own: the sealed document it belongs to.
    sha256_sealed: str = ""


@dataclass(frozen=True)
class SignatureReport:
    """One signature in a PDF, as `verify` found it."""

    field_name: str
    signer_name: str  # the name in the signature, else the certificate's
    certificate_subject: str
    certificate_issuer: str
    certificate_fingerprint: str
    signed_at: dt.datetime | None  # as the signing software reported it
    timestamp_at: dt.datetime | None  # from an RFC 3161 timestamp, if any
    intact: bool  # the signed bytes are unchanged and the signature checks out
    trusted: bool  # the certificate leads to a trusted root
    covers_whole_file: bool
    changed_after: bool  # changed after signing beyond later signatures
    reason: str = ""
    location: str = ""
    problem: str = ""  # technical detail when something is wrong

    @property
    def valid(self) -> bool:
        return self.intact and not self.changed_after
