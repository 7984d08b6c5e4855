"""Settings of the OSOZ sandbox: its own database, secret and cookies, read from OSOZ_SANDBOX_* variables.

The sandbox runs beside Poradnia on the same host (port 8001), so its cookies carry their own names: browsers do not
separate cookies by port.
"""

import secrets
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

VAR_DIR = Path(env.str("OSOZ_SANDBOX_VAR_DIR", default=str(BASE_DIR / "var")))


def development_secret(name: str) -> str:
    """A secret kept in VAR_DIR, made on first use, so restarts keep sessions and signed values valid."""
    path = VAR_DIR / f"osoz_sandbox_{name.lower()}"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.str("OSOZ_SANDBOX_SECRET_KEY", default="") or development_secret("SECRET_KEY")
DEBUG = env.bool("OSOZ_SANDBOX_DEBUG", default=False)
ALLOWED_HOSTS = env.list("OSOZ_SANDBOX_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "osoz_sandbox",
]

MIDDLEWARE = [
    # Outermost: an injected fault answers before anything else runs (SBX-8).
    "osoz_sandbox.middleware.FaultInjectionMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "osoz_sandbox.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "osoz_sandbox.urls"
ASGI_APPLICATION = "osoz_sandbox.asgi.application"

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

DATABASES = {"default": env.db("OSOZ_SANDBOX_DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'osoz_sandbox.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE: concurrent publications queue on the write lock instead of failing half-way.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The rate limiter counts in this cache; one sandbox process is the norm, so process memory is enough.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "osoz-sandbox"}}

LOGIN_URL = "provider_login"
LOGIN_REDIRECT_URL = "provider_home"
LOGOUT_REDIRECT_URL = "provider_login"

SESSION_COOKIE_NAME = "osoz_sandbox_session"
CSRF_COOKIE_NAME = "osoz_sandbox_csrftoken"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "pl"
TIME_ZONE = "Europe/Warsaw"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
WHITENOISE_USE_FINDERS = True

# The contract the API implements and serves; request bodies are validated against its schemas.
OSOZ_CONTRACT_PATH = BASE_DIR / "osoz_contract" / "openapi.yaml"
OSOZ_SANDBOX_TOKEN_SECONDS = env.int("OSOZ_SANDBOX_TOKEN_SECONDS", default=3600)
OSOZ_SANDBOX_RATE_LIMIT = env.int("OSOZ_SANDBOX_RATE_LIMIT", default=1200)
OSOZ_SANDBOX_RATE_WINDOW_SECONDS = env.int("OSOZ_SANDBOX_RATE_WINDOW_SECONDS", default=60)
# Wrong Provider Service passwords for televisit access (POST /api/v1/televisit/access) an entity may give per window.
OSOZ_SANDBOX_TELEVISIT_PASSWORD_ATTEMPTS = env.int("OSOZ_SANDBOX_TELEVISIT_PASSWORD_ATTEMPTS", default=5)
OSOZ_SANDBOX_TELEVISIT_PASSWORD_WINDOW_SECONDS = env.int("OSOZ_SANDBOX_TELEVISIT_PASSWORD_WINDOW_SECONDS", default=900)
# Where patients reach the sandbox: the links in the notifications it sends (cancellation) start with it.
OSOZ_SANDBOX_PUBLIC_URL = env.str("OSOZ_SANDBOX_PUBLIC_URL", default="http://127.0.0.1:8001").rstrip("/")
# SBX-6: the qualification authorities whose certificates sign the price lists the platform accepts, as PEM
# certificates in one file (read at each request). The demo writes its test root there; with no file, every signed
# document is refused as untrusted.
OSOZ_SANDBOX_TRUSTED_ROOTS_FILE = env.str(
    "OSOZ_SANDBOX_TRUSTED_ROOTS_FILE", default=str(VAR_DIR / "osoz_sandbox_trusted_roots.pem")
)
# The signed price lists are the one large body the API takes (osoz_sandbox.api.PRICE_LISTS_MAX_BYTES).
DATA_UPLOAD_MAX_MEMORY_SIZE = 32_000_000
