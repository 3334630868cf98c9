"""The evidence record of a signature request, as PDF pages."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.content import ResourceType
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import BasePdfFileWriter, PageObject, PdfFileWriter
from pyhanko.stamp import BaseStamp, BaseStampStyle

from loket.signatures.pdf.reading import _open, _pages, _read
from loket.signatures.pdf.text import TEXT_FONT, _fit, _Font, _when
from loket.signatures.pdf.types import EvidenceRecord, Pdf

_A4 = (595.28, 841.89)
_MARGIN = 56.0
# Marks the page that add_evidence_page added (a second-class name: readers
# ignore it).
_MARK = "/LoketEvidenceRecord"


def _wrap(font: _Font, text: str, size: float, width: float) -> list[str]:
    """Lines of at most `width`; words longer than a line are cut."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if font.width(candidate, size) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            while font.width(word, size) > width and len(word) > 1:
                cut = len(word)
                while cut > 1 and font.width(word[:cut], size) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines


def _evidence_lines(record: EvidenceRecord) -> list[tuple[str, str, bool]]:
    """(label, value, is_heading) in reading order."""

    def when(moment: dt.datetime | None) -> str:
        return _when(moment) if moment else "—"

    rows: list[tuple[str, str, bool]] = [
        (_("Document"), record.document_name, False),
        (_("Request"), record.reference, False),
        (_("SHA-256 of the original"), record.sha256_original, False),
    ]
    if record.sha256_prepared:
        rows.append(
            (
                _("SHA-256 with this page added, before signing"),
                record.sha256_prepared,
                False,
            )
        )
    rows += [
        (_("SHA-256 after the last signature"), record.sha256_signed, False),
    ]
    if record.sha256_sealed:
        rows.append((_("SHA-256 of the sealed document"), record.sha256_sealed, False))
    rows += [
        (_("Completed"), when(record.completed_at), False),
    ]
    if record.firm_name:
        rows.append((_("Sealed by"), record.firm_name, False))
    if record.certificate:
        rows.append((_("Certificate"), record.certificate, False))
    for number, signer in enumerate(record.signers, start=1):
        title = _("Signer %(number)s") % {"number": number}
        rows.append((title, "", True))
        rows += [
            (_("Name"), signer.name, False),
            (_("E-mail address"), signer.email, False),
            (_("Identity confirmed by"), signer.auth_method, False),
            (_("IP address"), signer.ip_address or "—", False),
            (_("Browser"), signer.user_agent or "—", False),
            (_("Viewed"), when(signer.viewed_at), False),
            (_("Consented to sign electronically"), when(signer.consented_at), False),
        ]
        if signer.declined_at:
            rows.append((_("Declined"), when(signer.declined_at), False))
            rows.append((_("Reason"), signer.decline_reason or "—", False))
        else:
            rows.append((_("Signed"), when(signer.signed_at), False))
        if signer.sha256_before:
            rows.append((_("SHA-256 before signing"), signer.sha256_before, False))
        if signer.sha256_after:
            rows.append((_("SHA-256 after signing"), signer.sha256_after, False))
    return rows


def _layout(
    font: _Font, record: EvidenceRecord, width: float, height: float, size: float
) -> list[list[bytes]]:
    """The record's drawing operators in a `width` x `height` region (origin at
    its bottom left), one list per region-sized page, at font size `size`."""
    leading = size * 4 / 3
    label_w = min(170.0, width * 0.36)
    value_w = width - label_w
    pages: list[list[bytes]] = [[]]
    y = height

    def new_page() -> None:
        nonlocal y
        pages.append([])
        y = height

    for label, value, heading in _evidence_lines(record):
        if heading:
            if y - 3 * leading < 0:
                new_page()
            y -= leading * 0.8
            pages[-1].append(font.show("F1", label, 0, y - size * 1.2, size * 1.2))
            y -= size * 1.2 + leading * 0.4
            continue
        label_lines = _wrap(font, label, size, label_w - 8)
        # One word (a hash) is made smaller rather than cut, so it copies whole.
        value_size = (
            _fit(font, value, size, value_w, size * 0.7) if " " not in value else size
        )
        value_lines = _wrap(font, value, value_size, value_w)
        needed = max(len(label_lines), len(value_lines)) * leading
        if y - needed < 0:
            new_page()
        for i, line in enumerate(label_lines):
            pages[-1].append(font.show("F1", line, 0, y - size - i * leading, size))
        for i, line in enumerate(value_lines):
            pages[-1].append(
                font.show("F1", line, label_w, y - size - i * leading, value_size)
            )
        y -= needed + leading / 4
    if record.sha256_sealed:
        footer = _(
            "This record belongs to the sealed document named above, kept as a "
            "file of its own. The firm sealed this record too; its signature "
            "can be checked in any PDF reader."
        )
    else:
        footer = _(
            "This record is part of the firm's seal, the last signature in this "
            "file. The signatures can be checked in any PDF reader."
        )
    footer_lines = _wrap(font, footer, size * 0.9, width)
    if y - (len(footer_lines) + 1) * leading < 0:
        new_page()
    for i, line in enumerate(footer_lines):
        pages[-1].append(
            font.show("F1", line, 0, (len(footer_lines) - i - 1) * leading, size * 0.9)
        )
    return pages


