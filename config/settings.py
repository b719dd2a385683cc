"""One settings module, configured by the environment.

With nothing set it runs embedded: SQLite, Celery tasks executed eagerly in the web process,
DEBUG on. `DATABASE_URL` and `REDIS_URL` switch to PostgreSQL and a real broker;
`DJANGO_DEBUG=0` with `DJANGO_SECRET_KEY` and `DJANGO_ALLOWED_HOSTS` is production.
"""

import logging
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or (
    "insecure-embedded-demo-key-set-DJANGO_SECRET_KEY-in-production" if DEBUG else ""
)
if not SECRET_KEY:
    raise RuntimeError("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "mptt",
    "axes",
    # Manages the audit triggers (audit.recording); pghistory lends its context, not its models.
    "pgtrigger",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # The project's rooms, bottom floor first (the import-linter contract keeps the floors).
    "core",
    "committees",
    "notifications",
    "members",
    "accounts",
    "audit",
    "party_members",
    "categories",
    "resources",
    "demands",
    "projects",
    "dashboard",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionTimeoutMiddleware",
    "accounts.middleware.PasswordChangeRequiredMiddleware",
    "audit.middleware.AuditContextMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a flagged lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
            ],
        },
    },
    {
        # Only the rows of long lists and their filters (`core.jinja`), by name: `{% rows %}`.
        "NAME": "rows",
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "core.jinja.environment"},
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded demo serves one process; a busy timeout keeps eager tasks from tripping over
    # the web request that queued them.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # PostgreSQL's default random_page_cost (4) prices a disk that seeks. On SSD or RAM it
    # over-prices index lookups: a street's 72 projects by their 11 committees costed above
    # reading all 30,000 projects (7 ms against 0.2 ms). 1.1 is the usual figure for SSDs.
    # Empty leaves it to the server (a connection pooler that refuses startup options).
    RANDOM_PAGE_COST = os.environ.get("DATABASE_RANDOM_PAGE_COST", "1.1").strip()
    if RANDOM_PAGE_COST:
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
            f"-c random_page_cost={float(RANDOM_PAGE_COST):g}"
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "members.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# django-axes' backend only refuses locked-out attempts; ModelBackend checks the password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading the user back with their tenant. A session signed in
    # through ModelBackend before it came in is signed out once.
    "accounts.backends.UserWithTenantBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # Length (10) and three of four kinds of character, with Chinese messages.
    {"NAME": "accounts.validators.PasswordComplexityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Language and time ----------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
# Chinese only: the pages are written in Chinese and no English catalogue exists, so offering a
# switch that changed nothing was removed. Strings stay marked for translation (gettext), so a
# catalogue under locale/ and a second entry here bring a language back.
LANGUAGES = [("zh-hans", _("简体中文"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files: everything is served from the project, never from a CDN -------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "/media/"

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["core.filtersets.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PagePagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "core.api.ErrorsAutoSchema",
    # A service's ValidationError is a 400 with field errors (core.api).
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # Per signed-in user: every write, and bulk calls besides (core.throttling).
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttling.WriteRateThrottle",
        "core.throttling.BulkRateThrottle",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "党建工作协调委员会平台 API",
    "DESCRIPTION": "Committees, member units and the three lists of the coordination-committee platform.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The project list's choice sets, named once (their field names repeat the demands').
    "ENUM_NAME_OVERRIDES": {
        "ProjectStatusEnum": "projects.models.ProjectStatus",
        "ProjectSourceEnum": "projects.models.ProjectSource",
        "MeetingStatusEnum": "projects.models.MeetingStatus",
        "TaskStatusEnum": "projects.models.TaskStatus",
        "DecisionKindEnum": "projects.models.DecisionKind",
        "SupervisedKindEnum": "projects.supervision.KIND_CHOICES",
        "WhistleKindEnum": "projects.models.WhistleKind",
        "WhistleStatusEnum": "projects.models.WhistleStatus",
        "SummonsStatusEnum": "projects.models.SummonsStatus",
        "RhythmKindEnum": "projects.models.RhythmKind",
        "BulletinKindEnum": "projects.models.BulletinKind",
        "EvaluationDirectionEnum": "projects.models.EvaluationDirection",
        "ClaimDirectionEnum": "demands.models.ClaimDirection",
    },
}

# --- Cache and rate limits ------------------------------------------------------------------
# The cache holds the rate limits' counts: on Redis when REDIS_URL is set, so every process of
# the deployment shares them; in the process's memory otherwise (one process: tests, the demo).
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ.get("CACHE_REDIS_URL") or os.environ.get("REDIS_URL"),
            "KEY_PREFIX": "platform",
        }
        if os.environ.get("REDIS_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# "N/second|minute|hour|day" per scope (core/throttling.py); each can be set from the
# environment as THROTTLE_RATE_<SCOPE> (e.g. THROTTLE_RATE_LOGIN_ADDRESS=60/minute, or "off").
# *_address counts per client address (TRUSTED_PROXY_COUNT decides which), *_account per
# username (or per link for anonymous links), api_* per signed-in user.
_THROTTLE_DEFAULTS = {
    "login_address": "30/minute",
    "login_account": "10/minute",
    "token_address": "30/minute",
    "token_account": "10/minute",
    "join_address": "10/hour",
    "join_account": "5/hour",
    "join_search_address": "120/minute",
    "survey_address": "30/minute",
    "survey_account": "10/minute",
    "api_write": "300/minute",
    "api_bulk": "60/hour",
}


def _throttle_rate(scope: str, default: str) -> str | None:
    value = os.environ.get(f"THROTTLE_RATE_{scope.upper()}", "").strip()
    if value.lower() in {"off", "none", "0"}:
        return None
    return value or default


THROTTLE_RATES = {scope: _throttle_rate(scope, rate) for scope, rate in _THROTTLE_DEFAULTS.items()}
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = THROTTLE_RATES

# --- Celery ---------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE

# --- Security: lockout, sessions, second factor, audit ---------------------------------------
# The client's address for lockout and audit alike: REMOTE_ADDR, or behind N reverse proxies that
# append to X-Forwarded-For, the address the outermost of them saw.
TRUSTED_PROXY_COUNT = env_int("DJANGO_TRUSTED_PROXY_COUNT", 0)

# Failed logins lock a username at one address only: a whole street office shares an address, so
# locking the address would lock out every colleague, and locking the username anywhere would let
# anyone lock out anyone.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
AXES_RESET_ON_SUCCESS = True
# Attempts during a lockout do not restart it: the page promises a time, and it holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "core.http.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout_response"
AXES_COOLOFF_MESSAGE = _("登录失败次数过多，该账号在当前地址已被暂时锁定，请稍后再试。")
AXES_HTTP_RESPONSE_CODE = 429

# Idle and absolute timeouts, enforced by accounts.middleware.SessionTimeoutMiddleware.
SESSION_IDLE_TIMEOUT = timedelta(minutes=env_int("SESSION_IDLE_TIMEOUT_MINUTES", 30))
SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=env_int("SESSION_ABSOLUTE_TIMEOUT_HOURS", 8))

# The optional second factor of administrators (TOTP, accounts.views).
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "党建工作协调委员会平台")

# The audit trail (audit/): every write to the tables that the apps declare in their AppConfig's
# `audited_models`, recorded by PostgreSQL triggers (bulk writes and queryset updates included),
# with the actor, tenant and address of the request or the name of the task (audit.context);
# append-only in PostgreSQL (audit migration 0002) and purged after the retention period, which
# cannot be set below 180 days. The triggers are not part of any app's migrations: pgtrigger
# installs them after each `migrate`, from the declarations as they are.
AUDIT_LOG_RETENTION_DAYS = max(180, env_int("AUDIT_LOG_RETENTION_DAYS", 180))
PGTRIGGER_MIGRATIONS = False
PGTRIGGER_INSTALL_ON_MIGRATE = True
PGTRIGGER_SCHEMA_EDITOR = False
PGHISTORY_JSON_ENCODER = "audit.context.ContextEncoder"

# --- Email and notifications ----------------------------------------------------------------
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
# A hung SMTP server must not hold a delivery's row lock forever (Django's default is no timeout).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
# Without EMAIL_HOST (the embedded demo) emails are printed to the console, not sent.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "党建协调平台 <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The site's public address, for links in emails and group-robot messages.
SITE_URL = os.environ.get("SITE_URL", "")
NOTIFICATIONS_DIGEST_HOUR = env_int("NOTIFICATIONS_DIGEST_HOUR", 18)
# Deliveries a worker claims, sends and marks sent in one transaction; also the most sends a
# worker killed mid-batch can repeat (each repeat with the same webhook-id or Message-ID).
NOTIFICATIONS_DELIVERY_BATCH = env_int("NOTIFICATIONS_DELIVERY_BATCH", 50)
# Webhooks and group robots reach public addresses only, plus these networks, addresses or exact
# host names (comma-separated), e.g. "10.20.0.0/16,hooks.district.internal". Loopback,
# link-local, private, multicast and reserved addresses are refused unless listed here.
WEBHOOK_ALLOWED_NETWORKS = env_list("WEBHOOK_ALLOWED_NETWORKS", [])

# --- Imports --------------------------------------------------------------------------------
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 10_000)
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 10 * 1024 * 1024)

