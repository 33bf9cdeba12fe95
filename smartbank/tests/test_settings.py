"""Settings come from the environment, strictly: each case starts a fresh Python process.

The environment of each process is built from nothing (plus PATH), so a DATABASE_URL or
REDIS_URL set for the test run itself never leaks into a case.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The documented production environment (README, "Production"): nothing more is needed
# for `manage.py check --deploy` to pass without a warning.
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "bank.example.com",
    "DATABASE_URL": "sqlite:////tmp/smartbank-settings-test.sqlite3",
    "CSRF_TRUSTED_ORIGINS": "https://bank.example.com",
}


def run(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, *args],
        cwd=ROOT,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONDONTWRITEBYTECODE": "1",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def settings_values(*names: str, **env: str) -> dict:
    """The named settings as the settings module computes them under ``env``."""
    code = (
        "import json, smartbank.settings as s; "
        f"print(json.dumps({{n: getattr(s, n) for n in {list(names)!r}}}, default=str))"
    )
    result = run("-c", code, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_debug_off_without_a_secret_key_refuses_to_start():
    result = run("manage.py", "check", DEBUG="false", ALLOWED_HOSTS="bank.example.com")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_debug_off_with_a_weak_secret_key_refuses_to_start():
    result = run(
        "manage.py", "check", DEBUG="false", ALLOWED_HOSTS="bank.example.com", SECRET_KEY="short"
    )

    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr


def test_the_documented_production_environment_passes_check_deploy_without_warnings():
    result = run("manage.py", "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_production_environment_turns_on_https_json_logs_and_static_manifests():
    values = settings_values(
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "LOG_FORMAT",
        "STORAGES",
        **PRODUCTION_ENV,
    )

    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SESSION_COOKIE_SECURE"] is values["CSRF_COOKIE_SECURE"] is True
    assert values["LOG_FORMAT"] == "json"
    assert "Manifest" in values["STORAGES"]["staticfiles"]["BACKEND"]


MALFORMED = [
    ("DEBUG", "maybe"),
    ("JWT_ACCESS_LIFETIME", "abc"),
    ("AUTH_THROTTLE_RATE", "lots"),
    ("BASE_CURRENCY", "XYZ"),
    ("DATABASE_URL", "nonsense://"),
    ("REDIS_URL", "localhost:6379"),
    ("LOG_FORMAT", "xml"),
]

# Loads the settings module afresh once per case, in one process (one start-up, not seven),
# and reports what each load raised.
_LOAD_EACH_CASE = """
import importlib.util, json, os, sys
results = {}
for name, value in json.loads(sys.argv[1]):
    os.environ[name] = value
    spec = importlib.util.spec_from_file_location("settings_under_test", "smartbank/settings.py")
    try:
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
        results[name] = "started"
    except Exception as exc:
        results[name] = f"{type(exc).__name__}: {exc}"
    del os.environ[name]
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def malformed_results() -> dict[str, str]:
    result = run("-c", _LOAD_EACH_CASE, json.dumps(MALFORMED))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(("name", "value"), MALFORMED)
def test_a_malformed_value_stops_start_up_naming_the_variable(malformed_results, name, value):
    outcome = malformed_results[name]

    assert outcome.startswith("ImproperlyConfigured: "), outcome
    assert name in outcome
    assert repr(value) in outcome or name in ("DATABASE_URL", "REDIS_URL")


def test_a_malformed_value_stops_manage_py():
    result = run("manage.py", "check", JWT_ACCESS_LIFETIME="abc")

    assert result.returncode != 0
    assert "ImproperlyConfigured: JWT_ACCESS_LIFETIME" in result.stderr


def test_without_redis_celery_runs_eagerly_and_the_cache_is_local_memory():
    values = settings_values("CACHES", "CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL")

    assert values["CACHES"]["default"]["BACKEND"].endswith("LocMemCache")
    assert values["CELERY_TASK_ALWAYS_EAGER"] is True
    assert values["CELERY_BROKER_URL"] == "memory://"


def test_with_redis_url_redis_is_the_broker_the_result_store_and_the_cache():
    url = "redis://cache.internal:6379/2"
    values = settings_values(
        "CACHES",
        "CELERY_TASK_ALWAYS_EAGER",
        "CELERY_BROKER_URL",
        "CELERY_RESULT_BACKEND",
        REDIS_URL=url,
    )

    assert values["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert values["CACHES"]["default"]["LOCATION"] == url
    assert values["CELERY_TASK_ALWAYS_EAGER"] is False
    assert values["CELERY_BROKER_URL"] == values["CELERY_RESULT_BACKEND"] == url


def test_gunicorn_config_binds_port_sets_workers_and_keeps_the_access_log_off(monkeypatch):
    import runpy

    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    monkeypatch.setenv("PORT", "9123")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("DEBUG", "false")
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    namespace = runpy.run_path(str(ROOT / "gunicorn.conf.py"))

    config = Config()
    for name in (
        "wsgi_app",
        "bind",
        "workers",
        "accesslog",
        "forwarded_allow_ips",
        "logconfig_dict",
    ):
        config.set(name, namespace[name])
    assert config.bind == ["0.0.0.0:9123"]
    assert config.workers == 3
    assert config.accesslog is None
    assert config.forwarded_allow_ips == ["127.0.0.1", "::1"]
    # The JSON logging config is one gunicorn accepts, and its access logger stays silent.
    logger = Logger(config)
    assert not logger.access_log.isEnabledFor(20)
    assert logger.error_log.handlers[0].formatter.__class__.__name__ == "JsonFormatter"


def test_gunicorn_config_refuses_a_malformed_port(monkeypatch):
    import runpy

    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setenv("PORT", "http")
    with pytest.raises(ImproperlyConfigured, match="PORT must be an integer"):
        runpy.run_path(str(ROOT / "gunicorn.conf.py"))
