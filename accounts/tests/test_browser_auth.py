"""Sign up, log out and log in again in a real browser; the pages pass axe at both widths."""

import pytest

from accounts.models import User
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
