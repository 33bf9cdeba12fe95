"""Exports: a customer's transactions as CSV, and PDF statements of one account.

CSV (``transactions_csv``): the rows of the transaction list's filters, written as they
are read from the database (streamed; nothing is stored, so a CSV export leaves no row).
Amounts are plain numbers; every text cell a spreadsheet would run as a formula is
neutralised (``neutralise_cell``).

PDF statements: ``statement_export_create`` checks the request and records a pending
``Export``; the Celery task calls ``statement_export_run``, which claims the row, reads the
statement (``statement_for``), renders it with WeasyPrint (``statement_pdf``) and stores the
PDF on the row.

Invariants:

- A statement's closing balance is its opening balance plus money in minus money out, and
  agrees with the ledger: it equals the account's balance less the rows dated after the
  period (so, for a period running to the last transaction, the balance itself). A
  statement that would not agree is not issued.
- Money in and out on a statement are every credit and debit of the account, transfers
  included, so the balances add up; they are not the insights' cash-flow figures, which
  leave transfers out.
- One statement per request: a task delivered twice, or retried, renders and stores once.
- Rendering loads nothing but the bundled fonts (``LocalFontFetcher``): no network, and
  customer text (a merchant name) is HTML-escaped by the template and never a URL.
"""

import csv
import functools
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction as db_transaction
from django.db.models import Q, QuerySet, Sum
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import BankAccount, User
from insights.models import Export
from smartbank.dates import check_date_range
from smartbank.money import quantize_money
from transactions.models import Transaction

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")
ACCOUNT_NOT_FOUND = "Account not found."


# --- CSV ------------------------------------------------------------------------------

CSV_HEADER = (
    "Date",
    "Posted date",
    "Account",
    "Description",
    "Merchant",
    "Category",
    "Amount",
    "Currency",
    "Kind",
    "Notes",
    "Reference",
    "Transaction ID",
)
# A spreadsheet reads a cell beginning with one of these as a formula (OWASP, "CSV
# Injection"): "=HYPERLINK(...)" in a merchant name would run on the customer's machine.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Excel reads a CSV as the machine's legacy code page unless it starts with a BOM.
UTF8_BOM = "\ufeff"
# Rows fetched per round trip, and rows sent per chunk of the response.
CSV_FETCH_CHUNK = 2000
CSV_SEND_CHUNK = 500


def neutralise_cell(text: str) -> str:
    """A text cell made plain text for a spreadsheet: a leading apostrophe before a trigger.

    Only text cells: amounts are written as numbers and a negative one stays a number.
    """
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


class _Echo:
    """A file whose write() hands back what csv.writer wrote, so rows can be yielded."""

    def write(self, value: str) -> str:
        return value


def transaction_csv_row(txn: Transaction) -> list:
    return [
        txn.txn_date.isoformat(),
        txn.posted_date.isoformat() if txn.posted_date else "",
        neutralise_cell(txn.account.name),
        neutralise_cell(txn.description),
        neutralise_cell(txn.merchant),
        neutralise_cell(txn.category.name if txn.category is not None else ""),
        quantize_money(txn.amount),
        txn.currency,
        txn.kind,
        neutralise_cell(txn.notes),
        neutralise_cell(txn.external_id),
        txn.pk,
    ]


def transactions_csv(rows: QuerySet[Transaction]) -> Iterator[str]:
    """The rows as CSV text, in chunks, read from the database as they are sent.

    One query whatever the number of rows: account and category are joined, and the rows
    are read with a cursor (a server-side one on PostgreSQL) rather than all at once.
    """
    writer = csv.writer(_Echo())
    yield UTF8_BOM + writer.writerow(CSV_HEADER)
    lines: list[str] = []
    rows = rows.select_related("account", "category")
    for txn in rows.iterator(chunk_size=CSV_FETCH_CHUNK):
        lines.append(writer.writerow(transaction_csv_row(txn)))
        if len(lines) >= CSV_SEND_CHUNK:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


def transactions_csv_filename(*, user: User) -> str:
    return f"transactions-{user.today().isoformat()}.csv"


# --- Statements: what one says --------------------------------------------------------


class StatementError(Exception):
    """Why a statement cannot be made, in words for the customer."""


@dataclass(frozen=True)
class StatementLine:
    txn_date: date
    description: str
    # The merchant, where the description does not already say it.
    detail: str
    amount: Decimal
    balance: Decimal  # after this transaction


@dataclass(frozen=True)
class Statement:
    account: BankAccount
    customer_name: str
    currency: str
    date_from: date
    date_to: date
    opening_balance: Decimal
    money_in: Decimal
    money_out: Decimal  # positive
    closing_balance: Decimal
    lines: list[StatementLine]
    generated_at: datetime


