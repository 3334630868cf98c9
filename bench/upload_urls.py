"""URLs for bench/upload.py's app server: Loket's own, plus two bench-only
views (a plain multipart upload and a download by version) that authenticate
with a personal API token. Never used outside the benchmark."""

from uuid import UUID

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as loket_urlpatterns


def _user(request: HttpRequest) -> object:
    from loket.accounts.api_tokens import user_for_token

    token = request.headers.get("Authorization", "").removeprefix("Bearer ")
    user = user_for_token(token)
    if user is None:
        raise PermissionDenied
    return user


@login_not_required
@csrf_exempt
def multipart_upload(request: HttpRequest) -> JsonResponse:
    """A plain Django upload: request.FILES, then store_stream."""
    from loket.files import storage, uploads

    _user(request)
    received = request.FILES["file"]
    try:
        name = uploads.check_upload(received.name or "", received.size)
        blob = storage.store_stream(received, name)
    except ValidationError as error:
        return JsonResponse({"detail": error.messages}, status=422)
    return JsonResponse(
        {"blob": blob.blob, "size": blob.size, "sha256": blob.sha256}, status=201
    )


@login_not_required
def download(request: HttpRequest, version_uuid: UUID) -> HttpResponseBase:
    from loket.files import storage
    from loket.files.models import FileVersion

    _user(request)
    version = get_object_or_404(FileVersion, uuid=version_uuid)
    return storage.download_response(version)


urlpatterns = [
    path("bench/multipart/", multipart_upload),
    path("bench/download/<uuid:version_uuid>/", download),
    *loket_urlpatterns,
]
