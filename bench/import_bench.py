"""Statement import benchmark: a generated bank CSV through the whole import, timed.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/smartbank_bench \\
        .venv/bin/python bench/import_bench.py [--rows 100000] [--style de|plain]

What it does, on the database DATABASE_URL names (PostgreSQL; SQLite only with
--allow-sqlite, since the target is about the production database):

1. migrates it, then creates a fresh customer (unique email per run) with a checking
   account and a savings account, and 20 active rules of every kind (contains, equals,
   starts with, regex on description and merchant; amount greater and less than; account;
   a merchant tidy-up that a later rule reads; a stop) through rule_services.rule_create;
2. generates the statement in memory from the demo generator (smartbank.demo.plan_history,
   as DESIGN.md says the benchmarks use it): the checking, card and outgoing-transfer rows
   of as many demo households (the three demo profiles in turn, each with its own seed) as
   it takes, over the last two years, as one account's statement. ``--style de`` (default)
   writes it the way German banks export: UTF-8, semicolons, DD.MM.YYYY, decimal comma with
   thousands dots, German headers; ``--style plain`` writes commas, ISO dates and decimal
   points;
3. times the whole import as the API runs it, ``import_create`` + ``import_run`` (parse,
   plan with fingerprints and duplicate lookup, rules, bulk insert, balance update,
   category history, transfer candidates), with the parse and plan phases measured apart;
   then imports the same file again (every row a duplicate) and times that;
4. checks the result: every row created once, none the second time, the account's ledger
   clean (transactions.services.ledger_differences), and each row carrying exactly the
   category and merchant the rules should give it: an oracle written in plain Python beside
   each rule predicts them, and the imported rows must match it row for row.

Then it deletes the customer it created (``--keep`` leaves it). Exit status 0 when every
check passes (and the rate reaches ``--min-rate`` when one is given), else 1; 2 when it
refuses to run.
"""

import argparse
import csv
import io
import random
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

if __package__ in (None, ""):
    # Run as a script (python bench/x.py): the project root makes "bench" importable.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.benchkit import database_label, setup_django  # noqa: E402

TARGET_ROWS_PER_SECOND = 10_000
BENCH_SEED = "smartbank-import-bench"
HISTORY_MONTHS = 24
STYLES = ("de", "plain")
PHASES = ("parse", "plan", "insert", "history", "commit", "other")


# --- The statement ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatementRow:
    txn_date: date
    posted_date: date
    merchant: str
    description: str
    amount: Decimal


def generate_rows(count: int, *, end: date) -> list[StatementRow]:
    """``count`` booked rows of demo households over the HISTORY_MONTHS up to ``end``."""
    from smartbank.demo import CARD, CHECKING, PROFILES, add_months, plan_history
    from smartbank.money import quantize_money

    start = add_months(end, -HISTORY_MONTHS) + timedelta(days=1)
    rows: list[StatementRow] = []
    household = 0
    while len(rows) < count:
        profile = PROFILES[household % len(PROFILES)]
        plan = plan_history(
            profile,
            start=start,
            end=end,
            transactions_per_month=40,
            rng=random.Random(f"{BENCH_SEED}-{household}"),
        )
        for key in (CHECKING, CARD):
            rows.extend(
                StatementRow(
                    txn_date=row["txn_date"],
                    posted_date=row["posted_date"] or row["txn_date"],
                    merchant=row["merchant"],
                    description=row["description"],
                    amount=quantize_money(row["amount"]),
                )
                for row in plan.rows[key]
            )
        rows.extend(
            StatementRow(
                txn_date=transfer.txn_date,
                posted_date=transfer.txn_date,
                merchant="",
                description=transfer.description,
                amount=-quantize_money(transfer.amount),
            )
            for transfer in plan.transfers
            if transfer.from_key == CHECKING
        )
        household += 1
    rows = rows[:count]
    rows.sort(key=lambda row: row.txn_date)
    return rows


def _german_amount(amount: Decimal) -> str:
    return f"{amount:,.2f}".translate(str.maketrans({",": ".", ".": ","}))


