"""Where the signatures go: the boxes staff place on the page preview (or
leave at the default place), checked against the pages of the document.
Plain geometry on `pdf.PdfInfo`: no database, no files."""

import math

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from loket.signatures import pdf
from loket.signatures.pdf.types import DEFAULT_BOX_HEIGHT, DEFAULT_BOX_WIDTH

# Stacked default boxes: this much room between two signers' boxes.
BOX_GAP = 8.0
# A box staff place or resize on the preview is at least this big (points).
PLACED_MIN_WIDTH = 100.0
PLACED_MIN_HEIGHT = 30.0


def stacked_boxes(info: pdf.PdfInfo, count: int) -> list[pdf.SignatureBox]:
    """The default box for each signer: the end of the last page, each next
    one above the previous one (and on the page before when they run out)."""
    first = pdf.SignatureBox.default(info)
    boxes = []
    page, y = first.page, first.y
    for _n in range(count):
        if y < 0:
            page = max(0, page - 1)
            y = first.y
        boxes.append(
            pdf.SignatureBox(
                page=page, x=first.x, y=y, width=first.width, height=first.height
            )
        )
        y -= first.height + BOX_GAP
    return boxes


def box_size(page: pdf.PageInfo) -> tuple[float, float]:
    """The size of a box placed on `page` (points): the default, smaller on a
    small page."""
    return (
        min(DEFAULT_BOX_WIDTH, page.width),
        min(DEFAULT_BOX_HEIGHT, page.height),
    )


def min_box_size(page: pdf.PageInfo) -> tuple[float, float]:
    """The smallest box staff may make on `page` (points): room for a
    signature over a name and a date, or the whole of a smaller page."""
    return (
        min(PLACED_MIN_WIDTH, page.width),
        min(PLACED_MIN_HEIGHT, page.height),
    )


def placed_box(
    info: pdf.PdfInfo,
    *,
    page: int,
    x: float,
    y: float,
    width: float | None = None,
    height: float | None = None,
) -> pdf.SignatureBox:
    """A box staff placed (and perhaps resized) on the preview: its top-left
    corner at (`x`, `y`), points from the top-left of page `page` (from 0) as
    displayed, `width` by `height` points (the default size when not given).
    Refused when it is not on the page, or smaller than `min_box_size`."""
    if not 0 <= page < info.page_count:
        raise ValidationError(_("This page does not exist."), code="page")
    shown = info.pages[page]
    default_width, default_height = box_size(shown)
    width = default_width if width is None else width
    height = default_height if height is None else height
    if not all(math.isfinite(value) for value in (x, y, width, height)) or (
        x < 0
        or y < 0
        or x + width > shown.width + 0.5
        or y + height > shown.height + 0.5
    ):
        raise ValidationError(
            _("The signature box does not fit on the page."), code="box"
        )
    min_width, min_height = min_box_size(shown)
    # The preview sends two decimals: a box made as small as allowed passes.
    if width < min_width - 0.01 or height < min_height - 0.01:
        raise ValidationError(_("The signature box is too small."), code="box")
    return pdf.SignatureBox(page=page, x=x, y=y, width=width, height=height)


def boxes_for(
    info: pdf.PdfInfo, placed: list[pdf.SignatureBox | None]
) -> list[pdf.SignatureBox]:
    """One box per signer: where staff placed it, or else the default place
    (stacked among those left at the default)."""
    defaults = iter(stacked_boxes(info, placed.count(None)))
    return [box or next(defaults) for box in placed]