logging.captureWarnings(True)

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        "quiet_refusals": {"()": "config.logfilters.QuietRefusals"},
        "once": {"()": "config.logfilters.OncePerMessage"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "console_refusals": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["quiet_refusals"],
        },
        "console_once": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["once"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # A refusal is one line without a traceback; a form sent back with errors is none.
        "django.request": {"handlers": ["console_refusals"], "propagate": False},
        "django.security": {"handlers": ["console_refusals"], "propagate": False},
        # Each warning once per process, not once per request.
        "py.warnings": {"handlers": ["console_once"], "propagate": False},
        # django-axes announces every successful login and clean-up at INFO.
        "axes": {"level": "WARNING"},
        "django.db.backends": {"level": "WARNING"},
        # Eager tasks (embedded mode) would log a line per task run inside the web process, and
        # kombu warns that the in-memory broker has no host name: nothing is wrong with either.
        **(
            {}
            if REDIS_URL
            else {"celery.app.trace": {"level": "WARNING"}, "kombu.connection": {"level": "ERROR"}}
        ),
        # One line per audit trigger on every migrate otherwise.
        "pgtrigger": {"level": "WARNING"},
    },
}

# --- Production hardening (inactive while DEBUG is on) ---------------------------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_TIMEOUT.total_seconds())
X_FRAME_OPTIONS = "DENY"
