"""Switchyard settings, read from the environment (django-environ).

Variables: DEBUG, DEMO, VAR_DIR, SECRET_KEY, ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS, DATABASE_URL,
CONN_MAX_AGE, CACHE_URL, SWITCHYARD_ENCRYPTION_KEYS, TASKS_BACKEND, REDIS_URL, SYNC_FULL_PULL_HOURS,
SYNC_REQUEUE_AFTER_SECONDS, SYNC_SCHEDULER_BATCH, SYNC_RETENTION_DAYS, SYNC_OUTBOX_MAX_ATTEMPTS,
SYNC_EVENT_MAX_ATTEMPTS, WEBHOOK_REPLAY_WINDOW_HOURS, SWITCHYARD_ALLOW_PRIVATE_REMOTES, LOG_LEVEL,
TRUSTED_PROXY_COUNT, LOGIN_FAILURE_LIMIT, LOGIN_LOCKOUT_MINUTES, API_TOKEN_TTL_HOURS,
API_TOKEN_MAX_AGE_DAYS, SECURE_SSL_REDIRECT, SECURE_HSTS_SECONDS, SECURE_HSTS_INCLUDE_SUBDOMAINS,
SECURE_HSTS_PRELOAD, SECURE_COOKIES, EMAIL_URL, DEFAULT_FROM_EMAIL. A `.env` file at the project
root is read when present; the README's table gives each one's default and meaning.
docs/security.md says what the security settings protect. Importing this module writes nothing:
the SQLite database's directory is made when Django starts (switchyard.core), the static files'
by `manage.py collectstatic`.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
# The SQLite database (unless DATABASE_URL names another) and the static files live here.
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Development mode: debug pages, development keys, no HTTPS enforcement. Never in production.
DEBUG = env.bool("DEBUG", default=False)
# Demo mode (`dev.py serve` turns it on): the web app says it runs against local fake remotes.
DEMO = env.bool("DEMO", default=False)

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

# The host names this service answers to (comma-separated).
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"] if DEBUG else []
)
# Origins (scheme and host) whose unsafe requests pass the CSRF check besides our own host,
# e.g. https://switchyard.example.com behind a proxy that rewrites the Host header.
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "axes",
    "auditlog",
    "csp",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "treebeard",
    "django_tasks",
    "django_tasks_db",
    "django_htmx",
    "switchyard.core",
    "switchyard.accounts",
    "switchyard.products",
    "switchyard.sync",
    "switchyard.monitoring",
    "switchyard.trackers",
    "switchyard.support",
    "switchyard.automation",
    "switchyard.insights",
    "switchyard.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Webhook deliveries go straight to their view from here (signed, no session or CSRF).
    "switchyard.sync.middleware.WebhookShortcutMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "switchyard.accounts.middleware.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, so that it turns any login refused during a lockout into the lockout answer.
    "axes.middleware.AxesMiddleware",
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
                "switchyard.web.navigation.navigation",
                "switchyard.web.context_processors.demo_mode",
            ],
        },
    },
]

# DATABASE_URL, e.g. postgres://user@host:5432/switchyard; by default a SQLite file in VAR_DIR.
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
# Axes first: it refuses a locked-out address or account before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "switchyard.accounts.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
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
WHITENOISE_USE_FINDERS = DEBUG

# Email (customer notifications, paused automation rules): printed to the console unless
# EMAIL_URL names an SMTP server, e.g. smtp+tls://user:password@smtp.example.com:587.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Switchyard <switchyard@localhost>")

# Short-lived marks (e.g. that the hourly insights health job is queued); one process's memory
# unless CACHE_URL names a cache the processes share, e.g. redis://127.0.0.1:6379/1.
CACHES = {
    "default": env.cache("CACHE_URL", default="locmemcache://switchyard"),
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "switchyard.accounts.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "switchyard.core.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "switchyard.core.filters.FilterBackend",
        "switchyard.core.filters.SearchFilter",
        "switchyard.core.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "switchyard.core.api.exception_handler",
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
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "switchyard.core.schema.declare_error_responses",
    ],
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
# An outbox entry (a change to send to a remote) or an event delivery (a subscriber's share of a
# domain event) that keeps failing with a retryable error is given up after this many attempts.
SYNC_OUTBOX_MAX_ATTEMPTS = env.int("SYNC_OUTBOX_MAX_ATTEMPTS", default=8)
SYNC_EVENT_MAX_ATTEMPTS = env.int("SYNC_EVENT_MAX_ATTEMPTS", default=8)

# A webhook body seen again on the same connection within this window is a replay and is not
# applied. Sentry does not sign its timestamp, so the window, not the timestamp check, is what
# stops a captured body from being sent again; it must stay well above every accepted clock skew
# (Sentry 5 minutes, Linear 1 minute).
WEBHOOK_REPLAY_WINDOW_HOURS = env.float("WEBHOOK_REPLAY_WINDOW_HOURS", default=24)

# Connections may point at loopback, private, link-local and other non-global addresses only
# when this is on (the demo and the tests, whose fake remotes listen on 127.0.0.1).
ALLOW_PRIVATE_REMOTES = env.bool("SWITCHYARD_ALLOW_PRIVATE_REMOTES", default=False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    # LOG_LEVEL: the least severe level logged (DEBUG, INFO, WARNING, ERROR).
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # httpx logs every request at INFO; the clients log their own (without secrets) under remote.*.
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}

# How many proxies of ours stand in front of the web processes. Only then is X-Forwarded-For read
# for the client's address (login lockouts, audit entries, API throttles); anyone can write it.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
REST_FRAMEWORK["NUM_PROXIES"] = TRUSTED_PROXY_COUNT

# Failed logins (API, web sign-in, admin) lock the address and, separately, the account for
# LOGIN_LOCKOUT_MINUTES after LOGIN_FAILURE_LIMIT failures (django-axes). While locked, even the
# right password is refused; failures during a lockout do not extend it.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "switchyard.core.client_address.client_ip"
AXES_LOCKOUT_CALLABLE = "switchyard.accounts.lockout.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # successful logins are visible as API sessions instead

# API tokens (django-rest-knox): hashed at rest, one per login, expiring after API_TOKEN_TTL_HOURS
# without use (each use slides the expiry) and at the latest API_TOKEN_MAX_AGE_DAYS after login.
KNOX_TOKEN_MODEL = "accounts.ApiToken"
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env.float("API_TOKEN_TTL_HOURS", default=72)),
    "AUTO_REFRESH": True,
    "AUTO_REFRESH_MAX_TTL": timedelta(days=env.float("API_TOKEN_MAX_AGE_DAYS", default=30)),
    "MIN_REFRESH_INTERVAL": 60,
    "AUTH_HEADER_PREFIX": "Token",
}

# The audit log (django-auditlog): who changed what, with the fields before and after, stored
# with the organization the object belongs to. Connections log only fields that hold no secret.
AUDITLOG_LOGENTRY_MODEL = "accounts.AuditEntry"
AUDITLOG_STORE_JSON_CHANGES = True
AUDITLOG_INCLUDE_TRACKING_MODELS = (
    "accounts.Organization",
    {"model": "accounts.User", "exclude_fields": ["password", "last_login"]},
    {"model": "accounts.Team", "m2m_fields": ["members"]},
    "accounts.Vendor",
    "products.Product",
    {
        "model": "sync.Connection",
        "include_fields": [
            "name",
            "kind",
            "base_url",
            "remote_organization",
            "account_email",
            "is_enabled",
            "sync_enabled",
            "sync_interval",
        ],
    },
    "monitoring.SentryProject",
    "trackers.TrackerProject",
    "trackers.StatusMapping",
    "trackers.PriorityMapping",
    "trackers.Ticket",
    "trackers.TicketLink",
    "support.CustomerIssue",
    "support.SupportSettings",
    "automation.AutomationRule",
)

# Production: HTTPS only. Behind a proxy that terminates TLS, set TRUSTED_PROXY_COUNT and have it
# send X-Forwarded-Proto; SECURE_SSL_REDIRECT=false leaves redirects to the proxy.
if TRUSTED_PROXY_COUNT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
# HSTS covers the host Switchyard is served on and the hosts under it (switchyard.example.com,
# not example.com); turn these off if a host under it must still speak plain HTTP.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Pages load only their own scripts, styles and images; Swagger UI's assets are served from here
# (drf-spectacular-sidecar) and its page sets up the UI with an inline script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", "'unsafe-inline'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}
