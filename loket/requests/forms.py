from datetime import date
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from loket.requests.models import SHOWN_STATUS_CHOICES

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RequestFilterForm(forms.Form):
    """The Activities list's filters (all optional)."""

    entity = forms.CharField(
        label=_("Entity"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name or client number")}
        ),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), ("open", _("Open")), *SHOWN_STATUS_CHOICES],
    )
    recipient = forms.CharField(
        label=_("Recipient"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name or e-mail address")}
        ),
    )
    due = forms.ChoiceField(
        label=_("Due"),
        required=False,
        choices=[
            ("", _("Any time")),
            ("overdue", _("Overdue")),
            ("week", _("Due within a week")),
            ("none", _("No due date")),
        ],
    )
    mine = forms.BooleanField(label=_("Created by me"), required=False)

    def __init__(self, *args: Any, with_entity: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not with_entity:
            del self.fields["entity"]


class DetailsForm(forms.Form):
    """The wizard's second step, and the edit page."""

    subject = forms.CharField(label=_("Subject"), max_length=200)
    # The seed's "Omschrijving", not the roles' and groups' "Beschrijving".
    description = forms.CharField(
        label=pgettext_lazy("file request", "Description"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Plain text; line breaks are kept."),
    )
    due_date = forms.DateField(label=_("Due date"), required=False, widget=DATE_INPUT)
    limited = forms.BooleanField(
        label=_("Limited"),
        required=False,
        help_text=_(
            "Only you, the recipients and those who manage the entity's content "
            "see a limited request."
        ),
    )

    def __init__(
        self, *args: Any, kept_due_date: date | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # A request's due date may have passed; keeping it is no change.
        self.kept_due_date = kept_due_date

    def clean_due_date(self) -> date | None:
        due: date | None = self.cleaned_data.get("due_date")
        if due is not None and due != self.kept_due_date and due < timezone.localdate():
            raise forms.ValidationError(_("The due date is in the past."))
        return due


class MessageForm(forms.Form):
    additional_message = forms.CharField(
        label=_("Additional message"),
        required=False,
        max_length=5_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Optional. It is added to the e-mail notification sent to the recipients."
        ),
    )


class EditForm(DetailsForm):
    """Edit a request: its details and, when the firm sends notifications, the
    additional message."""

    additional_message = MessageForm.base_fields["additional_message"]

    def __init__(self, *args: Any, with_message: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["limited"]
        if not with_message:
            del self.fields["additional_message"]


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    internal = forms.BooleanField(
        label=_("Internal: only staff see it"), required=False
    )


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label=_("What is missing or needs to change?"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class NotApplicableForm(forms.Form):
    reason = forms.CharField(
        label=_("Why does this not apply to you?"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SubmitForm(forms.Form):
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
