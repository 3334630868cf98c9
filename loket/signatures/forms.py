from django import forms
from django.utils.translation import gettext_lazy as _

from loket.signatures.certificates import MAX_PKCS12_SIZE

# The largest PDF the Verify page reads.
MAX_VERIFY_SIZE = 100 * 1024 * 1024


class ImportCertificateForm(forms.Form):
    file = forms.FileField(
        label=_("Certificate file (.p12 or .pfx)"),
        help_text=_("The certificate with its private key, as your CA delivered it."),
    )
    password = forms.CharField(
        label=_("Password of the file"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_PKCS12_SIZE:
            raise forms.ValidationError(_("This file is too large for a certificate."))
        data: bytes = upload.read()
        return data


class GenerateCertificateForm(forms.Form):
    name = forms.CharField(
        label=_("Name on the certificate"),
        max_length=64,
        help_text=_("Usually the firm's name."),
    )


class VerifyForm(forms.Form):
    file = forms.FileField(label=_("PDF document"))

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_VERIFY_SIZE:
            raise forms.ValidationError(
                _("This file is too large to check here (at most 100 MB).")
            )
        data: bytes = upload.read()
        return data
