"""Settings are read at import, so each configuration is loaded in a fresh interpreter with its own environment."""

import json
import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

pytestmark = pytest.mark.other_process

PROBE = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "db": s.DATABASES["default"]["ENGINE"], "cache": s.CACHES["default"]["BACKEND"],
    "layer": s.CHANNEL_LAYERS["default"]["BACKEND"], "broker": s.CELERY_BROKER_URL,
    "results": s.CELERY_RESULT_BACKEND, "email": s.EMAIL_BACKEND, "tz": s.TIME_ZONE, "lang": s.LANGUAGE_CODE,
}))
"""


def run(code_or_args, tmp_path, **env):
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ENV", "SECRET_KEY"}}
    clean.update(PORADNIA_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings", **env)
    args = ["-c", code_or_args] if isinstance(code_or_args, str) else code_or_args
    return subprocess.run(
        [sys.executable, *args], cwd=settings.BASE_DIR, env=clean, capture_output=True, text=True, check=False
    )


def test_embedded_defaults_need_no_services(tmp_path):
    result = run(PROBE, tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "db": "core.sqlite",
        "cache": "django.core.cache.backends.locmem.LocMemCache",
        "layer": "channels.layers.InMemoryChannelLayer",
        "broker": f"sqlite:///{tmp_path / 'celery-broker.sqlite3'}",
        "results": None,
        "email": "django.core.mail.backends.console.EmailBackend",
        "tz": "Europe/Warsaw",
        "lang": "pl",
    }
    # The development secret key is made once and kept out of the repository.
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_database_and_redis_urls_switch_to_postgresql_and_redis(tmp_path):
    result = run(PROBE, tmp_path, DATABASE_URL="postgres://u@127.0.0.1/db", REDIS_URL="redis://127.0.0.1:6379/3")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) | {"email": None, "tz": None, "lang": None} == {
        "db": "django.db.backends.postgresql",
        "cache": "django.core.cache.backends.redis.RedisCache",
        "layer": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "broker": "redis://127.0.0.1:6379/3",
        "results": "redis://127.0.0.1:6379/3",
        "email": None,
        "tz": None,
        "lang": None,
    }


PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "ALLOWED_HOSTS": "poradnia.example.pl",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "DATABASE_URL": "postgres://poradnia@127.0.0.1/poradnia",
}


def test_production_settings_pass_check_deploy(tmp_path):
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        tmp_path,
        SECRET_KEY=secrets.token_urlsafe(60),
        SECRETS_ENCRYPTION_KEYS=secrets.token_urlsafe(32),
        **PRODUCTION_ENV,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_to_start_without_secrets(tmp_path):
    result = run(["manage.py", "check"], tmp_path, **PRODUCTION_ENV)
    assert result.returncode != 0
    assert "SECRET_KEY must be set in the environment" in result.stderr
    assert not (tmp_path / "secret_key").exists()
