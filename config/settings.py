"""Settings, from environment variables only, with safe development defaults.

DJANGO_DEBUG        "1" in development (default), "0" in production
DJANGO_SECRET_KEY   required when DEBUG is off
DJANGO_ALLOWED_HOSTS comma-separated
DATABASE_URL        e.g. postgres://user:pass@host:5432/name; default: SQLite file db.sqlite3
TRUSTED_PROXIES     comma-separated addresses/networks of the reverse proxies whose
                    X-Forwarded-For is believed (none by default: the header is ignored)
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from config.client_ip import parse_networks
from config.env import env, env_bool, env_list

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = env("DJANGO_SECRET_KEY", "dev-only-insecure-key" if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("生产环境必须设置 DJANGO_SECRET_KEY")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "config.apps.AxesConfig",  # django-axes, under its Chinese name
    "crispy_forms",
    "crispy_bootstrap5",
    "config.apps.TasksConfig",  # django-tasks-db, under its Chinese name
    "evaluations",
]

MIDDLEWARE = [
    "config.requestid.RequestIdMiddleware",
    # The 405 page for the blank 405s of require_POST and the like (sees every response).
    "config.errors.MethodNotAllowedMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files from STATIC_ROOT in production; runserver serves them in development.
    *([] if DEBUG else ["whitenoise.middleware.WhiteNoiseMiddleware"]),
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before the CSRF check, which reads the body: an over-large request is refused unread.
    "config.limits.RequestSizeMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # The request for audit rows written deep in selectors/services; audits 403 responses.
    "evaluations.audit.AuditRequestMiddleware",
    # Idle timeout (with the page's warning), the absolute cap, password expiry.
    "evaluations.session.SessionPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # A storage failure raised by a view: a Chinese page in the site's layout (HTTP 503).
    "config.limits.StorageErrorMiddleware",
    # Last: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

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
                "evaluations.session.session_context",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"), conn_max_age=60
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Password strength (messages in Chinese: Django's zh-hans translations, LANGUAGE_CODE below).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": int(env("PASSWORD_MIN_LENGTH", "10"))},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "evaluations.passwords.CharacterKindsValidator"},
]
# Optional password expiry: after this many days the user is sent to the change page after
# login. 0 (the default) turns it off.
PASSWORD_MAX_AGE_DAYS = int(env("PASSWORD_MAX_AGE_DAYS", "0"))

# The client's address (audit rows, login throttling): X-Forwarded-For is believed only from
# these reverse proxies (config/client_ip.py). Behind the TLS proxy of docker-compose set e.g.
# TRUSTED_PROXIES=172.16.0.0/12.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
try:
    parse_networks(TRUSTED_PROXIES)
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from exc

# Failed-login throttling (django-axes), counted two ways at once: per user name from one
# address, and per address whatever the user name. Either reaching AXES_FAILURE_LIMIT locks
# for AXES_COOLOFF_TIME. Nothing is counted per user name alone, so an attacker elsewhere
# cannot lock a department's staff out of their own account; one address trying many names
# is locked as an address. Both use the same client address as the audit trail.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_RESET_ON_SUCCESS = True
AUTHENTICATION_BACKENDS = [
    *(["axes.backends.AxesStandaloneBackend"] if AXES_ENABLED else []),
    "django.contrib.auth.backends.ModelBackend",
]

# Content-Security-Policy (Django's own): no inline script or style, nothing from elsewhere.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Sessions end after SESSION_IDLE_TIMEOUT_MINUTES without a request (the page warns
# SESSION_IDLE_WARNING_SECONDS before, and 「继续工作」 extends), and in any case
# SESSION_ABSOLUTE_HOURS after login (evaluations/session.py). The cookie lives a little longer
# than that cap so that a save arriving after expiry is recognised and its input kept.
SESSION_IDLE_TIMEOUT_MINUTES = int(env("SESSION_IDLE_TIMEOUT_MINUTES", "30"))
SESSION_IDLE_WARNING_SECONDS = int(env("SESSION_IDLE_WARNING_SECONDS", "120"))
SESSION_ABSOLUTE_HOURS = float(env("SESSION_ABSOLUTE_HOURS", "8"))  # a working day
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_HOURS * 3600) + 24 * 3600
CSRF_COOKIE_HTTPONLY = True
# A form posted from an expired page or without cookies: a Chinese page in the site's layout.
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
# Chinese names for the third-party apps' admin pages (django-axes, django-tasks-db) that
# ship no Simplified Chinese translation; compiled with `make messages`.
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# The project's own assets, and third-party ones installed from the npm registry at set-up
# (scripts/bootstrap.sh runs `npm ci`); nothing is loaded from a CDN.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    # the statistics page's charts (package.json: chart.js)
    ("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist"),
]
# Static files are served by whitenoise (compressed, with hashed names in production).
# Uploaded evidence and published PDFs go to the file system, or to S3-compatible object
# storage (MinIO in docker-compose) when S3_BUCKET is set.
S3_BUCKET = env("S3_BUCKET")
STORAGES = {
    "default": (
        {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": S3_BUCKET,
                "endpoint_url": env("S3_ENDPOINT_URL") or None,
                "access_key": env("S3_ACCESS_KEY"),
                "secret_key": env("S3_SECRET_KEY"),
                "region_name": env("S3_REGION", "us-east-1"),
                "file_overwrite": False,
                "default_acl": None,
                "querystring_auth": True,
            },
        }
        if S3_BUCKET
        else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    ),
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# The whole-page cache of the review page, the filing steps, the dashboard and the filer's
# home (evaluations/pagecache.py): each process's memory, keyed by the database's page stamps,
# so processes never disagree and nothing stale is served. PAGE_CACHE_SECONDS bounds the age of
# an entry (what no stamp sees, e.g. a renamed user), PAGE_CACHE_ENTRIES the memory (pages are
# 10–250 KB). PAGE_CACHE=0 turns it off.
PAGE_CACHE_ENABLED = env_bool("PAGE_CACHE", True)
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "pages": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "pages",
        "TIMEOUT": int(env("PAGE_CACHE_SECONDS", "600")),
        "OPTIONS": {"MAX_ENTRIES": int(env("PAGE_CACHE_ENTRIES", "200"))},
    },
}

# Background work (PDF rendering, bulk jobs, e-mail): Django's tasks framework; never run inside
# a web request. TASKS_BACKEND=database (production): stored in the database and run by
# `manage.py db_worker` (the worker service of docker-compose). thread (the development
# default): run in a thread pool of the web process after the request has enqueued them
# (evaluations/task_backends.py). immediate: at once, in the caller (the test suite).
TASKS_BACKEND = env("TASKS_BACKEND", "thread")
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "immediate": "django.tasks.backends.immediate.ImmediateBackend",
        }.get(TASKS_BACKEND, "evaluations.task_backends.ThreadBackend"),
        "OPTIONS": {"workers": int(env("TASK_THREADS", "2"))}
        if TASKS_BACKEND not in ("database", "immediate")
        else {},
    }
}
# PDF budget: a document whose HTML exceeds this many characters is refused before rendering;
# a render is aborted after this many seconds (in db_worker, which runs tasks in its main
# thread). A draft is rendered after each save, debounced by this many seconds.
PDF_MAX_HTML_CHARS = int(env("PDF_MAX_HTML_CHARS", "400000"))
PDF_RENDER_TIMEOUT_SECONDS = int(env("PDF_RENDER_TIMEOUT_SECONDS", "120"))
PDF_RENDER_MAX_ATTEMPTS = int(env("PDF_RENDER_MAX_ATTEMPTS", "3"))
PDF_RENDER_ON_SAVE = env_bool("PDF_RENDER_ON_SAVE", True)
PDF_RENDER_DEBOUNCE_SECONDS = int(env("PDF_RENDER_DEBOUNCE_SECONDS", "5"))
# Heartbeats of bulk jobs and renders: written every JOB_HEARTBEAT_SECONDS while the worker
# runs them; one silent for JOB_HEARTBEAT_TIMEOUT_SECONDS is taken for dead (failed, and
# restartable; a render is queued again).
JOB_HEARTBEAT_SECONDS = int(env("JOB_HEARTBEAT_SECONDS", "15"))
JOB_HEARTBEAT_TIMEOUT_SECONDS = int(env("JOB_HEARTBEAT_TIMEOUT_SECONDS", "120"))

# Logs: one JSON object per line on stderr, each with the request id of its request.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.requestid.RequestIdFilter"}},
    "formatters": {"json": {"()": "config.requestid.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
    },
}

# Uploaded evidence and published PDFs: outside the web root, served only through views that
# check permission (never by MEDIA_URL).
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
EVIDENCE_MAX_BYTES = int(env("EVIDENCE_MAX_MB", "20")) * 1024 * 1024
# A bulk job still queued this long after it was started (no worker took it), or running
# without any heartbeat, is taken for dead: marked failed, so it never blocks (and can be
# restarted). A running job with a heartbeat is judged by JOB_HEARTBEAT_TIMEOUT_SECONDS.
BULK_JOB_STALE_AFTER_MINUTES = int(env("BULK_JOB_STALE_AFTER_MINUTES", "120"))
# Request bodies (config/limits.py): the whole body, declared by CONTENT_LENGTH, is refused
# unread above REQUEST_MAX_BYTES (several evidence files go in one request); a file stops being
# received past UPLOAD_FILE_MAX_BYTES; form fields other than files are held in memory up to
# DATA_UPLOAD_MAX_MEMORY_SIZE, files up to FILE_UPLOAD_MAX_MEMORY_SIZE (then a temporary file).
REQUEST_MAX_BYTES = int(env("REQUEST_MAX_MB", "100")) * 1024 * 1024
UPLOAD_FILE_MAX_BYTES = max(EVIDENCE_MAX_BYTES, 5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_HANDLERS = [
    "config.limits.FileSizeUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "filing:home"
LOGOUT_REDIRECT_URL = "login"

SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")
# E-mail (Django 6.1 mailers): the console in development, SMTP in production.
if DEBUG and not env("EMAIL_HOST"):
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": env("EMAIL_HOST", "localhost"),
                "port": int(env("EMAIL_PORT", "25")),
                "username": env("EMAIL_HOST_USER"),
                "password": env("EMAIL_HOST_PASSWORD"),
                "use_tls": env_bool("EMAIL_USE_TLS", False),
            },
        }
    }
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "绩效自评系统 <noreply@localhost>")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

if not DEBUG:
    # Secure cookies need HTTPS; DJANGO_SECURE_COOKIES=0 only for a plain-HTTP trial on localhost.
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(env("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
