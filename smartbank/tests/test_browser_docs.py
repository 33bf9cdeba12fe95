"""Swagger UI in a real browser: it renders from our own files, and "Authorize" works.

Drives Debian's Chromium through Playwright against pytest-django's live server. Every
database call happens before Playwright starts or after it stops: its sync API runs an
event loop in this thread, and Django refuses ORM calls while one is running.
Set SWAGGER_SCREENSHOT=/some/file.png to keep screenshots: the page once authorized, and
(file-try-it-out.png) the answer to "Try it out".
"""

import os

import pytest
from playwright.sync_api import Route, expect, sync_playwright
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import UserFactory

expect.set_options(timeout=20_000)

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


@pytest.mark.browser
def test_swagger_ui_renders_offline_and_authorize_makes_try_it_out_work(
    live_server, transactional_db, tmp_path
):
    user = UserFactory(email="docs.reader@example.com", full_name="Docs Reader")
    access_token = str(RefreshToken.for_user(user).access_token)
    screenshot = os.environ.get("SWAGGER_SCREENSHOT") or str(tmp_path / "swagger.png")
    outside_requests: list[str] = []
    me_requests = []

    def only_the_live_server(route: Route) -> None:
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            outside_requests.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1100})
            page.set_default_timeout(20_000)
            page.route("**/*", only_the_live_server)
            page.on(
                "request",
                lambda request: (
                    me_requests.append(request)
                    if request.url.endswith("/api/v1/users/me/")
                    else None
                ),
            )

            page.goto(f"{live_server.url}/api/docs/")
            me_block = page.locator(
                ".opblock-get", has=page.locator('[data-path="/api/v1/users/me/"]')
            )
            expect(me_block).to_be_visible()
            assert page.locator(".opblock").count() > 10

            page.get_by_role("button", name="Authorize").first.click()
            dialog = page.locator(".modal-ux")
            jwt_section = dialog.locator(".auth-container", has_text="jwtAuth")
            jwt_section.get_by_label("auth-bearer-value").fill(access_token)
            jwt_section.get_by_role("button", name="Apply credentials").click()
            expect(jwt_section.get_by_role("button", name="Remove authorization")).to_be_visible()
            dialog.locator("button.btn-done").first.click()
            expect(dialog).to_be_hidden()
            expect(page.locator(".auth-wrapper button.authorize.locked")).to_be_visible()
            page.screenshot(path=screenshot)

            me_block.locator(".opblock-summary").click()
            me_block.get_by_role("button", name="Try it out").click()
            me_block.get_by_role("button", name="Execute").click()
            live_response = me_block.locator(".live-responses-table tr.response")
            expect(live_response.locator(".response-col_status")).to_have_text("200")
            expect(live_response.locator(".response-col_description")).to_contain_text(
                "docs.reader@example.com"
            )
            me_block.scroll_into_view_if_needed()
            page.screenshot(path=screenshot.removesuffix(".png") + "-try-it-out.png")
        finally:
            browser.close()

    assert outside_requests == [], "the page tried to reach another server (a CDN?)"
    [me_request] = me_requests
    assert me_request.headers["authorization"] == f"Bearer {access_token}"