def _line_texts(description: str, merchant: str) -> tuple[str, str]:
    description, merchant = description.strip(), merchant.strip()
    if not description:
        return merchant, ""
    if merchant and merchant.casefold() not in description.casefold():
        return description, merchant
    return description, ""


def statement_for(
    *, account: BankAccount, date_from: date, date_to: date, max_rows: int
) -> Statement:
    """The statement of ``account`` from ``date_from`` to ``date_to`` (inclusive, txn_date).

    Opening balance: the account's opening balance plus every row dated before the period.
    Lines: every row of the period, by txn_date then id, each with the balance after it.
    Raises StatementError when the period holds more than ``max_rows`` rows, or when the
    closing balance does not agree with the ledger (the account's balance less the rows
    after the period): a statement is never issued with figures the ledger contradicts.
    """
    with db_transaction.atomic():
        # Every ledger write locks the account row; holding that lock while reading makes
        # the stored balance and the rows one consistent picture.
        locked = BankAccount.objects.select_for_update().get(pk=account.pk)
        rows = Transaction.objects.filter(account=locked)
        outside = rows.aggregate(
            before=Sum("amount", filter=Q(txn_date__lt=date_from), default=ZERO),
            after=Sum("amount", filter=Q(txn_date__gt=date_to), default=ZERO),
        )
        period = list(
            rows.filter(txn_date__range=(date_from, date_to))
            .order_by("txn_date", "id")
            .values_list("txn_date", "description", "merchant", "amount")[: max_rows + 1]
        )
    if len(period) > max_rows:
        raise StatementError(
            f"The period holds more than {max_rows:,} transactions, the most a statement "
            "takes; ask for a shorter period."
        )
    # SQLite sums decimals as floats (2314.81999999997): back to cents before comparing.
    before, after = quantize_money(outside["before"]), quantize_money(outside["after"])
    opening = locked.opening_balance + before
    balance, money_in, money_out = opening, ZERO, ZERO
    lines = []
    for txn_date, description, merchant, amount in period:
        balance += amount
        if amount > 0:
            money_in += amount
        else:
            money_out -= amount
        text, detail = _line_texts(description, merchant)
        lines.append(StatementLine(txn_date, text, detail, amount, balance))
    ledger_closing = locked.balance - after
    if balance != ledger_closing:
        logger.error(
            "statement of account %s disagrees with the ledger: rows give %s, balance gives %s",
            locked.pk,
            balance,
            ledger_closing,
            extra={"account_id": locked.pk},
        )
        raise StatementError(
            "The account's transactions do not add up to its balance, so no statement was "
            "issued; our staff have been told."
        )
    owner = locked.user
    return Statement(
        account=locked,
        customer_name=owner.full_name or owner.email,
        currency=locked.currency,
        date_from=date_from,
        date_to=date_to,
        opening_balance=opening,
        money_in=money_in,
        money_out=money_out,
        closing_balance=balance,
        lines=lines,
        generated_at=timezone.now(),
    )


# --- Statements: the PDF --------------------------------------------------------------

FONT_DIR = Path(settings.BASE_DIR) / "static" / "vendor" / "dejavu-fonts"
FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")


@functools.cache
def font_fetcher_class() -> type:
    """LocalFontFetcher: WeasyPrint's loader of what a document links to, fonts only.

    It serves the bundled fonts and refuses anything else (http, https, data:, any other
    file), remembering what it refused: the statement template links to nothing but its
    fonts, so a refused URL means markup that is not ours reached the renderer, and the
    statement is not issued (``statement_pdf``). Never the network, so rendering cannot
    leak or stall on it. Built on first use, so WeasyPrint (0.6 s and 40 MB to import) is
    loaded by the processes that render, not by every web worker.
    """
    from weasyprint.urls import URLFetcher, URLFetcherResponse, path2url

    class LocalFontFetcher(URLFetcher):
        def __init__(self):
            super().__init__(allowed_protocols=("file",))
            self.base_url = path2url(str(FONT_DIR))
            self.fonts = {path2url(str(FONT_DIR / name)): FONT_DIR / name for name in FONT_FILES}
            self.served: list[str] = []
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            path = self.fonts.get(url)
            if path is None:
                self.refused.append(url)
                raise ValueError("a statement loads nothing but its bundled fonts")
            self.served.append(url)
            return URLFetcherResponse(url, path.read_bytes(), headers={"Content-Type": "font/ttf"})

    return LocalFontFetcher


