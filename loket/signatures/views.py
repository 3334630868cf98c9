from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from loket import access
from loket.access import Capability
from loket.accounts.models import User
from loket.core.http import signed_in_user
from loket.signatures import actions, pdf
from loket.signatures.forms import (
    GenerateCertificateForm,
    ImportCertificateForm,
    VerifyForm,
)
from loket.signatures.models import SigningCertificate, firm_trust_roots


def _manager(request: HttpRequest) -> User:
    user = signed_in_user(request)
    access.require(access.can(user, Capability.SETTINGS_MANAGE))
    return user


def _certificate_page(
    request: HttpRequest, *, status: int = 200, **forms: Form
) -> HttpResponse:
    context: dict[str, Any] = {
        "current": SigningCertificate.objects.current(),
        "earlier": SigningCertificate.objects.filter(is_current=False)[:20],
        "import_form": forms.get("import_form") or ImportCertificateForm(),
        "generate_form": forms.get("generate_form") or GenerateCertificateForm(),
        "tsa_url": settings.LOKET_TSA_URL,
    }
    return render(request, "signatures/certificate.html", context, status=status)


@require_GET
def certificate(request: HttpRequest) -> HttpResponse:
    _manager(request)
    return _certificate_page(request)


@require_POST
def import_certificate(request: HttpRequest) -> HttpResponse:
    user = _manager(request)
    form = ImportCertificateForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            actions.import_signing_certificate(
                form.cleaned_data["file"],
                password=form.cleaned_data["password"],
                actor=user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The signing certificate was imported."))
            return redirect("signatures:certificate")
    return _certificate_page(request, status=400, import_form=form)


@require_POST
def generate_certificate(request: HttpRequest) -> HttpResponse:
    user = _manager(request)
    form = GenerateCertificateForm(request.POST)
    if form.is_valid():
        try:
            actions.generate_signing_certificate(form.cleaned_data["name"], actor=user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("A self-signed signing certificate was generated.")
            )
            return redirect("signatures:certificate")
    return _certificate_page(request, status=400, generate_form=form)


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
