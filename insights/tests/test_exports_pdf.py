"""PDF statements: what they say, read back from the PDF; the ledger; fonts and fetching;
the task made safe to repeat; failures."""

import datetime
import io
import re
from decimal import Decimal

import pytest
import time_machine
from django.db.models import F
from pypdf import PdfReader

from accounts.models import BankAccount
from accounts.tests.factories import BankAccountFactory, UserFactory
from insights import exports
from insights.exports import RunOutcome, statement_export_run
from insights.models import Export
from insights.tasks import statement_export_task
from insights.tests.factories import NOW, TODAY, ExportFactory, add_rows
from smartbank.testing import database_snapshot
from transactions.services import transfer_create
from transactions.tests.factories import TransactionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_time")]

D = datetime.date


@pytest.fixture
def frozen_time():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def account():
    owner = UserFactory(full_name="Ann Example")
    return BankAccountFactory(user=owner, name="Everyday", opening_balance=Decimal("1000.00"))


@pytest.fixture
def fetchers(monkeypatch):
    """Every font fetcher a render makes, kept to look at what it served and refused."""
    made = []
    make = exports.new_font_fetcher

    def recording():
        fetcher = make()
        made.append(fetcher)
        return fetcher

    monkeypatch.setattr(exports, "new_font_fetcher", recording)
    return made


@pytest.fixture
def renders(monkeypatch):
    """Counts the PDF renders."""
    calls = []
    render = exports.statement_pdf

    def counting(statement, **kwargs):
        calls.append(statement)
        return render(statement, **kwargs)

    monkeypatch.setattr(exports, "statement_pdf", counting)
    return calls


def made(export: Export) -> Export:
    assert statement_export_run(export_id=export.pk) == RunOutcome.DONE
    export.refresh_from_db()
    return export


def pdf_pages(export: Export) -> list[str]:
    reader = PdfReader(io.BytesIO(exports.export_pdf(export=export)))
    return [page.extract_text() for page in reader.pages]


def pdf_text(export: Export) -> str:
    # Words the layout puts on two lines come back joined by a newline; compare on spaces.
    return " ".join(" ".join(pdf_pages(export)).split())


# --- What a statement says ----------------------------------------------------------------


def test_a_statement_holds_every_transaction_of_its_period_and_agrees_with_the_ledger(account):
    savings = BankAccountFactory(user=account.user, name="Savings", opening_balance=Decimal("0"))
    TransactionFactory(
        account=account,
        amount=Decimal("-40.00"),
        txn_date=D(2025, 2, 27),
        description="February rent share",
    )
    TransactionFactory(
        account=account,
        amount=Decimal("2500.00"),
        txn_date=D(2025, 3, 1),
        description="Salary ACME",
        merchant="ACME Ltd",
        category=None,
    )
    TransactionFactory(
        account=account,
        amount=Decimal("-12.50"),
        txn_date=D(2025, 3, 3),
        description="Card payment",
        merchant="Corner Shop",
    )
    TransactionFactory(
        account=account,
        amount=Decimal("-1234.56"),
        txn_date=D(2025, 3, 31),
        description="Rent March",
        merchant="",
    )
    transfer_create(
        user=account.user,
        from_account=account,
        to_account=savings,
        amount=Decimal("100.00"),
        txn_date=D(2025, 3, 15),
        description="To savings",
    )
    TransactionFactory(
        account=account, amount=Decimal("-8.00"), txn_date=D(2025, 4, 2), description="April coffee"
    )

    export = made(ExportFactory(account=account, date_from=D(2025, 3, 1), date_to=D(2025, 3, 31)))

    account.refresh_from_db()
    assert export.status == Export.Status.DONE and export.error == ""
    assert export.opening_balance == Decimal("960.00")  # 1000 - 40 before the period
    assert export.money_in == Decimal("2500.00")
    assert export.money_out == Decimal("1347.06")  # 12.50 + 1234.56 + the 100.00 transfer
    assert export.closing_balance == Decimal("2112.94")
    assert export.closing_balance == export.opening_balance + export.money_in - export.money_out
    # The ledger: the balance less the one row after the period.
    assert export.closing_balance == account.balance - Decimal("-8.00")
    assert export.transaction_count == 4
    assert export.pdf_size == len(exports.export_pdf(export=export)) > 0
    text = pdf_text(export)
    for expected in (
        "Opening balance 960.00",
        "01 Mar 2025 Salary ACME · ACME Ltd 2,500.00 3,460.00",
        "03 Mar 2025 Card payment · Corner Shop 12.50 3,447.50",
        "15 Mar 2025 To savings 100.00 3,347.50",
        "31 Mar 2025 Rent March 1,234.56 2,112.94",
        "Totals 1,347.06 2,500.00",
        "Closing balance 2,112.94",
    ):
        assert expected in text
    assert "February rent share" not in text
    assert "April coffee" not in text


