"""Import a CSV in a real browser with a real Celery worker, and watch the bar reach the end.

The page queues the import through Redis (not eagerly); the worker is a separate
`celery worker` process on the live server's test database, started once the page shows
the batch waiting, so the bar is seen at its start, on its way and at the end.
"""

import datetime
import tempfile
import uuid
from decimal import Decimal

import pytest
from django.db import connections

from accounts.tests.factories import TEST_PASSWORD, BankAccountFactory, UserFactory
from bills.tests.test_worker_process import start_worker, stop_worker
from smartbank.browser import browser_context, check_page, log_in
from smartbank.celery import app as celery_app
from transactions import imports
from transactions.models import ImportBatch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROWS = 20_000
BAD_LINES = (7, 5003)
WORKER_TIMEOUT_MS = 90_000

# Every change of the bar's value, from the moment the parser adds it to the page.
RECORD_PROGRESS = """
window.__progressValues = [];
new MutationObserver((mutations) => {
  for (const mutation of mutations) {
    const nodes = mutation.type === "attributes" ? [mutation.target] : [...mutation.addedNodes];
    for (const node of nodes) {
      if (node.id === "import-progress") window.__progressValues.push(node.getAttribute("value"));
    }
  }
}).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["value"] });
"""


def statement_csv() -> bytes:
    """ROWS rows over 2024, two of them with an amount no bank would write."""
    lines = ["Date;Description;Amount"]
    start = datetime.date(2024, 1, 1)
    for n in range(ROWS):
        line_number = n + 2
        day = start + datetime.timedelta(days=n % 360)
        amount = "twelve" if line_number in BAD_LINES else f"-{n % 97 + 1},{n % 100:02d}"
        lines.append(f"{day:%d.%m.%Y};Shop {n};{amount}")
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.redis
def test_import_a_csv_with_a_real_worker_and_watch_the_bar_reach_the_end(live_server):
    user = UserFactory()
    account = BankAccountFactory(
        user=user,
        name="Everyday",
        opening_balance=Decimal("100.00"),
        opening_date=datetime.date(2020, 1, 1),
    )
    stranger = UserFactory()
    queue = f"import-web-test-{uuid.uuid4().hex}"
    # The web request queues the task through Redis for the worker, on a queue of its own.
    celery_app.conf.task_always_eager = False
    default_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    worker = None
    with tempfile.TemporaryFile() as log, browser_context(live_server.url) as context:
        try:
            page = context.new_page()
            log_in(page, live_server.url, email=user.email, password=TEST_PASSWORD)
            page.goto(f"{live_server.url}/transactions/import/")
            check_page(page, "import")
            page.get_by_label("Account").select_option(str(account.pk))
            page.get_by_label("Statement file").set_input_files(
                {"name": "2024.csv", "mimeType": "text/csv", "buffer": statement_csv()}
            )
            with page.expect_navigation():
                page.get_by_role("button", name="Read the file").click()
            assert page.locator("#detected-format").inner_text() == "CSV"
            assert page.get_by_label("Amount", exact=True).input_value() == "2"
            assert page.locator("#preview-rows tbody tr").count() == 20
            check_page(page, "import-review")
            assert ImportBatch.objects.count() == 0

            page.add_init_script(RECORD_PROGRESS)
            with page.expect_navigation():
                page.get_by_role("button", name=f"Import {ROWS - len(BAD_LINES)} rows").click()
            batch = ImportBatch.objects.get()
            assert page.url == f"{live_server.url}/transactions/import/{batch.pk}/"
            # No worker yet: the batch waits in the queue and the page says so.
            assert page.locator("#import-progress-label").inner_text() == "Waiting to run: 0%"

            worker = start_worker(queue, log)
            page.locator("#import-counts").wait_for(timeout=WORKER_TIMEOUT_MS)
            values = page.evaluate("window.__progressValues")
            seen = [int(v) for i, v in enumerate(values) if i == 0 or values[i - 1] != v]
            assert seen[0] == 0 and seen[-1] == 100, values
            assert len(set(seen)) >= 3 and seen == sorted(seen), values
            # The bar moved while the rows were being written, not only when they were read
            # (30) and committed (100): the live progress inside the rows' transaction.
            assert any(imports.PROGRESS_READ < value < 100 for value in seen), values
            assert page.locator("#import-progress-label").inner_text() == "Done: 100%"
            assert "Finished: 19998 added" in page.locator("#import-status").inner_text()

            batch.refresh_from_db()
            assert (batch.status, batch.rows_read, batch.rows_created, batch.rows_rejected) == (
                "done",
                ROWS,
                ROWS - 2,
                2,
            )
            for name in ("read", "created", "duplicates", "matched", "skipped", "rejected"):
                shown = page.locator(f'#import-counts [data-count="{name}"]').inner_text()
                expected = {
                    "read": batch.rows_read,
                    "created": batch.rows_created,
                    "duplicates": batch.rows_duplicate,
                    "matched": batch.rows_matched,
                    "skipped": batch.rows_skipped,
                    "rejected": batch.rows_rejected,
                }[name]
                assert int(shown) == expected, name
            problem_lines = page.locator(
                "#import-problems tbody tr td:first-child"
            ).all_inner_texts()
            assert problem_lines == [str(line) for line in BAD_LINES]
            check_page(page, "import-batch")

            # Another customer reaches neither the batch nor its undo.
            context.clear_cookies()
            log_in(page, live_server.url, email=stranger.email, password=TEST_PASSWORD)
            assert page.goto(f"{live_server.url}/transactions/import/{batch.pk}/").status == 404
            assert context.outside_requests == []
        finally:
            celery_app.conf.task_always_eager = True
            celery_app.conf.task_default_queue = default_queue
            if worker is not None:
                stop_worker(worker)
            with celery_app.connection_for_write() as broker:
                broker.default_channel.queue_delete(queue)
            # Playwright's greenlet has a database connection of its own (Django keeps one per
            # context); closed here, so the test database can be dropped after the test.
            connections.close_all()
    assert ImportBatch.objects.get().status == "done"