def statement_csv(rows: list[StatementRow], *, style: str, currency: str) -> bytes:
    buffer = io.StringIO(newline="")
    if style == "de":
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        writer.writerow(
            [
                "Buchungstag",
                "Valutadatum",
                "Auftraggeber/Empfänger",
                "Verwendungszweck",
                "Betrag",
                "Währung",
            ]
        )
        for row in rows:
            writer.writerow(
                [
                    row.txn_date.strftime("%d.%m.%Y"),
                    row.posted_date.strftime("%d.%m.%Y"),
                    row.merchant,
                    row.description,
                    _german_amount(row.amount),
                    currency,
                ]
            )
    else:
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["Date", "Posted Date", "Payee", "Description", "Amount", "Currency"])
        for row in rows:
            writer.writerow(
                [
                    row.txn_date.isoformat(),
                    row.posted_date.isoformat(),
                    row.merchant,
                    row.description,
                    str(row.amount),
                    currency,
                ]
            )
    return buffer.getvalue().encode("utf-8")


# --- The rules, each with what it should do in plain Python ---------------------------------


@dataclass
class Subject:
    """What the oracle predicates read: folded text, the amount, the account."""

    description: str
    merchant: str
    amount: Decimal
    account: str  # "checking": the account imported into


@dataclass(frozen=True)
class RuleSpec:
    name: str
    conditions: list[dict[str, Any]]
    expect: Callable[[Subject], bool]
    category: str | None = None
    match: str = "all"
    set_merchant: str = ""
    stop: bool = False


def _cond(field_name: str, operator: str, value: Any) -> dict[str, Any]:
    return {"field": field_name, "operator": operator, "value": value}


