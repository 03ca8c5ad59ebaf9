"""Web forms for signers. Field checks live in inputs.py, shared with the API."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from undersigned.signing import inputs, tiers
from undersigned.signing.mailbox import MAX_EMAIL_LENGTH, clean_address


def _text(label: str) -> forms.CharField:
    # A generous bound: the real limit is checked by clean_text, with a message that names it.
    return forms.CharField(label=label, required=False, max_length=2000, strip=False)


class SignerForm(forms.Form):
    tier = forms.ChoiceField(
        label="How do you want to sign?",
        choices=[(r.tier.value, r.label) for r in tiers.SELECTABLE_TIERS],
        widget=forms.RadioSelect,
        initial="public",
    )
    name = _text("Your name")
    title = _text("Job title (optional)")
    department = _text("Department (optional)")
    location = _text("Location (optional)")
    language = forms.CharField(widget=forms.HiddenInput, required=False, max_length=8)
    # The letter version the page showed; signing after an amendment asks to read it first.
    version = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=1, max_value=inputs.VERSION_MAX
    )

    details: inputs.SignerDetails

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "tier" not in data:
            return data
        try:
            self.details = inputs.clean_signer(
                tier=data["tier"], fields={k: data.get(k) for k in tiers.FIELDS}
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
        return data


def _address(value: str) -> str:
    return clean_address(value)


class EmailStartForm(SignerForm):
    email = forms.CharField(
        label="Your work email",
        max_length=MAX_EMAIL_LENGTH * 2,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    updates = forms.BooleanField(
        label="Send me updates about this letter (the address is kept encrypted, only until "
        "the campaign ends)",
        required=False,
    )

    field_order = ("email", "tier", "name", "title", "department", "location", "updates")

    def clean_email(self) -> str:
        return _address(self.cleaned_data["email"])


class InviteForm(SignerForm):
    invite_code = forms.CharField(label="Invite code", max_length=64)

    field_order = ("invite_code", "tier", "name", "title", "department", "location")


class CodeForm(forms.Form):
    email = forms.CharField(widget=forms.HiddenInput, max_length=MAX_EMAIL_LENGTH * 2)
    # The signed request of the page that started (web/public/signing_common.request_seal).
    request = forms.CharField(widget=forms.HiddenInput, required=False, max_length=4000)
    code = forms.CharField(
        label="Code from the message",
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )

    def clean_email(self) -> str:
        return _address(self.cleaned_data["email"])

    def clean_code(self) -> str:
        return inputs.clean_code(self.cleaned_data["code"])


class ReceiptForm(forms.Form):
    receipt_secret = forms.CharField(label="Your receipt", max_length=200)

    def clean_receipt_secret(self) -> str:
        return inputs.clean_receipt_secret(self.cleaned_data["receipt_secret"])


class WithdrawStartForm(forms.Form):
    email = forms.CharField(
        label="The work email you signed with",
        max_length=MAX_EMAIL_LENGTH * 2,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    language = forms.CharField(widget=forms.HiddenInput, required=False, max_length=8)

    def clean_email(self) -> str:
        return _address(self.cleaned_data["email"])
