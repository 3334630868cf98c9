"""Settings → Signing certificate: the firm's certificate (import a PKCS#12
file, or generate a self-signed one) and the signing settings, for those who
manage the settings."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from loket import access
from loket.access import Capability
from loket.accounts.models import User
from loket.core.http import signed_in_user
from loket.signatures import actions
from loket.signatures.forms import GenerateCertificateForm, ImportCertificateForm
from loket.signatures.models import SigningCertificate, SigningSettings
from loket.signatures.settings_forms import SigningSettingsForm


def _manager(request: HttpRequest) -> User:
    user = signed_in_user(request)
    access.require(access.can(user, Capability.SETTINGS_MANAGE))
    return user


def _certificate_page(
    request: HttpRequest, *, status: int = 200, **forms: BaseForm
) -> HttpResponse:
    context: dict[str, Any] = {
        "current": SigningCertificate.objects.current(),
        "earlier": SigningCertificate.objects.filter(is_current=False)[:20],
        "import_form": forms.get("import_form") or ImportCertificateForm(),
        "generate_form": forms.get("generate_form") or GenerateCertificateForm(),
        "tsa_url": settings.LOKET_TSA_URL,
        "settings_form": forms.get("settings_form")
        or SigningSettingsForm(instance=SigningSettings.load()),
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


@require_POST
def signing_settings(request: HttpRequest) -> HttpResponse:
    """Settings → Signing certificate: the evidence record's form and e-mail
    attachments, for settings managers."""
    user = _manager(request)
    firm = SigningSettings.load()
    # The form cleans into its own copy, so the action sees what changed.
    form = SigningSettingsForm(request.POST, instance=SigningSettings.load())
    if form.is_valid():
        try:
            actions.update_signing_settings(firm, actor=user, changes=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The signing settings were saved."))
            return redirect("signatures:certificate")
    return _certificate_page(request, status=400, settings_form=form)
