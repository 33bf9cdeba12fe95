"""Every insight equals an independent computation over the same rows, to the cent.

The expected figures come from raw SQL over ``transactions_transaction`` (not through the
code under test: no ORM, no ``grouped_totals``, no ``accounts.currency``), summing amounts
as integer cents per currency and day (``ROUND(amount * 100)``, so it works on SQLite's
floats too), then converting each day's sum with this test's own rate table, resolved by
its own "latest on or before" lookup (``history.TableRates``), and rounding each figure
once. The data: seeded random histories of customers in Auckland, Los Angeles and London
(base currencies NZD, USD, GBP) with accounts in five currencies, refunds, transfers,
uncategorised rows and rows without a merchant; time is frozen where it is already the
next day in Auckland. Each insight is compared through the API, for the default range and
with date, account and category filters.
"""

import datetime
import decimal
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import pytest
import time_machine
from django.db import connection

from conftest import client_for
from insights.tests.history import (
    PROFILES,
    History,
    TableRates,
    build_history,
    currencies_of,
    random_rates,
    store_rates,
)
from smartbank.dates import add_months

pytestmark = pytest.mark.django_db

START = datetime.date(2025, 1, 10)
END = datetime.date(2025, 6, 20)
# 13:00 UTC on END: still END in Los Angeles and London, already END + 1 in Auckland.
NOW = datetime.datetime(2025, 6, 20, 13, 0, tzinfo=datetime.UTC)
SEED = 20250620

CENT = Decimal("0.01")
_EXACT = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_EVEN)
LIQUID_TYPES = ("checking", "savings", "cash")


@dataclass
class World:
    history: History
    rates: TableRates


@pytest.fixture
def world():
    with time_machine.travel(NOW, tick=False):
        table = random_rates(
            seed=SEED,
            currencies=currencies_of(PROFILES),
            start=START - datetime.timedelta(days=20),
            end=END + datetime.timedelta(days=10),
        )
        store_rates(table)
        history = build_history(seed=SEED, start=START, end=END, per_month=25)
        yield World(history=history, rates=TableRates(table))


# --- The independent computation --------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """The sums of one (currency, day, category, merchant) group, in integer cents."""

    currency: str
    day: datetime.date
    category_id: int | None
    merchant: str
    in_cents: int
    out_cents: int  # negative
    in_count: int
    out_count: int


def _day(value) -> datetime.date:
    # SQLite's cursor gives text, PostgreSQL's a date.
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def sql_cells(
    user,
    *,
    date_from: datetime.date | None,
    date_to: datetime.date | None,
    account_id: int | None = None,
    category_ids: list[int] | None = None,
) -> list[Cell]:
    """The customer's non-transfer rows, summed per currency, day, category and merchant."""
    where = ["t.user_id = %s", "t.kind <> 'transfer'"]
    params: list = [user.pk]
    if date_from is not None:
        where.append("t.txn_date >= %s")
        params.append(date_from)
    if date_to is not None:
        where.append("t.txn_date <= %s")
        params.append(date_to)
    if account_id is not None:
        where.append("t.account_id = %s")
        params.append(account_id)
    if category_ids is not None:
        where.append(f"t.category_id IN ({', '.join(['%s'] * len(category_ids))})")
        params.extend(category_ids)
    cents = "CAST(ROUND(t.amount * 100) AS BIGINT)"
    sql = f"""
        SELECT t.currency, t.txn_date, t.category_id, t.merchant,
               SUM(CASE WHEN t.amount > 0 THEN {cents} ELSE 0 END),
               SUM(CASE WHEN t.amount < 0 THEN {cents} ELSE 0 END),
               SUM(CASE WHEN t.amount > 0 THEN 1 ELSE 0 END),
               SUM(CASE WHEN t.amount < 0 THEN 1 ELSE 0 END)
        FROM transactions_transaction t
        WHERE {" AND ".join(where)}
        GROUP BY t.currency, t.txn_date, t.category_id, t.merchant
    """  # noqa: S608 - the clauses are this test's constants; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [
            Cell(cur, _day(day), cat, merchant, int(i), int(o), int(ic), int(oc))
            for cur, day, cat, merchant, i, o, ic, oc in cursor.fetchall()
        ]


