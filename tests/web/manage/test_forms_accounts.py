"""Account forms: email login, and how a service's refusal lands on a form."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from undersigned.web.manage.forms_accounts import InvitationAcceptForm, add_service_error


class _Form(forms.Form):
    title = forms.CharField(required=False)


def _bound() -> _Form:
    form = _Form({"title": "x"})
    form.is_valid()
    return form


def test_add_service_error_field_error_lands_on_field() -> None:
    form = _bound()

    add_service_error(form, ValidationError({"title": "Too long."}))

    assert form.errors == {"title": ["Too long."]}


def test_add_service_error_unknown_field_goes_above_form() -> None:
    form = _bound()

    add_service_error(form, ValidationError({"content": "Not a PDF."}))

    assert form.errors == {"__all__": ["Not a PDF."]}


def test_add_service_error_plain_error_goes_above_form() -> None:
    form = _bound()

    add_service_error(form, ValidationError("This letter is closed."))

    assert form.non_field_errors() == ["This letter is closed."]


def test_invitation_accept_form_password_over_limit_refused() -> None:
    long = "x" * 1025
    form = InvitationAcceptForm({"display_name": "Ben", "password": long, "password_again": long})

    assert form.errors["password"] == [
        "Ensure this value has at most 1024 characters (it has 1025)."
    ]
