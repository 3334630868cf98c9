"""Placeholder: being written."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def token_list(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404
