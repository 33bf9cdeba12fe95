"""Browser tests' shared tools: Debian's Chromium through Playwright, offline, with axe-core.

Used by every app's browser tests (marked ``browser``) against pytest-django's
``live_server``. Playwright's sync API runs an event loop in the test's thread, and Django
refuses ORM calls while one runs; the tests read the database in the same thread as the
browser, so ``DJANGO_ALLOW_ASYNC_UNSAFE`` is set for the test process only (nothing else
runs there).

Screenshots go to ``$SCREENSHOT_DIR`` (default ``<tmp>/smartbank-screenshots``), named
``<page>-desktop.png`` and ``<page>-phone.png``.
"""

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
AXE_SCRIPT = Path(settings.BASE_DIR) / "static" / "vendor" / "axe-core" / "axe.min.js"
TIMEOUT_MS = 20_000


def screenshot_dir() -> Path:
    folder = Path(
        os.environ.get("SCREENSHOT_DIR") or Path(tempfile.gettempdir()) / "smartbank-screenshots"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def browser_context(live_server_url: str, *, viewport: dict | None = None) -> Iterator:
    """A fresh Chromium context whose pages may reach only the live server.

    Any request elsewhere is aborted and listed in ``context.outside_requests``: a page
    that needs the internet fails its test.
    """
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    outside: list[str] = []

    def only_the_live_server(route) -> None:
        if route.request.url.startswith(live_server_url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=viewport or DESKTOP, accept_downloads=True)
            context.set_default_timeout(TIMEOUT_MS)
            context.route("**/*", only_the_live_server)
            context.outside_requests = outside
            yield context
        finally:
            browser.close()
            # Playwright's greenlet used a database connection of its own; close it, or
            # PostgreSQL refuses to drop the test database ("being accessed by other users").
            from django.db import connections

            connections.close_all()


def log_in(page, live_server_url: str, *, email: str, password: str, next_path: str = "") -> None:
    """Log in through the login page, as a person would, and wait for the next page.

    ``next_path`` lands there instead of the home page (whose dashboard need not load in a
    test of another page); the login must then end on it.
    """
    suffix = f"?next={next_path}" if next_path else ""
    page.goto(f"{live_server_url}/login/{suffix}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    if next_path and page.url != f"{live_server_url}{next_path}":
        raise AssertionError(f"The login ended on {page.url}, not {next_path}.")


def accessibility_violations(page) -> list[dict]:
    """axe-core's violations on the page as it is now (served from static/vendor)."""
    page.add_script_tag(path=str(AXE_SCRIPT))
    result = page.evaluate("async () => JSON.stringify((await axe.run(document)).violations)")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in json.loads(result)
    ]


def sideways_overflow(page) -> int:
    """How many pixels the page is wider than its window (0 when nothing scrolls sideways)."""
    return page.evaluate(
        "() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth)"
    )


def clipped_tables(page) -> list[str]:
    """The visible tables that are wider than their scrolling box: a row a person would
    have to scroll sideways to read (a table.stack never is: its rows are cards)."""
    return page.evaluate(
        """() => [...document.querySelectorAll(".table-wrap")]
          .filter((box) => box.offsetParent !== null && box.scrollWidth > box.clientWidth + 1)
          .map((box) => {
            const table = box.querySelector("table");
            return (table && table.id) || box.getAttribute("aria-label") || "a table";
          })"""
    )


def check_page(page, name: str) -> None:
    """Screenshot the page at desktop and phone width; no axe violation, no sideways scroll
    of the page or of a table in its box.

    Leaves the page at desktop width.
    """
    problems = []
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(screenshot_dir() / f"{name}-{label}.png"), full_page=True)
        overflow = sideways_overflow(page)
        if overflow:
            problems.append(f"{name} scrolls sideways by {overflow}px at {label} width")
        for table in clipped_tables(page):
            problems.append(f"{name} at {label} width: {table} scrolls sideways in its box")
        violations = accessibility_violations(page)
        if violations:
            problems.append(f"{name} at {label} width: axe reports {violations}")
    page.set_viewport_size(DESKTOP)
    if problems:
        raise AssertionError("\n".join(problems))
