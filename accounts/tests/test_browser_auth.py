"""Sign up, log in and out, password reset and change in a real browser; the pages pass axe
at both widths."""

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import User
from accounts.tests.factories import TEST_PASSWORD, UserFactory
from smartbank.browser import browser_context, check_page, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-Long-pass-2026"


def test_sign_up_log_out_and_log_in_again(live_server):
    with browser_context(live_server.url) as context:
        page = context.new_page()
        page.goto(f"{live_server.url}/login/")
        check_page(page, "login")
        page.get_by_role("link", name="Open an account").click()
        check_page(page, "signup")
        page.get_by_label("Full name").fill("Nora New")
        page.get_by_label("Email").fill("nora@example.com")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("Password again").fill("not the same")
        page.get_by_role("button", name="Sign up").click()
        # The error is shown beside its field, and nothing was created.
        assert page.locator("#id_password_again_error").inner_text() == (
            "The two passwords differ."
        )
        check_page(page, "signup-error")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("Password again").fill(PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Sign up").click()
        assert "Welcome to SmartBank" in page.content()
        page.goto(f"{live_server.url}/settings/")
        check_page(page, "settings")
        page.get_by_role("link", name="Change your password").click()
        check_page(page, "password-change")
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(f"{live_server.url}/login/")
        page.get_by_role("link", name="Forgot your password?").click()
        check_page(page, "password-reset")
        page.get_by_label("Email").fill("nora@example.com")
        page.get_by_role("button", name="Send the link").click()
        check_page(page, "password-reset-sent")
        log_in(
            page,
            live_server.url,
            email="nora@example.com",
            password=PASSWORD,
            next_path="/settings/",
        )
        assert context.outside_requests == []
    assert User.objects.filter(email="nora@example.com", role="customer").count() == 1


def _reset_link(live_server_url: str, user: User) -> str:
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return live_server_url + reverse(
        "password_reset_confirm", kwargs={"uidb64": uidb64, "token": token}
    )


def test_password_reset_link_new_password_and_a_used_link(live_server):
    user = UserFactory(email="rita@example.com")
    link = _reset_link(live_server.url, user)
    with browser_context(live_server.url) as context:
        page = context.new_page()
        # Django swaps the token for a session key and redirects to .../set-password/.
        page.goto(link)
        assert page.url.endswith("/set-password/")
        assert page.get_by_role("heading", name="Choose a new password").is_visible()
        check_page(page, "password-reset-confirm")

        page.get_by_label("New password", exact=True).fill(PASSWORD)
        page.get_by_label("New password confirmation").fill("not the same")
        page.get_by_role("button", name="Set the password").click()
        assert page.locator(".error").first.is_visible()
        check_page(page, "password-reset-confirm-error")

        page.get_by_label("New password", exact=True).fill(PASSWORD)
        page.get_by_label("New password confirmation").fill(PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Set the password").click()
        assert page.get_by_role("heading", name="Your new password is set").is_visible()
        check_page(page, "password-reset-complete")

        # The link is spent once the password changed; so is a made-up one.
        for url in (link, link.replace(link.rstrip("/").rsplit("/", 1)[1], "not-a-token")):
            page.goto(url)
            assert "This link was used already or has expired." in page.content()
            check_page(page, "password-reset-confirm-invalid")

        page.get_by_role("link", name="Ask for a new one").click()
        assert page.url == f"{live_server.url}/password-reset/"
        log_in(
            page,
            live_server.url,
            email="rita@example.com",
            password=PASSWORD,
            next_path="/settings/",
        )
        assert context.outside_requests == []
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_change_done(live_server):
    user = UserFactory(email="omar@example.com")
    with browser_context(live_server.url) as context:
        page = context.new_page()
        log_in(
            page,
            live_server.url,
            email=user.email,
            password=TEST_PASSWORD,
            next_path="/settings/password/",
        )
        page.get_by_label("Old password").fill(TEST_PASSWORD)
        page.get_by_label("New password", exact=True).fill(PASSWORD)
        page.get_by_label("New password confirmation").fill(PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Change password").click()
        assert page.url == f"{live_server.url}/settings/password/done/"
        assert page.get_by_role("heading", name="Your password is changed").is_visible()
        check_page(page, "password-change-done")
        page.get_by_role("link", name="Back to settings").click()
        assert page.url == f"{live_server.url}/settings/"
        assert context.outside_requests == []
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
