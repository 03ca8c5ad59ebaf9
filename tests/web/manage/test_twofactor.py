"""Two-factor sign-in: the per-account limit, the app's codes, recovery codes, the instance rule."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.support.factories import PASSWORD, make_organizer
from tests.support.totp import code_for_secret, totp_code
from undersigned.accounts.models import User
from undersigned.accounts.services import invitation_create
from undersigned.accounts.twofactor import totp_device_confirm, totp_device_start

pytestmark = pytest.mark.django_db

EMAIL = "ana@organizers.test"
LOGIN = {"username": EMAIL, "password": PASSWORD}
WRONG = {"username": EMAIL, "password": "not the password"}
NO_STORE = "max-age=0, no-cache, no-store, must-revalidate, private"


def _address(number: int) -> str:
    # TEST-NET-3 (RFC 5737): documentation addresses, one per pretended client.
    return f"203.0.113.{number}"


def _enrolled(user: User) -> tuple[TOTPDevice, list[str]]:
    device = totp_device_start(user=user)
    return totp_device_confirm(user=user, code=totp_code(device))


def _console(client: Client) -> int:
    return client.get(reverse("manage:home")).status_code


def test_login_account_locked_after_wrong_passwords_from_100_addresses(client: Client) -> None:
    make_organizer(EMAIL)
    for number in range(1, 101):
        response = client.post(reverse("accounts:login"), WRONG, REMOTE_ADDR=_address(number))
        assert response.status_code in {200, 429}

    response = client.post(reverse("accounts:login"), LOGIN, REMOTE_ADDR=_address(101))

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert response.context["locked"] == 15
    assert "Too many failed sign-ins for this account" in response.content.decode()
    assert _console(client) == 302


def test_login_account_lock_shared_by_spellings_of_the_email(client: Client) -> None:
    make_organizer(EMAIL)
    # Fullwidth letters (NFKC folds them) and case: every spelling that reaches the account.
    fullwidth = "\uff41\uff4e\uff41@organizers.test"
    spellings = [EMAIL.upper(), f" {EMAIL} ", "\uff41na@organizers.test", fullwidth]
    for number in range(10):
        wrong = {**WRONG, "username": spellings[number % len(spellings)]}
        client.post(reverse("accounts:login"), wrong, REMOTE_ADDR=_address(number + 1))

    response = client.post(
        reverse("accounts:login"),
        {**LOGIN, "username": "\uff41na@organizers.test"},
        REMOTE_ADDR=_address(11),
    )

    assert response.status_code == 429


def test_login_account_lock_counts_failures_not_addresses(client: Client) -> None:
    make_organizer(EMAIL)
    for number in range(1, 10):
        client.post(reverse("accounts:login"), WRONG, REMOTE_ADDR=_address(number))

    response = client.post(reverse("accounts:login"), LOGIN, REMOTE_ADDR=_address(10))

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(email=EMAIL).pk)


def test_login_account_lock_ends_with_its_window(client: Client, settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login-account": (3, 1)}
    make_organizer(EMAIL)
    for number in range(1, 4):
        client.post(reverse("accounts:login"), WRONG, REMOTE_ADDR=_address(number))
    assert client.post(reverse("accounts:login"), LOGIN).status_code == 429

    time.sleep(1.2)
    response = client.post(reverse("accounts:login"), LOGIN, REMOTE_ADDR=_address(4))

    assert response.status_code == 302


def test_login_account_lock_leaves_other_accounts_alone(client: Client) -> None:
    make_organizer(EMAIL)
    other = make_organizer("bo@organizers.test")
    for number in range(1, 21):
        client.post(reverse("accounts:login"), WRONG, REMOTE_ADDR=_address(number))

    response = client.post(
        reverse("accounts:login"), {"username": other.email, "password": PASSWORD}
    )

    assert response.status_code == 302


def test_login_with_app_asks_second_step_before_console(client: Client) -> None:
    device, _codes = _enrolled(make_organizer(EMAIL))

    response = client.post(reverse("accounts:login"), LOGIN)

    verify = reverse("accounts:two_factor_verify")
    assert response["Location"] == f"{verify}?next=%2Fmanage%2F"
    assert client.get(reverse("manage:home"))["Location"] == f"{verify}?next=%2Fmanage%2F"
    assert client.get(reverse("home"))["Location"] == f"{verify}?next=%2F"
    response = client.post(verify, {"code": totp_code(device, steps=1), "next": "/manage/"})
    assert response["Location"] == "/manage/"
    assert _console(client) == 200


def test_login_second_step_refuses_wrong_code(client: Client) -> None:
    device, _codes = _enrolled(make_organizer(EMAIL))
    client.post(reverse("accounts:login"), LOGIN)
    wrong = f"{(int(totp_code(device, steps=1)) + 1) % 1_000_000:06d}"

    response = client.post(reverse("accounts:two_factor_verify"), {"code": wrong})

    assert response.status_code == 200
    assert response.context["form"].errors["code"] == [
        "This code is not right, or it was used already. Codes are single-use; try the next one."
    ]
    assert _console(client) == 302


def test_login_second_step_wrong_codes_lock_the_account(client: Client) -> None:
    device, _codes = _enrolled(make_organizer(EMAIL))
    client.post(reverse("accounts:login"), LOGIN)
    verify = reverse("accounts:two_factor_verify")
    for number in range(10):
        client.post(verify, {"code": f"{number:06d}"}, REMOTE_ADDR=_address(number + 1))
    # The app's throttle would refuse as well; without it, only the account lock is left.
    device.refresh_from_db()
    device.throttle_reset()

    response = client.post(verify, {"code": totp_code(device, steps=1)})

    assert response.status_code == 429
    assert _console(client) == 302
    # Signing in again from the start does not reset the count: the lock holds.
    client.post(reverse("accounts:logout"))
    assert client.post(reverse("accounts:login"), LOGIN).status_code == 429


def test_recovery_code_signs_in_once(client: Client) -> None:
    _device, codes = _enrolled(make_organizer(EMAIL))
    verify = reverse("accounts:two_factor_verify")
    client.post(reverse("accounts:login"), LOGIN)

    response = client.post(verify, {"code": codes[0].upper(), "next": "/manage/"})

    assert response["Location"] == "/manage/"
    assert _console(client) == 200
    client.post(reverse("accounts:logout"))
    client.post(reverse("accounts:login"), LOGIN)
    assert client.post(verify, {"code": codes[0]}).status_code == 200
    assert _console(client) == 302
    assert StaticToken.objects.filter(device__user__email=EMAIL).count() == 9


def test_totp_setup_shows_key_and_qr_then_recovery_codes(client: Client) -> None:
    client.force_login(make_organizer(EMAIL))
    page = client.get(reverse("accounts:totp_setup"))
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page.content.decode())
    assert secret is not None
    assert page.context["qr"].startswith("data:image/svg+xml")

    code = code_for_secret(secret.group(1))
    response = client.post(reverse("accounts:totp_setup"), {"code": code})

    assert response.status_code == 200
    assert (page["Cache-Control"], response["Cache-Control"]) == (NO_STORE, NO_STORE)
    codes = response.context["codes"]
    assert len(codes) == 10
    assert sorted(StaticToken.objects.values_list("token", flat=True)) == sorted(codes)
    assert TOTPDevice.objects.get().confirmed is True
    assert _console(client) == 200


def test_totp_setup_keeps_its_key_until_confirmed(client: Client) -> None:
    client.force_login(make_organizer(EMAIL))

    first = client.get(reverse("accounts:totp_setup")).context["secret"]
    second = client.get(reverse("accounts:totp_setup")).context["secret"]

    assert first == second
    assert TOTPDevice.objects.filter(confirmed=False).count() == 1


def test_new_recovery_codes_replace_old_ones(client: Client) -> None:
    user = make_organizer(EMAIL)
    device, old = _enrolled(user)
    client.post(reverse("accounts:login"), LOGIN)
    client.post(reverse("accounts:two_factor_verify"), {"code": totp_code(device, steps=1)})

    new = client.post(reverse("accounts:recovery_codes_new")).context["codes"]

    assert sorted(StaticToken.objects.values_list("token", flat=True)) == sorted(new)
    assert set(new) & set(old) == set()


def test_required_2fa_sends_organizer_to_enrol(client: Client, settings: Any) -> None:
    settings.ORGANIZERS_REQUIRE_2FA = True
    make_organizer(EMAIL)
    client.post(reverse("accounts:login"), LOGIN)

    response = client.get(reverse("manage:home"))

    assert response["Location"] == f"{reverse('accounts:two_factor')}?next=%2Fmanage%2F"
    assert client.get(reverse("accounts:two_factor")).status_code == 200
    assert client.get(reverse("accounts:totp_setup")).status_code == 200
    assert client.get(reverse("accounts:organizer_invite")).status_code == 302


def test_required_2fa_opens_console_after_enrolment(client: Client, settings: Any) -> None:
    settings.ORGANIZERS_REQUIRE_2FA = True
    make_organizer(EMAIL)
    client.post(reverse("accounts:login"), LOGIN)
    secret = client.get(reverse("accounts:totp_setup")).context["secret"]

    client.post(reverse("accounts:totp_setup"), {"code": code_for_secret(secret)})

    assert _console(client) == 200


def test_required_2fa_off_leaves_password_only_accounts_alone(client: Client) -> None:
    make_organizer(EMAIL)
    client.post(reverse("accounts:login"), LOGIN)

    assert _console(client) == 200


def test_logout_open_to_unverified_session(client: Client) -> None:
    _enrolled(make_organizer(EMAIL))
    client.post(reverse("accounts:login"), LOGIN)

    response = client.post(reverse("accounts:logout"))

    assert response["Location"] == "/"
    assert "_auth_user_id" not in client.session


def _verified(client: Client, device: TOTPDevice) -> None:
    client.post(reverse("accounts:login"), LOGIN)
    client.post(reverse("accounts:two_factor_verify"), {"code": totp_code(device, steps=1)})


def test_remove_app_also_drops_recovery_codes_and_second_step(client: Client) -> None:
    device, _codes = _enrolled(make_organizer(EMAIL))
    _verified(client, device)

    response = client.post(reverse("accounts:totp_remove"))

    assert response["Location"] == reverse("accounts:two_factor")
    assert (TOTPDevice.objects.count(), StaticToken.objects.count()) == (0, 0)
    client.post(reverse("accounts:logout"))
    assert client.post(reverse("accounts:login"), LOGIN)["Location"] == "/manage/"
    assert _console(client) == 200


def test_remove_last_factor_refused_when_required(client: Client, settings: Any) -> None:
    settings.ORGANIZERS_REQUIRE_2FA = True
    device, _codes = _enrolled(make_organizer(EMAIL))
    _verified(client, device)

    response = client.post(reverse("accounts:totp_remove"), follow=True)

    assert [str(message) for message in response.context["messages"]] == [
        "This instance requires a second factor: add another one before removing this one."
    ]
    assert (TOTPDevice.objects.filter(confirmed=True).count(), StaticToken.objects.count()) == (
        1,
        10,
    )


def test_remove_needs_the_second_step_first(client: Client) -> None:
    _enrolled(make_organizer(EMAIL))
    client.post(reverse("accounts:login"), LOGIN)

    response = client.post(reverse("accounts:totp_remove"))

    assert response["Location"].startswith(reverse("accounts:two_factor_verify"))
    assert TOTPDevice.objects.filter(confirmed=True).count() == 1


def test_invited_organizer_enrols_before_the_console_when_required(
    client: Client, settings: Any
) -> None:
    settings.ORGANIZERS_REQUIRE_2FA = True
    link = invitation_create(email="new@organizers.test", invited_by=None)
    data = {"display_name": "New", "password": PASSWORD, "password_again": PASSWORD}

    response = client.post(link.url.removeprefix("http://testserver"), data, follow=True)

    assert response.redirect_chain[-1] == (
        f"{reverse('accounts:two_factor')}?next=%2Fmanage%2F",
        302,
    )
    assert response.context["required"] is True


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(code=st.text(max_size=300))
def test_second_step_hostile_codes_never_pass(client: Client, code: str) -> None:
    if not User.objects.exists():
        _enrolled(make_organizer(EMAIL))
    client.post(reverse("accounts:login"), LOGIN)
    cache.clear()  # the account's lock would hide what the form does with the code

    response = client.post(reverse("accounts:two_factor_verify"), {"code": code})

    assert response.status_code == 200
    assert _console(client) == 302
