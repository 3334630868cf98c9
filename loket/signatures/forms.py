import base64

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

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


class SignatureRequestForm(forms.Form):
    """Staff ask for signatures on a PDF. The signers come as one `signers`
    value per select, first signer first (their order when `ordered`)."""

    subject = forms.CharField(label=_("Subject"), max_length=200)
    message = forms.CharField(
        label=_("Additional message"), required=False, widget=forms.Textarea
    )
    due_date = forms.DateField(
        label=_("Due date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    ordered = forms.BooleanField(
        label=_("One after another, in this order"), required=False, initial=True
    )
    email_code = forms.BooleanField(
        label=_("Signers confirm it is them with a code sent by e-mail"),
        required=False,
        initial=True,
    )


class SignForm(forms.Form):
    consent = forms.BooleanField(
        label=_("I agree to sign this document electronically."), required=False
    )
    method = forms.ChoiceField(
        choices=[
            ("drawn", _("Draw")),
            ("typed", pgettext_lazy("type your name", "Type")),
        ],
        initial="drawn",
    )
    drawing = forms.CharField(required=False, widget=forms.HiddenInput)
    typed_name = forms.CharField(label=_("Your name"), required=False, max_length=200)

    def clean_drawing(self) -> bytes | None:
        value: str = self.cleaned_data.get("drawing") or ""
        prefix = "data:image/png;base64,"
        if not value:
            return None
        if not value.startswith(prefix) or len(value) > 3 * 1024 * 1024:
            raise forms.ValidationError(_("This drawing could not be read."))
        try:
            return base64.b64decode(value[len(prefix) :], validate=True)
        except ValueError as error:
            raise forms.ValidationError(_("This drawing could not be read.")) from error


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you decline to sign?"), widget=forms.Textarea, max_length=2000
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the e-mail"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}
        ),
    )
