"""Reports in a real browser: export a CSV, ask for a PDF statement, watch it become done
(Celery runs eagerly in tests, as on the embedded default) and download it."""

from datetime import date, timedelta

import pytest

from accounts.models import BankAccount
from insights.exports import RunOutcome, statement_export_run
from insights.models import Export
from smartbank.browser import browser_context, check_page, log_in
from smartbank.demo import DEMO_PASSWORD, seed_demo

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("default_categories"),
]

CUSTOMER = "paula@smartbank.example"
OTHER_CUSTOMER = "sam@smartbank.example"


def test_export_csv_and_download_a_pdf_statement(live_server):
    server = live_server
    seed_demo()
    base = server.url
    theirs = BankAccount.objects.filter(user__email=OTHER_CUSTOMER).first()
    their_export = Export.objects.create(
        user=theirs.user,
        account=theirs,
        date_from=date(2025, 1, 1),
        date_to=date(2025, 1, 31),
        currency=theirs.currency,
    )
    with browser_context(base) as context:
        page = context.new_page()
        log_in(page, base, email=CUSTOMER, password=DEMO_PASSWORD)
        page.goto(f"{base}/reports/")
        assert page.get_by_text("No statements yet").is_visible()
        check_page(page, "reports")

        # CSV: the groceries of the demo history, as the API's own filter picks them.
        page.locator("#id_csv-category").select_option("groceries")
        with page.expect_download() as csv_download:
            page.get_by_role("button", name="Download CSV").click()
        text = open(csv_download.value.path(), encoding="utf-8-sig").read()
        rows = text.strip().splitlines()
        assert rows[0].startswith("Date,Posted date,Account,Description")
        assert len(rows) > 10 and all(",Groceries," in row for row in rows[1:])

        # PDF: last month's statement of the checking account.
        last_day = date.fromisoformat(page.locator("#id_statement-date_to").input_value())
        assert (last_day + timedelta(days=1)).day == 1, "the form offers last month"
        page.locator("#id_statement-account").select_option(label="Everyday checking")
        with page.expect_navigation():
            page.get_by_role("button", name="Make the statement").click()
        assert "is being made" in page.locator(".messages").inner_text()
        row = page.locator("#statements tbody tr").first
        row.locator("a", has_text="Download").wait_for()
        assert row.get_attribute("data-status") == "done"
        with page.expect_download() as pdf_download:
            row.get_by_role("link").click()
        assert open(pdf_download.value.path(), "rb").read(5) == b"%PDF-"
        check_page(page, "reports-statement")

        # A statement still waiting for its worker is followed on the page until it is done.
        with server.database_lock:
            account = BankAccount.objects.get(user__email=CUSTOMER, name="Savings")
            waiting = Export.objects.create(
                user=account.user,
                account=account,
                date_from=last_day.replace(day=1),
                date_to=last_day,
                currency=account.currency,
                filename="statement-waiting.pdf",
            )
        page.reload()
        row = page.locator(f"#statement-{waiting.pk}")
        assert row.get_attribute("data-status") == "pending"
        assert "Being made" in row.inner_text()
        with server.database_lock:  # the page is polling the statement meanwhile
            assert statement_export_run(export_id=waiting.pk) == RunOutcome.DONE
        row.get_by_role("link", name="Download statement-waiting.pdf").wait_for()
        assert row.get_attribute("data-status") == "done"

        # Another customer's statement is a 404, on its status and its file.
        for suffix in ("", "download/"):
            response = page.request.get(f"{base}/api/v1/exports/{their_export.pk}/{suffix}")
            assert response.status == 404
        assert context.outside_requests == []
