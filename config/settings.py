"""Settings for every environment, read from the environment with demo-safe defaults.

With no environment at all the system runs on the embedded default: SQLite in `var/` and a
Celery broker kept in files under `var/broker/`, so one machine needs no external service.
`DATABASE_URL` and `CELERY_BROKER_URL` switch to PostgreSQL and Redis or RabbitMQ.
Production hardening lives in `config.production`, which imports this module.
"""

import datetime
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# The demo key is only ever used on the embedded default; production refuses to start without
# its own key (config.production).
SECRET_KEY = os.environ.get("SECRET_KEY", "demo-only-insecure-key-change-me-0123456789abcdef")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "rest_framework",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",  # passkeys, a second choice of second factor
    "csp",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served by the application, never from a CDN
    "django_prometheus",  # /metrics (referrals/metrics.py)
    "referrals",
    "referrals.api.apps.PartnerApiConfig",
    "hub",
    "ird",
]

MIDDLEWARE = [
    # First and last: request latency and responses per view and status, for /metrics.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "referrals.middleware.RequestContextMiddleware",
    "referrals.request_log.RequestLogMiddleware",  # one log line per request
    "referrals.api.chunked.ChunkedBodyMiddleware",
    "referrals.middleware.OutageAwareSessionMiddleware",  # Django's, but 503 in an outage
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "referrals.middleware.SessionLifetimeMiddleware",
    "referrals.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "referrals.middleware.NoStoreMiddleware",
    "referrals.middleware.DeniedAccessAuditMiddleware",
    "referrals.middleware.BreakGlassMiddleware",
    # Last, so that a locked-out login is answered before the view runs.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "referrals.context_processors.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
_SQLITE_URL = f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", _SQLITE_URL),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, worker and beat share one file: WAL lets readers go on while one writes,
    # IMMEDIATE transactions take the write lock up front instead of failing half-way.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- People and passwords -----------------------------------------------------------------
AUTH_USER_MODEL = "referrals.Staff"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "referrals.roles.RolePermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
# Every staff session needs a second factor (referrals/second_factor.py). The issuer names this
# service in people's authenticator apps.
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Child welfare referrals")
# Demo conveniences (known authenticator keys for the demo users, `manage.py demo_code`);
# config.production turns them off.
DEMO_FEATURES = env_bool("DEMO_FEATURES", True)
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout: five failures for one username from one address, then a cool-off.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429  # a locked-out sign-in answers "too many requests"
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

# --- Sessions: idle timeout, absolute lifetime, kept in the database -----------------------
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_IDLE_SECONDS = int(os.environ.get("SESSION_IDLE_MINUTES", "30")) * 60
SESSION_ABSOLUTE_SECONDS = int(os.environ.get("SESSION_ABSOLUTE_HOURS", "10")) * 3600
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS
SESSION_SAVE_EVERY_REQUEST = (
    False  # the idle expiry slides once a minute (SessionLifetimeMiddleware)
)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# --- Security headers ---------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
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
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024  # 1 MiB: the partner API answers larger bodies with 413

# --- Static files, served by the application itself ----------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # the demo need not run collectstatic

# --- Locale -------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"  # shown and computed in UK time; stored in UTC
USE_I18N = True
USE_TZ = True

# --- E-mail -------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "referrals@localhost")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_TIMEOUT = 10

# --- Celery -------------------------------------------------------------------------------
# The embedded broker keeps messages in files, so the demo needs no broker service.
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        # The file broker polls; a short interval keeps a burst of e-mail tasks from queueing
        # behind one another for minutes.
        "polling_interval": 0.1,
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A broker blip must not leave an acks_late task running while its redelivered copy runs too.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")

# --- Caches: rate limits must be shared by every process ----------------------------------
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "cache_entries",
    }
}

