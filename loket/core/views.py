"""The pages every installation has, whatever its features: the health check
and the error pages."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


@login_not_required
def health(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def _error(request: HttpRequest, status: int, template: str) -> HttpResponse:
    return render(request, template, status=status)


@login_not_required
def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _error(request, 400, "errors/400.html")


@login_not_required
def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _error(request, 403, "errors/403.html")


@login_not_required
def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": "Not Found"}, status=404)
    return _error(request, 404, "errors/404.html")


@login_not_required
def server_error(request: HttpRequest) -> HttpResponse:
    return _error(request, 500, "errors/500.html")
