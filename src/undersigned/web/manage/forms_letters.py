"""Forms of the organizer dashboard.

They only parse (text, numbers, dates, files); letters/services.py decides what is allowed and
its refusals come back keyed by these field names. Forms with long text are sent as
multipart/form-data: URL-encoding would triple the size of non-Latin text and hit the request
size limit long before the text limits.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms

from undersigned.letters.models import LANGUAGE_CHOICES, LANGUAGES, AddendumKind
from undersigned.letters.presentation import direction
from undersigned.web.manage.dashboard import ManagedDemand

_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
_SEPARATORS = re.compile(r"[\s,;]+")


def _written_in(field: forms.Field, language: str | None) -> None:
    """Marks a text input with its language, so right-to-left text is typed and read correctly."""
    if language is None:
        field.widget.attrs["dir"] = "auto"
    else:
        field.widget.attrs.update(lang=language, dir=direction(language))


class DomainsField(forms.CharField):
    """Domains one per line (commas and spaces also separate them)."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]  # a list, not str
        return [part for part in _SEPARATORS.split(str(value or "")) if part]


class LetterForm(forms.Form):
    title = forms.CharField(required=False)
    body = forms.CharField(
        label="Text",
        required=False,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text="Markdown: **bold**, *italic*, [links](https://example.org), lists.",
    )
    recipient_name = forms.CharField(label="Recipient's name", required=False)
    recipient_email = forms.CharField(
        label="Recipient's email", required=False, widget=forms.EmailInput
    )
    domains = DomainsField(
        label="Domains that may sign",
        help_text="Mailboxes at these domains can sign, e.g. example.org. One per line.",
    )
    goal = forms.IntegerField(label="Signature goal", initial=100)
    opens_at = forms.DateTimeField(
        label="Opens", required=False, widget=_DATETIME, help_text="Times are in UTC."
    )
    deadline = forms.DateTimeField(label="Deadline", required=False, widget=_DATETIME)
    deliver_at = forms.DateTimeField(label="Delivery", required=False, widget=_DATETIME)

    def __init__(self, *args: Any, language: str | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        for name in ("title", "body", "recipient_name"):
            _written_in(self.fields[name], language)


class LetterCreateForm(LetterForm):
    slug = forms.CharField(
        label="Address",
        help_text="The letter's web address, /l/<address>/: lower-case letters, digits, hyphens.",
    )
    default_language = forms.ChoiceField(label="Language", choices=LANGUAGE_CHOICES, initial="en")
    field_order = ["slug", "default_language", "title", "body"]


def amendment_note() -> forms.CharField:
    """What an amendment changes, published with it; the service decides when it is needed."""
    return forms.CharField(
        label="What changes, and why",
        help_text="Needed once people have signed: it is public, and signers who asked for "
        "updates receive it with a request to confirm the new version.",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class TextForm(forms.Form):
    """A translation: the letter's title and text in one language, and each demand there."""

    title = forms.CharField(required=False)
    body = forms.CharField(label="Text", required=False, widget=forms.Textarea(attrs={"rows": 16}))

    def __init__(
        self,
        *args: Any,
        demands: list[ManagedDemand],
        language: str,
        original: str,
        amending: bool = False,
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        for number, item in enumerate(demands, start=1):
            self.fields[f"demand_{item.demand.pk}"] = forms.CharField(
                label=f"Demand {number}",
                required=False,
                initial=item.texts.get(language, ""),
                help_text=f"Original: {item.texts.get(original, '')}",
            )
        for field in self.fields.values():
            _written_in(field, language)
        if amending:
            self.fields["note"] = amendment_note()

    def demand_texts(self) -> dict[int, str]:
        return {
            int(name.removeprefix("demand_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("demand_")
        }


class DemandForm(forms.Form):
    """One demand in each of the letter's languages."""

    def __init__(self, *args: Any, languages: list[str], amending: bool = False, **kw: Any) -> None:
        super().__init__(*args, **kw)
        for language in languages:
            field = forms.CharField(
                label=f"Demand in {LANGUAGES.get(language, language)}",
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
            _written_in(field, language)
            self.fields[f"text_{language}"] = field
        if amending:
            self.fields["note"] = amendment_note()

    def texts(self) -> dict[str, str]:
        return {
            name.removeprefix("text_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("text_")
        }


class AddendumForm(forms.Form):
    title = forms.CharField(required=False, widget=forms.TextInput(attrs={"dir": "auto"}))
    language = forms.ChoiceField(choices=LANGUAGE_CHOICES)
    kind = forms.ChoiceField(
        label="Kind", choices=AddendumKind.choices, widget=forms.RadioSelect, initial="pdf"
    )
    upload = forms.FileField(label="PDF file", required=False)
    markdown = forms.CharField(
        label="Text of the document (Markdown)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "dir": "auto"}),
        help_text="Only for a text addendum.",
    )
    translation_of = forms.TypedChoiceField(
        label="Translation of",
        coerce=int,
        required=False,
        empty_value=None,
        help_text="Leave empty for an original document.",
    )

    def __init__(self, *args: Any, originals: list[tuple[int, str]], **kw: Any) -> None:
        super().__init__(*args, **kw)
        field = self.fields["translation_of"]
        field.choices = [("", "(not a translation)"), *originals]  # type: ignore[attr-defined]  # ChoiceField
