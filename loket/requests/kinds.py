"""What an app built on requests adds to a request's pages for the kind it
owns (signatures: the signers and where each stands). Requests import none
of those apps, the dependency goes the other way: such an app registers its
part here, in its AppConfig.ready()."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from loket.requests.models import Request

PageContext = Callable[[Request], dict[str, Any]]


@dataclass(frozen=True)
class KindPages:
    """What the request's page (`detail`) and its edit page (`edit`) show of
    a request of one kind: extra template context, read for that request."""

    detail: PageContext
    edit: PageContext


_registered: dict[str, KindPages] = {}


def register(kind: str, pages: KindPages) -> None:
    """Add `pages` to the pages of every request of `kind`."""
    _registered[kind] = pages


def detail_context(request: Request) -> dict[str, Any]:
    """What the request's page shows of its kind (nothing for a file request)."""
    pages = _registered.get(request.kind)
    return pages.detail(request) if pages else {}


def edit_context(request: Request) -> dict[str, Any]:
    """What the edit page shows of the request's kind."""
    pages = _registered.get(request.kind)
    return pages.edit(request) if pages else {}
