"""Fixtures shared by every app's tests."""

import os

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import UserFactory
from smartbank.celery import app as celery_app

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = "/usr/bin/chromium"  # Debian's package; the browser tests drive it via Playwright


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings):
    """Fast hashing, eager Celery, in-memory email and a clean cache for each test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    cache.clear()
    yield
    cache.clear()


def pytest_collection_modifyitems(config, items):
    """Outside CI, skip tests whose service is missing; in CI nothing may be skipped."""
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            if IN_CI:
                raise pytest.UsageError(
                    "CI=true but DATABASE_URL is not PostgreSQL: the postgres tests cannot be skipped."
                )
            item.add_marker(pytest.mark.skip(reason="needs DATABASE_URL=postgres://..."))
        if "browser" in item.keywords and not os.path.exists(CHROMIUM):
            if IN_CI:
                raise pytest.UsageError(
                    f"CI=true but {CHROMIUM} is missing: the browser tests cannot be skipped."
                )
            item.add_marker(pytest.mark.skip(reason=f"needs Chromium at {CHROMIUM}"))


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
