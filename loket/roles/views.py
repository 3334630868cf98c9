"""Placeholder: being written."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def entity_access(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def share(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def access_change(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def access_revoke(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def role_list(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404
