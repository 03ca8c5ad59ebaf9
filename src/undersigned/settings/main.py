"""Settings for undersigned, read from the environment (see docs/configuration.md).

Production refuses to start without SECRET_KEY and ALLOWED_HOSTS; nothing secret has a default.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from undersigned.crypto.note import NoteError, verifier_from_vkey
from undersigned.settings import base
from undersigned.settings.env import (
    data_dir,
    env_bool,
    env_int,
    env_list,
    env_networks,
    env_str,
    parse_email_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = data_dir()

DEBUG = env_bool("DEBUG", False)

_secret = env_str("SECRET_KEY")
if _secret is None or len(_secret) < 32:
    raise ImproperlyConfigured("SECRET_KEY must be set to a random string of 32 characters or more")
SECRET_KEY: str = _secret
# Earlier secret keys, comma-separated, still accepted while `undersigned rotate-keys` re-wraps
# what they wrapped (common/keys.py); Django's sessions and password-reset links accept them too.
SECRET_KEY_FALLBACKS: list[str] = env_list("SECRET_KEY_FALLBACKS")
for _fallback in SECRET_KEY_FALLBACKS:
    if len(_fallback) < 32:
        raise ImproperlyConfigured(
            "SECRET_KEY_FALLBACKS must list earlier secret keys of 32 characters or more, "
            "separated by commas"
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the host names this instance answers to")

SITE_URL = (env_str("SITE_URL") or f"http://{ALLOWED_HOSTS[0]}").rstrip("/")
_site = urlsplit(SITE_URL)
if _site.scheme not in {"http", "https"} or not _site.hostname:
    raise ImproperlyConfigured(
        "SITE_URL must be an absolute http(s) URL, e.g. https://letters.example"
    )
SITE_IS_HTTPS = _site.scheme == "https"

# Proxy headers are believed only when the direct peer is one of these networks.
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES")

INSTALLED_APPS = base.INSTALLED_APPS

MIDDLEWARE = [
    "undersigned.common.middleware.ClientAddressMiddleware",
    # API errors in one JSON format, oversized API bodies refused early (common/apierrors.py).
    "undersigned.common.apierrors.ApiErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Marks which sessions passed a second factor (request.user.is_verified()).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A session with a password but no second factor reaches only the pages that finish signing in.
    "undersigned.web.manage.twofactor_gate.TwoFactorGateMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "undersigned.common.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "undersigned.web.urls"
WSGI_APPLICATION = "undersigned.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

_database_url = env_str("DATABASE_URL")
if _database_url:
    try:
        DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
    except ValueError as _exc:
        # Not the parser's message: it can be long, and the URL it describes holds a password.
        raise ImproperlyConfigured(
            "DATABASE_URL must be a database URL, e.g. postgres://user:password@127.0.0.1:5432/name"
        ) from _exc
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "undersigned.sqlite3"),
            "OPTIONS": {
                # WAL: readers go on while the worker writes. IMMEDIATE: no upgrade deadlocks.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

_redis_url = env_str("REDIS_URL")
if _redis_url:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _redis_url,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = base.AUTH_USER_MODEL
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "manage:home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# The site-wide stylesheet lives in the package, not in an app: the finders must be told.
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "undersigned.common.staticfiles.StaticStorage"},
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Bodies are bounded before Django parses them; uploads get their own, larger limit.
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
ADDENDUM_MAX_BYTES = 10 * 1024 * 1024

# Email: messages are written to the outbox table; the worker hands them to OUTBOX_DELIVERY_BACKEND.
EMAIL_BACKEND = "undersigned.mail.backends.OutboxBackend"
_email = parse_email_url(env_str("EMAIL_URL", "console:") or "console:")
OUTBOX_DELIVERY_BACKEND = _email.backend
EMAIL_HOST = _email.host
EMAIL_PORT = _email.port
EMAIL_HOST_USER = _email.user
EMAIL_HOST_PASSWORD = _email.password
EMAIL_USE_TLS = _email.use_tls
EMAIL_USE_SSL = _email.use_ssl
EMAIL_TIMEOUT = 20
EMAIL_FILE_PATH = _email.file_path
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or f"undersigned <noreply@{_site.hostname}>"
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Cookies and transport: strict whenever the site is served over HTTPS.
SESSION_COOKIE_SECURE = SITE_IS_HTTPS
CSRF_COOKIE_SECURE = SITE_IS_HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_TRUSTED_ORIGINS = [f"{_site.scheme}://{_site.netloc}"]
SECURE_SSL_REDIRECT = SITE_IS_HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = 31536000 if SITE_IS_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SITE_IS_HTTPS
SECURE_HSTS_PRELOAD = SITE_IS_HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if TRUSTED_PROXIES:
    # Only safe because ClientAddressMiddleware drops this header from untrusted peers.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Signing policy (see docs/threat-model.md).
SIGNING_CODE_TTL_SECONDS = 30 * 60
SIGNING_CODE_MAX_ATTEMPTS = 5
SIGNING_MAX_SENDS_PER_HOUR = 5
# Abuse limits (docs/design.md section 4d). A whole office behind one address (NAT) must be able
# to sign at once, so the per-address ceilings are loose; what stops a flood is what it costs:
# messages to mailboxes that never confirm come out of a per-letter budget, and past it (or
# past an address's own share) each start needs a solved proof-of-work challenge.
SIGNING_STARTS_PER_ADDRESS = env_int("SIGNING_STARTS_PER_ADDRESS", 1500, minimum=1)
SIGNING_CONFIRMS_PER_ADDRESS = env_int("SIGNING_CONFIRMS_PER_ADDRESS", 3000, minimum=1)
SIGNING_ADDRESS_WINDOW_SECONDS = env_int("SIGNING_ADDRESS_WINDOW_SECONDS", 3600, minimum=60)
SIGNING_UNCONFIRMED_PER_LETTER = env_int("SIGNING_UNCONFIRMED_PER_LETTER", 200)
SIGNING_UNCONFIRMED_PER_ADDRESS = env_int("SIGNING_UNCONFIRMED_PER_ADDRESS", 100)
SIGNING_UNCONFIRMED_WINDOW_SECONDS = env_int("SIGNING_UNCONFIRMED_WINDOW_SECONDS", 3600, minimum=60)
# PBKDF2-SHA-256 iterations per guess; a solution takes about 256 guesses.
SIGNING_CHALLENGE_COST = env_int("SIGNING_CHALLENGE_COST", 20000, minimum=1)
SIGNING_CHALLENGE_TTL_SECONDS = env_int("SIGNING_CHALLENGE_TTL_SECONDS", 600, minimum=30)
RATE_LIMITS = {
    # name: (requests, seconds), per client address
    "signing-start": (SIGNING_STARTS_PER_ADDRESS, SIGNING_ADDRESS_WINDOW_SECONDS),
    "signing-confirm": (SIGNING_CONFIRMS_PER_ADDRESS, SIGNING_ADDRESS_WINDOW_SECONDS),
    # Redeeming an anonymous token (signing/services/anonymous.py): only valid tokens count, so
    # this guards the server's time, and stays loose for signers sharing a network exit.
    "signing-redeem": (120, 600),
    "login": (20, 600),
    # Failed sign-ins per account, from any address (wrong passwords, wrong second factors): at
    # this many within the window the account refuses every sign-in, even a right one, for one
    # window after the last counted failure (common.ratelimit.record_failure). Then it opens.
    "login-account": (10, 900),
}

# Second factors (docs/threat-model.md, organizer accounts). With this on, an organizer without
# one is sent to enrol before any other page.
ORGANIZERS_REQUIRE_2FA = env_bool("ORGANIZERS_REQUIRE_2FA", False)
OTP_TOTP_ISSUER = f"undersigned ({_site.hostname})"
# Each wrong code doubles the wait before the next one for that device (django-otp).
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
OTP_WEBAUTHN_RP_ID = _site.hostname
OTP_WEBAUTHN_RP_NAME = "undersigned"
# Browsers offer passkeys only to https sites and to localhost; on any other http site the
# https origin stands in (no browser will use it), so the library's startup checks still pass.
OTP_WEBAUTHN_ALLOWED_ORIGINS = [
    f"{_site.scheme if SITE_IS_HTTPS or _site.hostname == 'localhost' else 'https'}://{_site.netloc}"
]
# Passkeys are a second factor after the password, never a way around the per-account limit.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
SEQUENCER_INTERVAL_SECONDS = env_int("SEQUENCER_INTERVAL_SECONDS", 60, minimum=1)
# Public log (publiclog/): entries per sequencer batch, and the witnesses whose cosignatures
# are accepted, as comma-separated verifier keys (vkeys never contain a comma).
SEQUENCER_BATCH_MAX = env_int("SEQUENCER_BATCH_MAX", 5000, minimum=1)
LOG_WITNESSES = env_list("LOG_WITNESSES")
for _witness in LOG_WITNESSES:
    try:
        verifier_from_vkey(_witness)
    except NoteError as _exc:
        raise ImproperlyConfigured(f"LOG_WITNESSES: {_witness!r} is not a verifier key") from _exc
# How long a worker owns the outbox rows it claimed; a worker that died frees them after this.
OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", 120, minimum=1)
# Subscribers an update (or request to confirm an amendment) is written to per transaction.
UPDATES_FANOUT_BATCH = env_int("UPDATES_FANOUT_BATCH", 500, minimum=1)

# Logging: never the client's address, never a URL path or query (they carry tokens), never a
# request body (common/logs.py). Errors still reach the console.
_log_level_given = env_str("LOG_LEVEL", "INFO") or "INFO"
_log_level = _log_level_given.upper()
if _log_level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    # Checked here: logging would refuse it only later, in a traceback from django.setup().
    raise ImproperlyConfigured(
        f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {_log_level_given!r}"
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "undersigned.common.logs.RedactFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}
    },
    "root": {"handlers": ["console"], "level": _log_level},
    "loggers": {
        # Django's own handlers (its debug console, mail_admins with the whole request, the
        # runserver lines) are replaced by none: these records reach the redacting console only.
        "django": {"handlers": [], "propagate": True},
        "django.server": {"handlers": [], "propagate": True},
        # django.request logs every 4xx; redacted, it would still be noise.
        "django.request": {"level": "ERROR"},
        # waitress warns at every request that waits for a thread: under a press spike that is
        # one line per request, which would bury everything else (and cost CPU).
        "waitress.queue": {"level": "ERROR"},
    },
}