def test_the_header_names_the_bank_the_customer_and_the_account(account, settings):
    settings.BANK_NAME = "Example Savings Bank"
    settings.BANK_ADDRESS = ["Example Savings Bank plc", "7 Harbour Road", "Bristol BS1 4ST"]
    TransactionFactory(account=account, amount=Decimal("-5.00"), txn_date=D(2025, 3, 2))

    export = made(ExportFactory(account=account))

    first_page = " ".join(pdf_pages(export)[0].split())
    for expected in (
        "Example Savings Bank",
        "7 Harbour Road",
        "Bristol BS1 4ST",
        "Statement of account",
        f"Reference STM-{export.pk:08d}",
        "Issued 10 April 2025, 13:00 (Europe/London)",  # NOW in the customer's time zone
        "Ann Example",
        "Everyday",
        "•••• 4444",
        "EUR",
        "1 Mar 2025 to 31 Mar 2025",
        "Page 1 of 1",
    ):
        assert expected in first_page, first_page
    reader = PdfReader(io.BytesIO(exports.export_pdf(export=export)))
    assert reader.metadata.author == "Example Savings Bank"


def test_a_period_running_to_today_closes_on_the_accounts_balance(account):
    add_rows(
        account, [(D(2025, 1, 1) + datetime.timedelta(days=n), Decimal("-3.10")) for n in range(99)]
    )
    TransactionFactory(account=account, amount=Decimal("812.45"), txn_date=TODAY)

    export = made(ExportFactory(account=account, date_from=D(2025, 2, 1), date_to=TODAY))

    account.refresh_from_db()
    assert export.closing_balance == account.balance == Decimal("1505.55")
    assert "Closing balance 1,505.55" in pdf_text(export)


def test_a_long_statement_runs_over_numbered_pages_and_loses_no_row(account):
    rows = [
        (D(2025, 1, 1) + datetime.timedelta(days=n % 90), Decimal(f"-{n + 1}.25"))
        for n in range(300)
    ]
    add_rows(account, rows, description="Shop {n:03d}")

    export = made(ExportFactory(account=account, date_from=D(2025, 1, 1), date_to=D(2025, 3, 31)))

    pages = pdf_pages(export)
    assert len(pages) >= 5
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert "Date Description Money out Money in Balance" in " ".join(page.split())
    text = pdf_text(export)
    for n in range(300):
        assert f"Shop {n:03d}" in text
        assert f" {n + 1}.25 " in text
    assert export.transaction_count == 300
    assert export.money_out == sum(Decimal(f"{n + 1}.25") for n in range(300))
    account.refresh_from_db()
    assert export.closing_balance == account.balance


def test_the_running_balance_follows_date_then_entry_order(account):
    # Entered out of date order; two on one day keep the order they were entered in.
    add_rows(
        account,
        [
            (D(2025, 3, 9), Decimal("-1.00")),
            (D(2025, 3, 2), Decimal("-2.00")),
            (D(2025, 3, 9), Decimal("-4.00")),
        ],
        description="Row {n}",
    )

    export = made(ExportFactory(account=account))

    balances = re.findall(r"Row (\d) ([\d.]+) ([\d,.]+)", pdf_text(export))
    assert balances == [("1", "2.00", "998.00"), ("0", "1.00", "997.00"), ("2", "4.00", "993.00")]


def test_a_period_without_transactions_says_so(account):
    export = made(ExportFactory(account=account))

    assert (export.opening_balance, export.closing_balance) == (Decimal("1000.00"),) * 2
    assert (export.money_in, export.money_out, export.transaction_count) == (0, 0, 0)
    assert "No transactions in this period." in pdf_text(export)


# --- Fonts, fetching and customer text ------------------------------------------------------


