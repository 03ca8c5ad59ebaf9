"""Forms for organizers' accounts. They parse input; the services decide what is allowed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from undersigned.accounts.models import Role
from undersigned.accounts.twofactor import login_email

# Hashing is deliberately slow; an unbounded password would make it a lever for denial of service.
PASSWORD_MAX = 1024


T = TypeVar("T")


def add_service_error(form: forms.Form, error: ValidationError) -> None:
    """Shows a service's refusal next to the fields it names, or above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def submit(form: forms.Form, action: Callable[[], T]) -> T | None:
    """The service's result, or None with its refusal shown on the form."""
    try:
        return action()
    except ValidationError as error:
        add_service_error(form, error)
        return None


class EmailAuthenticationForm(AuthenticationForm):
    """Log in by email; addresses are stored lower-cased, so they are matched that way."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "This email and password do not match an organizer account.",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.label = "Email"
        username.widget.input_type = "email"
        username.widget.attrs["autocomplete"] = "email"

    def clean_username(self) -> str:
        return login_email(str(self.cleaned_data["username"]))


class InviteForm(forms.Form):
    email = forms.CharField(label="Email", widget=forms.EmailInput(attrs={"autocomplete": "off"}))


class CoOrganizerInviteForm(InviteForm):
    role = forms.ChoiceField(
        choices=Role.choices,
        initial=Role.EDITOR,
        help_text="Owners can do everything, including inviting others and opening the letter; "
        "editors change the text, demands and addenda; viewers only read.",
    )


def _new_password(label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        strip=False,
        max_length=PASSWORD_MAX,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class InvitationAcceptForm(forms.Form):
    display_name = forms.CharField(
        label="Your name",
        required=False,
        help_text="Shown to your co-organizers, never to the public.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password = _new_password("Choose a password", "At least 10 characters; not a common one.")
    password_again = _new_password("The same password again")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", "The two passwords differ.")
        return data
