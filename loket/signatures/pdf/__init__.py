"""Everything Loket does inside PDF files: read, render, stamp, sign, verify.

This package is the only place that imports pyHanko or a PDF library
(decision 003); with `signatures/certificates.py` (X.509 certificates and keys)
it is all of Loket's cryptography. It knows nothing of the database: callers
pass bytes (or binary streams) and `Credentials`, and get bytes and plain
dataclasses back. Import from `loket.signatures.pdf`, not its modules.

- `inspect(pdf) -> PdfInfo` checks that a file can be signed and describes its
  pages; it refuses what is not a PDF, encrypted, damaged or certified against
  change with a `ValidationError` in words a client understands.
- `render_page(pdf, page, width) -> bytes` draws one page as a PNG, as
  displayed (rotation applied, signature stamps drawn), for previews.
- `stamp_and_sign(pdf, box=..., ...) -> SignedPdf` adds one visible signature
  as an incremental update, so earlier signatures stay valid: PAdES B-B, B-T
  with an RFC 3161 timestamp server, B-LT when validation data can be embedded.
- `add_evidence_page(pdf) -> bytes` appends the empty evidence record page
  *before the first signature*; `seal(pdf, evidence=record, ...) -> SignedPdf`
  adds the firm's final signature, whose appearance on that page is the
  record, so no signature is followed by anything but signing (decision 003).
  `evidence_pdf(record) -> bytes` is the record as a PDF of its own.
- `verify(pdf, trust_roots=...) -> list[SignatureReport]` reports every
  signature in a file.
- `sha256(pdf) -> str`.

Coordinates: a `SignatureBox` is in PDF points (1/72 inch) from the top-left
corner of the page *as displayed* (after its /Rotate, within its crop box),
x to the right and y down, like a click on the rendered preview.
"""

from loket.signatures.pdf.evidence import add_evidence_page, evidence_pdf
from loket.signatures.pdf.reading import inspect, render_page, sha256
from loket.signatures.pdf.signing import seal, stamp_and_sign, system_trust_roots
from loket.signatures.pdf.types import (
    Credentials,
    EvidenceRecord,
    EvidenceSigner,
    PageInfo,
    Pdf,
    PdfInfo,
    SignatureBox,
    SignatureReport,
    SignedPdf,
    TimestampUnavailable,
)
from loket.signatures.pdf.verifying import verify

__all__ = [
    "Credentials",
    "EvidenceRecord",
    "EvidenceSigner",
    "PageInfo",
    "Pdf",
    "PdfInfo",
    "SignatureBox",
    "SignatureReport",
    "SignedPdf",
    "TimestampUnavailable",
    "add_evidence_page",
    "evidence_pdf",
    "inspect",
    "render_page",
    "seal",
    "sha256",
    "stamp_and_sign",
    "system_trust_roots",
    "verify",
]
