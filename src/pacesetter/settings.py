"""One settings module; everything that differs between machines comes from the environment.

DATABASE_URL   default: SQLite in WAL mode at var/pacesetter.sqlite3
SECRET_KEY     default: a random key kept in var/secret_key (never committed)
DEBUG          default: false
ALLOWED_HOSTS  default: 127.0.0.1,localhost
TASKS_BACKEND  default: django_tasks_db.DatabaseBackend (background tasks queued in the database,
               run by `pacesetter task-worker`); django_tasks.backends.immediate.ImmediateBackend
               runs each task at once, where it is enqueued
"""

from __future__ import annotations

import importlib.util
import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("PACESETTER_VAR", Path.cwd() / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    if key := os.environ.get("SECRET_KEY"):
        return key
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("DEBUG")
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]
CSRF_FAILURE_VIEW = "pacesetter.core.pages.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "ninja",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "pacesetter.core",
    "pacesetter.accounts",
    "pacesetter.audit",
    "pacesetter.units",
    "pacesetter.movements",
    "pacesetter.ledger",
    "pacesetter.figures",
    "pacesetter.emulation",
    "pacesetter.drives",
    "pacesetter.experience",
    "pacesetter.reserves",
    "pacesetter.voices",
    "pacesetter.titles",
    "pacesetter.visits",
    "pacesetter.setup",
    "pacesetter.demo",
]
# The bench suite is no part of the product: its app (the `bench` command) is listed when the
# package is installed beside it, as in a developer's checkout, and a build without it runs.
if importlib.util.find_spec("pacesetter_bench") is not None:
    INSTALLED_APPS.append("pacesetter_bench")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Near the top, so that it sees every error response under /api/, whichever layer below
    # gave it, and refuses a body before anything reads it.
    "pacesetter.core.api_boundary.ApiBoundary",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "pacesetter.accounts.middleware.ActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A refusal a page did not handle (403 NotAllowed, 409 StateError) as its error page.
    "pacesetter.core.pages.ActionErrorPages",
    "pacesetter.core.csp.CSPMiddleware",
    "pacesetter.core.ratelimit.WriteRateLimitMiddleware",
    # Last, as django-axes asks: it turns a lockout raised during login into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pacesetter.urls"
WSGI_APPLICATION = "pacesetter.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

SQLITE_PATH = VAR_DIR / "pacesetter.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{SQLITE_PATH}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend with writers queued at a gate (core/sqlite/base.py)
    DATABASES["default"]["ENGINE"] = "pacesetter.core.sqlite"
    # Django's default for SQLite, said outright: test tools recognise the stock engine only.
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
    # A server process keeps its connection (each sync worker serves one request at a time):
    # opening one and running the PRAGMAs below on every request cost more than the request.
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "600"))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at
        # BEGIN so two writers queue instead of failing to upgrade a read lock. A checkpoint
        # every 10,000 WAL pages (40 MB), not SQLite's 1,000: a one-report call writes ~25
        # pages, mostly the same hot aggregate pages, which a checkpoint copies once however
        # often they changed; its commit took 0.31 ms with 1,000 and 0.23 ms with 10,000.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA busy_timeout=30000; PRAGMA wal_autocheckpoint=10000;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    # Nomination dossiers' documents and practices' pictures and PDFs. Never given a public
    # URL: the titles and experience views serve each file to those who may see it. Replace
    # the backend (e.g. django-storages' S3Storage) to keep them on object storage.
    "attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "attachments"), "base_url": None},
    },
}
# The largest document a nomination's dossier takes (bytes).
TITLES_ATTACHMENT_MAX_BYTES = int(
    os.environ.get("TITLES_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024))
)

# The largest picture or PDF a practice takes (bytes).
PRACTICE_ATTACHMENT_MAX_BYTES = int(
    os.environ.get("PRACTICE_ATTACHMENT_MAX_BYTES", str(5 * 1024 * 1024))
)

AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out username/IP before a password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "1"))  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if _env_bool("HTTPS"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_SSL_REDIRECT = True

# Content-Security-Policy: everything from this site only, no inline script or style, no
# framing. Charts are inline SVG elements (allowed: they are markup, not script).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Uploads: request bodies, uploaded files (web bulk upload, plans, facts) and XLSX archives.
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
UPLOAD_MAX_ROWS = int(os.environ.get("UPLOAD_MAX_ROWS", "10000"))
XLSX_MAX_UNCOMPRESSED_BYTES = int(
    os.environ.get("XLSX_MAX_UNCOMPRESSED_BYTES", str(2 * 1024 * 1024 * 1024))
)

# Writes (POST/PUT/PATCH/DELETE) per minute, per API token and per client IP; 0 turns a limit
# off. Generous by default: a field app posts a few reports a minute, a bulk uploader sends
# batches of 10,000 rows per call.
RATE_LIMIT_WRITES_PER_TOKEN = int(os.environ.get("RATE_LIMIT_WRITES_PER_TOKEN", "1200"))
RATE_LIMIT_WRITES_PER_IP = int(os.environ.get("RATE_LIMIT_WRITES_PER_IP", "6000"))
NINJA_PAGINATION_PER_PAGE = 100

# Rankings: false (the default), each ingest brings the standings of the blocks it moves up to
# date and records the overtakings in its own transaction; true, it writes down what to rank
# and the ranking follower (`pacesetter rank-follower`, a process of its own) ranks it moments
# later, several ingests at a time: for blocks of thousands fed by many reports a second.
RANKING_FOLLOWER = _env_bool("RANKING_FOLLOWER")

# Background tasks (django-tasks): queued in the database by default and run by the task worker
# (`pacesetter task-worker`, which `pacesetter serve` starts beside the server).
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
# The escalation clock `pacesetter serve` starts: every this many seconds it enqueues the
# escalation of overdue voices (voices.tasks.escalate_overdue); 0 turns it off (run
# `pacesetter escalate-voices` from cron instead).
ESCALATE_VOICES_EVERY = float(os.environ.get("ESCALATE_VOICES_EVERY", "900"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
