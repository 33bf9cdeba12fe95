"""/healthz: what load balancers probe."""

from unittest import mock

import pytest
from django.db import OperationalError

pytestmark = pytest.mark.django_db


def test_healthy_when_the_database_and_cache_answer(anon_client):
    response = anon_client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_head_is_answered_too(anon_client):
    assert anon_client.head("/healthz").status_code == 200


def test_unhealthy_when_the_database_fails(anon_client):
    with mock.patch(
        "smartbank.health.connection.cursor", side_effect=OperationalError("connection refused")
    ):
        response = anon_client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error", "cache": "ok"}


def test_unhealthy_when_the_cache_fails(anon_client):
    with mock.patch(
        "smartbank.health.cache.set", side_effect=ConnectionError("redis://:pw@cache down")
    ):
        response = anon_client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "cache": "error"}


def test_unhealthy_when_the_cache_loses_what_was_written(anon_client):
    with mock.patch("smartbank.health.cache.get", return_value=None):
        response = anon_client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["cache"] == "error"


def test_a_failure_is_logged_without_its_secrets(anon_client, caplog):
    with mock.patch(
        "smartbank.health.cache.set", side_effect=ConnectionError("redis://:s3cret@cache down")
    ):
        anon_client.get("/healthz")

    # The configured console handler's filter has redacted the record caplog keeps.
    [record] = [r for r in caplog.records if r.name == "smartbank.health"]
    assert "ConnectionError: redis://:[REDACTED]@cache down" in record.exc_text
    assert "s3cret" not in record.exc_text


def test_healthz_is_exempt_from_the_https_redirect(anon_client, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert anon_client.get("/healthz").status_code == 200
    assert anon_client.get("/api/v1/users/me/").status_code == 301


def test_only_reads_are_allowed(anon_client):
    assert anon_client.post("/healthz").status_code == 405
