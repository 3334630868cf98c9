"""Loket's settings: one module, read from the environment, with safe defaults.

Every variable is listed in docs/deploy.md. The embedded default needs nothing:
SQLite under var/, stored files under var/files/, e-mail written as .eml files
under var/mail/.
"""

from datetime import timedelta
from pathlib import Path

import certifi
import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.email_url import parse_email_url
from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("LOKET_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    key_file = VAR_DIR / "secret_key"
    if key_file.is_file():
        return key_file.read_text().strip()
    if DEBUG:
        return "insecure-debug-only-key-never-use-in-production"
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long "
        f"random string, or put one in {key_file} (make demo does this for you)."
    )


SECRET_KEY = _secret_key()
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Public address of the portal, used for links in e-mails.
LOKET_BASE_URL = env_str("LOKET_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
LOKET_FIRM_NAME = env_str("LOKET_FIRM_NAME", "Loket")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "loket.core",
    "loket.accounts",
    "loket.audit",
    "loket.roles",
    "loket.contacts",
    "loket.entities",
    "loket.groups",
    "loket.files",
    "loket.requests",
    "loket.notifications",
    "loket.signatures",
    # Above the features: the home page, the Settings index, the demo data.
    "loket.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "loket.core.middleware.SessionTimeoutMiddleware",
    "loket.core.middleware.UserLanguageMiddleware",
    "loket.core.middleware.RejectNullCharactersMiddleware",
    "loket.core.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "loket.portal.context_processors.portal",
            ],
        },
    },
]

# Database: SQLite in WAL mode under var/ unless DATABASE_URL names another.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60)
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # loket.access sends its own statements with server-side parameters, so
        # psycopg prepares each one after 5 runs on a connection and PostgreSQL
        # stops planning it on every request (Django's queries are not affected:
        # they bind on the client). Off behind PgBouncer in transaction mode,
        # unless it is 1.21 or later with max_prepared_statements set.
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
            5 if env_bool("DATABASE_PREPARED_STATEMENTS", True) else None
        )
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "loket.sqlite3"),
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so concurrent writers
                # queue instead of failing, and the history chain stays linear.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Accounts and sign-in
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
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:sign-in"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:sign-in"
PASSWORD_RESET_TIMEOUT = env_int("LOKET_PASSWORD_RESET_HOURS", 2) * 3600
LOKET_INVITATION_DAYS = env_int("LOKET_INVITATION_DAYS", 7)

# Sessions: an idle timeout (the cookie age, renewed on every request) and an
# absolute one (enforced by loket.core.middleware.SessionTimeoutMiddleware).
SESSION_COOKIE_AGE = env_int("LOKET_SESSION_IDLE_MINUTES", 60) * 60
SESSION_SAVE_EVERY_REQUEST = True
LOKET_SESSION_ABSOLUTE_SECONDS = env_int("LOKET_SESSION_ABSOLUTE_HOURS", 12) * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Lock-out: the (e-mail, IP address) pair is locked after repeated failures,
# for a cool-off period, so nobody can lock a client out from elsewhere.
AXES_FAILURE_LIMIT = env_int("LOKET_LOCKOUT_FAILURES", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOKET_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "loket.accounts.lockout.username_from_request"
AXES_LOCKOUT_CALLABLE = "loket.accounts.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = env_int("LOKET_PROXY_COUNT", 0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    if env_int("LOKET_PROXY_COUNT", 0)
    else ("REMOTE_ADDR",)
)

