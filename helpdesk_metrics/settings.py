"""Settings come from environment variables only (see README's configuration table).

With nothing set, the embedded default runs: a SQLite file next to manage.py, Celery tasks
executed eagerly in the web process, and e-mail printed to the console.
"""

import os
from pathlib import Path

import dj_database_url
import dj_email_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-development-key-only-for-the-embedded-default"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "chats",
    "surveys",
    "reports",
    "schedules",
    "privacy",
]

MIDDLEWARE = [
    "accounts.api.http.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "accounts.api.http.NulParameterMiddleware",
    "accounts.api.http.BodySizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",  # a signed-in person's saved language wins
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",  # request.htmx: report controls swap the report region only
]

ROOT_URLCONF = "helpdesk_metrics.urls"
WSGI_APPLICATION = "helpdesk_metrics.wsgi.application"
ASGI_APPLICATION = "helpdesk_metrics.asgi.application"

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
                "accounts.context_processors.organizations",
                "reports.pages.context_processors.report_navigation",
                "schedules.context_processors.schedule_navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USING_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("fi", _("Finnish")),
    ("bg", _("Bulgarian")),
    ("et", _("Estonian")),
    ("zh-hans", _("Simplified Chinese")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# E-mail: EMAIL_URL (smtp://user:pass@host:587/?tls=True) or console by default.
_email = dj_email_url.parse(os.environ.get("EMAIL_URL") or "console://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"]
EMAIL_PORT = _email["EMAIL_PORT"]
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
EMAIL_FILE_PATH = _email.get("EMAIL_FILE_PATH")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "reports@helpdesk-metrics.local")

# Redis: Celery broker and the cache. Without it tasks run eagerly and the cache is local.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "hm",
        }
    }
else:
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TASK_EAGER_PROPAGATES = True
# A task's message is acknowledged when the task ends, and put back in the queue if the process
# running it dies (killed, out of memory), so a lost worker loses no rebuild. (Rebuilds are
# idempotent; what a killed one had not finished is still marked dirty anyway.)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# How long tasks run: a snapshot rebuild task starts no new chunk after this many seconds and
# enqueues a rebuild for the rest; the limits below are only a safety net (a single chunk of
# the largest organization takes seconds).
SNAPSHOT_REBUILD_TASK_SECONDS = 60
CELERY_TASK_SOFT_TIME_LIMIT = 10 * 60
CELERY_TASK_TIME_LIMIT = 11 * 60
# Redis hands an unacknowledged message to another worker after this long (a worker that died
# whole never rejects its messages). Longer than any task can run, so no task runs twice at once.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 20 * 60}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    # Frequent: rebuild whatever writes marked dirty (each write also enqueues its own rebuild).
    "sweep-dirty-days": {"task": "reports.tasks.sweep_dirty_days_task", "schedule": 60.0},
    # Hourly, off minute 0: organizations at their local 02:xx rebuild yesterday and today.
    "nightly-rebuild": {
        "task": "reports.tasks.nightly_rebuild_task",
        "schedule": crontab(minute=17),
    },
    # Scheduled report e-mails: every 5 minutes from minute 3 (never on minute 0).
    "dispatch-due-reports": {
        "task": "schedules.tasks.dispatch_due_reports_task",
        "schedule": crontab(minute="3-59/5"),
    },
}
# Report e-mails: links in them start with SITE_URL; a run missed by more than the horizon is
# skipped (recorded); a delivery left "sending" this long by a stopped worker is marked
# interrupted and not sent again.
SITE_URL = os.environ.get("SITE_URL", "http://localhost:8000")
REPORT_LATE_HORIZON_HOURS = int(os.environ.get("REPORT_LATE_HORIZON_HOURS", "48"))
REPORT_SEND_LEASE_SECONDS = int(os.environ.get("REPORT_SEND_LEASE_SECONDS", "300"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.api.permissions.HasApiKeyScope"],
    "DEFAULT_SCHEMA_CLASS": "accounts.api.schema.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["accounts.api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "accounts.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["accounts.api.parsers.LimitedJSONParser"],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "helpdesk-metrics API",
    "DESCRIPTION": "Ingest helpdesk data and read support metrics. See shared/API.md.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    # Schema generation reads models without an organization (it only inspects field types).
    "DEFAULT_QUERY_MANAGER": "unscoped",
    # Tags and operation ids from the path after the version: "chats", "chats_list".
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Docs UI assets are served from the installed sidecar package: no CDN needed.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ChannelEnum": "chats.models.Channel",
        "TicketStatusEnum": "chats.models.TicketStatus",
        "SessionStatusEnum": "chats.models.SessionStatus",
        "PriorityEnum": "chats.models.Priority",
        "SentimentEnum": "chats.models.Sentiment",
        "ChatOutcomeEnum": "chats.models.ChatOutcome",
        "MissedReasonEnum": "chats.models.MissedReason",
        "InitiatedByEnum": "chats.models.InitiatedBy",
        "SurveyKindEnum": "surveys.models.SurveyKind",
        "SurveyScaleEnum": "surveys.models.Scale",
        "CsatScaleEnum": "accounts.models.CsatScale",
        "WeekdayEnum": "accounts.models.Weekday",
    },
}
# API limits: the largest request body (a bulk batch of 1,000 chats with message lists fits in
# well under 10 MB) and the request rate per API key ("<n>/<s|min|hour|day>"; empty: no limit).
API_MAX_BODY_BYTES = int(os.environ.get("API_MAX_BODY_BYTES", str(10 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
API_THROTTLE_RATE = os.environ.get("API_THROTTLE_RATE", "1200/min")
# How far back activity rows (chats, tickets, answers, ...) may lie: from 1 January this many
# years before the current one (chats.windows).
INGEST_HISTORY_YEARS = int(os.environ.get("INGEST_HISTORY_YEARS", "5"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=True)