def sql_category_ids(user, slugs: list[str]) -> list[int]:
    """What the customer means by these slugs: the defaults and their own of that name."""
    placeholders = ", ".join(["%s"] * len(slugs))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM transactions_category WHERE slug IN ({placeholders}) "  # noqa: S608
            "AND (user_id IS NULL OR user_id = %s)",
            [*slugs, user.pk],
        )
        return sorted(row[0] for row in cursor.fetchall())


def sql_category_names(ids) -> dict[int, tuple[str, str]]:
    ids = [i for i in ids if i is not None]
    if not ids:
        return {}
    placeholders = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, slug, name FROM transactions_category WHERE id IN ({placeholders})",  # noqa: S608
            ids,
        )
        return {row[0]: (row[1], row[2]) for row in cursor.fetchall()}


def sql_liquid_balances(user, *, day: datetime.date, account_id: int | None):
    """Each liquid account's opening balance plus every row of it up to ``day``, in cents
    (transfers included): the ledger's definition, not the stored balance."""
    where = ["a.user_id = %s", "a.account_type IN ('checking', 'savings', 'cash')"]
    params: list = [day, user.pk]
    where.append("a.opening_date <= %s")
    params.append(day)
    if account_id is not None:
        where.append("a.id = %s")
        params.append(account_id)
    sql = f"""
        SELECT a.currency,
               CAST(ROUND(a.opening_balance * 100) AS BIGINT),
               COALESCE((SELECT SUM(CAST(ROUND(t.amount * 100) AS BIGINT))
                         FROM transactions_transaction t
                         WHERE t.account_id = a.id AND t.txn_date <= %s), 0)
        FROM accounts_bankaccount a
        WHERE {" AND ".join(where)}
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(currency, int(opening) + int(moved)) for currency, opening, moved in cursor]


class Expect:
    """Converts sums of cents into the customer's base currency with the test's rates."""

    def __init__(self, world: World, user) -> None:
        self.rates = world.rates
        self.base = user.base_currency

    def money(self, dated_cents) -> str:
        """Each (currency, day, cents) at its day's rate, summed exactly, rounded once."""
        total = Decimal(0)
        with decimal.localcontext(_EXACT):
            for currency, day, cents in dated_cents:
                total += Decimal(cents) / 100 * self.rates.rate(currency, self.base, day)
        return str(total.quantize(CENT, rounding=decimal.ROUND_HALF_EVEN))


def positive(text: str) -> str:
    """Minus a money string, for money out shown positive."""
    return str(Decimal(0) - Decimal(text))


def flows(expect: Expect, cells: list[Cell]) -> dict:
    money_in = expect.money((c.currency, c.day, c.in_cents) for c in cells)
    money_out = positive(expect.money((c.currency, c.day, c.out_cents) for c in cells))
    return {
        "in": money_in,
        "out": money_out,
        "net": str(Decimal(money_in) - Decimal(money_out)),
        "count": sum(c.in_count + c.out_count for c in cells),
    }


def period_key(day: datetime.date, period: str) -> datetime.date:
    if period == "month":
        return day.replace(day=1)
    return day - datetime.timedelta(days=day.isoweekday() - 1)


def next_period(start: datetime.date, period: str) -> datetime.date:
    if period == "month":
        return add_months(start, 1)
    return start + datetime.timedelta(days=7)


def expected_periods(expect: Expect, cells, date_from, date_to, period: str) -> list[dict]:
    buckets = defaultdict(list)
    for cell in cells:
        buckets[period_key(cell.day, period)].append(cell)
    periods = []
    start = period_key(date_from, period)
    while start <= date_to:
        end = next_period(start, period) - datetime.timedelta(days=1)
        periods.append(
            {"start": start.isoformat(), "end": end.isoformat()}
            | flows(expect, buckets.get(start, []))
        )
        start = next_period(start, period)
    return periods


def spending_by(expect: Expect, cells, key) -> dict:
    """Minus the converted sum of each group's rows, for the groups where it is positive."""
    groups = defaultdict(list)
    for cell in cells:
        groups[key(cell)].append(cell)
    found = {}
    for name, group in groups.items():
        net = expect.money((c.currency, c.day, c.in_cents + c.out_cents) for c in group)
        if Decimal(net) < 0:
            found[name] = (positive(net), sum(c.in_count + c.out_count for c in group))
    return found


