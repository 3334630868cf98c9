"""Verify: check the signatures of a PDF one has."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from loket.core.http import signed_in_user
from loket.signatures import pdf
from loket.signatures.forms import VerifyForm
from loket.signatures.models import firm_trust_roots


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Anyone signed in may check the signatures of a PDF they have: the page
    reads the upload, reports, and keeps nothing."""
    signed_in_user(request)
    posted = request.method == "POST"
    form = VerifyForm(request.POST, request.FILES) if posted else VerifyForm()
    reports = None
    status = 200
    if posted:
        if form.is_valid():
            try:
                reports = pdf.verify(
                    form.cleaned_data["file"], trust_roots=firm_trust_roots()
                )
            except ValidationError as error:
                form.add_error("file", error)
        if reports is None:
            status = 400
    context = {
        "form": form,
        "reports": reports,
        "file_name": getattr(request.FILES.get("file"), "name", ""),
    }
    return render(request, "signatures/verify.html", context, status=status)
