"""Organizer forms for delivery and responses. They parse input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from undersigned.delivery.models import Status
from undersigned.delivery.services.responses import LINK_MAX, NOTE_MAX


class DeliverNowForm(forms.Form):
    confirm = forms.BooleanField(
        label="I have read the letter and want it delivered to its recipient now.",
        error_messages={"required": "Tick the box to confirm; delivery cannot be undone."},
    )


class ResponseForm(forms.Form):
    demand = forms.TypedChoiceField(label="Demand", coerce=int)
    status = forms.ChoiceField(label="Answer", choices=Status.choices)
    happened_on = forms.DateField(
        label="Date", widget=forms.DateInput(attrs={"type": "date"}), initial=timezone.localdate
    )
    note = forms.CharField(
        label="Note", required=False, max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 4})
    )
    link = forms.CharField(
        label="Link (optional)",
        required=False,
        max_length=LINK_MAX,
        help_text="A public source: the company's statement, a news report.",
        widget=forms.URLInput(),
    )

    def __init__(self, *args: Any, demands: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["demand"].choices = demands  # type: ignore[attr-defined]  # ChoiceField
