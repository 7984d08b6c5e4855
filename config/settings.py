"""Poradnia settings: one module, read from the environment.

With no environment at all the project runs on embedded defaults (SQLite file, Celery on a SQLite broker,
in-memory channel layer, console e-mail). DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis.
DJANGO_ENV=production turns on the hardened settings that `manage.py check --deploy` verifies, and then every
secret must come from the environment. `.env.example` lists every variable.
"""

import re
import secrets
from datetime import timedelta
from ipaddress import ip_network
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be 'development' or 'production', not {DJANGO_ENV!r}.")
PRODUCTION = DJANGO_ENV == "production"

# Runtime state of the embedded defaults (SQLite file, broker folders, generated development keys).
VAR_DIR = Path(env.str("PORADNIA_VAR_DIR", default=str(BASE_DIR / "var")))


def development_secret(name: str) -> str:
    """A secret kept in VAR_DIR, made on first use; production must set it in the environment instead."""
    if PRODUCTION:
        raise ImproperlyConfigured(f"{name} must be set in the environment when DJANGO_ENV=production.")
    path = VAR_DIR / name.lower()
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="") or development_secret("SECRET_KEY")
# Secrets at rest (location private keys, OSOZ credentials): comma-separated; the first encrypts, all decrypt.
SECRETS_ENCRYPTION_KEYS = env.list("SECRETS_ENCRYPTION_KEYS", default=[]) or [
    development_secret("SECRETS_ENCRYPTION_KEYS")
]
DEBUG = env.bool("DJANGO_DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG cannot be on when DJANGO_ENV=production.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DJANGO_ENV=production.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_htmx",
    "csp",
    "channels",
    "core",
    "accounts",
    "patients",
    "clinic",
    "scheduling",
    "payers",
    "televisit",
    "portal",
    "osoz_integration",
]

# Who hears the changes the domains record (core.changes), in this order, inside the transaction that made them:
# the OSOZ outbox, then the live calendar (which broadcasts after commit), then the portal's cached timetable (out of
# date after commit). A lower layer never imports these.
CHANGE_LISTENERS = [
    "osoz_integration.changes.outbox_write",
    "scheduling.live.calendar_broadcast",
    "portal.booking.timetable_forget",
]

# The Unicode fonts printable documents (the sales document's PDF) are drawn with: Debian's fonts-dejavu-core, which
# the image installs.
PDF_FONT_PATH = env.str("PDF_FONT_PATH", default="/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
PDF_FONT_BOLD_PATH = env.str("PDF_FONT_BOLD_PATH", default="/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")

# The sections the apps above scheduling add to an appointment's side panel in Kalendarz and to the visit, in this
# order (scheduling.sections): VISIT_ACTIONS at the top of the visit, beside its data ("W górnej części widoku
# wizyty", manual §15.2), VISIT_SECTIONS below its notes.
APPOINTMENT_PANEL_SECTIONS = ["payers.sections.appointment_panel"]
VISIT_ACTIONS = ["televisit.sections.visit_televisit"]
VISIT_SECTIONS = [
    "televisit.sections.visit_chat",
    "televisit.sections.visit_documents",
    "payers.sections.visit_services",
    "payers.sections.visit_referrals",
]
# The sections the apps above scheduling add to a schedule's edit page, checked and saved with it in one transaction
# (scheduling.forms.ScheduleSection): the payer settings of a private schedule (SCH-4).
SCHEDULE_SECTIONS = ["payers.schedule_offers.ScheduleOfferSection"]

MIDDLEWARE = [
    "core.middleware.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.NoStoreMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "portal.sessions.PortalSessionMiddleware",
    "accounts.middleware.VerifiedLoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]
if env.bool("SERVER_TIMING", default=False):
    MIDDLEWARE.insert(0, "core.middleware.ServerTimingMiddleware")

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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "core.context_processors.menu",
            ],
        },
    },
]

# --- Data stores -----------------------------------------------------------------------------------------------

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'poradnia.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if PRODUCTION:
        raise ImproperlyConfigured("DATABASE_URL must name a PostgreSQL database when DJANGO_ENV=production.")
    # Owner-only files, and the audit trail append-only on SQLite too (core.sqlite.base).
    DATABASES["default"]["ENGINE"] = "core.sqlite"
    # Tests on SQLite run in memory (named explicitly: test runners only assume it for Django's own engine name).
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
    # WAL lets the web server and the worker read while one writes; IMMEDIATE takes the write lock at BEGIN, so
    # concurrent writers queue on the busy timeout instead of failing half-way through a transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    VAR_DIR.mkdir(parents=True, exist_ok=True)
