"""A page of a PDF as a PNG, for the previews of the request form and the
sign page."""

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse

from loket.signatures import pdf

DEFAULT_WIDTH = 900
MIN_WIDTH = 200
MAX_WIDTH = 1600


def page_png(request: HttpRequest, document: bytes, page: int) -> HttpResponse:
    """Page `page` (from 0) of `document`, `?width=` pixels wide (within
    bounds); 404 for a page it does not have."""
    try:
        width = int(request.GET.get("width", str(DEFAULT_WIDTH)))
    except ValueError:
        width = DEFAULT_WIDTH
    width = min(max(width, MIN_WIDTH), MAX_WIDTH)
    try:
        png = pdf.render_page(document, page, width)
    except ValidationError as error:
        raise Http404 from error
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response