def rule_specs(*, checking_id: int, savings_id: int) -> list[RuleSpec]:
    """20 rules, in priority order, over the demo merchants."""
    dining = ("vapiano", "curry 36", "pret a manger", "nando", "wagamama", "dishoom", "deliveroo")
    return [
        RuleSpec(
            "Salary",
            [_cond("description", "starts_with", "Salary")],
            lambda s: s.description.startswith("salary"),
            category="income",
            stop=True,
        ),
        RuleSpec(
            "Rent",
            [_cond("description", "equals", "rent"), _cond("amount", "lt", "-500")],
            lambda s: s.description == "rent" and s.amount < -500,
            category="housing",
        ),
        RuleSpec(
            "German supermarkets",
            [_cond("merchant", "regex", r"^(REWE|Lidl|Aldi|Edeka|Netto)\b")],
            lambda s: s.merchant.startswith(("rewe", "lidl", "aldi ", "edeka", "netto")),
            category="groceries",
        ),
        RuleSpec(
            "British supermarkets",
            [
                _cond("merchant", "contains", "tesco"),
                _cond("merchant", "contains", "sainsbury"),
                _cond("merchant", "equals", "M&S Food"),
            ],
            lambda s: (
                "tesco" in s.merchant or "sainsbury" in s.merchant or s.merchant == "m&s food"
            ),
            category="groceries",
            match="any",
        ),
        RuleSpec(
            "American groceries",
            [
                _cond("description", "contains", "whole foods"),
                _cond("description", "contains", "trader joe"),
            ],
            lambda s: "whole foods" in s.description or "trader joe" in s.description,
            category="groceries",
            match="any",
        ),
        RuleSpec(
            "Fuel",
            [_cond("merchant", "equals", "Aral"), _cond("merchant", "equals", "shell")],
            lambda s: s.merchant in ("aral", "shell"),
            category="transport",
            match="any",
        ),
        RuleSpec(
            "Public transport",
            [_cond("description", "regex", r"DB Fernverkehr|Call a Bike|\bTfL$|MTA OMNY")],
            lambda s: (
                any(name in s.description for name in ("db fernverkehr", "call a bike", "mta omny"))
                or s.description.endswith(" tfl")
            ),
            category="transport",
        ),
        RuleSpec(
            "Utilities",
            [
                _cond(
                    "merchant",
                    "regex",
                    r"^(Telekom|O2|Vattenfall|Berliner Wasserbetriebe|GASAG|Octopus Energy|BT|"
                    r"Con Edison|Verizon|Lambeth Council)$",
                )
            ],
            lambda s: (
                s.merchant
                in (
                    "telekom",
                    "o2",
                    "vattenfall",
                    "berliner wasserbetriebe",
                    "gasag",
                    "octopus energy",
                    "bt",
                    "con edison",
                    "verizon",
                    "lambeth council",
                )
            ),
            category="utilities",
        ),
        RuleSpec(
            "Broadcasting fee",
            [_cond("description", "contains", "Rundfunkbeitrag")],
            lambda s: "rundfunkbeitrag" in s.description,
            category="utilities",
        ),
        RuleSpec(
            "Streaming",
            [
                _cond("merchant", "starts_with", "spotify"),
                _cond("merchant", "starts_with", "Netflix"),
            ],
            lambda s: s.merchant.startswith(("spotify", "netflix")),
            category="entertainment",
            match="any",
        ),
        RuleSpec(
            "Cinemas",
            [_cond("merchant", "regex", r"Kino|Odeon|Vue Cinemas|AMC Theatres")],
            lambda s: any(
                name in s.merchant for name in ("kino", "odeon", "vue cinemas", "amc theatres")
            ),
            category="entertainment",
        ),
        RuleSpec(
            "Tidy Amazon",
            [_cond("merchant", "starts_with", "AMAZON")],
            lambda s: s.merchant.startswith("amazon"),
            set_merchant="Amazon",
        ),
        RuleSpec(
            "Amazon",
            [_cond("merchant", "equals", "amazon")],
            lambda s: s.merchant == "amazon",
            category="shopping",
        ),
        RuleSpec(
            "Large card payments",
            [_cond("amount", "lt", "-250"), _cond("description", "starts_with", "card payment")],
            lambda s: s.amount < -250 and s.description.startswith("card payment"),
            category="travel",
        ),
        RuleSpec(
            "Refunds",
            [_cond("description", "starts_with", "Refund "), _cond("amount", "gt", "0")],
            lambda s: s.description.startswith("refund ") and s.amount > 0,
            category="shopping",
        ),
        RuleSpec(
            "Eating out",
            [_cond("merchant", "contains", name) for name in dining],
            lambda s: any(name in s.merchant for name in dining),
            category="dining",
            match="any",
        ),
        RuleSpec(
            "Chemists",
            [_cond("description", "regex", r"apotheke|rossmann|dm-drogerie|cvs|walgreens")],
            lambda s: any(
                name in s.description
                for name in ("apotheke", "rossmann", "dm-drogerie", "cvs", "walgreens")
            ),
            category="health",
        ),
        RuleSpec(
            "Gym from checking",
            [_cond("account", "equals", checking_id), _cond("merchant", "contains", "gym")],
            lambda s: s.account == "checking" and "gym" in s.merchant,
            category="health",
        ),
        RuleSpec(
            "Savings income",
            [_cond("account", "equals", savings_id), _cond("amount", "gt", "0")],
            lambda s: s.account == "savings" and s.amount > 0,
            category="income",
        ),
        RuleSpec(
            "Keep transfers out",
            [_cond("description", "starts_with", "Monthly saving")],
            lambda s: s.description.startswith("monthly saving"),
            stop=True,
        ),
    ]


def expected_outcome(row: StatementRow, specs: list[RuleSpec]) -> tuple[str | None, str]:
    """(category slug, merchant) the rules should give a row, by the specs' predicates."""
    subject = Subject(
        description=row.description.strip().casefold(),
        merchant=row.merchant.strip().casefold(),
        amount=row.amount,
        account="checking",
    )
    category, merchant = None, row.merchant
    merchant_set = False
    for spec in specs:
        if not spec.expect(subject):
            continue
        if spec.category and category is None:
            category = spec.category
        if spec.set_merchant and not merchant_set:
            merchant, merchant_set = spec.set_merchant, True
            subject.merchant = spec.set_merchant.casefold()
        if spec.stop:
            break
    return category, merchant


# --- Running ------------------------------------------------------------------------------


@dataclass
class ImportRun:
    """One timed import of the file."""

    seconds: float
    phases: dict[str, float]
    created: int
    duplicates: int
    rows_read: int
    status: str
    error: str

    def rate(self, rows: int) -> float:
        return rows / self.seconds if self.seconds else float("inf")


@dataclass
class BenchResult:
    rows: int
    file_bytes: int
    style: str
    rules: int
    database: str
    first: ImportRun
    second: ImportRun
    categorised: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def first_rate(self) -> float:
        return self.first.rate(self.rows)

    @property
    def second_rate(self) -> float:
        return self.second.rate(self.rows)