def expected_categories(expect: Expect, cells) -> tuple[list[dict], str]:
    spent = spending_by(expect, cells, lambda c: c.category_id)
    names = sql_category_names(spent)
    total = sum((Decimal(amount) for amount, _ in spent.values()), Decimal("0.00"))
    rows = []
    for category_id, (amount, count) in spent.items():
        slug, name = names.get(category_id, (None, "Uncategorised"))
        share = (Decimal(amount) * 100 / total).quantize(CENT, rounding=decimal.ROUND_HALF_EVEN)
        rows.append(
            {
                "category": slug,
                "category_name": name,
                "spending": amount,
                "share": str(share),
                "count": count,
                "_id": category_id or 0,
            }
        )
    rows.sort(key=lambda row: (-Decimal(row["spending"]), row["category_name"], row["_id"]))
    for row in rows:
        del row["_id"]
    return rows, str(total)


# --- The cases --------------------------------------------------------------------------


def local_today(user) -> datetime.date:
    return NOW.astimezone(user.zone).date()


def default_range(user) -> tuple[datetime.date, datetime.date]:
    """The documented default: the twelve calendar months up to the customer's today."""
    today = local_today(user)
    return add_months(today.replace(day=1), -11), today


def filter_cases(customer):
    """(query parameters, date_from, date_to, account id, category slugs) for a customer."""
    user = customer.user
    checking, _, card, fourth = customer.accounts
    first, last = default_range(user)
    return [
        ({}, first, last, None, None),
        (
            {"date_from": "2025-02-15", "date_to": "2025-05-10"},
            *_days("2025-02-15", "2025-05-10"),
            None,
            None,
        ),
        ({"account": str(fourth.pk)}, first, last, fourth.pk, None),
        ({"categories": "groceries,dining"}, first, last, None, ["groceries", "dining"]),
        (
            {
                "account": str(card.pk),
                "category": "shopping",
                "start_date": "2025-03-01",
                "end_date": "2025-06-21",
            },
            *_days("2025-03-01", "2025-06-21"),
            card.pk,
            ["shopping"],
        ),
        (
            {"date_to": "2025-04-30", "account": str(checking.pk)},
            datetime.date(2024, 5, 1),
            datetime.date(2025, 4, 30),
            checking.pk,
            None,
        ),
    ]


def _days(first: str, last: str) -> tuple[datetime.date, datetime.date]:
    return datetime.date.fromisoformat(first), datetime.date.fromisoformat(last)


def cases(world: World):
    for customer in world.history.customers:
        client = client_for(customer.user)
        expect = Expect(world, customer.user)
        for params, date_from, date_to, account_id, slugs in filter_cases(customer):
            category_ids = sql_category_ids(customer.user, slugs) if slugs else None
            cells = sql_cells(
                customer.user,
                date_from=date_from,
                date_to=date_to,
                account_id=account_id,
                category_ids=category_ids,
            )
            yield customer, client, expect, params, date_from, date_to, cells


def get(client, url: str, params: dict) -> dict:
    with time_machine.travel(NOW, tick=False):
        response = client.get(url, params)
    assert response.status_code == 200, (url, params, response.json())
    return response.json()


def echo(customer, date_from, date_to) -> dict:
    return {
        "currency": customer.user.base_currency,
        "date_from": date_from.isoformat(),
        "date_to": date_to.isoformat(),
    }


# --- The comparisons --------------------------------------------------------------------


def test_the_history_has_what_the_comparison_needs(world):
    """Otherwise the comparisons below could pass on a history that tests nothing."""
    for customer in world.history.customers:
        cells = sql_cells(customer.user, date_from=None, date_to=None)
        currencies = {c.currency for c in cells}
        assert len(currencies) >= 2 and customer.user.base_currency in currencies
        refunds = [c for c in cells if c.in_cents and c.merchant not in ("Employer Ltd", "")]
        assert refunds, "refunds at merchants"
        assert any(c.category_id is None for c in cells), "uncategorised rows"
        assert any(c.merchant == "" for c in cells), "rows without a merchant"
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*), COUNT(DISTINCT currency) FROM transactions_transaction "
                "WHERE user_id = %s AND kind = 'transfer'",
                [customer.user.pk],
            )
            transfers, transfer_currencies = cursor.fetchone()
        assert transfers >= 10 and transfer_currencies >= 2
    todays = {c.profile.name: local_today(c.user) for c in world.history.customers}
    assert todays["auckland"] == END + datetime.timedelta(days=1)
    assert todays["los-angeles"] == todays["london"] == END


