"""Web forms of the anonymous signing pages. Field checks live in inputs.py, shared with the API."""

from __future__ import annotations

from django import forms

from undersigned.crypto import tokens
from undersigned.signing import inputs
from undersigned.signing.mailbox import MAX_EMAIL_LENGTH, clean_address

# Pasted tokens may carry line breaks and spaces; clean_base64 drops them and checks the size.
_TOKEN_FIELD_MAX = 2000


def _email() -> forms.CharField:
    return forms.CharField(
        label="Your work email",
        max_length=MAX_EMAIL_LENGTH * 2,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class AnonymousStartForm(forms.Form):
    """Only a mailbox: nothing else is asked for before the token exists."""

    email = _email()
    language = forms.CharField(widget=forms.HiddenInput, required=False, max_length=8)

    def clean_email(self) -> str:
        return clean_address(self.cleaned_data["email"])


class TokenCodeForm(forms.Form):
    """The mailbox and its code; the page's script sends them with the blinded request."""

    email = _email()
    code = forms.CharField(
        label="Code from the message",
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class TokenInviteForm(forms.Form):
    invite_code = forms.CharField(label="Invite code", max_length=64)


class RedeemForm(forms.Form):
    token = forms.CharField(
        label="Your anonymous token",
        max_length=_TOKEN_FIELD_MAX,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "autocomplete": "off"}),
    )
    department = forms.CharField(
        label="Department (optional)", required=False, max_length=2000, strip=False
    )
    language = forms.CharField(widget=forms.HiddenInput, required=False, max_length=8)

    def clean_token(self) -> bytes:
        return inputs.clean_base64(
            self.cleaned_data["token"], field="token", max_bytes=tokens.TOKEN_LEN
        )

    def clean_department(self) -> str:
        return inputs.clean_department(self.cleaned_data["department"])
