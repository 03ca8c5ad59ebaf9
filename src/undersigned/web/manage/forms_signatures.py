"""Organizer forms: invite batches and invalidation rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from undersigned.common.text import clean_text
from undersigned.signing.services import InvalidationRule
from undersigned.signing.services.organizers import MAX_BATCH


class InviteBatchForm(forms.Form):
    size = forms.IntegerField(label="How many codes", min_value=1, max_value=MAX_BATCH, initial=50)
    label = forms.CharField(
        label="Label (optional, for you: where these codes go)",
        required=False,
        max_length=2000,
        strip=False,
    )

    def clean_label(self) -> str:
        return clean_text(self.cleaned_data["label"], field="label", max_length=120)


class InvalidateForm(forms.Form):
    signed_from = forms.DateField(
        label="Signed on or after", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    signed_to = forms.DateField(
        label="Signed on or before", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    department_contains = forms.CharField(
        label="Department contains",
        help_text="Matches only signatures whose department you can see (public and "
        "recipient-only): a counted signer's department is never shown, not even this way.",
        required=False,
        max_length=2000,
        strip=False,
    )
    name_contains = forms.CharField(
        label="Name contains", required=False, max_length=2000, strip=False
    )
    flagged_only = forms.BooleanField(label="Only flagged signatures", required=False)
    reason = forms.CharField(
        label="Reason (recorded in the audit list)",
        max_length=5000,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    rule: InvalidationRule

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name, label, limit in (
            ("department_contains", "department text", 120),
            ("name_contains", "name text", 120),
            ("reason", "reason", 500),
        ):
            if name in data:
                try:
                    data[name] = clean_text(data[name], field=label, max_length=limit)
                except ValidationError as exc:
                    self.add_error(name, exc)
        if self.errors:
            return data
        if (
            data.get("signed_from")
            and data.get("signed_to")
            and data["signed_from"] > data["signed_to"]
        ):
            raise ValidationError("The first date is after the second.")
        self.rule = InvalidationRule(
            signed_from=data.get("signed_from"),
            signed_to=data.get("signed_to"),
            department_contains=data.get("department_contains", ""),
            name_contains=data.get("name_contains", ""),
            flagged_only=bool(data.get("flagged_only")),
        )
        if self.rule.is_empty():
            raise ValidationError("Choose at least one rule: dates, text, or flagged only.")
        if not data.get("reason"):
            self.add_error("reason", "Say why these signatures are removed.")
        return data