def test_cash_flow_matches_sql(world):
    compared = 0
    for customer, client, expect, params, date_from, date_to, cells in cases(world):
        body = get(client, "/api/v1/insights/cash-flow/", params)
        whole = flows(expect, cells)
        months = expected_periods(expect, cells, date_from, date_to, "month")
        assert body == echo(customer, date_from, date_to) | {
            "months": [
                {
                    "start": m["start"],
                    "end": m["end"],
                    "income": m["in"],
                    "expenses": m["out"],
                    "net": m["net"],
                    "count": m["count"],
                }
                for m in months
            ],
            "income": whole["in"],
            "expenses": whole["out"],
            "net": whole["net"],
            "count": whole["count"],
        }, (customer.profile.name, params)
        compared += whole["count"]
    assert compared > 500


@pytest.mark.parametrize("period", ["month", "week"])
def test_trends_match_sql(world, period):
    for customer, client, expect, params, date_from, date_to, cells in cases(world):
        body = get(client, "/api/v1/insights/trends/", params | {"period": period})
        whole = flows(expect, cells)
        periods = expected_periods(expect, cells, date_from, date_to, period)
        assert body == echo(customer, date_from, date_to) | {
            "period": period,
            "periods": [
                {
                    "start": p["start"],
                    "end": p["end"],
                    "deposits": p["in"],
                    "spending": p["out"],
                    "net": p["net"],
                    "count": p["count"],
                }
                for p in periods
            ],
            "deposits": whole["in"],
            "spending": whole["out"],
            "net": whole["net"],
        }, (customer.profile.name, params)


@pytest.mark.parametrize("limit", [None, 3, 100])
def test_merchants_match_sql(world, limit):
    for customer, client, expect, params, date_from, date_to, cells in cases(world):
        query = params if limit is None else params | {"limit": str(limit)}
        body = get(client, "/api/v1/insights/merchants/", query)
        spent = spending_by(expect, [c for c in cells if c.merchant], lambda c: c.merchant)
        ranked = sorted(spent.items(), key=lambda item: (-Decimal(item[1][0]), item[0]))
        assert body == echo(customer, date_from, date_to) | {
            "limit": limit or 10,
            "merchants": [
                {"merchant": merchant, "spending": amount, "count": count}
                for merchant, (amount, count) in ranked[: limit or 10]
            ],
        }, (customer.profile.name, query)
        if limit == 100:
            assert "Employer Ltd" not in {row["merchant"] for row in body["merchants"]}


def test_categories_match_sql(world):
    uncategorised_seen = False
    for customer, client, expect, params, date_from, date_to, cells in cases(world):
        body = get(client, "/api/v1/insights/categories/", params)
        rows, total = expected_categories(expect, cells)
        assert body == echo(customer, date_from, date_to) | {
            "categories": rows,
            "total_spending": total,
        }, (customer.profile.name, params)
        uncategorised_seen |= any(row["category"] is None for row in rows)
    assert uncategorised_seen


def money_out(expect: Expect, *, user, **filters) -> Decimal:
    cells = sql_cells(user, **filters)
    return Decimal(positive(expect.money((c.currency, c.day, c.out_cents) for c in cells)))