# HTTPS: on by default outside debug; a plain-HTTP demo turns it off.
LOKET_HTTPS = env_bool("LOKET_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = LOKET_HTTPS
SESSION_COOKIE_SECURE = LOKET_HTTPS
CSRF_COOKIE_SECURE = LOKET_HTTPS
SECURE_HSTS_SECONDS = 31536000 if LOKET_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = LOKET_HTTPS
SECURE_HSTS_PRELOAD = env_bool("LOKET_HSTS_PRELOAD", False)
# Preloading binds the whole domain to HTTPS for good: the operator's choice.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
if env_bool("LOKET_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Languages
LANGUAGE_CODE = env_str("LOKET_DEFAULT_LANGUAGE", "en")
LANGUAGES = [("en", _("English")), ("nl", _("Dutch"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env_str("TIME_ZONE", "Europe/Amsterdam")
USE_TZ = True

# Files: stored under var/files/, never served directly (no base URL).
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Stored files (blobs) live in the "files" storage; partial uploads in
# LOKET_FILES_DIR/partial/, on the same file system, so finishing one is a rename.
LOKET_FILES_DIR = Path(env_str("LOKET_FILES_DIR", str(VAR_DIR / "files")))
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": VAR_DIR / "files", "base_url": None},
    },
    "files": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": LOKET_FILES_DIR, "base_url": None},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Uploads: the largest file accepted, and how long an unfinished upload is kept.
LOKET_MAX_UPLOAD_SIZE = env_int("LOKET_MAX_UPLOAD_SIZE", 5 * 1024**3)
LOKET_UPLOAD_EXPIRY = timedelta(hours=env_int("LOKET_UPLOAD_EXPIRY_HOURS", 24))
# Downloads handed to the front web server: off, x-accel-redirect (nginx) or
# x-sendfile (Apache, lighttpd); nginx needs the internal location's prefix.
LOKET_SENDFILE = env_str("LOKET_SENDFILE", "off").strip().lower()
if LOKET_SENDFILE not in ("off", "x-accel-redirect", "x-sendfile"):
    raise ImproperlyConfigured(
        "LOKET_SENDFILE must be off, x-accel-redirect or x-sendfile, "
        f"not {LOKET_SENDFILE!r}."
    )
LOKET_SENDFILE_PREFIX = (
    "/" + env_str("LOKET_SENDFILE_PREFIX", "/protected-files/").strip("/") + "/"
)
# S3-compatible object storage for the stored files, when a bucket is named
# (partial tus uploads stay under LOKET_FILES_DIR). Downloads are pre-signed
# redirects valid for LOKET_S3_URL_SECONDS.
LOKET_S3_BUCKET = env_str("LOKET_S3_BUCKET")
LOKET_S3_URL_SECONDS = env_int("LOKET_S3_URL_SECONDS", 60)
# Origins the bucket lets browsers upload from (`manage.py s3_cors`); empty:
# the origin of LOKET_BASE_URL.
LOKET_S3_CORS_ORIGINS = env_list("LOKET_S3_CORS_ORIGINS", [])
if LOKET_S3_BUCKET:
    STORAGES["files"] = {
        "BACKEND": "loket.files.s3.S3BlobStorage",
        "OPTIONS": {
            "bucket_name": LOKET_S3_BUCKET,
            "endpoint_url": env_str("LOKET_S3_ENDPOINT_URL") or None,
            "access_key": env_str("LOKET_S3_ACCESS_KEY") or None,
            "secret_key": env_str("LOKET_S3_SECRET_KEY") or None,
            "region_name": env_str("LOKET_S3_REGION") or None,
            # path (most self-hosted servers), virtual or auto
            "addressing_style": env_str("LOKET_S3_ADDRESSING_STYLE", "auto"),
            "location": env_str("LOKET_S3_PREFIX"),
        },
    }
# Virus scanning through clamd (unix:///run/clamav/clamd.ctl or
# tcp://host:3310); empty: files are not scanned.
LOKET_CLAMD = env_str("LOKET_CLAMD").strip()
# Larger versions are not scanned (as clamd's own MaxFileSize does); at most
# clamd's StreamMaxLength (Debian's default: 25M; clamd's maximum: 4G).
LOKET_CLAMD_MAX_SIZE = env_int("LOKET_CLAMD_MAX_SIZE", 25 * 1024**2)

# false turns notification e-mails off for the whole installation, whatever
# each firm's E-mail settings say (loket.notifications.notify.
# notifications_enabled; invitations and password resets are sent either way).
LOKET_NOTIFICATIONS_ENABLED = env_bool("LOKET_NOTIFICATIONS_ENABLED", True)

# Signatures (docs/deploy.md, "Signing"): an RFC 3161 timestamp server makes
# signatures PAdES B-T (and B-LT when the chain's validation data can be
# fetched); the passphrase protects the signing key at rest (SECRET_KEY when
# unset); the trust roots are those Verify trusts besides the firm's own.
LOKET_TSA_URL = env_str("LOKET_TSA_URL")
LOKET_SIGNING_KEY_PASSPHRASE = env_str("LOKET_SIGNING_KEY_PASSPHRASE")
LOKET_SIGNING_TRUST_ROOTS = env_str("LOKET_SIGNING_TRUST_ROOTS") or certifi.where()

# E-mail: .eml files under var/mail/ unless an SMTP host is configured.
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Loket <loket@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# EMAIL_URL (smtp://user:password@host:587, see config/email_url.py) or the
# separate EMAIL_HOST, EMAIL_PORT… variables name the SMTP server.
EMAIL_URL = env_str("EMAIL_URL")
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
if EMAIL_URL:
    _smtp = parse_email_url(EMAIL_URL)
    EMAIL_BACKEND = _smtp["EMAIL_BACKEND"]
    EMAIL_HOST = _smtp["EMAIL_HOST"]
    EMAIL_PORT = _smtp["EMAIL_PORT"]
    EMAIL_HOST_USER = _smtp["EMAIL_HOST_USER"]
    EMAIL_HOST_PASSWORD = _smtp["EMAIL_HOST_PASSWORD"]
    EMAIL_USE_TLS = _smtp["EMAIL_USE_TLS"]
    EMAIL_USE_SSL = _smtp["EMAIL_USE_SSL"]
    EMAIL_TIMEOUT = _smtp.get("EMAIL_TIMEOUT", EMAIL_TIMEOUT)
elif EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", EMAIL_PORT == 465)
else:
    EMAIL_BACKEND = "loket.core.mail.EmlFileBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
LOKET_MAIL_ECHO = env_bool("LOKET_MAIL_ECHO", False)

# Background work through the django-tasks API (Django 6's django.tasks).
# The embedded default keeps the queue in the database (django-tasks-db): a web
# request only writes a row; `manage.py db_worker` (make worker) runs the tasks.
# LOKET_TASKS_BACKEND=immediate runs them in the web process after the commit
# (no worker needed, no retries deferred); =rq hands them to Redis through
# django-tasks-rq (pip install 'loket[redis]', REDIS_URL, `manage.py rqworker`).
LOKET_TASKS_BACKEND = env_str("LOKET_TASKS_BACKEND", "database").strip().lower()
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "rq": "django_tasks_rq.RQBackend",
}
if LOKET_TASKS_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured(
        "LOKET_TASKS_BACKEND must be database, immediate or rq, "
        f"not {LOKET_TASKS_BACKEND!r}."
    )
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[LOKET_TASKS_BACKEND]}}
if LOKET_TASKS_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": env_str("REDIS_URL", "redis://127.0.0.1:6379/0")}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