def _title(font: _Font) -> bytes:
    title = _("Evidence record of electronic signatures")
    return font.show("F1", title, _MARGIN, _A4[1] - _MARGIN - 16, 16)


# The body of the A4 page below the title, where the record goes.
_BODY = (_MARGIN, _MARGIN, _A4[0] - _MARGIN, _A4[1] - _MARGIN - 40)


def _add_page(
    writer: BasePdfFileWriter, font: _Font, ops: list[bytes], *, marked: bool
) -> None:
    stream = generic.StreamObject(stream_data=b"0.1 0.1 0.1 rg\n" + b"\n".join(ops))
    stream.compress()
    page = PageObject(
        contents=writer.add_object(stream),
        media_box=(0, 0, *_A4),
        resources=generic.DictionaryObject(
            {
                pdf_name("/Font"): generic.DictionaryObject(
                    {pdf_name("/F1"): font.engine.as_resource()}
                )
            }
        ),
    )
    if marked:
        page[_MARK] = generic.BooleanObject(True)
    writer.insert_page(page)


def evidence_pdf(record: EvidenceRecord) -> bytes:
    """The evidence record as a PDF of its own (A4 pages, as many as needed)."""
    writer = PdfFileWriter()
    font = _Font(writer, TEXT_FONT)
    left, bottom, right, top = _BODY
    pages = _layout(font, record, right - left, top - bottom, 9.0)
    for number, ops in enumerate(pages):
        shifted = [b"q 1 0 0 1 %.2f %.2f cm" % (left, bottom), *ops, b"Q"]
        _add_page(
            writer,
            font,
            ([_title(font)] if number == 0 else []) + shifted,
            marked=False,
        )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def add_evidence_page(pdf: Pdf) -> bytes:
    """Append the (empty) evidence record page, before anyone signs.

    `seal(..., evidence=record)` fills it in as the appearance of the firm's
    final signature. A page added *after* a signature counts as a change to
    the signed document (validators report the signature as followed by
    changes); a signature appearance added later is form filling, which
    keeps every earlier signature clean.
    """
    data = _read(pdf)
    reader = _open(data)
    if _marked_page(reader) is not None:
        raise ValueError("this document already has an evidence record page")
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    font = _Font(writer, TEXT_FONT)
    note = _(
        "The record of how this document was signed appears here when every "
        "signer has signed and the firm has sealed the document."
    )
    left, _bottom, right, top = _BODY
    ops = [_title(font)]
    for i, line in enumerate(_wrap(font, note, 9, right - left)):
        ops.append(font.show("F1", line, left, top - 12 - i * 12, 9))
    _add_page(writer, font, ops, marked=True)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _marked_page(reader: PdfFileReader) -> int | None:
    for index, page in enumerate(_pages(reader)):
        if page.get(_MARK):
            return index
    return None


def evidence_box(reader: PdfFileReader) -> tuple[int, tuple[float, ...]]:
    """The evidence page's index and the rectangle its record fills."""
    index = _marked_page(reader)
    if index is None:
        raise ValueError(
            "this document has no evidence record page (see add_evidence_page)"
        )
    return index, _BODY


@dataclass(frozen=True)
class EvidenceStampStyle(BaseStampStyle):
    """The seal's appearance: the evidence record, filling the page's body."""

    record: EvidenceRecord | None = None
    border_width: int = 0

    def create_stamp(
        self,
        writer: BasePdfFileWriter,
        box: BoxConstraints,
        text_params: dict[str, Any],
    ) -> _EvidenceStamp:
        return _EvidenceStamp(writer, self, box)


class _EvidenceStamp(BaseStamp):
    style: EvidenceStampStyle

    def _render_inner_content(self) -> list[bytes]:
        assert self.style.record is not None
        font = _Font(self._ensure_writer, TEXT_FONT)
        self.set_resource(ResourceType.FONT, pdf_name("/F1"), font.engine.as_resource())
        width, height = float(self.box.width), float(self.box.height)
        for size in (9.0, 8.0, 7.0, 6.0, 5.0):
            pages = _layout(font, self.style.record, width, height, size)
            if len(pages) == 1:
                # Opaque, over the page's note that the record is to come.
                cover = b"1 1 1 rg 0 0 %.2f %.2f re f" % (width, height)
                return [cover, b"0.1 0.1 0.1 rg", *pages[0]]
        raise ValidationError(
            _(
                "The evidence record is too long for one page: keep it as a "
                "separate PDF."
            ),
            code="evidence_too_long",
        )