def test_burn_rate_matches_sql(world):
    for customer in world.history.customers:
        client = client_for(customer.user)
        expect = Expect(world, customer.user)
        checking, _, card, fourth = customer.accounts
        today = local_today(customer.user)
        burn_cases = [
            ({}, today, None, None),
            ({"date_to": "2025-05-15"}, datetime.date(2025, 5, 15), None, None),
            (
                {"end_date": "2025-03-31", "account": str(checking.pk)},
                datetime.date(2025, 3, 31),
                checking.pk,
                None,
            ),
            ({"account": str(card.pk)}, today, card.pk, None),
            ({"account": str(fourth.pk)}, today, fourth.pk, None),
            ({"categories": "dining,groceries"}, today, None, ["dining", "groceries"]),
        ]
        for params, as_of, account_id, slugs in burn_cases:
            category_ids = sql_category_ids(customer.user, slugs) if slugs else None

            scope = {"user": customer.user, "account_id": account_id, "category_ids": category_ids}
            spent_30 = money_out(
                expect, date_from=as_of - datetime.timedelta(days=29), date_to=as_of, **scope
            )
            spent_90 = money_out(
                expect, date_from=as_of - datetime.timedelta(days=89), date_to=as_of, **scope
            )
            month_to_date = money_out(
                expect, date_from=as_of.replace(day=1), date_to=as_of, **scope
            )
            days_left = (add_months(as_of.replace(day=1), 1) - as_of).days - 1
            balances = sql_liquid_balances(customer.user, day=as_of, account_id=account_id)
            liquid = (
                Decimal(expect.money((cur, as_of, cents) for cur, cents in balances))
                if balances
                else None
            )
            runway = None
            if liquid is not None and spent_30 > 0:
                runway = int(max(liquid, Decimal(0)) * 30 // spent_30)
            with decimal.localcontext(_EXACT):
                projected = month_to_date + spent_30 * days_left / 30
            body = get(client, "/api/v1/insights/burn-rate/", params)
            assert body == echo(customer, as_of - datetime.timedelta(days=89), as_of) | {
                "spending_30_days": str(spent_30),
                "spending_90_days": str(spent_90),
                "average_daily_30_days": str((spent_30 / 30).quantize(CENT)),
                "average_daily_90_days": str((spent_90 / 90).quantize(CENT)),
                "month_to_date_spending": str(month_to_date),
                "days_left_in_month": days_left,
                "projected_month_end_spending": str(projected.quantize(CENT)),
                "liquid_balance": None if liquid is None else str(liquid),
                "runway_days": runway,
            }, (customer.profile.name, params)
            if account_id == card.pk:
                assert body["liquid_balance"] is None and body["runway_days"] is None
            if not params:
                assert spent_30 > 0 and runway is not None


def test_transaction_metrics_match_sql(world):
    for customer in world.history.customers:
        client = client_for(customer.user)
        expect = Expect(world, customer.user)
        _, savings, card, fourth = customer.accounts
        metric_cases = [
            ({}, None, None, None, None),
            (
                {"date_from": "2025-03-01", "date_to": "2025-03-31"},
                *_days("2025-03-01", "2025-03-31"),
                None,
                None,
            ),
            ({"account": str(fourth.pk)}, None, None, fourth.pk, None),
            (
                {"account": str(savings.pk), "start_date": "2025-02-01"},
                datetime.date(2025, 2, 1),
                None,
                savings.pk,
                None,
            ),
            (
                {"categories": "groceries,shopping", "end_date": "2025-05-31"},
                None,
                datetime.date(2025, 5, 31),
                None,
                ["groceries", "shopping"],
            ),
            ({"category": "dining", "account": str(card.pk)}, None, None, card.pk, ["dining"]),
        ]
        for params, date_from, date_to, account_id, slugs in metric_cases:
            cells = sql_cells(
                customer.user,
                date_from=date_from,
                date_to=date_to,
                account_id=account_id,
                category_ids=sql_category_ids(customer.user, slugs) if slugs else None,
            )
            spent = positive(expect.money((c.currency, c.day, c.out_cents) for c in cells))
            expenses = sum(c.out_count for c in cells)
            rows, _ = expected_categories(expect, cells)
            body = get(client, "/api/v1/transactions/metrics/", params)
            assert body == {
                "currency": customer.user.base_currency,
                "date_from": date_from and date_from.isoformat(),
                "date_to": date_to and date_to.isoformat(),
                "total_spent": spent,
                "expense_count": expenses,
                "average_transaction": str((Decimal(spent) / expenses).quantize(CENT))
                if expenses
                else None,
                "money_in": expect.money((c.currency, c.day, c.in_cents) for c in cells),
                "income_count": sum(c.in_count for c in cells),
                "top_categories": rows[:5],
            }, (customer.profile.name, params)
