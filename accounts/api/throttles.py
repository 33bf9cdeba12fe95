"""Throttles for the anonymous auth endpoints (login, signup): per client IP and per email.

Both scopes ("auth_ip", "auth_email") take their rate from REST_FRAMEWORK
DEFAULT_THROTTLE_RATES, which settings fill from AUTH_THROTTLE_RATE. The history lives in
the default cache (Redis in production), so every web process shares one count.
"""

import hashlib

from django.core.exceptions import ImproperlyConfigured
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import User
from smartbank.middleware import client_ip


class _SettingsRateThrottle(SimpleRateThrottle):
    def get_rate(self):
        # DRF copies the rates into a class attribute at import time; reading api_settings
        # here instead means a changed setting (override_settings, tests) takes effect.
        rates = api_settings.DEFAULT_THROTTLE_RATES or {}
        try:
            return rates[self.scope]
        except KeyError:
            raise ImproperlyConfigured(
                f"REST_FRAMEWORK DEFAULT_THROTTLE_RATES has no rate for {self.scope!r}."
            ) from None


class AuthIPThrottle(_SettingsRateThrottle):
    """Counts login and signup attempts per client address.

    The address is the one logs and the audit trail record (smartbank.middleware.client_ip):
    the TCP peer, and X-Forwarded-For only as far as TRUSTED_PROXY_COUNT proxies vouch for
    it, so a client cannot get a fresh bucket by sending a forged header.
    """

    scope = "auth_ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request) or "unknown"}


class AuthEmailThrottle(_SettingsRateThrottle):
    """Counts login and signup attempts per email in the body, whatever its case.

    This is what stops one account being guessed at from many addresses.
    """

    scope = "auth_email"

    def get_cache_key(self, request, view):
        data = request.data
        email = data.get("email") if hasattr(data, "get") else None
        if not isinstance(email, str) or not email.strip():
            return None
        # Hashed so the cache key has a safe shape and the cache holds no email addresses.
        digest = hashlib.sha256(User.objects.normalize_login_email(email).encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": digest}
