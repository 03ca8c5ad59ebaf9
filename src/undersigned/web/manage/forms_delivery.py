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


class UpdateForm(forms.Form):
    """A subject and a text per language of the letter; the service checks and cleans them.

    Fields are named subject_<language> and body_<language>, so the service's refusals, keyed
    the same way, land next to the right field.
    """

    def __init__(self, *args: Any, languages: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.languages = [code for code, _ in languages]
        for position, (code, name) in enumerate(languages):
            optional = "" if position == 0 else ", optional"
            self.fields[f"subject_{code}"] = forms.CharField(
                label=f"Subject ({name}{optional})",
                required=False,
                strip=False,
                widget=forms.TextInput(attrs={"lang": code, "dir": "auto"}),
            )
            self.fields[f"body_{code}"] = forms.CharField(
                label=f"Text ({name}{optional})",
                required=False,
                strip=False,
                help_text="Plain text: blank lines make paragraphs; HTML is shown as typed."
                if position == 0
                else "Subscribers who signed in this language get it; leave empty to send "
                "them the first language's text.",
                widget=forms.Textarea(attrs={"rows": 8, "lang": code, "dir": "auto"}),
            )

    def texts(self) -> dict[str, dict[str, str]]:
        data = self.cleaned_data
        return {
            code: {"subject": data[f"subject_{code}"], "body": data[f"body_{code}"]}
            for code in self.languages
        }
