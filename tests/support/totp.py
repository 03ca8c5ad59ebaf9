"""An authenticator app for tests: the codes a TOTP device accepts, computed by pyotp."""

from __future__ import annotations

import base64
import time

import pyotp
from django_otp.plugins.otp_totp.models import TOTPDevice


def totp_code(device: TOTPDevice, *, steps: int = 0) -> str:
    """The code now, or `steps` periods later (a device refuses a code it accepted once)."""
    return code_for_secret(base64.b32encode(device.bin_key).decode(), steps=steps)


def code_for_secret(secret: str, *, steps: int = 0) -> str:
    """From the key as the enrolment page shows it (base32, perhaps in groups)."""
    return str(pyotp.TOTP(secret.replace(" ", "")).at(time.time() + 30 * steps))
