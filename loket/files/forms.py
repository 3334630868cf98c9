"""The forms of the Files pages: each parses input; the actions decide."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

CLASH_CHOICES = [
    ("ask", _("Ask me")),
    ("version", _("Add it as a new version")),
    ("copy", _("Keep both")),
]


class NameForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=255)


class FolderForm(NameForm):
    parent = forms.UUIDField(required=False, widget=forms.HiddenInput)


class CommitForm(forms.Form):
    """What the upload widget posts when a resumable upload has finished."""

    upload = forms.UUIDField()
    folder = forms.UUIDField(required=False)
    on_clash = forms.ChoiceField(choices=CLASH_CHOICES, required=False)

    def clean_on_clash(self) -> str:
        return self.cleaned_data.get("on_clash") or "ask"


class UploadForm(forms.Form):
    """A plain upload (small files, no JavaScript)."""

    file = forms.FileField(label=_("File"), allow_empty_file=True)
    folder = forms.UUIDField(required=False, widget=forms.HiddenInput)
    on_clash = forms.ChoiceField(
        label=_("If a file of that name is already here"),
        choices=CLASH_CHOICES,
        required=False,
    )

    def clean_on_clash(self) -> str:
        return self.cleaned_data.get("on_clash") or "ask"


class VersionUploadForm(forms.Form):
    file = forms.FileField(label=_("File"), allow_empty_file=True)


class MoveForm(forms.Form):
    """Where to: a folder of the same entity, or the top ("")."""

    folder = forms.ChoiceField(label=_("Move to"), required=False)

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        folder = self.fields["folder"]
        assert isinstance(folder, forms.ChoiceField)
        folder.choices = choices