def new_font_fetcher():
    return font_fetcher_class()()


def format_amount(value: Decimal) -> str:
    """1234.5 -> "1,234.50", as the statement prints money (its currency is in the header)."""
    return f"{quantize_money(value):,.2f}"


def statement_context(statement: Statement, *, reference: str) -> dict:
    account = statement.account
    return {
        "bank_name": settings.BANK_NAME,
        "bank_address": settings.BANK_ADDRESS,
        "reference": reference,
        "customer_name": statement.customer_name,
        "account_name": account.name,
        "account_type": account.get_account_type_display(),
        "account_number": account.masked_account or "—",
        "currency": statement.currency,
        "date_from": statement.date_from,
        "date_to": statement.date_to,
        "generated_at": statement.generated_at,  # shown in time_zone
        "time_zone": account.user.time_zone,
        "opening_balance": format_amount(statement.opening_balance),
        "money_in": format_amount(statement.money_in),
        "money_out": format_amount(statement.money_out),
        "closing_balance": format_amount(statement.closing_balance),
        "lines": [
            {
                "date": line.txn_date,
                "description": line.description,
                "detail": line.detail,
                "money_in": format_amount(line.amount) if line.amount > 0 else "",
                "money_out": format_amount(-line.amount) if line.amount < 0 else "",
                "balance": format_amount(line.balance),
            }
            for line in statement.lines
        ],
    }


def statement_html(statement: Statement, *, reference: str) -> str:
    # Django's template escapes every value: customer text stays text, never markup or CSS.
    return render_to_string(
        "insights/statement.html", statement_context(statement, reference=reference)
    )


def statement_pdf(statement: Statement, *, reference: str) -> bytes:
    """The statement as a PDF: WeasyPrint over the template, fonts embedded."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    fetcher = new_font_fetcher()
    document = HTML(
        string=statement_html(statement, reference=reference),
        base_url=fetcher.base_url,
        url_fetcher=fetcher,
    )
    pdf = document.write_pdf(font_config=FontConfiguration())
    if fetcher.refused:
        raise RuntimeError(f"the statement tried to load {fetcher.refused[0]!r}")
    return pdf


def statement_filename(*, account: BankAccount, date_from: date, date_to: date) -> str:
    number = account.number_last4 or str(account.pk)
    return f"statement-{number}-{date_from.isoformat()}-to-{date_to.isoformat()}.pdf"


# --- Statements: requests and the task's work -----------------------------------------

# Unfinished statements older than this are lost (a task that never ran) and no longer
# count against the customer's EXPORT_PDF_MAX_UNFINISHED.
UNFINISHED_WINDOW = timedelta(hours=1)
RENDER_FAILED = (
    "The statement could not be made. Ask for it again; if it fails again, contact support "
    "and quote reference {reference}."
)


def statement_reference(export: Export) -> str:
    return f"STM-{export.pk:08d}"


def statement_export_create(
    *, user: User, account: BankAccount, date_from: date, date_to: date
) -> Export:
    """Record a request for a statement and queue the task that makes it (on commit).

    Refused with a ValidationError, writing nothing, when the account is not the user's,
    the period ends before it starts or after the user's today, covers more than
    EXPORT_PDF_MAX_DAYS days or more than EXPORT_PDF_MAX_ROWS transactions, or when the
    user already has EXPORT_PDF_MAX_UNFINISHED statements waiting to be made.
    """
    if account.user_id != user.pk:
        raise ValidationError({"account": ACCOUNT_NOT_FOUND})
    if date_from > date_to:
        raise ValidationError(
            {"date_to": "The period ends before it starts: date_to must be on or after date_from."}
        )
    today = user.today()
    for field, value in (("date_from", date_from), ("date_to", date_to)):
        check_date_range(value, field=field, today=today, days_ahead=0, label="statement period")
    days = (date_to - date_from).days + 1
    if days > settings.EXPORT_PDF_MAX_DAYS:
        raise ValidationError(
            {
                "date_to": f"A statement covers at most {settings.EXPORT_PDF_MAX_DAYS} days; "
                f"this period has {days}."
            }
        )
    rows = Transaction.objects.filter(account=account, txn_date__range=(date_from, date_to))
    count = rows.count()
    if count > settings.EXPORT_PDF_MAX_ROWS:
        raise ValidationError(
            {
                "date_to": f"This period holds {count:,} transactions; a statement takes at "
                f"most {settings.EXPORT_PDF_MAX_ROWS:,}. Ask for a shorter period."
            }
        )
    from insights.tasks import statement_export_task  # the task module imports this one

    with db_transaction.atomic():
        # Locking the user's row makes two simultaneous requests count each other.
        User.objects.select_for_update().filter(pk=user.pk).first()
        unfinished = (
            Export.objects.for_user(user)
            .filter(
                status__in=(Export.Status.PENDING, Export.Status.RUNNING),
                created_at__gte=timezone.now() - UNFINISHED_WINDOW,
            )
            .count()
        )
        if unfinished >= settings.EXPORT_PDF_MAX_UNFINISHED:
            raise ValidationError(
                {
                    "detail": f"You have {unfinished} statements being made; wait for one "
                    "to finish before asking for another."
                }
            )
        export = Export.objects.create(
            user=user,
            account=account,
            date_from=date_from,
            date_to=date_to,
            currency=account.currency,
            filename=statement_filename(account=account, date_from=date_from, date_to=date_to),
        )
        export_id = export.pk
        db_transaction.on_commit(lambda: statement_export_task.delay(export_id))
    return export


class RunOutcome(StrEnum):
    """What one run of the statement task did."""

    DONE = "done"  # rendered and stored
    FAILED = "failed"  # could not be made; the reason is on the export
    SKIPPED = "skipped"  # already made, failed or gone: a duplicate delivery
    BUSY = "busy"  # another run is making it now


def _export_claim(export_id: int) -> tuple[Export | None, RunOutcome | None]:
    """Take the export for this run: (export, None), or (None, why not)."""
    now = timezone.now()
    with db_transaction.atomic():
        export = Export.objects.select_for_update().defer("pdf").filter(pk=export_id).first()
        if export is None or export.is_finished:
            return None, RunOutcome.SKIPPED
        abandoned_before = now - timedelta(seconds=settings.EXPORT_RENDER_TIMEOUT)
        if export.status == Export.Status.RUNNING and export.started_at > abandoned_before:
            return None, RunOutcome.BUSY
        export.status = Export.Status.RUNNING
        export.attempts += 1
        export.started_at = now
        export.save(update_fields=["status", "attempts", "started_at"])
    return export, None


def _export_finish(export: Export, **fields) -> bool:
    """Store this run's result, only while its claim is the latest (True if stored)."""
    return bool(
        Export.objects.filter(
            pk=export.pk, status=Export.Status.RUNNING, attempts=export.attempts
        ).update(finished_at=timezone.now(), **fields)
    )