def test_the_pdf_embeds_the_bundled_dejavu_fonts_and_fetches_nothing_else(account, fetchers):
    TransactionFactory(account=account, amount=Decimal("-5.00"), txn_date=D(2025, 3, 2))

    export = made(ExportFactory(account=account))

    (fetcher,) = fetchers
    assert sorted(fetcher.served) == sorted(
        (exports.FONT_DIR / name).as_uri() for name in exports.FONT_FILES
    )
    assert fetcher.refused == []
    reader = PdfReader(io.BytesIO(exports.export_pdf(export=export)))
    fonts = {}
    for font in reader.pages[0]["/Resources"]["/Font"].values():
        font = font.get_object()
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        fonts[font["/BaseFont"].split("+", 1)[1]] = "/FontFile2" in descriptor
    # The family is named in our CSS alone, so no system font could stand in for it.
    assert fonts == {"Statement-Sans": True, "Statement-Sans-Bold": True}


INJECTIONS = [
    '<img src="http://127.0.0.1:9/pixel.png">',
    "</td></tr></table><style>@import url(http://127.0.0.1:9/x.css);</style>",
    'x{background:url("file:///etc/passwd")}',
    '<link rel="stylesheet" href="https://example.com/a.css">',
    "{{ bank_name }} {% now 'Y' %} &amp; <b>bold</b>",
]


def test_customer_text_is_printed_as_text_and_makes_nothing_load(account, fetchers):
    for n, text in enumerate(INJECTIONS):
        TransactionFactory(
            account=account,
            amount=Decimal("-1.00"),
            txn_date=D(2025, 3, 2),
            description=f"Payment {n}",
            merchant=text,
        )
    account.name = 'Main <script>alert("x")</script>'
    account.save(update_fields=["name"])

    export = made(ExportFactory(account=account))

    (fetcher,) = fetchers
    assert fetcher.refused == []
    assert len(fetcher.served) == len(exports.FONT_FILES)
    # A long merchant name wraps where it must, even inside a word: compare without spaces.
    text = "".join(pdf_text(export).split())
    for injected in [*INJECTIONS, 'Main <script>alert("x")</script>']:
        assert "".join(injected.split()) in text


def test_the_font_fetcher_serves_its_fonts_and_refuses_everything_else():
    fetcher = exports.new_font_fetcher()
    font = (exports.FONT_DIR / "DejaVuSans.ttf").as_uri()

    assert fetcher.fetch(font).read() == (exports.FONT_DIR / "DejaVuSans.ttf").read_bytes()
    for url in (
        "http://127.0.0.1:9/font.ttf",
        "https://example.com/a.css",
        "data:text/css,body{}",
        "file:///etc/passwd",
        (exports.FONT_DIR / "LICENSE").as_uri(),
        (exports.FONT_DIR / ".." / "dejavu-fonts" / "DejaVuSans.ttf").as_uri(),
    ):
        with pytest.raises(ValueError, match="nothing but its bundled fonts"):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 6


def test_markup_that_would_load_something_is_not_issued(account, monkeypatch, fetchers):
    html = exports.statement_html
    monkeypatch.setattr(
        exports,
        "statement_html",
        lambda statement, **kw: html(statement, **kw).replace(
            "</body>", '<img src="http://127.0.0.1:9/beacon.png"></body>'
        ),
    )
    export = ExportFactory(account=account)

    assert statement_export_run(export_id=export.pk) == RunOutcome.FAILED

    export.refresh_from_db()
    assert fetchers[0].refused == ["http://127.0.0.1:9/beacon.png"]
    assert export.status == Export.Status.FAILED
    assert export.pdf_size == 0


# --- The task: once, however often it runs ---------------------------------------------------


def test_the_task_delivered_twice_renders_and_stores_once(account, renders):
    TransactionFactory(account=account, amount=Decimal("-5.00"), txn_date=D(2025, 3, 2))
    export = ExportFactory(account=account)

    assert statement_export_task.delay(export.pk).get() == "done"
    export.refresh_from_db()
    stored = (export.pdf_size, export.finished_at, bytes(export.pdf))
    assert statement_export_task.delay(export.pk).get() == "skipped"

    assert len(renders) == 1
    export.refresh_from_db()
    assert (export.pdf_size, export.finished_at, bytes(export.pdf)) == stored
    assert export.attempts == 1


def test_a_run_finds_another_run_at_work_and_leaves_it(account, renders):
    export = ExportFactory(
        account=account, status=Export.Status.RUNNING, started_at=NOW, attempts=1
    )
    before = database_snapshot()

    assert statement_export_run(export_id=export.pk) == RunOutcome.BUSY

    assert renders == []
    assert database_snapshot() == before


