"""Reading PDF files: checking, describing, previewing."""

from __future__ import annotations

import hashlib
import io
import logging
import threading
from dataclasses import dataclass
from typing import Any

import pypdfium2 as pdfium
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.validation import (
    read_certification_data,
)

from loket.signatures.pdf.types import (
    MAX_RENDER_WIDTH,
    MIN_RENDER_WIDTH,
    PageInfo,
    Pdf,
    PdfInfo,
    SignatureBox,
)

logger = logging.getLogger(__name__)

# pdfium is not thread-safe.
_pdfium_lock = threading.Lock()
# Reading.


def _read(pdf: Pdf) -> bytes:
    if isinstance(pdf, bytes | bytearray | memoryview):
        return bytes(pdf)
    if hasattr(pdf, "seek"):
        pdf.seek(0)
    return pdf.read()


def sha256(pdf: Pdf) -> str:
    """The SHA-256 of the bytes, as lower-case hex."""
    if isinstance(pdf, bytes | bytearray | memoryview):
        return hashlib.sha256(pdf).hexdigest()
    if hasattr(pdf, "seek"):
        pdf.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: pdf.read(1024 * 1024), b""):
        digest.update(chunk)
    return digest.hexdigest()


def _not_pdf() -> ValidationError:
    return ValidationError(_("This file is not a PDF document."), code="not_pdf")


def _encrypted() -> ValidationError:
    return ValidationError(
        _(
            "This PDF is protected with a password or encryption. Remove the "
            "protection (for example by printing it to a new PDF) and try again."
        ),
        code="encrypted",
    )


def _damaged() -> ValidationError:
    return ValidationError(
        _(
            "This PDF is damaged and cannot be read. Save or print it as a new PDF "
            "and try again."
        ),
        code="damaged",
    )


def _open(data: bytes) -> PdfFileReader:
    """A pyHanko reader for a readable, unencrypted PDF, or a ValidationError."""
    if b"%PDF-" not in data[:1024]:
        raise _not_pdf()
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        encrypted = reader.encrypted
    except Exception as error:
        logger.info("unreadable PDF: %s", error)
        raise _damaged() from None
    if encrypted:
        raise _encrypted()
    return reader


def _inherited(page: generic.DictionaryObject, key: str) -> Any:
    node: Any = page
    for _depth in range(64):
        if key in node:
            return node[key]
        if "/Parent" not in node:
            return None
        node = node["/Parent"]
    return None


def _box(value: Any) -> tuple[float, float, float, float] | None:
    if value is None or len(value) != 4:
        return None
    x1, y1, x2, y2 = (float(v) for v in value)
    return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)


@dataclass(frozen=True)
class _PageGeometry:
    crop: tuple[float, float, float, float]  # visible area in user space
    rotation: int

    @property
    def display_size(self) -> tuple[float, float]:
        width, height = self.crop[2] - self.crop[0], self.crop[3] - self.crop[1]
        return (height, width) if self.rotation in (90, 270) else (width, height)

    def to_user_space(self, box: SignatureBox) -> tuple[float, float, float, float]:
        """The rectangle (llx, lly, urx, ury) in the page's own coordinates."""
        llx, lly, urx, ury = self.crop
        x, y, w, h = box.x, box.y, box.width, box.height
        if self.rotation == 90:
            return llx + y, lly + x, llx + y + h, lly + x + w
        if self.rotation == 180:
            return urx - x - w, lly + y, urx - x, lly + y + h
        if self.rotation == 270:
            return urx - y - h, ury - x - w, urx - y, ury - x
        return llx + x, ury - y - h, llx + x + w, ury - y


