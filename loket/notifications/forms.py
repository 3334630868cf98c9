from typing import Any

import filetype
from django import forms
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from loket import access
from loket.accounts.models import User
from loket.notifications.models import (
    EmailSettings,
    Kind,
    OutgoingEmail,
    Preference,
    ReminderSchedule,
)

LOGO_MAX_BYTES = 200 * 1024
LOGO_TYPES = {"image/png", "image/jpeg", "image/gif"}


class EmailSettingsForm(forms.ModelForm[EmailSettings]):
    logo_file = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG, JPEG or GIF, at most 200 KB. Sent inside each e-mail."),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/png,image/jpeg,image/gif"}
        ),
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    class Meta:
        model = EmailSettings
        fields = [
            "notifications_enabled",
            "sender_name",
            "reply_to",
            "footer",
            "detailed",
            "remind_days_before",
            "remind_on_due_date",
            "remind_every_days_overdue",
            "remind_max",
            "send_hour",
            "log_retention_days",
        ]
        labels = {
            "notifications_enabled": _("Send e-mail notifications"),
            "detailed": _("Detailed notifications"),
        }
        help_texts = {
            "notifications_enabled": _(
                "Off: no notification e-mails, and the file-request wizard does not "
                "ask for an additional message. Invitations and password resets are "
                "always sent."
            ),
            "sender_name": _("Shown as the sender. Empty: the firm's name."),
            "reply_to": _("Where replies to the e-mails go. Empty: the sender."),
            "footer": _("A signature under every e-mail, in plain text."),
            "detailed": _(
                "On: e-mails name the entity and the files, and quote the "
                "description and comments. Off: they only say that something new "
                "is waiting."
            ),
            "remind_days_before": _("0: no reminder before the due date."),
            "remind_every_days_overdue": _("0: no reminders after the due date."),
            "send_hour": _(
                "Reminders and digests go out in this hour (0–23), in the firm's "
                "time zone."
            ),
            "log_retention_days": _("Older entries of the e-mail log are removed."),
        }
        widgets = {"footer": forms.Textarea(attrs={"rows": 3})}

    def clean_logo_file(self) -> tuple[bytes, str] | None:
        upload = self.cleaned_data.get("logo_file")
        if not upload:
            return None
        if upload.size > LOGO_MAX_BYTES:
            raise forms.ValidationError(_("The logo may be at most 200 KB."))
        content = upload.read(LOGO_MAX_BYTES + 1)
        kind = filetype.guess(content)
        if kind is None or kind.mime not in LOGO_TYPES:
            raise forms.ValidationError(_("The logo must be a PNG, JPEG or GIF image."))
        return content, kind.mime


class PreferencesForm(forms.Form):
    """One choice per kind of notification the user can receive."""

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        chosen = dict(
            Preference.objects.filter(user=user).values_list("kind", "channel")
        )
        for kind in preference_kinds(user):
            if kind == Kind.DIGEST:
                choices: list[tuple[str, StrOrPromise]] = [
                    (Preference.Channel.IMMEDIATE, _("Yes, once a day")),
                    (Preference.Channel.OFF, _("No")),
                ]
                label = _("Daily digest")
            else:
                choices = [(str(v), label) for v, label in Preference.Channel.choices]
                label = Kind(kind).label
            self.fields[kind] = forms.ChoiceField(
                label=label,
                choices=choices,
                initial=chosen.get(kind, Preference.Channel.IMMEDIATE),
                widget=forms.RadioSelect,
            )


def preference_kinds(user: User) -> list[str]:
    """The kinds a user can choose for: what reaches someone of their kind."""
    if access.is_staff(user):
        return [
            Kind.RESPONSE_RECEIVED,
            Kind.COMMENT,
            Kind.DOCUMENT_SIGNED,
            Kind.ACCESS_GRANTED,
            Kind.DIGEST,
        ]
    return [
        Kind.REMINDER,
        Kind.COMMENT,
        Kind.REQUEST_COMPLETED,
        Kind.ACCESS_GRANTED,
        Kind.DIGEST,
    ]


def essential_kinds(user: User) -> list[str]:
    if access.is_staff(user):
        return [Kind.SIGNING_FAILED, Kind.PASSWORD_RESET]
    return [
        Kind.REQUEST_SENT,
        Kind.REQUEST_RETURNED,
        Kind.SIGNATURE_REQUESTED,
        Kind.PASSWORD_RESET,
    ]


class ReminderScheduleForm(forms.ModelForm[ReminderSchedule]):
    class Meta:
        model = ReminderSchedule
        fields = [
            "enabled",
            "days_before",
            "on_due_date",
            "every_days_overdue",
            "max_count",
        ]

    def __init__(self, *args: Any, firm: EmailSettings, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        on_due_date = _("Yes") if firm.remind_on_due_date else _("No")
        self.fields["on_due_date"].widget.choices = [
            (
                "unknown",
                _("As the firm's default (%(value)s)") % {"value": on_due_date},
            ),
            ("true", _("Yes")),
            ("false", _("No")),
        ]
        default = _("Empty: the firm's default (%(value)s).")
        self.fields["days_before"].help_text = default % {
            "value": firm.remind_days_before
        }
        self.fields["every_days_overdue"].help_text = default % {
            "value": firm.remind_every_days_overdue
        }
        self.fields["max_count"].help_text = default % {"value": firm.remind_max}


class LogFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Recipient or subject")}
        ),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any")), *OutgoingEmail.Status.choices],
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any")), *Kind.choices]
    )