def test_the_day_month_question_then_import_and_undo(live_server):
    """Celery eager here: the import has run when the batch page opens."""
    user = UserFactory()
    account = BankAccountFactory(
        user=user,
        name="Everyday",
        opening_balance=Decimal("10.00"),
        opening_date=datetime.date(2020, 1, 1),
    )
    ambiguous = b"Date,Description,Amount\n03/04/2024,Bakery,-4.20\n05/06/2024,Salary,2500.00\n"
    with browser_context(live_server.url) as context:
        try:
            page = context.new_page()
            log_in(page, live_server.url, email=user.email, password=TEST_PASSWORD)
            page.goto(f"{live_server.url}/transactions/import/")
            page.get_by_role("button", name="Read the file").click()
            # Nothing chosen: both errors beside their fields.
            assert page.locator("#id_account_error").inner_text() == "This field is required."
            assert page.locator("#id_file_error").inner_text() == "This field is required."
            check_page(page, "import-error")
            page.get_by_label("Account").select_option(str(account.pk))
            page.get_by_label("Statement file").set_input_files(
                {"name": "mixed.csv", "mimeType": "text/csv", "buffer": ambiguous}
            )
            page.get_by_role("button", name="Read the file").click()
            assert page.get_by_role("heading", name="Day or month first?").is_visible()
            page.get_by_role("button", name="Import 2 rows").click()
            assert page.locator("#id_day_first_error").inner_text() == (
                "Say how the dates are written before importing."
            )
            check_page(page, "import-question")
            assert ImportBatch.objects.count() == 0
            page.get_by_label("Month first: 03/04/2025 is 4 March 2025").check()
            with page.expect_navigation():
                page.get_by_role("button", name="Import 2 rows").click()
            assert page.locator("#import-progress-label").inner_text() == "Done: 100%"
            assert page.locator('[data-count="created"]').inner_text() == "2"
            account.refresh_from_db()
            assert account.balance == Decimal("2505.80")
            with page.expect_navigation():
                page.get_by_role("button", name="Undo this import").click()
            assert "is undone" in page.locator(".messages").inner_text()
            check_page(page, "import-undone")
            account.refresh_from_db()
            assert account.balance == Decimal("10.00")
            assert context.outside_requests == []
        finally:
            connections.close_all()