def _geometry(page: generic.DictionaryObject) -> _PageGeometry:
    media = _box(_inherited(page, "/MediaBox"))
    if media is None:
        raise _damaged()
    crop = _box(_inherited(page, "/CropBox")) or media
    # The visible area is the crop box clipped to the media box.
    crop = (
        max(crop[0], media[0]),
        max(crop[1], media[1]),
        min(crop[2], media[2]),
        min(crop[3], media[3]),
    )
    if crop[2] - crop[0] < 1 or crop[3] - crop[1] < 1:
        crop = media
    rotation = int(_inherited(page, "/Rotate") or 0) % 360
    if rotation % 90:
        rotation = 0
    return _PageGeometry(crop=crop, rotation=rotation)


def _pages(reader: PdfFileReader) -> list[generic.DictionaryObject]:
    """The page objects in order, walking the page tree once."""
    pages: list[generic.DictionaryObject] = []
    seen: set[Any] = set()

    def walk(node_ref: Any, depth: int) -> None:
        if depth > 64:
            raise _damaged()
        node = node_ref.get_object()
        kind = node.get("/Type")
        if kind == "/Pages" or (kind is None and "/Kids" in node):
            for kid in node["/Kids"]:
                ref = getattr(kid, "reference", None)
                if ref is not None:
                    if ref in seen:
                        raise _damaged()
                    seen.add(ref)
                walk(kid, depth + 1)
        else:
            pages.append(node)

    walk(reader.root.raw_get("/Pages"), 0)
    return pages


def inspect(pdf: Pdf) -> PdfInfo:
    """Check that a PDF can be shown and signed, and describe its pages.

    Raises ValidationError (code not_pdf, encrypted, damaged, empty or
    certified) with a message for the person who uploaded it.
    """
    return _inspect(_read(pdf))[0]


def _inspect(data: bytes) -> tuple[PdfInfo, list[_PageGeometry]]:
    reader = _open(data)
    try:
        geometries = [_geometry(page) for page in _pages(reader)]
        infos = []
        for index, geometry in enumerate(geometries):
            width, height = geometry.display_size
            infos.append(
                PageInfo(
                    index=index,
                    width=round(width, 2),
                    height=round(height, 2),
                    rotation=geometry.rotation,
                )
            )
        certification = read_certification_data(reader)
        signature_count = len(reader.embedded_regular_signatures)
    except ValidationError:
        raise
    except Exception as error:
        logger.info("damaged PDF: %s", error)
        raise _damaged() from None
    if not infos:
        raise ValidationError(_("This PDF has no pages."), code="empty")
    if certification is not None and certification.permission == MDPPerm.NO_CHANGES:
        raise ValidationError(
            _("This PDF is certified against any change, so it cannot be signed."),
            code="certified",
        )
    # The previews are drawn by pdfium: it must be able to open the file too.
    with _pdfium_lock:
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as error:
            if "password" in str(error).lower():
                raise _encrypted() from None
            raise _damaged() from None
        try:
            if len(document) != len(infos):
                raise _damaged()
        finally:
            document.close()
    info = PdfInfo(
        page_count=len(infos),
        pages=tuple(infos),
        signature_count=signature_count,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    return info, geometries


def render_page(pdf: Pdf, page: int, width: int) -> bytes:
    """Page `page` (from 0) as a PNG `width` pixels wide, as displayed: rotation
    applied, annotations (signature stamps) drawn."""
    data = _read(pdf)
    if b"%PDF-" not in data[:1024]:
        raise _not_pdf()
    width = max(MIN_RENDER_WIDTH, min(int(width), MAX_RENDER_WIDTH))
    with _pdfium_lock:
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as error:
            if "password" in str(error).lower():
                raise _encrypted() from None
            raise _damaged() from None
        try:
            if not 0 <= page < len(document):
                raise ValidationError(_("This page does not exist."), code="page")
            # Signature stamps are form widgets: drawn only with forms set up.
            document.init_forms()
            pdf_page = document[page]
            page_width, _height = pdf_page.get_size()
            bitmap = pdf_page.render(
                scale=width / page_width, draw_annots=True, may_draw_forms=True
            )
            image = bitmap.to_pil()
            pdf_page.close()
        finally:
            document.close()
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
