"""Placeholder: being written."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def entity_history(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def entity_history_csv(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def firm_history(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404