def test_an_abandoned_run_is_taken_over_and_its_late_result_is_not_stored(
    account, renders, monkeypatch, frozen_time, settings
):
    """Worker A claims and stalls past EXPORT_RENDER_TIMEOUT; B takes over and stores; when
    A finally finishes, its result is thrown away."""
    export = ExportFactory(account=account)
    render = exports.statement_pdf  # counts into renders
    started = []
    outcomes = []

    def stalled_then_taken_over(statement, **kwargs):
        started.append(statement)
        if len(started) == 1:  # A is rendering when B arrives, after the timeout
            frozen_time.shift(datetime.timedelta(seconds=settings.EXPORT_RENDER_TIMEOUT + 1))
            outcomes.append(statement_export_run(export_id=export.pk))
        return render(statement, **kwargs)

    monkeypatch.setattr(exports, "statement_pdf", stalled_then_taken_over)

    outcomes.append(statement_export_run(export_id=export.pk))

    assert outcomes == [RunOutcome.DONE, RunOutcome.SKIPPED]  # B stored, A did not
    assert len(renders) == 2
    export.refresh_from_db()
    assert export.status == Export.Status.DONE
    assert export.attempts == 2


def test_a_run_for_an_export_that_is_gone_does_nothing(renders):
    assert statement_export_run(export_id=999999) == RunOutcome.SKIPPED
    assert renders == []


# --- Failures -------------------------------------------------------------------------------


def test_a_render_error_marks_the_export_failed_and_changes_nothing_else(account, monkeypatch):
    TransactionFactory(account=account, amount=Decimal("-5.00"), txn_date=D(2025, 3, 2))
    export = ExportFactory(account=account)

    def broken(statement, **kwargs):
        raise OSError("cairo: out of memory")

    monkeypatch.setattr(exports, "statement_pdf", broken)
    before = database_snapshot()

    assert statement_export_task.delay(export.pk).get() == "failed"

    after = database_snapshot()
    assert after.pop("insights.Export") != before.pop("insights.Export")
    assert after == before
    export.refresh_from_db()
    assert export.status == Export.Status.FAILED
    assert export.error == (
        "The statement could not be made. Ask for it again; if it fails again, contact support "
        f"and quote reference STM-{export.pk:08d}."
    )
    assert "cairo" not in export.error
    assert export.finished_at == NOW
    assert (export.pdf_size, bytes(export.pdf), export.closing_balance) == (0, b"", None)
    # Failed is final: a repeat delivery does not try again.
    assert statement_export_run(export_id=export.pk) == RunOutcome.SKIPPED


def test_a_ledger_that_does_not_add_up_issues_no_statement(account, caplog):
    TransactionFactory(account=account, amount=Decimal("-5.00"), txn_date=D(2025, 3, 2))
    BankAccount.objects.filter(pk=account.pk).update(balance=F("balance") + 1)
    export = ExportFactory(account=account)

    assert statement_export_run(export_id=export.pk) == RunOutcome.FAILED

    export.refresh_from_db()
    assert export.status == Export.Status.FAILED
    assert "do not add up to its balance" in export.error
    assert "disagrees with the ledger" in caplog.text


def test_rows_added_after_the_request_past_the_limit_fail_it_clearly(account, settings):
    settings.EXPORT_PDF_MAX_ROWS = 2
    add_rows(account, [(D(2025, 3, day), Decimal("-1.00")) for day in (2, 3, 4)])
    export = ExportFactory(account=account)

    assert statement_export_run(export_id=export.pk) == RunOutcome.FAILED

    export.refresh_from_db()
    assert export.error == (
        "The period holds more than 2 transactions, the most a statement takes; ask for a "
        "shorter period."
    )


def test_sums_that_floats_cannot_hold_exactly_still_agree_with_the_ledger(account):
    """SQLite adds decimals as floats (a sum such as 2314.81999999997): the opening and
    closing balances come back to cents before they are compared with the ledger."""
    before = TODAY.replace(day=1) - datetime.timedelta(days=40)
    after = TODAY - datetime.timedelta(days=1)
    # Large amounts that nearly cancel: their float sum is off in the 12th digit.
    amounts = [Decimal("12345.67"), Decimal("-12345.66"), Decimal("3.33")] * 100
    add_rows(account, [(before, amount) for amount in amounts])
    add_rows(account, [(TODAY, amount) for amount in amounts[:100]])
    date_from = TODAY.replace(day=1) - datetime.timedelta(days=5)

    statement = exports.statement_for(
        account=account, date_from=date_from, date_to=after, max_rows=10
    )

    account.refresh_from_db()
    expected_opening = Decimal("1000.00") + sum(amounts)
    assert statement.opening_balance == expected_opening
    assert statement.closing_balance == expected_opening
    assert account.balance == expected_opening + sum(amounts[:100])
