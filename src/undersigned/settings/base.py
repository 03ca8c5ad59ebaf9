"""The settings that read nothing from the environment.

`undersigned help` runs on these alone when the environment is not configured, so that it can
still list every command; `main` takes them from here rather than keeping a copy.
"""

from __future__ import annotations

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Organizers' second factors (accounts/twofactor.py): app codes, recovery codes, passkeys.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "undersigned.accounts",
    "undersigned.letters",
    "undersigned.signing",
    "undersigned.publiclog",
    "undersigned.mail",
    "undersigned.delivery",
    "undersigned.campaign",
    "undersigned.web",
]

AUTH_USER_MODEL = "accounts.User"
