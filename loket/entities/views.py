"""Placeholder: being written."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def entity_list(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def entity_create(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def entity_overview(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def entity_edit(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def entity_archive(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def entity_restore(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def entity_files(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def entity_activities(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404
