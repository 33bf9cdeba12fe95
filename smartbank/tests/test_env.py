"""The strict environment parsers behind smartbank/settings.py."""

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured

from smartbank.env import (
    env_bool,
    env_database,
    env_duration,
    env_int,
    env_list,
    env_rate,
    env_redis_url,
    env_str,
    redis_url_for_test_worker,
)


@pytest.fixture
def env(monkeypatch):
    def set_env(name: str, value: str) -> None:
        monkeypatch.setenv(name, value)

    monkeypatch.delenv("SB_TEST", raising=False)
    return set_env


def test_unset_variables_give_the_default(env):
    assert env_str("SB_TEST", "x") == "x"
    assert env_bool("SB_TEST", True) is True
    assert env_int("SB_TEST", 7) == 7
    assert env_list("SB_TEST", ["a"]) == ["a"]
    assert env_duration("SB_TEST", timedelta(minutes=5)) == timedelta(minutes=5)
    assert env_rate("SB_TEST", "10/min") == "10/min"
    assert env_redis_url("SB_TEST") == ""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("true", True), (" Yes ", True), ("1", True), ("on", True), ("off", False), ("0", False)],
)
def test_env_bool_reads_the_usual_spellings(env, raw, expected):
    env("SB_TEST", raw)
    assert env_bool("SB_TEST", not expected) is expected


def test_an_empty_bool_is_off(env):
    env("SB_TEST", "")
    assert env_bool("SB_TEST", True) is False


def test_env_bool_refuses_anything_else_naming_the_variable(env):
    env("SB_TEST", "maybe")
    with pytest.raises(ImproperlyConfigured, match="SB_TEST.*'maybe'"):
        env_bool("SB_TEST", True)


def test_env_int_parses_and_checks_the_minimum(env):
    env("SB_TEST", " 42 ")
    assert env_int("SB_TEST", 0) == 42
    env("SB_TEST", "4x")
    with pytest.raises(ImproperlyConfigured, match="SB_TEST must be an integer"):
        env_int("SB_TEST", 0)
    env("SB_TEST", "-1")
    with pytest.raises(ImproperlyConfigured, match="SB_TEST must be at least 0"):
        env_int("SB_TEST", 0, minimum=0)


def test_env_list_splits_on_commas_and_drops_blanks(env):
    env("SB_TEST", " a.example.com, ,b.example.com ,")
    assert env_list("SB_TEST") == ["a.example.com", "b.example.com"]
    env("SB_TEST", "")
    assert env_list("SB_TEST", ["default"]) == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("300", timedelta(seconds=300)),
        ("45s", timedelta(seconds=45)),
        ("15m", timedelta(minutes=15)),
        ("12H", timedelta(hours=12)),
        ("7d", timedelta(days=7)),
    ],
)
def test_env_duration_reads_a_count_and_a_unit(env, raw, expected):
    env("SB_TEST", raw)
    assert env_duration("SB_TEST", timedelta(0)) == expected


@pytest.mark.parametrize("raw", ["abc", "15min", "1.5h", "-5m", "0s", "m"])
def test_env_duration_refuses_malformed_or_empty_durations(env, raw):
    env("SB_TEST", raw)
    with pytest.raises(ImproperlyConfigured, match="SB_TEST"):
        env_duration("SB_TEST", timedelta(minutes=1))


@pytest.mark.parametrize("raw", ["10/min", "5/s", "100/hour", "1000/day", "3/m"])
def test_env_rate_accepts_what_drf_throttles_read(env, raw):
    env("SB_TEST", raw)
    assert env_rate("SB_TEST", "1/min") == raw


@pytest.mark.parametrize("raw", ["lots", "10", "0/min", "10/min/x", "10/week", "/min", "ten/min"])
def test_env_rate_refuses_anything_else(env, raw):
    env("SB_TEST", raw)
    with pytest.raises(ImproperlyConfigured, match="SB_TEST must be a rate"):
        env_rate("SB_TEST", "1/min")


def test_env_database_defaults_to_the_given_url(env):
    database = env_database("SB_TEST", "sqlite:////srv/smartbank/db.sqlite3")
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == "/srv/smartbank/db.sqlite3"


def test_env_database_reads_a_postgres_url_with_options(env):
    env("SB_TEST", "postgres://bank:s3cret@db.internal:5433/smartbank")
    database = env_database("SB_TEST", "sqlite://", conn_max_age=60)
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"], database["NAME"]) == (
        "db.internal",
        5433,
        "smartbank",
    )
    assert database["CONN_MAX_AGE"] == 60


@pytest.mark.parametrize(
    "raw", ["nonsense://", "postgres://db.internal", "postgres://u:p@h:port/x"]
)
def test_env_database_refuses_unknown_schemes_and_missing_names(env, raw):
    env("SB_TEST", raw)
    with pytest.raises(ImproperlyConfigured, match="SB_TEST") as error:
        env_database("SB_TEST", "sqlite://")
    assert ":p@" not in str(error.value)


@pytest.mark.parametrize(
    "raw",
    ["redis://localhost:6379/0", "rediss://:pw@cache.internal:6380/1", "unix:///run/redis.sock"],
)
def test_env_redis_url_accepts_redis_urls(env, raw):
    env("SB_TEST", raw)
    assert env_redis_url("SB_TEST") == raw


@pytest.mark.parametrize("raw", ["localhost:6379", "http://localhost:6379", "redis://"])
def test_env_redis_url_refuses_other_urls(env, raw):
    env("SB_TEST", raw)
    with pytest.raises(ImproperlyConfigured, match="SB_TEST must be a redis://"):
        env_redis_url("SB_TEST")


@pytest.mark.parametrize(
    ("url", "worker", "expected"),
    [
        ("redis://127.0.0.1:6379/0", "gw0", "redis://127.0.0.1:6379/0"),
        ("redis://127.0.0.1:6379/0", "gw3", "redis://127.0.0.1:6379/3"),
        ("redis://127.0.0.1:6379/4", "gw1", "redis://127.0.0.1:6379/5"),
        ("redis://127.0.0.1:6379", "gw2", "redis://127.0.0.1:6379/2"),
        (
            "rediss://user:pw@cache:6380/1?ssl_cert_reqs=none",
            "gw1",
            "rediss://user:pw@cache:6380/2?ssl_cert_reqs=none",
        ),
        ("redis://127.0.0.1:6379/0", "master", "redis://127.0.0.1:6379/0"),
        ("unix:///run/redis.sock?db=1", "gw1", "unix:///run/redis.sock?db=1"),
    ],
)
def test_each_xdist_worker_gets_its_own_redis_database(url, worker, expected):
    assert redis_url_for_test_worker(url, worker) == expected
