"""Formatting for public letter pages."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.utils import formats
from django.utils.safestring import SafeString, mark_safe

from undersigned.letters.presentation import direction as _direction

register = template.Library()


@register.filter
def grouped(value: int) -> str:
    """A count with the interface language's thousands separator: counts are read at a glance."""
    return formats.number_format(value, force_grouping=True)


@register.filter
def direction(language: str) -> str:
    """`rtl` or `ltr` for a language code, as letters.presentation decides it."""
    return _direction(language)


@register.simple_tag(takes_context=True)
def ui_lang(context: template.Context) -> SafeString:
    """lang and dir for interface text on a page whose letter is in another language.

    The interface has no translations yet; marking its words as English lets a screen reader
    switch voice and keeps their punctuation in place inside a right-to-left page.
    """
    if context.get("page_language", settings.LANGUAGE_CODE) == settings.LANGUAGE_CODE:
        return mark_safe("")
    return mark_safe(f' lang="{settings.LANGUAGE_CODE}" dir="ltr"')  # noqa: S308 -- our setting
