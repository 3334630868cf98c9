from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from loket import access
from loket.access import AnyUser
from loket.accounts.models import User
from loket.entities.models import Entity

# What the file chooser offers for a bulk import.
IMPORT_ACCEPT = ".csv,.xlsx,text/csv"


def client_entities(
    user: AnyUser, *, held: frozenset[str] | None = None
) -> QuerySet[Entity]:
    """The entities `user` may pick as a contact's client entity or filter by
    (`held`: what `user` holds firm-wide, read already)."""
    return access.assignable_client_entities(user, held=held)


class ContactFilterForm(forms.Form):
    """The list's search and filters; the exports read the same query string."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name or e-mail address")}
        ),
    )
    entity = forms.ModelChoiceField(
        label=_("Client entity"),
        queryset=Entity.objects.none(),
        required=False,
        to_field_name="uuid",
        empty_label=_("All"),
    )
    state = forms.ChoiceField(
        label=_("Account state"),
        required=False,
        choices=[("", _("All")), *User.State.choices],
    )

    def __init__(self, *args: Any, entities: QuerySet[Entity], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["entity"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = entities

    def apply(self, contacts: QuerySet[User]) -> QuerySet[User]:
        """Narrow `contacts` by the valid filters; an invalid one is ignored."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        query = (data.get("q") or "").strip()
        if query:
            contacts = contacts.filter(
                Q(email__icontains=query)
                | Q(first_name__icontains=query)
                | Q(last_name__icontains=query)
            )
        if data.get("entity") is not None:
            contacts = contacts.filter(client_entity=data["entity"])
        if data.get("state"):
            contacts = contacts.filter(state=data["state"])
        return contacts


class PersonForm(forms.Form):
    """The details of a contact or staff member; the e-mail address is the
    username."""

    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        help_text=_("They sign in with this address."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    language = forms.ChoiceField(
        label=_("Preferred language"),
        choices=User.Language.choices,
        initial=User.Language.NL,
    )

    def __init__(self, *args: Any, person: User | None = None, **kwargs: Any) -> None:
        self.person = person
        super().__init__(*args, **kwargs)

    def clean_email(self) -> str:
        email = str(self.cleaned_data["email"]).strip().lower()
        clash = User.objects.filter(email__iexact=email)
        if self.person is not None:
            clash = clash.exclude(pk=self.person.pk)
        if clash.exists():
            raise forms.ValidationError(_("A user with this e-mail address exists."))
        return email


class ContactForm(PersonForm):
    client_entity = forms.ModelChoiceField(
        label=_("Client entity"),
        queryset=Entity.objects.none(),
        to_field_name="uuid",
        help_text=_("The client this contact works for."),
    )

    field_order = ["email", "first_name", "last_name", "client_entity", "language"]

    def __init__(self, *args: Any, entities: QuerySet[Entity], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = entities.filter(archived_at__isnull=True)
        if self.person is not None and self.person.client_entity_id is not None:
            # An archived client entity stays selectable for its contacts.
            choices = entities.filter(
                Q(archived_at__isnull=True) | Q(pk=self.person.client_entity_id)
            )
        field = self.fields["client_entity"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = choices.order_by("name")


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "A CSV file (UTF-8, comma or semicolon) or an Excel workbook (.xlsx), "
            "at most 5 MB and 5,000 rows, with the columns e-mail, first name, "
            "last name, entity and (optionally) groups. Separate several groups "
            "with ~."
        ),
        widget=forms.FileInput(attrs={"accept": IMPORT_ACCEPT}),
    )


class ImportConfirmForm(forms.Form):
    """The confirmation of a previewed import: never half a file by accident."""

    token = forms.CharField(widget=forms.HiddenInput)
    expected = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    skip_problems = forms.BooleanField(
        label=_("Skip the rows with problems and import only the good rows"),
        required=False,
    )

    def __init__(
        self, *args: Any, token: str, good: int, bad: int, **kwargs: Any
    ) -> None:
        kwargs.setdefault("initial", {"token": token, "expected": good})
        super().__init__(*args, **kwargs)
        self.expected_token, self.good_rows, self.bad_rows = token, good, bad
        if not bad:
            del self.fields["skip_problems"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("token") != self.expected_token:
            raise forms.ValidationError(
                _("This preview belongs to another upload. Check the rows below.")
            )
        if not self.good_rows:
            raise forms.ValidationError(
                _("No row can be imported. Correct the file and upload it again.")
            )
        if data.get("expected") != self.good_rows:
            raise forms.ValidationError(
                _(
                    "The portal has changed since you saw this preview. Check the "
                    "rows again before you import."
                )
            )
        if self.bad_rows and not data.get("skip_problems"):
            raise forms.ValidationError(
                _(
                    "Some rows have problems. Tick the box to skip them and import "
                    "only the good rows, or correct the file and upload it again."
                )
            )
        return data
