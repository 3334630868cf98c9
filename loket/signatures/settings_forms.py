"""The firm's signing settings form (Settings → Signing certificate)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from loket.signatures.models import SigningSettings


class SigningSettingsForm(forms.ModelForm[SigningSettings]):
    class Meta:
        model = SigningSettings
        fields = ["evidence", "email_attachments"]
        widgets = {"evidence": forms.RadioSelect}
        help_texts = {
            "evidence": _(
                "A page: the record is the last page of the signed document, "
                "covered by the firm's seal. A separate PDF: the document is "
                "signed as it is, and the record, sealed too, is stored as a "
                "file of its own next to it. Requests keep the choice they "
                "were made with."
            ),
            "email_attachments": _(
                "With detailed notifications on, the e-mail that tells everyone "
                "the document is signed carries the signed PDF (and a separate "
                "evidence record), up to 10 MB in all; otherwise only a link."
            ),
        }