else:
    # A connection pool per process: under ASGI every request runs in a thread of its own, so Django's persistent
    # per-thread connections (CONN_MAX_AGE) would pile up until PostgreSQL refuses clients; the pool caps them.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "pool": {"min_size": 1, "max_size": env.int("DB_POOL_MAX_SIZE", default=10), "timeout": 10}
    }
# The role the product connects as in production, owning nothing: `migrate`, run as the owner, grants it row rights
# (core.db.app_role_grant), so it can neither truncate the audit trail nor disable its trigger.
DATABASE_APP_ROLE = env.str("DATABASE_APP_ROLE", default="")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    # Redis pub/sub carries the sockets' messages (the live calendar, the televisits' signalling): each web process
    # holds one subscription and hears its sockets' groups at once. The list-based RedisChannelLayer reads a process's
    # messages one blocking pop at a time, drops them past 100 waiting and, on redis-py 8, fails its sockets once its
    # pool's 100 connections are busy: 500 televisit rooms lost messages by the thousand (bench/televisit.py, 13).
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    # The embedded broker (config.broker): a SQLite file of its own, shared by the web process, beat and the worker;
    # a message is one row, so a worker gets all of it or nothing.
    CELERY_BROKER_TRANSPORT = "config.broker:Transport"
    CELERY_BROKER_URL = f"sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}"
    CELERY_RESULT_BACKEND = None
    if not PRODUCTION:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
if PRODUCTION and not REDIS_URL:
    raise ImproperlyConfigured("REDIS_URL must be set when DJANGO_ENV=production (several processes share it).")

CELERY_TIMEZONE = "Europe/Warsaw"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Authentication and the second factor ----------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Poradnia")
# Between the password and the code the half-logged-in state lives this long in the session.
LOGIN_SECOND_STEP_SECONDS = 300

# Lockout: password and TOTP failures both count; after the limit the username+address pair waits out the cool-off.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/lockout.html"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "core.middleware.client_address"
# The reverse proxies whose X-Forwarded-* headers are believed (addresses or networks); nobody else's are.
TRUSTED_PROXIES = [ip_network(proxy, strict=False) for proxy in env.list("TRUSTED_PROXIES", default=[])]
# Password spraying: this many failed logins from one client address, whatever the usernames, within the cool-off
# window, and that address is answered 429 until the window ends (accounts.services.login_address_wait).
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=20)
# What requests nobody has authenticated can write to the undeletable audit log (a refused webhook delivery, a failed
# login of an unknown user) is recorded once per this window for each kind and address; repeats are only counted.
AUDIT_COALESCE_MINUTES = env.int("AUDIT_COALESCE_MINUTES", default=10)
if AXES_FAILURE_LIMIT < 1 or LOGIN_ADDRESS_FAILURE_LIMIT < 1 or AUDIT_COALESCE_MINUTES < 1:
    raise ImproperlyConfigured(
        "LOGIN_FAILURE_LIMIT, LOGIN_ADDRESS_FAILURE_LIMIT and AUDIT_COALESCE_MINUTES must be positive."
    )

# Sessions end after this much inactivity, and with the browser.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# The patient portal's sessions (portal.sessions): a cookie of their own under /portal/, never the staff's.
PORTAL_SESSION_IDLE_SECONDS = env.int("PORTAL_SESSION_IDLE_MINUTES", default=30) * 60
PORTAL_SESSION_COOKIE_NAME = "portal_session"
# "Połącz" of a videoconsultation in the portal (POR-5: "około 5 minut" before the visit) works from this many minutes
# before its start (portal.visits).
PORTAL_CONNECT_MINUTES_BEFORE = env.int("PORTAL_CONNECT_MINUTES_BEFORE", default=5)
if PORTAL_CONNECT_MINUTES_BEFORE < 0:
    raise ImproperlyConfigured("PORTAL_CONNECT_MINUTES_BEFORE cannot be negative.")
