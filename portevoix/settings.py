"""Portevoix settings, read from the environment.

One file for every deployment: the defaults run a single-team install on an embedded SQLite database
under ``PORTEVOIX_DATA_DIR``; ``DATABASE_URL`` switches to PostgreSQL. See docs/operations.md.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from portevoix.core.secret_key import load_or_create_secret_key

BASE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("PORTEVOIX_DATA_DIR", "data")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("PORTEVOIX_DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY") or load_or_create_secret_key(DATA_DIR / "secret_key")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# The public address of this install, used in e-mailed links (invitations, password reset).
PORTEVOIX_BASE_URL = os.environ.get("PORTEVOIX_BASE_URL", "").rstrip("/")

# Behind a TLS-terminating proxy set PORTEVOIX_HTTPS=1: secure cookies, HSTS and redirects follow.
HTTPS = env_bool("PORTEVOIX_HTTPS", False)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("PORTEVOIX_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("PORTEVOIX_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("PORTEVOIX_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "portevoix.core",
    "portevoix.workspaces",
    "portevoix.accounts",
    "portevoix.channels",
    "portevoix.media",
    "portevoix.content",
    "portevoix.publishing",
    "portevoix.planning",
    "portevoix.approvals",
    "portevoix.teamtasks",
    "portevoix.links",
    "portevoix.metrics",
    "portevoix.integrations",
    "portevoix.reports",
    "portevoix.dashboards",
    "portevoix.analytics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "portevoix.core.middleware.RejectNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "portevoix.accounts.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portevoix.urls"
WSGI_APPLICATION = "portevoix.wsgi.application"
ASGI_APPLICATION = "portevoix.asgi.application"

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
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "portevoix.workspaces.context_processors.workspace_nav",
            ],
            "string_if_invalid": "",
        },
    }
]

# --- Database -----------------------------------------------------------------------------------
# SQLite by default: WAL so readers never block the writer, a busy timeout so concurrent writers wait
# instead of failing, and IMMEDIATE transactions so a write lock is taken up front (no upgrade deadlock).
SQLITE_PATH = DATA_DIR / "portevoix.sqlite3"
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(SQLITE_PATH),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
                    "PRAGMA busy_timeout=20000;PRAGMA foreign_keys=ON;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Background work ----------------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": os.environ.get("PORTEVOIX_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        # "publishing": the engine's runs only, so that a long task (a 10,000-row import, a report)
        # never holds a post up; `portevoix serve` gives it a worker of its own.
        "QUEUES": ["default", "publishing"],
    }
}

# --- Auth ---------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 3

# Failed sign-ins are throttled per account and address by django-axes.
AXES_FAILURE_LIMIT = int(os.environ.get("PORTEVOIX_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("PORTEVOIX_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "portevoix.accounts.throttling.attempt_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

OTP_TOTP_ISSUER = "Portevoix"

# --- E-mail -------------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Portevoix <portevoix@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
    EMAIL_TIMEOUT = 20
else:
    EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

# --- Internationalisation -----------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

# --- Static and media files ---------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns about a missing root even when finders serve
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("PORTEVOIX_MEDIA_DIR", str(DATA_DIR / "media"))).resolve()
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Served without collectstatic in a single-process install (whitenoise finds files through the finders).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Media library (portevoix/media; docs/media.md) ---------------------------------------------
# Largest accepted image and video files (bytes), and largest image (or video frame) in pixels.
PORTEVOIX_MEDIA_MAX_IMAGE_BYTES = int(os.environ.get("PORTEVOIX_MEDIA_MAX_IMAGE_BYTES", str(20 * 2**20)))
PORTEVOIX_MEDIA_MAX_VIDEO_BYTES = int(os.environ.get("PORTEVOIX_MEDIA_MAX_VIDEO_BYTES", str(2**30)))
PORTEVOIX_MEDIA_MAX_IMAGE_PIXELS = int(os.environ.get("PORTEVOIX_MEDIA_MAX_IMAGE_PIXELS", "64000000"))
# Uploads larger than Django's FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) are streamed to a temporary file in
# the data directory rather than /tmp, which is often small or in memory (a video may be 1 GB). Django's
# other upload defaults stay: 2.5 MB of form fields besides files, at most 100 files per request.
FILE_UPLOAD_TEMP_DIR = DATA_DIR / "tmp"
FILE_UPLOAD_TEMP_DIR.mkdir(exist_ok=True)

# --- Outgoing HTTP (portevoix.core.http) --------------------------------------------------------
# Requests to private, loopback and link-local addresses are refused (SSRF) unless allowed here: a local
# Telegram Bot API server or a Mastodon instance on the intranet, by host name.
PORTEVOIX_HTTP_ALLOWED_PRIVATE_HOSTS = env_list("PORTEVOIX_HTTP_ALLOWED_PRIVATE_HOSTS")
PORTEVOIX_HTTP_ALLOW_PRIVATE = env_bool("PORTEVOIX_HTTP_ALLOW_PRIVATE", False)

# --- Operations ---------------------------------------------------------------------------------
# Seconds after which /healthz reports the worker or the scheduler as stale (HTTP 503).
PORTEVOIX_WORKER_STALE_AFTER = int(os.environ.get("PORTEVOIX_WORKER_STALE_AFTER", "120"))
PORTEVOIX_SCHEDULER_STALE_AFTER = int(os.environ.get("PORTEVOIX_SCHEDULER_STALE_AFTER", "60"))
PORTEVOIX_SCHEDULER_TICK_SECONDS = float(os.environ.get("PORTEVOIX_SCHEDULER_TICK_SECONDS", "5"))
# How often the scheduler enqueues the heartbeat task that proves the worker runs tasks.
PORTEVOIX_HEARTBEAT_SECONDS = float(os.environ.get("PORTEVOIX_HEARTBEAT_SECONDS", "30"))
PORTEVOIX_INVITATION_DAYS = int(os.environ.get("PORTEVOIX_INVITATION_DAYS", "7"))

# --- Publishing engine (portevoix/publishing; docs/decisions/0005-publishing-engine.md) -----------
# Seconds after its time past which a post is not sent any more (it fails as "too late"; the team is told).
PORTEVOIX_PUBLISH_LATENESS_CUTOFF = float(os.environ.get("PORTEVOIX_PUBLISH_LATENESS_CUTOFF", "3600"))
# Targets due within this many seconds are claimed ahead of time and sent at their exact time.
PORTEVOIX_PUBLISH_PREFETCH_SECONDS = float(os.environ.get("PORTEVOIX_PUBLISH_PREFETCH_SECONDS", "15"))
# A worker that stops renewing its claim for this long is presumed dead; its targets are reconciled.
PORTEVOIX_PUBLISH_LEASE_SECONDS = float(os.environ.get("PORTEVOIX_PUBLISH_LEASE_SECONDS", "60"))
# Network calls in flight at once per worker process.
PORTEVOIX_PUBLISH_CONCURRENCY = int(os.environ.get("PORTEVOIX_PUBLISH_CONCURRENCY", "16"))
# Automatic publish attempts before a post fails (a person may retry it).
PORTEVOIX_PUBLISH_MAX_ATTEMPTS = int(os.environ.get("PORTEVOIX_PUBLISH_MAX_ATTEMPTS", "8"))

# --- Tracked short links (portevoix/links; docs/links.md) ---------------------------------------
# Public address short links are shown with, e.g. https://go.example.com (default: PORTEVOIX_BASE_URL).
PORTEVOIX_SHORT_BASE_URL = os.environ.get("PORTEVOIX_SHORT_BASE_URL", "").rstrip("/")
# A GeoIP2/GeoLite2 Country or City database (.mmdb): clicks then record the visitor's country.
PORTEVOIX_GEOIP_PATH = os.environ.get("PORTEVOIX_GEOIP_PATH", "")
# How long the redirect caches a link (seconds), and how often it writes buffered clicks.
PORTEVOIX_LINKS_CACHE_SECONDS = float(os.environ.get("PORTEVOIX_LINKS_CACHE_SECONDS", "60"))
PORTEVOIX_LINKS_FLUSH_SECONDS = float(os.environ.get("PORTEVOIX_LINKS_FLUSH_SECONDS", "1"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # Masks tokens, passwords and vault ciphertexts that would reach a log line (core/log_filters.py).
    "filters": {"redact_secrets": {"()": "portevoix.core.log_filters.RedactSecretsFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_secrets"]}
    },
    "root": {"handlers": ["console"], "level": os.environ.get("PORTEVOIX_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # httpx logs every full URL at INFO, and URLs can carry secrets (Telegram's bot token is in the
        # path): portevoix.http logs host and status instead.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        # One line per task run (the heartbeat runs every 30 s) is noise; failures are logged as errors.
        "django_tasks": {"level": os.environ.get("PORTEVOIX_TASKS_LOG_LEVEL", "WARNING")},
        "django_tasks_db": {"level": os.environ.get("PORTEVOIX_TASKS_LOG_LEVEL", "WARNING")},
    },
}
