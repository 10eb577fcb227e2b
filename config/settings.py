"""Switchyard settings, read from the environment (django-environ).

Variables: DEBUG, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, CONN_MAX_AGE, SWITCHYARD_ENCRYPTION_KEYS,
TASKS_BACKEND, REDIS_URL, SYNC_FULL_PULL_HOURS, SYNC_REQUEUE_AFTER_SECONDS, SYNC_SCHEDULER_BATCH,
SYNC_RETENTION_DAYS, LOG_LEVEL. A `.env` file at the project root is
read when present.
"""

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# Development-only fallbacks: a server without DEBUG refuses to start without real ones.
_DEV_SECRET_KEY = "django-insecure-development-only-switchyard"
_DEV_ENCRYPTION_KEY = "ZGV2ZWxvcG1lbnQtb25seS1rZXktc3dpdGNoeWFyZCE="

SECRET_KEY = env("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

# Fernet keys for secrets stored in the database; the first encrypts, all decrypt (rotation).
ENCRYPTION_KEYS = env.list(
    "SWITCHYARD_ENCRYPTION_KEYS", default=[_DEV_ENCRYPTION_KEY] if DEBUG else []
)
if not ENCRYPTION_KEYS:
    raise ImproperlyConfigured("SWITCHYARD_ENCRYPTION_KEYS must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "treebeard",
    "django_tasks",
    "django_tasks_db",
    "switchyard.core",
    "switchyard.accounts",
    "switchyard.products",
    "switchyard.sync",
    "switchyard.monitoring",
    "switchyard.trackers",
    "switchyard.support",
    "switchyard.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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

VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'switchyard.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and a task worker read and write the same file; IMMEDIATE
    # transactions plus a busy timeout make writers queue instead of failing with "locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests use a file too (one per process), so that threads and processes share it as in production.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Keep each process's database connection for this many seconds instead of opening one per
# request (0 closes it after every request; README, "Database connections", says how to size).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=300)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Covering indexes (Index(include=...)) serve index-only scans on PostgreSQL; SQLite builds the
# same index without the extra columns, which is all it needs, so its warning is noise.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"  # filled by `manage.py collectstatic` for production
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = DEBUG

CACHES = {
    "default": env.cache("CACHE_URL", default="locmemcache://switchyard"),
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "switchyard.core.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "switchyard.core.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"login": env("LOGIN_THROTTLE_RATE", default="10/min")},
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Switchyard API",
    "DESCRIPTION": "Products, Sentry issues, Jira and Linear tickets, and customer issues in one place.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Serve Swagger UI's assets ourselves: the docs work with no internet access.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ProductPriorityEnum": "switchyard.products.models.Priority",
        "TicketPriorityEnum": "switchyard.trackers.models.LocalPriority",
        "StatusCategoryEnum": "switchyard.trackers.models.StatusCategory",
        "CustomerIssueStatusEnum": "switchyard.support.models.IssueStatus",
        "CustomerIssueCategoryEnum": "switchyard.support.models.IssueCategory",
        "SentryIssueStatusEnum": "switchyard.monitoring.models.IssueStatus",
    },
}

# Background work: the tasks API of Django 6 through django-tasks. The embedded default keeps
# the queue in the database (run `manage.py db_worker`); set TASKS_BACKEND to
# "django_tasks_rq.RQBackend" with REDIS_URL to queue on Redis and run `manage.py rqworker`.
TASKS_BACKEND = env("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")
TASKS = {"default": {"BACKEND": TASKS_BACKEND}}
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}}
if TASKS_BACKEND == "django_tasks_rq.RQBackend":
    INSTALLED_APPS.append("django_rq")

# Every this many hours a connection's scheduled pull is a full one, reconciling what incremental
# pulls and webhooks missed.
SYNC_FULL_PULL_HOURS = env.float("SYNC_FULL_PULL_HOURS", default=24)
# A webhook delivery or outbox entry whose task was queued this long ago is asked about (is the
# task still waiting or running?) before the scheduler queues another; one tick queues at most
# SYNC_SCHEDULER_BATCH of each.
SYNC_REQUEUE_AFTER_SECONDS = env.int("SYNC_REQUEUE_AFTER_SECONDS", default=120)
SYNC_SCHEDULER_BATCH = env.int("SYNC_SCHEDULER_BATCH", default=200)
# Processed webhook deliveries, delivered outbox entries and finished task results are deleted
# after this many days.
SYNC_RETENTION_DAYS = env.int("SYNC_RETENTION_DAYS", default=14)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # httpx logs every request at INFO; the clients log their own (without secrets) under remote.*.
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
