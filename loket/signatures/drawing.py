"""A drawn signature as the browser or an API client sends it: a PNG, in
base64 or as a data: URL. One check for the sign page and the API."""

import base64
import binascii
import io

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from loket.signatures.pdf.types import MAX_SIGNATURE_IMAGE_PIXELS

MAX_DRAWING_BYTES = 2 * 1024 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
DATA_URL_PREFIX = "data:image/png;base64,"


def read_drawing(value: str) -> bytes:
    """The PNG's bytes, checked: within MAX_DRAWING_BYTES, a real PNG of sane
    dimensions with something drawn on it; else ValidationError."""
    value = value.strip()
    if value.startswith(DATA_URL_PREFIX):
        value = value[len(DATA_URL_PREFIX) :]
    too_large = ValidationError(_("This drawing is too large."), code="invalid")
    if len(value) > (MAX_DRAWING_BYTES + 2) // 3 * 4 + 4:
        raise too_large
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(
            _("This drawing could not be read."), code="invalid"
        ) from None
    if len(data) > MAX_DRAWING_BYTES:
        raise too_large
    not_png = ValidationError(
        _("The drawn signature is not a PNG image."), code="invalid"
    )
    if not data.startswith(PNG_MAGIC):
        raise not_png
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG":
                raise not_png
            if image.width * image.height > MAX_SIGNATURE_IMAGE_PIXELS:
                raise ValidationError(
                    _("The drawn signature is too large."), code="invalid"
                )
            drawn = image.convert("RGBA").getchannel("A").getbbox()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise not_png from None
    if drawn is None:
        raise ValidationError(_("The drawn signature is empty."), code="invalid")
    return data