# --- DRF (the partner API builds on this) -------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Partner API limits: per client, and failed token attempts per address. Kept in
    # the shared database cache, so every web process counts together.
    "DEFAULT_THROTTLE_RATES": {
        "partner_client": os.environ.get("API_CLIENT_RATE", "600/min"),
        "partner_auth_failures": os.environ.get("API_AUTH_FAILURE_RATE", "300/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Child welfare referrals: partner API",
    "DESCRIPTION": "See referrals/api/schema.py.",  # replaced by the schema's own description
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_PERMISSIONS": ["referrals.api.permissions.IsPartnerClientOrStaff"],
    "SERVE_AUTHENTICATION": [
        "referrals.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "PREPROCESSING_HOOKS": ["referrals.api.schema.only_partner_api"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "referrals.api.schema.finish_schema",
        "ird.api.require_a_change",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {},
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"validatorUrl": None, "deepLinking": True},
}
# Webhooks go to HTTPS addresses only; plain http to a loopback address is for development.
WEBHOOKS_ALLOW_HTTP_LOOPBACK = env_bool("WEBHOOKS_ALLOW_HTTP_LOOPBACK", False)

# --- Logging: no personal data in logs; every line carries the request id -----------------
# One line per request and per task (referrals/request_log.py), with the request id; never a
# path's query string, a name, a date of birth, a CHI number or free text. LOG_FORMAT=json for
# log collectors (production's default), plain for people reading a terminal (the demo's).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "referrals.request_context.RequestIdLogFilter"},
        "no_4xx_traceback": {"()": "referrals.request_context.ClientErrorWithoutTraceback"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["request_id", "no_4xx_traceback"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # runserver's access line holds the whole address, query string and all (a search for
        # a child by name): referrals.requests logs each request instead.
        "django.server": {"handlers": [], "level": "ERROR", "propagate": False},
    },
}
# Celery keeps this logging configuration rather than its own, so task lines look the same.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# /metrics (referrals/metrics.py): for these addresses, or with this bearer token.
METRICS_ALLOWED_IPS = [
    ip.strip() for ip in os.environ.get("METRICS_ALLOWED_IPS", "127.0.0.1,::1").split(",") if ip
]
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
PROMETHEUS_EXPORT_MIGRATIONS = False

# --- The council --------------------------------------------------------------------------
COUNCIL_NAME = os.environ.get("COUNCIL_NAME", "Moray Council")
REFERRAL_REFERENCE_PREFIX = os.environ.get("REFERRAL_REFERENCE_PREFIX", "CW")
# Reminders and escalations outside these London hours (or on a non-working day) wait for the
# next working morning, unless the step is urgent (immediate risk, emergency measures).
# REMINDER_HOURS=08:00-18:00 (the default); REMINDER_HOURS=any sends them at any hour.
_reminder_hours = os.environ.get("REMINDER_HOURS", "08:00-18:00")
REMINDER_HOURS = (
    None
    if _reminder_hours == "any"
    else tuple(datetime.time.fromisoformat(part) for part in _reminder_hours.split("-", 1))
)

# The address people reach the site at, for links in e-mails and calendar files. `make run` sets
# it from its PORT; production refuses to start without it (config.production).
SITE_URL = os.environ.get("SITE_URL") or f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"


def passkey_relying_party(site_url: str) -> tuple[str, list[str]]:
    """The passkeys' relying party id and the origins they may be used from, from SITE_URL.
    Browsers offer passkeys only on a domain name (never a bare IP address), over https or on
    http://localhost: so a plain-http SITE_URL (the demo's http://127.0.0.1:8000) gives
    passkeys at http://localhost on the same port, and the other pages say so."""
    site = urlsplit(site_url)
    if site.scheme == "https" and site.hostname:
        return site.hostname, [f"https://{site.netloc.rpartition('@')[2]}"]
    port = f":{site.port}" if site.port else ""
    return "localhost", [f"http://localhost{port}"]


# Passkeys (django-otp-webauthn, referrals/passkeys.py): a second factor only, never a way in
# without the password, so passwordless sign-in is off. Registered passkeys belong to the
# relying party id: changing the site's domain means registering them again.
OTP_WEBAUTHN_RP_ID, OTP_WEBAUTHN_ALLOWED_ORIGINS = passkey_relying_party(SITE_URL)
OTP_WEBAUTHN_RP_NAME = OTP_TOTP_ISSUER
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_HELPER_CLASS = "referrals.passkeys.PasskeyHelper"
# Per-person limits on pages that search, export or print children's records (GCRA in the
# database: referrals/ratelimit.py).
RATE_LIMITS = {
    "search": os.environ.get("SEARCH_RATE", "30/min"),
    "export": os.environ.get("EXPORT_RATE", "20/min"),
    "print": os.environ.get("PRINT_RATE", "20/min"),
}
# How long a break-glass access to a restricted record lasts (referrals/restrictions.py).
BREAK_GLASS_MINUTES = int(os.environ.get("BREAK_GLASS_MINUTES", "30"))
