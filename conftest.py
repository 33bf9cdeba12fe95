"""Fixtures shared by every app's tests."""

import importlib
import os
import threading
from contextlib import nullcontext

import pytest
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import UserFactory
from alerts import sms
from smartbank.celery import app as celery_app

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = "/usr/bin/chromium"  # Debian's package; the browser tests drive it via Playwright


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings):
    """Fast hashing, eager Celery, in-memory email and SMS and a clean cache for each test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SMS_BACKEND = "alerts.sms.LocmemSmsBackend"
    sms.outbox.clear()
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    cache.clear()
    yield
    cache.clear()


def _missing_services() -> dict[str, str]:
    """Each service marker whose service this run lacks, with what would provide it."""
    from django.conf import settings

    missing = {}
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        missing["postgres"] = "DATABASE_URL=postgres://..."
    if not settings.REDIS_URL:
        missing["redis"] = "REDIS_URL=redis://..."
    if not os.path.exists(CHROMIUM):
        missing["browser"] = f"Chromium at {CHROMIUM}"
    return missing


def pytest_collection_modifyitems(config, items):
    """Outside CI, skip tests whose service is missing; in CI nothing may be skipped."""
    missing = _missing_services()
    for item in items:
        for marker, needs in missing.items():
            if marker not in item.keywords:
                continue
            if IN_CI:
                raise pytest.UsageError(
                    f"CI=true but this run lacks {needs}: the {marker} tests cannot be skipped."
                )
            item.add_marker(pytest.mark.skip(reason=f"needs {needs}"))


def client_for(user) -> APIClient:
    client = APIClient()
    token = RefreshToken.for_user(user)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.access_token}")
    return client


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def web(client, user):
    """The Django test client with ``user`` logged in (a session), for the web pages."""
    client.force_login(user)
    return client


@pytest.fixture
def staff(db):
    """One staff user per role, keyed by role name."""
    return {role: UserFactory(staff_role=role) for role in ("admin", "auditor", "support")}


@pytest.fixture
def anon_client():
    return APIClient()


@pytest.fixture
def api_client(user):
    return client_for(user)


@pytest.fixture
def other_client(other_user):
    return client_for(other_user)


@pytest.fixture(autouse=True)
def live_server_one_request_at_a_time(request):
    """The live server of a browser test, answering one request at a time on SQLite.

    On SQLite the tests' database is in memory and Django's live server gives every request
    thread the test's one connection; the dashboard asks the API for seven answers at once,
    and parallel queries on one SQLite connection can deadlock. PostgreSQL (CI) keeps the
    server threaded: each request has its own connection there.

    ``live_server.database_lock`` is for the test's own queries while the page may be
    asking the server for something (a context manager; nothing to wait for on PostgreSQL).
    """
    if "live_server" not in request.fixturenames:
        yield None
        return
    live_server = request.getfixturevalue("live_server")
    if connection.vendor != "sqlite":
        live_server.database_lock = nullcontext()
        yield live_server
        return
    httpd = live_server.thread.httpd
    application = httpd.get_app()
    lock = threading.Lock()
    live_server.database_lock = lock

    def one_at_a_time(environ, start_response):
        with lock:
            # Read a streamed body inside the lock too: it queries as it is read.
            return list(application(environ, start_response))

    httpd.set_app(one_at_a_time)
    try:
        yield live_server
    finally:
        httpd.set_app(application)


@pytest.fixture
def default_categories(db):
    """The default categories the data migration makes, again.

    A transactional test's flush empties every table, data migrations' rows too; the demo
    generator needs these. (serialized_rollback would restore them, but it collides with
    the role groups that the flush's post_migrate recreates.)
    """
    from django.apps import apps

    migration = importlib.import_module("transactions.migrations.0002_default_categories")
    migration.create_default_categories(apps, None)