# How long a slot chosen in the portal stays held for the patient while he confirms it (scheduling.SlotHold).
# How long the portal's timetable and filters may be read from the cache at most (portal.booking): every change
# already ends them at once in a shared cache (Redis); this bounds the passing time and the demo's per-process cache.
PORTAL_TIMETABLE_CACHE_SECONDS = env.int("PORTAL_TIMETABLE_CACHE_SECONDS", default=30)
if PORTAL_TIMETABLE_CACHE_SECONDS < 0:
    raise ImproperlyConfigured("PORTAL_TIMETABLE_CACHE_SECONDS cannot be negative (0 caches nothing).")
PORTAL_HOLD_MINUTES = env.int("PORTAL_HOLD_MINUTES", default=5)
if not 1 <= PORTAL_HOLD_MINUTES <= 60:
    raise ImproperlyConfigured("PORTAL_HOLD_MINUTES must be between 1 and 60.")

# --- Internationalisation ----------------------------------------------------------------------------------------

LANGUAGE_CODE = "pl"
LANGUAGES = [("pl", "Polski"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Warsaw"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------------------------

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploaded documents of visits (televisit attachments and recordings): kept apart from the static files and never
# served by URL; only the views that check who asks hand them out (televisit.documents).
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default="") or VAR_DIR / "documents")
# Outside production WhiteNoise serves straight from the app folders, so the demo needs no collectstatic.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

# --- API ----------------------------------------------------------------------------------------------------------

# The API's rate limits (core.throttles; 429 with Retry-After): per staff member, and per client address for requests
# without a login.
API_RATE_STAFF = env.str("API_RATE_STAFF", default="120/min")
API_RATE_ANONYMOUS = env.str("API_RATE_ANONYMOUS", default="30/min")
for _name, _rate in (("API_RATE_STAFF", API_RATE_STAFF), ("API_RATE_ANONYMOUS", API_RATE_ANONYMOUS)):
    if not re.fullmatch(r"[1-9][0-9]*/(s|sec|m|min|h|hour|d|day)", _rate):
        raise ImproperlyConfigured(f"{_name} must read like 120/min (requests per s, min, hour or day).")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["core.permissions.IsVerifiedStaff"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "core.api_errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["core.throttles.StaffRateThrottle", "core.throttles.AddressRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"staff": API_RATE_STAFF, "address": API_RATE_ANONYMOUS},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Poradnia API",
    "DESCRIPTION": "Staff API of Poradnia; every endpoint needs a session with a verified second factor.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "core.api.errors_document"],
}

# --- OSOZ integration (osoz_integration/) ----------------------------------------------------------------------

# The platform's address until an administrator changes it in Ustawienia > OSOZ/LBK; the demo's sandbox by default.
OSOZ_BASE_URL = env.str("OSOZ_BASE_URL", default="http://127.0.0.1:8001").rstrip("/")
if urlsplit(OSOZ_BASE_URL).scheme not in {"http", "https"} or not urlsplit(OSOZ_BASE_URL).hostname:
    raise ImproperlyConfigured(f"OSOZ_BASE_URL must be an absolute http(s) URL, not {OSOZ_BASE_URL!r}.")
# One HTTP call: its timeout, and how many times a transient failure (network, 429, 503) is tried within it.
OSOZ_TIMEOUT_SECONDS = env.float("OSOZ_TIMEOUT_SECONDS", default=5.0)
OSOZ_MAX_ATTEMPTS = env.int("OSOZ_MAX_ATTEMPTS", default=3)
OSOZ_BACKOFF_SECONDS = env.float("OSOZ_BACKOFF_SECONDS", default=0.5)
# An outbox message that failed waits this long before its next delivery, doubling per failure up to the cap.
OSOZ_OUTBOX_RETRY_SECONDS = env.int("OSOZ_OUTBOX_RETRY_SECONDS", default=10)
OSOZ_OUTBOX_RETRY_MAX_SECONDS = env.int("OSOZ_OUTBOX_RETRY_MAX_SECONDS", default=600)
# Free slots are published from today over this many weeks (the contract allows at most 92 days).
OSOZ_PUBLICATION_WEEKS = env.int("OSOZ_PUBLICATION_WEEKS", default=8)
if not 1 <= OSOZ_PUBLICATION_WEEKS <= 13:
    raise ImproperlyConfigured("OSOZ_PUBLICATION_WEEKS must be between 1 and 13 (the contract allows 92 days).")