def statement_export_run(*, export_id: int) -> RunOutcome:
    """Make the statement a pending export asks for, once.

    The claim (a locked, committed pending -> running) lets one run in: a second delivery
    finds it running (BUSY, to try again later), done or failed (SKIPPED). A run whose
    worker died leaves it running; after EXPORT_RENDER_TIMEOUT seconds the next delivery
    claims it again, and the late run, should it still finish, stores nothing. A statement
    that cannot be made marks the export failed with the reason, and changes nothing else.
    """
    export, outcome = _export_claim(export_id)
    if export is None:
        return outcome
    reference = statement_reference(export)
    try:
        statement = statement_for(
            account=export.account,
            date_from=export.date_from,
            date_to=export.date_to,
            max_rows=settings.EXPORT_PDF_MAX_ROWS,
        )
        pdf = statement_pdf(statement, reference=reference)
    except StatementError as exc:
        stored = _export_finish(export, status=Export.Status.FAILED, error=str(exc))
        return RunOutcome.FAILED if stored else RunOutcome.SKIPPED
    except Exception:
        logger.exception("statement export %s failed", export.pk, extra={"export_id": export.pk})
        stored = _export_finish(
            export,
            status=Export.Status.FAILED,
            error=RENDER_FAILED.format(reference=reference),
        )
        return RunOutcome.FAILED if stored else RunOutcome.SKIPPED
    stored = _export_finish(
        export,
        status=Export.Status.DONE,
        error="",
        pdf=pdf,
        pdf_size=len(pdf),
        currency=statement.currency,
        opening_balance=statement.opening_balance,
        money_in=statement.money_in,
        money_out=statement.money_out,
        closing_balance=statement.closing_balance,
        transaction_count=len(statement.lines),
    )
    return RunOutcome.DONE if stored else RunOutcome.SKIPPED


# --- Reads ----------------------------------------------------------------------------


def exports_for_user(*, user: User) -> QuerySet[Export]:
    """The user's statements, newest first, without their PDFs (loaded only to download)."""
    return Export.objects.for_user(user).select_related("account").defer("pdf")


def export_pdf(*, export: Export) -> bytes:
    data = Export.objects.filter(pk=export.pk).values_list("pdf", flat=True).get()
    return bytes(data)
