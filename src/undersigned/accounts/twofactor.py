"""Organizers' second factors: an authenticator app (TOTP), recovery codes, passkeys.

The devices are django-otp's (TOTP and static tokens) and django-otp-webauthn's (passkeys); this
module is the one place the rest of the project changes or reads them. A session that passed the
password is "verified" only once one of these accepted a code (`django_otp.login`); the web
floor's gate keeps an unverified session away from every other page.
"""

from __future__ import annotations

import re
import unicodedata
from base64 import b32encode
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_noop
from django_otp import devices_for_user
from django_otp import verify_token as otp_verify_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from undersigned.accounts.models import User
from undersigned.common.errors import ServiceError
from undersigned.common.ratelimit import clear_failures, is_locked, record_failure

# The per-account budget of failed sign-ins in settings.RATE_LIMITS: wrong passwords and wrong
# second factors spend it alike, from any address.
ACCOUNT_LIMIT = "login-account"
RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
_TOTP_CODE = re.compile(r"[0-9]{6}")
# Codes are typed by hand, perhaps read off paper: spaces and dashes are not part of them.
_SEPARATORS = re.compile(r"[\s-]+")
CODE_MAX = 64


class SecondFactorWrong(ServiceError):
    status, code = 400, "second_factor_wrong"
    # Marked here, translated where it is shown (gettext(error.message)).
    message = gettext_noop(
        "This code is not right, or it was used already. Codes are single-use; try the next one."
    )


class TotpAlreadyEnrolled(ServiceError):
    status, code = 409, "totp_enrolled"
    message = gettext_noop("An authenticator app is already set up for this account.")


class LastFactorRequired(ServiceError):
    status, code = 409, "last_factor_required"
    message = gettext_noop(
        "This instance requires a second factor: add another one before removing this one."
    )


@dataclass(frozen=True)
class TwoFactorSummary:
    totp: bool
    recovery_codes_left: int
    passkeys: list[WebAuthnCredential]

    @property
    def enrolled(self) -> bool:
        return self.totp or bool(self.passkeys)


def login_email(value: str) -> str:
    """The address a typed login names, as the account is looked up by it: compatibility forms
    folded (NFKC, as Django's username field does), case folded. The per-account sign-in limit
    keys on the same string, so a variant spelling cannot buy a fresh budget."""
    return unicodedata.normalize("NFKC", value).strip().lower()


def sign_in_locked(*, email: str) -> bool:
    return is_locked(ACCOUNT_LIMIT, login_email(email))


def sign_in_failed(*, email: str) -> None:
    """Any email typed, existing or not: the lock must not tell which accounts exist."""
    record_failure(ACCOUNT_LIMIT, login_email(email))


def sign_in_completed(*, email: str) -> None:
    """Password and (where the account has one) second factor given: forget earlier mistakes."""
    clear_failures(ACCOUNT_LIMIT, login_email(email))


def two_factor_enrolled(*, user: User) -> bool:
    """A confirmed authenticator app or passkey; recovery codes alone are only a fallback."""
    return any(not isinstance(device, StaticDevice) for device in devices_for_user(user))


def two_factor_summary(*, user: User) -> TwoFactorSummary:
    recovery = StaticDevice.objects.filter(user=user, confirmed=True)
    return TwoFactorSummary(
        totp=TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
        recovery_codes_left=StaticToken.objects.filter(device__in=recovery).count(),
        passkeys=list(WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("pk")),
    )


def totp_secret_text(device: TOTPDevice) -> str:
    """The key as authenticator apps ask for it when typed: base32, in groups of four."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[index : index + 4] for index in range(0, len(secret), 4))


@transaction.atomic
def totp_device_start(*, user: User) -> TOTPDevice:
    """The unconfirmed device whose key the enrolment page shows; the same one on every reload."""
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise TotpAlreadyEnrolled()
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def _recovery_codes_create(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _index in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def totp_device_confirm(*, user: User, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the app with a code it shows; returns it and fresh recovery codes, shown once."""
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .order_by("pk")
        .first()
    )
    if device is None:
        raise TotpAlreadyEnrolled()
    if not device.verify_token(_normalized(code)):
        raise SecondFactorWrong()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return device, _recovery_codes_create(user)


@transaction.atomic
def recovery_codes_replace(*, user: User) -> list[str]:
    """New codes; the old ones stop working. Shown once: only the database has them after."""
    return _recovery_codes_create(user)


def _normalized(code: str) -> str:
    return _SEPARATORS.sub("", code)[:CODE_MAX].lower()


def second_factor_verify(*, user: User, code: str) -> Device:
    """The device that accepts the code: the app's six digits, or one recovery code (used up).

    Each device counts its own wrong codes and makes the next try wait longer (django-otp's
    throttling); the caller also counts them against the account's sign-in limit.
    """
    token = _normalized(code)
    kind: type[Device] = TOTPDevice if _TOTP_CODE.fullmatch(token) else StaticDevice
    for device in kind.objects.filter(user=user, confirmed=True).order_by("pk"):
        verified = otp_verify_token(user, device.persistent_id, token)
        if verified is not None:
            return verified
    raise SecondFactorWrong()


@transaction.atomic
def second_factor_remove(*, user: User, passkey_id: int | None, required: bool) -> None:
    """Remove the app (passkey_id None) or one passkey. Without a factor left, the recovery
    codes go too: they stand in for a factor, they are not one."""
    if passkey_id is None:
        chosen = TOTPDevice.objects.filter(user=user)
    else:
        chosen = WebAuthnCredential.objects.filter(user=user, pk=passkey_id)
    # Locks the account's rows so that two removals at once cannot both leave "another one".
    User.objects.select_for_update().filter(pk=user.pk).first()
    chosen.delete()
    if two_factor_enrolled(user=user):
        return
    if required:
        raise LastFactorRequired()  # leaving the atomic block undoes the removal
    StaticDevice.objects.filter(user=user).delete()


@transaction.atomic
def two_factor_reset(*, user: User) -> int:
    """Remove every second factor of the account (the operator's `resettwofactor`)."""
    removed = 0
    for model in (TOTPDevice, StaticDevice, WebAuthnCredential):
        devices = model.objects.filter(user=user)
        removed += devices.count()
        devices.delete()
    return removed
