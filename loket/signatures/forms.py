from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from loket.files import storage, uploads
from loket.files.models import Upload
from loket.signatures import pdf
from loket.signatures.certificates import MAX_PKCS12_SIZE
from loket.signatures.drawing import read_drawing

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


PDF_TYPE = "application/pdf"


def _refuse_unless_pdf(content_type: str, name: str) -> None:
    if content_type != PDF_TYPE:
        raise forms.ValidationError(
            _(
                "“%(name)s” is not a PDF: only a PDF can be signed. Other files "
                "go in the entity's Files tab."
            )
            % {"name": name},
            code="not_pdf",
        )


def _upload_bytes(upload: Upload) -> bytes:
    """The bytes of a finished resumable upload, where they wait to be added:
    the bucket for a direct upload to S3, else the partial file."""
    if "s3" in upload.metadata:
        with storage.open_blob(upload.metadata["s3"]["blob"]) as stream:
            return stream.read()
    return storage.read_partial_at(upload)(0, upload.length)


def check_pdf_upload(upload: Upload) -> None:
    """Refuse (ValidationError) a finished upload that is not a PDF that can
    be signed, before any of it becomes a file: its sniffed type first, then
    the PDF itself (encrypted, damaged, certified against change)."""
    _refuse_unless_pdf(upload.content_type, upload.filename)
    pdf.inspect(_upload_bytes(upload))


class DocumentUploadForm(forms.Form):
    """A PDF to ask signatures for, uploaded with the plain form (no
    JavaScript): refused before anything is kept unless it is a PDF that can
    be signed."""

    folder = forms.ChoiceField(label=_("Folder"), required=False)
    file = forms.FileField(label=_("PDF document"))

    def __init__(
        self, *args: Any, folders: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        folder = self.fields["folder"]
        assert isinstance(folder, forms.ChoiceField)
        folder.choices = [("", _("Top folder")), *folders]

    def clean_file(self) -> UploadedFile:
        received: UploadedFile = self.cleaned_data["file"]
        name = uploads.check_upload(received.name or "", received.size)
        head = received.read(uploads.HEAD_SIZE)
        received.seek(0)
        _refuse_unless_pdf(uploads.sniff(head, name), name)
        pdf.inspect(received.read())
        received.seek(0)
        received.name = name
        return received


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
        if not value:
            return None
        try:
            return read_drawing(value)
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from error


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