# Reconciliation compares what OSOZ shows with what the product holds this often (osoz_integration/reconcile.py).
OSOZ_RECONCILIATION_MINUTES = env.int("OSOZ_RECONCILIATION_MINUTES", default=15)
if not 1 <= OSOZ_RECONCILIATION_MINUTES <= 1440:
    raise ImproperlyConfigured("OSOZ_RECONCILIATION_MINUTES must be between 1 and 1440.")
if OSOZ_TIMEOUT_SECONDS <= 0 or OSOZ_MAX_ATTEMPTS < 1 or OSOZ_BACKOFF_SECONDS < 0:
    raise ImproperlyConfigured("OSOZ_TIMEOUT_SECONDS must be positive and OSOZ_MAX_ATTEMPTS at least 1.")
# Bookings (part 2): OSOZ calls Poradnia back at this address (the nudge and the booking approval receivers), told
# to it with PUT /api/v1/integration; the feed is pulled this often anyway; a signed webhook older or newer than the
# tolerance is refused as a possible replay.
OSOZ_CALLBACK_BASE_URL = env.str("OSOZ_CALLBACK_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
if urlsplit(OSOZ_CALLBACK_BASE_URL).scheme not in {"http", "https"} or not urlsplit(OSOZ_CALLBACK_BASE_URL).hostname:
    raise ImproperlyConfigured(
        f"OSOZ_CALLBACK_BASE_URL must be an absolute http(s) URL, not {OSOZ_CALLBACK_BASE_URL!r}."
    )
# Where patients reach Poradnia from outside (OSOZ_CALLBACK_BASE_URL is where OSOZ does, which may be an internal
# address): the televisit link handed to OSOZ with a booking's acceptance, which OSOZ e-mails the patient (contract
# 1.5.0, TV-8), starts with it.
PORADNIA_PUBLIC_URL = env.str("PORADNIA_PUBLIC_URL", default=OSOZ_CALLBACK_BASE_URL).rstrip("/")
if urlsplit(PORADNIA_PUBLIC_URL).scheme not in {"http", "https"} or not urlsplit(PORADNIA_PUBLIC_URL).hostname:
    raise ImproperlyConfigured(f"PORADNIA_PUBLIC_URL must be an absolute http(s) URL, not {PORADNIA_PUBLIC_URL!r}.")
OSOZ_BOOKING_PULL_SECONDS = env.int("OSOZ_BOOKING_PULL_SECONDS", default=10)
OSOZ_WEBHOOK_TOLERANCE_SECONDS = env.int("OSOZ_WEBHOOK_TOLERANCE_SECONDS", default=300)
# This many refused webhook deliveries (bad or missing signature, stale timestamp) from one address within the window,
# and that address is answered 429 without a signature check until the window ends.
OSOZ_WEBHOOK_REFUSAL_LIMIT = env.int("OSOZ_WEBHOOK_REFUSAL_LIMIT", default=20)
OSOZ_WEBHOOK_REFUSAL_MINUTES = env.int("OSOZ_WEBHOOK_REFUSAL_MINUTES", default=10)
if OSOZ_BOOKING_PULL_SECONDS < 1 or OSOZ_WEBHOOK_TOLERANCE_SECONDS < 1:
    raise ImproperlyConfigured("OSOZ_BOOKING_PULL_SECONDS and OSOZ_WEBHOOK_TOLERANCE_SECONDS must be positive.")
if OSOZ_WEBHOOK_REFUSAL_LIMIT < 1 or OSOZ_WEBHOOK_REFUSAL_MINUTES < 1:
    raise ImproperlyConfigured("OSOZ_WEBHOOK_REFUSAL_LIMIT and OSOZ_WEBHOOK_REFUSAL_MINUTES must be positive.")

# --- Televisits (televisit/) ------------------------------------------------------------------------------------

# The ICE servers of the calls (TV-5), comma-separated URLs: STUN (none by default — on one network, or on loopback,
# the browsers' own host candidates suffice) and TURN (coturn, docker-compose.yml), whose short-lived credentials are
# derived from the secret coturn is given as `static-auth-secret` (televisit.ice). The credentials last TURN_TTL
# seconds, longer than any visit: coturn refuses to refresh an allocation whose credential expired.
TELEVISIT_STUN_URLS = env.list("TELEVISIT_STUN_URLS", default=[])
TELEVISIT_TURN_URLS = env.list("TELEVISIT_TURN_URLS", default=[])
TELEVISIT_TURN_SECRET = env.str("TELEVISIT_TURN_SECRET", default="")
TELEVISIT_TURN_TTL = env.int("TELEVISIT_TURN_TTL", default=4 * 3600)
# Relay every call through TURN: the two sides never learn each other's addresses (and a test proves the relay works).
TELEVISIT_RELAY_ONLY = env.bool("TELEVISIT_RELAY_ONLY", default=False)
for _url in (*TELEVISIT_STUN_URLS, *TELEVISIT_TURN_URLS):
    if not re.match(r"(stuns?|turns?):", _url):
        raise ImproperlyConfigured(
            f"TELEVISIT_STUN_URLS and TELEVISIT_TURN_URLS take stun:, turn: or turns: URLs, not {_url!r}."
        )
if TELEVISIT_RELAY_ONLY and not TELEVISIT_TURN_URLS:
    raise ImproperlyConfigured(
        "TELEVISIT_RELAY_ONLY needs TELEVISIT_TURN_URLS: a relay-only call without TURN never connects."
    )
if TELEVISIT_TURN_URLS and not TELEVISIT_TURN_SECRET:
    raise ImproperlyConfigured("TELEVISIT_TURN_URLS needs TELEVISIT_TURN_SECRET (coturn's static-auth-secret).")
if TELEVISIT_TURN_TTL < 60:
    raise ImproperlyConfigured("TELEVISIT_TURN_TTL must be at least 60 seconds.")
# A recording attached to the visit (televisit.recordings) stops growing here: about 4 hours at the browsers' bitrate.
TELEVISIT_RECORDING_MAX_BYTES = env.int("TELEVISIT_RECORDING_MAX_BYTES", default=4 * 1024**3)
# The patient's link (which starts with PORADNIA_PUBLIC_URL) works until the visit's end plus this grace (TV-8).
TELEVISIT_LINK_GRACE_MINUTES = env.int("TELEVISIT_LINK_GRACE_MINUTES", default=120)
# A call the patient has not answered within this many seconds ends as "Nie udało się nawiązać połączenia" (TV-4).
TELEVISIT_ANSWER_SECONDS = env.int("TELEVISIT_ANSWER_SECONDS", default=20)
if TELEVISIT_LINK_GRACE_MINUTES < 0 or TELEVISIT_ANSWER_SECONDS < 1:
    raise ImproperlyConfigured(
        "TELEVISIT_LINK_GRACE_MINUTES cannot be negative, TELEVISIT_ANSWER_SECONDS must be positive."
    )
# A file the patient sends through the call's chat (televisit.documents, manual §15.4.2) is at most this large, and
# one televisit takes at most this many, so that a patient's link cannot fill the disk.
TELEVISIT_ATTACHMENT_MAX_BYTES = env.int("TELEVISIT_ATTACHMENT_MAX_BYTES", default=10 * 1024**2)
TELEVISIT_ATTACHMENT_MAX_COUNT = env.int("TELEVISIT_ATTACHMENT_MAX_COUNT", default=20)
if TELEVISIT_ATTACHMENT_MAX_BYTES < 1 or TELEVISIT_ATTACHMENT_MAX_COUNT < 1:
    raise ImproperlyConfigured("TELEVISIT_ATTACHMENT_MAX_BYTES and TELEVISIT_ATTACHMENT_MAX_COUNT must be positive.")

# --- E-mail --------------------------------------------------------------------------------------------------------

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
if "EMAIL_URL" in env:
    vars().update(env.email_url("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Poradnia <poradnia@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Text messages to patients (portal.sms): the class that delivers them. No SMS gateway yet: the console one prints them
# (development, the demo); production has none unless one is named, and the portal then offers no phone.
SMS_BACKEND = env.str("SMS_BACKEND", default="" if PRODUCTION else "portal.sms.ConsoleBackend")

# --- Security headers ------------------------------------------------------------------------------------------

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    PORTAL_SESSION_COOKIE_NAME = "__Secure-portal_session"  # __Host- would need the path /

# --- Logging: secrets never reach it (no request bodies, no settings dumps) ------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