@contextmanager
def timed_phases(phases: dict[str, float]) -> Iterator[None]:
    """Add the time import_run spends in each phase to ``phases``: parse the file, plan
    (fingerprints, duplicates, matches), insert (rules and the ledger's bulk insert),
    history (category changes), commit; "other" is the rest."""
    from transactions import imports

    def timed(name: str, function: Callable) -> Callable:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                phases[name] = phases.get(name, 0.0) + time.perf_counter() - started

        return wrapper

    from django.db import connection

    with (
        mock.patch.object(imports, "parse_batch_file", timed("parse", imports.parse_batch_file)),
        mock.patch.object(imports, "plan_import", timed("plan", imports.plan_import)),
        mock.patch.object(
            imports, "transactions_bulk_create", timed("insert", imports.transactions_bulk_create)
        ),
        mock.patch.object(
            imports, "category_changes_for_new", timed("history", imports.category_changes_for_new)
        ),
        # Where the database checks the deferred foreign keys of every new row.
        mock.patch.object(connection, "commit", timed("commit", connection.commit)),
    ):
        yield


def timed_import(*, user, account, filename: str, data: bytes) -> ImportRun:
    from transactions import imports

    phases: dict[str, float] = {}
    with timed_phases(phases):
        started = time.perf_counter()
        batch = imports.import_create(user=user, account=account, filename=filename, data=data)
        batch = imports.import_run(batch_id=batch.pk)
        seconds = time.perf_counter() - started
    phases["other"] = seconds - sum(phases.values())
    return ImportRun(
        seconds=seconds,
        phases=phases,
        created=batch.rows_created,
        duplicates=batch.rows_duplicate,
        rows_read=batch.rows_read,
        status=batch.status,
        error=batch.error,
    )


def _create_customer():
    from django.utils import timezone

    from accounts.models import BankAccount
    from accounts.services import account_create, user_signup

    user = user_signup(
        email=f"import-bench-{uuid.uuid4().hex[:12]}@bench.smartbank.example",
        password=uuid.uuid4().hex + "Aa1!",
        full_name="Import Benchmark",
        base_currency="EUR",
        time_zone="Europe/Berlin",
        locale="de-de",
    )
    opened = timezone.localdate() - timedelta(days=31 * (HISTORY_MONTHS + 1))
    checking = account_create(
        user=user,
        name="Geschäftskonto",
        currency="EUR",
        opening_date=opened,
        account_type=BankAccount.Type.CHECKING,
        bank_name="Berliner Volksbank",
        opening_balance=Decimal("5000.00"),
    )
    savings = account_create(
        user=user,
        name="Tagesgeld",
        currency="EUR",
        opening_date=opened,
        account_type=BankAccount.Type.SAVINGS,
        bank_name="Berliner Volksbank",
    )
    return user, checking, savings


def _create_rules(user, specs: list[RuleSpec]) -> None:
    from transactions.models import Category
    from transactions.rule_services import rule_create

    categories = {c.slug: c for c in Category.objects.filter(user=None)}
    for priority, spec in enumerate(specs, start=1):
        rule_create(
            user=user,
            name=spec.name,
            conditions=spec.conditions,
            match=spec.match,
            priority=priority * 10,
            set_category=categories[spec.category] if spec.category else None,
            set_merchant=spec.set_merchant,
            stop_processing=spec.stop,
        )


def _verify(result: BenchResult, *, account, rows: list[StatementRow], specs: list[RuleSpec]):
    from transactions.models import Transaction
    from transactions.services import ledger_differences

    failures = result.failures
    if result.first.status != "done":
        failures.append(f"first import {result.first.status}: {result.first.error}")
    if result.first.created != result.rows:
        failures.append(f"first import created {result.first.created}, not {result.rows}")
    if result.second.created != 0 or result.second.duplicates != result.rows:
        failures.append(
            f"re-import created {result.second.created} and found {result.second.duplicates} "
            f"duplicates; expected 0 and {result.rows}"
        )
    differences = [d for d in ledger_differences() if d.account_id == account.pk]
    if differences:
        failures.append(f"ledger differs: {differences}")
    expected = Counter()
    for row in rows:
        category, merchant = expected_outcome(row, specs)
        expected[(row.txn_date, row.amount, row.description, merchant, category)] += 1
    actual = Counter(
        Transaction.objects.filter(account=account).values_list(
            "txn_date", "amount", "description", "merchant", "category__slug"
        )
    )
    result.categorised = sum(n for key, n in actual.items() if key[4] is not None)
    expected_categorised = sum(n for key, n in expected.items() if key[4] is not None)
    if actual != expected:
        wrong = sum((expected - actual).values())
        sample = list((expected - actual).items())[:3]
        failures.append(
            f"{wrong} rows lack the category or merchant the rules should give them "
            f"(categorised {result.categorised}, expected {expected_categorised}); e.g. {sample}"
        )


