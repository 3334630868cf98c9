"""The fonts Loket ships, embedded and subsetted in the PDFs it writes."""

from __future__ import annotations

import datetime as dt
import io
import logging
from functools import cache
from pathlib import Path

import uharfbuzz as hb
from django.conf import settings
from django.utils import formats, timezone
from fontTools import ttLib
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.writer import BasePdfFileWriter

FONTS_DIR = Path(settings.BASE_DIR) / "static" / "fonts"
HANDWRITING_FONT = FONTS_DIR / "DancingScript-Regular.otf"
TEXT_FONT = FONTS_DIR / "Cantarell-Regular.otf"

# Both fonts are name-keyed CFF, which pyHanko embeds as it should while
# warning about it for every signature.
logging.getLogger("pyhanko.pdf_utils.font.opentype").setLevel(logging.ERROR)


@cache
def _shaping_font(path: Path) -> hb.Font:
    return hb.Font(hb.Face(path.read_bytes()))


@cache
def _embedding_font(path: Path) -> bytes:
    """The font without its layout tables: harfbuzz has already applied them
    (kerning, ligatures) when shaping, and subsetting them costs a quarter of
    a second per font."""
    font = ttLib.TTFont(io.BytesIO(path.read_bytes()))
    for tag in ("GPOS", "GSUB", "GDEF", "kern", "FFTM"):
        if tag in font:
            del font[tag]
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


@cache
def _characters(path: Path) -> frozenset[int]:
    return frozenset(ttLib.TTFont(io.BytesIO(path.read_bytes())).getBestCmap())


def covers(path: Path, text: str) -> bool:
    """Whether the font has a glyph for every character of `text`."""
    have = _characters(path)
    return all(ord(c) in have for c in text if not c.isspace())


class _Glyphs(GlyphAccumulator):
    def __init__(self, writer: BasePdfFileWriter, path: Path) -> None:
        super().__init__(writer, io.BytesIO(_embedding_font(path)), 10)
        # Same glyph ids: the tables dropped above do not renumber glyphs.
        self.hb_font = _shaping_font(path)


class _Font:
    """An embedded, subsetted OpenType font on one writer."""

    def __init__(self, writer: BasePdfFileWriter, path: Path) -> None:
        self.engine = _Glyphs(writer, path)

    def width(self, text: str, size: float) -> float:
        return float(self.engine.shape(text).x_advance) * size

    def show(self, name: str, text: str, x: float, y: float, size: float) -> bytes:
        # The engine positions glyphs for the size it is told.
        self.engine.font_size = size  # type: ignore[assignment]
        ops = self.engine.shape(text).graphics_ops
        return b"BT /%s %.2f Tf %.2f %.2f Td %s ET" % (
            name.encode("ascii"),
            size,
            x,
            y,
            ops,
        )


def _fit(font: _Font, text: str, size: float, width: float, least: float) -> float:
    """The font size at most `size` (and at least `least`) at which `text` fits."""
    natural = font.width(text, size)
    if natural <= width or natural == 0:
        return size
    # A hair under the exact ratio: at the exact size, rounding can make the
    # text measure a fraction over `width`, and a wrap would then cut it.
    return max(least, size * width / natural * 0.999)


def _clip(font: _Font, text: str, size: float, width: float) -> str:
    if font.width(text, size) <= width:
        return text
    while text and font.width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def _when(moment: dt.datetime) -> str:
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    return f"{formats.date_format(local, 'SHORT_DATETIME_FORMAT')} {local:%Z}".strip()
