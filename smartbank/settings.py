"""SmartBank settings: one module, driven by environment variables.

With no environment at all it runs the embedded default: SQLite, DEBUG on, Celery tasks
run eagerly in-process and a local-memory cache. Production differs only through the
environment (see README.md, "Production").
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pycountry
from django.core.exceptions import ImproperlyConfigured

from smartbank.env import (
    env_bool,
    env_database,
    env_decimal,
    env_duration,
    env_int,
    env_list,
    env_rate,
    env_redis_url,
    env_str,
    redis_url_for_test_worker,
)
from smartbank.money import is_currency_code

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", True)

_DEV_SECRET_KEY = "django-insecure-dev-only-key-never-use-in-production-0123456789abcdef"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off: use a random string of 50+ characters."
        )
    SECRET_KEY = _DEV_SECRET_KEY
elif not DEBUG and (
    len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-")
):
    raise ImproperlyConfigured(
        "SECRET_KEY is too weak for DEBUG off: use a random string of 50+ characters."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "django_celery_beat",
    "smartbank",
    "accounts",
    "transactions",
    "budgets",
    "bills",
    "rewards",
    "alerts",
    "insights",
]

MIDDLEWARE = [
    # First, so every response (redirects and static files too) is logged with its id.
    "smartbank.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before the body limit, so a browser client can read the 413 too.
    "corsheaders.middleware.CorsMiddleware",
    "smartbank.middleware.JsonBodySizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "smartbank.web.UserTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "smartbank.urls"
WSGI_APPLICATION = "smartbank.wsgi.application"
ASGI_APPLICATION = "smartbank.asgi.application"

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
                "smartbank.web.web_context",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------
_database = env_database(
    "DATABASE_URL",
    f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
    conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0),
    conn_health_checks=True,
)
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of one
    # failing with "database is locked" half way through a ledger update.
    _database["CONN_MAX_AGE"] = 0
    _database["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# SQLite (the embedded default) builds a covering index without its INCLUDE columns: the
# index still serves its key columns, and PostgreSQL, where the columns matter, has them.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# --- Cache and Celery ---------------------------------------------------------------
REDIS_URL = env_redis_url("REDIS_URL")
if REDIS_URL and os.environ.get("PYTEST_XDIST_WORKER"):
    REDIS_URL = redis_url_for_test_worker(REDIS_URL, os.environ["PYTEST_XDIST_WORKER"])
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "smartbank"),
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# A task survives a worker crash: acknowledged only when done, and handed back to the
# broker (not dropped) when the worker running it dies. Tasks are written to be safe to
# run twice, so a redelivery does no harm.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis hands an unacknowledged task to another worker after this long; longer than any
# task runs, so a slow task is not run twice at once.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# Workers keep the LOGGING configuration below (JSON, redaction) instead of Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The queue tasks are sent to and workers read, unless told otherwise: one Redis can serve
# several deployments (or a test's own worker process) with a queue each.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE") or "celery"

# --- Identity -----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

BASE_CURRENCY = env_str("BASE_CURRENCY", "EUR").upper()
if pycountry.currencies.get(alpha_3=BASE_CURRENCY) is None:
    raise ImproperlyConfigured(f"BASE_CURRENCY must be an ISO 4217 code, got {BASE_CURRENCY!r}.")
# The currency of the staff portfolio's totals across all customers (/api/v1/staff/portfolio/).
REPORTING_CURRENCY = env_str("REPORTING_CURRENCY", "EUR").upper()
if not is_currency_code(REPORTING_CURRENCY):
    raise ImproperlyConfigured(
        f"REPORTING_CURRENCY must be an ISO 4217 currency code, got {REPORTING_CURRENCY!r}."
    )

# --- API ----------------------------------------------------------------------------
AUTH_THROTTLE_RATE = env_rate("AUTH_THROTTLE_RATE", "10/min")
# How many reverse proxies in front append to X-Forwarded-For. 0 (direct, or a proxy that
# speaks the PROXY protocol to gunicorn): the client is the TCP peer and X-Forwarded-For,
# which any client can forge, is ignored by throttles, logs and the audit trail alike.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
REST_FRAMEWORK = {
    # JWT first: its WWW-Authenticate header is what makes an anonymous call a 401.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "smartbank.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "smartbank.schema.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "auth_ip": AUTH_THROTTLE_RATE,
        "auth_email": AUTH_THROTTLE_RATE,
    },
    "EXCEPTION_HANDLER": "smartbank.exceptions.api_exception_handler",
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "COERCE_DECIMAL_TO_STRING": True,
    "DATE_INPUT_FORMATS": ["iso-8601"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": env_duration("JWT_ACCESS_LIFETIME", timedelta(minutes=15)),
    "REFRESH_TOKEN_LIFETIME": env_duration("JWT_REFRESH_LIFETIME", timedelta(days=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
}
MAX_JSON_BODY_BYTES = env_int("MAX_JSON_BODY_BYTES", 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_JSON_BODY_BYTES

SPECTACULAR_SETTINGS = {
    "TITLE": "SmartBank API",
    "DESCRIPTION": (
        "The SmartBank REST API. Authenticate with `POST /api/v1/auth/login/` and send the "
        "access token as `Authorization: Bearer <token>`. Money is a string with two decimals; "
        "dates are ISO 8601; lists are paginated as {count, next, previous, results}."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No validatorUrl: Swagger UI would otherwise send the schema's URL to
    # validator.swagger.io for a badge, a request to a third party from every visit.
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True, "validatorUrl": None},
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums"],
}

CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_URLS_REGEX = r"^/api/.*$"

# --- Exchange rates -----------------------------------------------------------------
# The daily job (accounts.tasks.ecb_rates_refresh_task) downloads this. The 90-day file,
# not the daily one, so the days a missed or failed run skipped are filled the next day.
# The ECB's eurofxref XML, CSV or zip files are read; an http(s) URL only.
ECB_RATES_URL = env_str(
    "ECB_RATES_URL", "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist-90d.xml"
)
try:
    _ecb_url = urlsplit(ECB_RATES_URL)
    _ecb_url_valid = _ecb_url.scheme in {"http", "https"} and bool(_ecb_url.hostname)
    _ecb_url.port  # noqa: B018 - raises ValueError for a port that is not a number
except ValueError:
    _ecb_url_valid = False
if not _ecb_url_valid:
    raise ImproperlyConfigured(
        f"ECB_RATES_URL must be an http:// or https:// URL with a host, got {ECB_RATES_URL!r}."
    )
# Seconds the download may wait for the server at each step (connecting, each read).
ECB_RATES_TIMEOUT = env_int("ECB_RATES_TIMEOUT", 30, minimum=1)
# A larger body is refused unread: the 90-day XML is ~100 KB, the whole history's ~6 MB.
ECB_RATES_MAX_BYTES = env_int("ECB_RATES_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)
# A server that cannot be reached (or answers 5xx/429) is tried again this many times,
# waiting ECB_RATES_RETRY_BACKOFF seconds, then twice that, ... up to ..._BACKOFF_MAX.
ECB_RATES_MAX_RETRIES = env_int("ECB_RATES_MAX_RETRIES", 4, minimum=0)
ECB_RATES_RETRY_BACKOFF = env_int("ECB_RATES_RETRY_BACKOFF", 300, minimum=1)
ECB_RATES_RETRY_BACKOFF_MAX = env_int("ECB_RATES_RETRY_BACKOFF_MAX", 3600, minimum=1)

# --- Statement import -------------------------------------------------------------
IMPORT_MAX_FILE_BYTES = env_int("IMPORT_MAX_FILE_BYTES", 10 * 1024 * 1024, minimum=1024)
# Real exports from other projects, for the importer's tests (see README, Development).
BANK_FIXTURES_DIR = Path(
    env_str("BANK_FIXTURES_DIR") or BASE_DIR.parent / "shared" / "bank_fixtures"
)

# --- Statements and exports (insights.exports) --------------------------------------
# The bank's name and postal address at the head of every PDF statement; address lines
# are separated by "|", as an address line may itself hold commas.
BANK_NAME = env_str("BANK_NAME", "SmartBank")
BANK_ADDRESS = [
    line.strip()
    for line in env_str("BANK_ADDRESS", "SmartBank Ltd|1 Example Street|London EC1A 1AA").split("|")
    if line.strip()
]
# A statement covers at most this many days and this many transactions (a clear 400
# beyond), so one request cannot hold a worker for minutes: 3,000 rows render in about
# 20 s and 0.5 GB (the README's figures).
EXPORT_PDF_MAX_DAYS = env_int("EXPORT_PDF_MAX_DAYS", 366, minimum=1)
EXPORT_PDF_MAX_ROWS = env_int("EXPORT_PDF_MAX_ROWS", 3000, minimum=1)
# Statements a customer may have waiting or being made at once.
EXPORT_PDF_MAX_UNFINISHED = env_int("EXPORT_PDF_MAX_UNFINISHED", 3, minimum=1)
# Seconds: a statement still "running" this long after its task claimed it is taken as
# abandoned (its worker died) and is made again by the task's next delivery.
EXPORT_RENDER_TIMEOUT = env_int("EXPORT_RENDER_TIMEOUT", 600, minimum=30)

# --- Email --------------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "SmartBank <no-reply@smartbank.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Notifications (alerts) ---------------------------------------------------------
# Dotted path of the SMS backend class (alerts.sms): console by default, so the embedded
# default prints text messages instead of sending them.
SMS_BACKEND = env_str("SMS_BACKEND", "alerts.sms.ConsoleSmsBackend")
if "." not in SMS_BACKEND or not all(part.isidentifier() for part in SMS_BACKEND.split(".")):
    raise ImproperlyConfigured(
        f"SMS_BACKEND must be the dotted path of a class, got {SMS_BACKEND!r}."
    )
# A notification whose channel fails is retried this many times, waiting
# NOTIFICATION_RETRY_BACKOFF seconds, then twice that, ... up to NOTIFICATION_RETRY_BACKOFF_MAX;
# after the last retry it is marked failed with its last error.
NOTIFICATION_MAX_RETRIES = env_int("NOTIFICATION_MAX_RETRIES", 5, minimum=0)
NOTIFICATION_RETRY_BACKOFF = env_int("NOTIFICATION_RETRY_BACKOFF", 30, minimum=1)
NOTIFICATION_RETRY_BACKOFF_MAX = env_int("NOTIFICATION_RETRY_BACKOFF_MAX", 600, minimum=1)

# --- Bills --------------------------------------------------------------------------
# A transaction pays an unpaid bill when the biller is in its merchant or description, its
# amount is within BILL_MATCH_TOLERANCE_PERCENT of the amount due and its date within
# BILL_MATCH_DAYS of the due date (bills.services.bills_match_transactions).
BILL_MATCH_TOLERANCE_PERCENT = env_int("BILL_MATCH_TOLERANCE_PERCENT", 5, minimum=0)
if BILL_MATCH_TOLERANCE_PERCENT > 100:
    raise ImproperlyConfigured(
        f"BILL_MATCH_TOLERANCE_PERCENT must be at most 100, got {BILL_MATCH_TOLERANCE_PERCENT}."
    )
BILL_MATCH_DAYS = env_int("BILL_MATCH_DAYS", 7, minimum=0)

# --- Rewards ------------------------------------------------------------------------
# Bills are entered by the customer: at most this many earn on-time points per customer and
# month, so making bills to pay them cannot mint points without end.
REWARDS_BILLS_PER_MONTH = env_int("REWARDS_BILLS_PER_MONTH", 15, minimum=0)

# --- Unusual spending alerts (alerts.unusual) ---------------------------------------
# A customer's pattern is their own payments in the UNUSUAL_HISTORY_DAYS before a payment,
# in their base currency; a category or merchant with fewer than UNUSUAL_MIN_SAMPLE of them
# has no pattern yet. A payment is unusual for it when it is at least UNUSUAL_AMOUNT_FACTOR
# times the median, UNUSUAL_MAD_SCORE robust deviations above it (1.4826 x MAD, floored at
# UNUSUAL_MAD_FLOOR_PERCENT of the median so near-constant series do not flood), and fewer
# than UNUSUAL_PRECEDENT_PERCENT (and two) of the earlier payments were even half as large.
UNUSUAL_HISTORY_DAYS = env_int("UNUSUAL_HISTORY_DAYS", 365, minimum=28)
UNUSUAL_MIN_SAMPLE = env_int("UNUSUAL_MIN_SAMPLE", 8, minimum=3)
UNUSUAL_AMOUNT_FACTOR = env_decimal("UNUSUAL_AMOUNT_FACTOR", "3", minimum="1")
UNUSUAL_MAD_SCORE = env_decimal("UNUSUAL_MAD_SCORE", "5", minimum="1")
UNUSUAL_MAD_FLOOR_PERCENT = env_int("UNUSUAL_MAD_FLOOR_PERCENT", 10, minimum=1)
UNUSUAL_PRECEDENT_PERCENT = env_int("UNUSUAL_PRECEDENT_PERCENT", 3, minimum=0)
# The first payment at a merchant is large at UNUSUAL_NEW_MERCHANT_FACTOR times the median
# of all the customer's payments, once they have UNUSUAL_NEW_MERCHANT_MIN_HISTORY of them.
UNUSUAL_NEW_MERCHANT_FACTOR = env_decimal("UNUSUAL_NEW_MERCHANT_FACTOR", "4", minimum="1")
UNUSUAL_NEW_MERCHANT_MIN_HISTORY = env_int("UNUSUAL_NEW_MERCHANT_MIN_HISTORY", 20, minimum=1)
# A category's month is unusual at UNUSUAL_MONTH_FACTOR times its mean spending and number
# of payments over the trailing UNUSUAL_MONTH_TRAILING months (at least
# UNUSUAL_MONTH_MIN_HISTORY full months of history), for a category paid at least
# UNUSUAL_MONTH_MIN_PAYMENTS times a month, when the excess is at least
# UNUSUAL_MONTH_MIN_SHARE_PERCENT of the customer's mean monthly spending.
UNUSUAL_MONTH_FACTOR = env_decimal("UNUSUAL_MONTH_FACTOR", "2.5", minimum="1")
UNUSUAL_MONTH_TRAILING = env_int("UNUSUAL_MONTH_TRAILING", 6, minimum=1)
UNUSUAL_MONTH_MIN_HISTORY = env_int("UNUSUAL_MONTH_MIN_HISTORY", 3, minimum=1)
UNUSUAL_MONTH_MIN_PAYMENTS = env_decimal("UNUSUAL_MONTH_MIN_PAYMENTS", "4", minimum="1")
UNUSUAL_MONTH_MIN_SHARE_PERCENT = env_int("UNUSUAL_MONTH_MIN_SHARE_PERCENT", 2, minimum=0)
if UNUSUAL_PRECEDENT_PERCENT > 100:
    raise ImproperlyConfigured(
        f"UNUSUAL_PRECEDENT_PERCENT must be at most 100, got {UNUSUAL_PRECEDENT_PERCENT}."
    )
if UNUSUAL_MONTH_MIN_HISTORY > UNUSUAL_MONTH_TRAILING:
    raise ImproperlyConfigured(
        f"UNUSUAL_MONTH_MIN_HISTORY ({UNUSUAL_MONTH_MIN_HISTORY}) cannot be more than "
        f"UNUSUAL_MONTH_TRAILING ({UNUSUAL_MONTH_TRAILING})."
    )

# --- Internationalisation and time --------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------
# The web pages' session login (the API authenticates with JWT first).
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Without a manifest (development, tests) WhiteNoise serves straight from the finders.
WHITENOISE_USE_FINDERS = not env_bool("STATIC_MANIFEST", not DEBUG)

# --- Security -----------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
# Preload is what check --deploy asks for (security.W021); set it false for a domain whose
# subdomains cannot all serve HTTPS.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    # Only behind a proxy that sets this header itself; otherwise clients could forge it.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Logging ------------------------------------------------------------------------
LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, got {LOG_FORMAT!r}.")
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"LOG_LEVEL must be a logging level name, got {LOG_LEVEL!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact": {"()": "smartbank.logging.RedactingFilter"},
        "request_context": {"()": "smartbank.logging.RequestContextFilter"},
    },
    "formatters": {
        "json": {"()": "smartbank.logging.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_context", "redact"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Our request log replaces Django's, which would log each request a second time.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # WeasyPrint logs every step and page of a statement at INFO; its warnings stay.
        "weasyprint.progress": {"level": "WARNING"},
    },
}