def run_bench(*, rows: int, style: str, keep: bool = False) -> BenchResult:
    from django.utils import timezone

    user, checking, savings = _create_customer()
    try:
        specs = rule_specs(checking_id=checking.pk, savings_id=savings.pk)
        _create_rules(user, specs)
        statement = generate_rows(rows, end=timezone.localdate())
        data = statement_csv(statement, style=style, currency=checking.currency)
        filename = f"umsaetze-{rows}.csv" if style == "de" else f"statement-{rows}.csv"
        first = timed_import(user=user, account=checking, filename=filename, data=data)
        second = timed_import(user=user, account=checking, filename=filename, data=data)
        result = BenchResult(
            rows=rows,
            file_bytes=len(data),
            style=style,
            rules=len(specs),
            database=database_label(),
            first=first,
            second=second,
        )
        _verify(result, account=checking, rows=statement, specs=specs)
        return result
    finally:
        if not keep:
            from smartbank.demo import demo_customer_delete

            demo_customer_delete(user)


def _phases(run: ImportRun) -> str:
    return ", ".join(f"{name} {run.phases.get(name, 0.0):.2f} s" for name in PHASES)


def report(result: BenchResult, *, min_rate: float) -> str:
    style = {
        "de": "German-style CSV (UTF-8, semicolons, DD.MM.YYYY, decimal comma)",
        "plain": "plain CSV (commas, ISO dates, decimal point)",
    }[result.style]
    lines = [
        f"SmartBank statement import benchmark on {result.database}",
        f"file: {result.rows:,} rows, {result.file_bytes / 1_000_000:.1f} MB, {style}; "
        f"{result.rules} active rules",
        f"first import: {result.first.created:,} created in {result.first.seconds:.2f} s = "
        f"{result.first_rate:,.0f} rows/s ({_phases(result.first)})",
        f"re-import:    {result.second.duplicates:,} duplicates in {result.second.seconds:.2f} s "
        f"= {result.second_rate:,.0f} rows/s ({_phases(result.second)})",
        f"categorised by the rules: {result.categorised:,} rows "
        f"({result.categorised / result.rows:.1%}), each as its rule predicts",
        f"target {TARGET_ROWS_PER_SECOND:,} rows/s: "
        + ("met" if result.first_rate >= TARGET_ROWS_PER_SECOND else "NOT met"),
    ]
    if min_rate and result.first_rate < min_rate:
        lines.append(f"FAILED: below --min-rate {min_rate:,.0f} rows/s")
    for failure in result.failures:
        lines.append(f"FAILED: {failure}")
    if not result.failures and not (min_rate and result.first_rate < min_rate):
        lines.append("checks passed: every row created once, none again, ledger clean")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the file")
    parser.add_argument("--style", choices=STYLES, default="de", help="how the CSV is written")
    parser.add_argument(
        "--allow-sqlite", action="store_true", help="run on SQLite too (for comparison)"
    )
    parser.add_argument("--keep", action="store_true", help="leave the customer and rows")
    parser.add_argument(
        "--min-rate", type=float, default=0, help="fail below this many rows/s (first import)"
    )
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql" and not args.allow_sqlite:
        print(
            f"Refusing to run on {connection.vendor}: the benchmark is for PostgreSQL. Set "
            "DATABASE_URL=postgres://... or pass --allow-sqlite.",
            file=sys.stderr,
        )
        return 2
    call_command("migrate", verbosity=0)
    result = run_bench(rows=args.rows, style=args.style, keep=args.keep)
    print(report(result, min_rate=args.min_rate))
    failed = bool(result.failures) or bool(args.min_rate and result.first_rate < args.min_rate)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
