from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _

from loket.accounts.models import User


class SignInForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _(
            "The e-mail address or password is not correct. Please try again."
        ),
        "inactive": _(
            "The e-mail address or password is not correct. Please try again."
        ),
    }

    def __init__(self, request: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"] = forms.EmailField(
            label=_("E-mail address"),
            max_length=254,
            widget=forms.EmailInput(
                attrs={"autofocus": True, "autocomplete": "username"}
            ),
        )
        self.fields["password"].label = _("Password")


class ChoosePasswordForm(SetPasswordForm):  # type: ignore[type-arg]
    """The password form used by activation and reset: two fields, validated by
    Django's password validators."""

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.fields["new_password1"].label = _("New password")
        self.fields["new_password2"].label = _("New password again")


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=User.Language.choices)
    next = forms.CharField(required=False)


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, such as the program that will use it."),
    )
