"""The sign-up, login, logout, password and settings pages (Django's test client)."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import UserFactory
from smartbank.testing import database_snapshot

pytestmark = pytest.mark.django_db

PASSWORD = "a-Long-pass-2026"


def test_signup_creates_a_customer_logs_them_in_and_gives_them_a_programme(client):
    response = client.post(
        reverse("signup"),
        {
            "full_name": "Nora New",
            "email": "Nora@Example.com",
            "password": PASSWORD,
            "password_again": PASSWORD,
            "base_currency": "gbp",
            "time_zone": "Europe/London",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email__iexact="nora@example.com")
    assert (user.role, user.base_currency, user.time_zone) == ("customer", "GBP", "Europe/London")
    assert user.reward_programme is not None
    assert client.get(reverse("settings")).status_code == 200


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"password_again": "other-Pass-2026"}, "password_again", "The two passwords differ."),
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"base_currency": "XYZ"}, "base_currency", "not an ISO 4217 currency code"),
        ({"time_zone": "Mars/Base"}, "time_zone", "Mars/Base"),
        ({"password": "short", "password_again": "short"}, "password", "too short"),
        ({"email": "taken@example.com"}, "email", "already exists"),
    ],
)
def test_bad_signups_are_refused_beside_the_field_and_write_nothing(
    client, changes, field, message
):
    UserFactory(email="taken@example.com")
    data = {
        "full_name": "Nora New",
        "email": "nora@example.com",
        "password": PASSWORD,
        "password_again": PASSWORD,
        "base_currency": "EUR",
        "time_zone": "UTC",
    } | changes
    before = database_snapshot()
    response = client.post(reverse("signup"), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors[field]), errors
    assert database_snapshot() == before


def test_login_and_logout(client):
    user = UserFactory(email="ann@example.com")
    user.set_password(PASSWORD)
    user.save()
    bad = client.post(reverse("login"), {"username": "ann@example.com", "password": "wrong"})
    assert bad.status_code == 200 and "_auth_user_id" not in client.session
    good = client.post(reverse("login"), {"username": "ann@example.com", "password": PASSWORD})
    assert good.status_code == 302
    assert client.get(reverse("settings")).status_code == 200
    assert client.get(reverse("logout")).status_code == 405  # a link cannot log you out
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("settings")).status_code == 302


def test_pages_need_a_login(client):
    response = client.get(reverse("settings"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_settings_change_the_profile_and_refuse_bad_values(client):
    user = UserFactory(time_zone="UTC", base_currency="EUR")
    client.force_login(user)
    data = {"full_name": "Ann B", "phone": "", "base_currency": "usd", "time_zone": "Asia/Tokyo"}
    response = client.post(reverse("settings"), data | {"locale": "en-gb"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.full_name, user.base_currency, user.time_zone, user.locale) == (
        "Ann B",
        "USD",
        "Asia/Tokyo",
        "en-gb",
    )
    before = database_snapshot()
    refused = client.post(reverse("settings"), data | {"time_zone": "Mars/Base", "locale": "x"})
    assert refused.status_code == 200
    assert set(refused.context["form"].errors) >= {"time_zone", "locale"}
    assert database_snapshot() == before


def test_password_reset_sends_a_link_that_sets_a_new_password(client):
    user = UserFactory(email="ann@example.com")
    client.post(reverse("password_reset"), {"email": "ann@example.com"})
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/password-reset/" in line)
    path = link.split("://", 1)[1].split("/", 1)[1]
    form = client.get("/" + path, follow=True)
    new = "Fresh-pass-2026!"
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}, follow=True
    )
    assert done.status_code == 200
    user.refresh_from_db()
    assert user.check_password(new)


def test_login_page_is_throttled_like_the_api_and_refuses_before_trying_the_password(
    client, settings
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"auth_ip": "3/min", "auth_email": "3/min"},
    }
    user = UserFactory(email="ann@example.com")
    user.set_password(PASSWORD)
    user.save()
    for _ in range(3):
        wrong = client.post(reverse("login"), {"username": "ann@example.com", "password": "x"})
        assert wrong.status_code == 200
    refused = client.post(reverse("login"), {"username": "ann@example.com", "password": PASSWORD})
    assert refused.status_code == 429
    assert "Too many attempts" in refused.content.decode()
    assert "_auth_user_id" not in client.session


def test_signup_page_is_throttled_per_address(client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"auth_ip": "2/min", "auth_email": "10/min"},
    }
    for n in range(2):
        client.post(reverse("signup"), {"email": f"x{n}@example.com"})
    before = database_snapshot()
    refused = client.post(
        reverse("signup"),
        {
            "full_name": "Nora",
            "email": "nora@example.com",
            "password": PASSWORD,
            "password_again": PASSWORD,
            "base_currency": "EUR",
            "time_zone": "UTC",
        },
    )
    assert refused.status_code == 429
    assert database_snapshot() == before
