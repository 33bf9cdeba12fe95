"""Reads behind the customer insights: cash flow, merchants, categories, trends, burn rate.

One meaning everywhere (DESIGN.md, "What the numbers mean"): transfers never count; money in
is the sum of positive amounts, money out minus the sum of negative ones (shown positive);
spending in a category or at a merchant is minus the sum of its amounts, so refunds reduce
it; periods are taken on ``txn_date``; every total is in the customer's base currency,
summed by ``insights.aggregates.grouped_totals`` (grouped in the database, converted per day,
rounded once). So each insight costs a fixed number of queries however long the history.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncMonth, TruncWeek

from accounts.currency import converted_total, rate_book_for
from accounts.models import BankAccount, User
from insights.aggregates import (
    EXPENSE_COUNT,
    MONEY_IN,
    MONEY_OUT,
    NET,
    ZERO,
    grouped_totals,
    total,
    totals_by,
)
from smartbank.money import quantize_money
from transactions.models import Category, Transaction

MONTH = "month"
WEEK = "week"
PERIODS = (MONTH, WEEK)

ROW_COUNT = Count("id")


@dataclass(frozen=True)
class InsightScope:
    """Who and which rows: the parsed filters of an insights request."""

    user: User
    date_from: datetime.date
    date_to: datetime.date
    account: BankAccount | None = None
    categories: tuple[Category, ...] = ()  # empty: every category

    @property
    def currency(self) -> str:
        return self.user.base_currency


def scope_rows(scope: InsightScope) -> QuerySet[Transaction]:
    """The scope's non-transfer rows (owner, dates inclusive, account, categories)."""
    rows = (
        Transaction.objects.for_user(scope.user)
        .non_transfer()
        .filter(txn_date__gte=scope.date_from, txn_date__lte=scope.date_to)
    )
    if scope.account is not None:
        rows = rows.filter(account=scope.account)
    if scope.categories:
        rows = rows.filter(category__in=[category.pk for category in scope.categories])
    return rows


# --- Periods ----------------------------------------------------------------------------


def period_start(day: datetime.date, period: str) -> datetime.date:
    """The first day of the month, or the Monday of the ISO week, that holds ``day``."""
    if period == MONTH:
        return day.replace(day=1)
    if period == WEEK:
        return day - datetime.timedelta(days=day.weekday())
    raise ValueError(f"Unknown period {period!r}; expected one of {', '.join(PERIODS)}.")


def period_end(start: datetime.date, period: str) -> datetime.date:
    """The last day of the period that begins on ``start``."""
    if period == MONTH:
        return start.replace(day=calendar.monthrange(start.year, start.month)[1])
    return start + datetime.timedelta(days=6)


def period_starts(date_from: datetime.date, date_to: datetime.date, period: str):
    """The start of every period touching ``date_from``..``date_to``, oldest first."""
    start = period_start(date_from, period)
    while start <= date_to:
        yield start
        start = period_end(start, period) + datetime.timedelta(days=1)


def _truncate(period: str):
    if period == MONTH:
        return TruncMonth("txn_date")
    if period == WEEK:
        return TruncWeek("txn_date")
    raise ValueError(f"Unknown period {period!r}; expected one of {', '.join(PERIODS)}.")


def _positive(amount: Decimal) -> Decimal:
    """Minus a sum of money out, shown positive; never "-0.00" (as unary minus would give)."""
    return ZERO - amount


def _as_date(value) -> datetime.date:
    # TruncWeek on a DateField gives a date on every backend, but be strict about datetimes.
    if isinstance(value, datetime.datetime):
        return value.date()
    return value


# --- Cash flow --------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodFlow:
    start: datetime.date  # first day of the month / the Monday of the week
    end: datetime.date  # last day of that period
    money_in: Decimal  # positive
    money_out: Decimal  # POSITIVE (minus the sum of negative amounts)
    net: Decimal  # money_in - money_out
    count: int  # non-transfer rows


@dataclass(frozen=True)
class CashFlow:
    currency: str
    date_from: datetime.date
    date_to: datetime.date
    periods: list[PeriodFlow]  # every period in the range, zero periods included, oldest first
    money_in: Decimal
    money_out: Decimal
    net: Decimal
    count: int
    period: str = MONTH  # what periods holds: "month" or "week"


_FLOW_SUMS = {"money_in": MONEY_IN, "money_out": MONEY_OUT}


def cash_flow(*, scope: InsightScope, period: str = MONTH) -> CashFlow:
    """Money in, money out and net per calendar month (or ISO week) of the scope's range.

    A period is the whole calendar month or Monday-to-Sunday week holding its days, but only
    rows inside ``date_from``..``date_to`` count, so the first and last periods may be
    partial. Every period of the range is listed, those with no rows as zeros. The totals
    are the sums of the converted rows themselves, each rounded once (not the sum of the
    rounded periods), so they equal ``total()`` over the same rows. One grouped query (plus
    two for rates when an account is in another currency).
    """
    currency = scope.currency
    found = totals_by(
        scope_rows(scope),
        currency=currency,
        group_by={"period": _truncate(period)},
        sums=_FLOW_SUMS,
        counts={"count": ROW_COUNT},
    )
    by_start = {_as_date(key[0]): sums for key, sums in found.groups.items()}
    periods = []
    for start in period_starts(scope.date_from, scope.date_to, period):
        sums = by_start.get(start)
        money_in = sums["money_in"] if sums else ZERO
        money_out = _positive(sums["money_out"]) if sums else ZERO
        periods.append(
            PeriodFlow(
                start=start,
                end=period_end(start, period),
                money_in=money_in,
                money_out=money_out,
                net=money_in - money_out,
                count=sums["count"] if sums else 0,
            )
        )
    # The range's totals over the rows themselves, rounded once like every total: with rows
    # in another currency they may differ by a cent from the sum of the rounded periods.
    money_in = found.overall["money_in"]
    money_out = _positive(found.overall["money_out"])
    return CashFlow(
        currency=currency,
        date_from=scope.date_from,
        date_to=scope.date_to,
        periods=periods,
        money_in=money_in,
        money_out=money_out,
        net=money_in - money_out,
        count=sum(p.count for p in periods),
        period=period,
    )


# --- Merchants --------------------------------------------------------------------------


@dataclass(frozen=True)
class MerchantSpending:
    merchant: str
    spending: Decimal  # minus the sum of the merchant's rows: refunds reduce it
    count: int  # the merchant's non-transfer rows, refunds included


@dataclass(frozen=True)
class MerchantBreakdown:
    currency: str
    date_from: datetime.date
    date_to: datetime.date
    merchants: list[MerchantSpending]  # the top ``limit``, most spent first
    limit: int


def merchant_spending(*, scope: InsightScope, limit: int) -> MerchantBreakdown:
    """The ``limit`` merchants the customer spent most at in the scope, with row counts.

    A merchant is the merchant text as stored, exactly. Rows with no merchant are left out
    (they are no merchant's), and so are merchants whose spending nets to zero or less
    (a payer of income, or refunds exceeding purchases). Ties are ordered by name. One
    grouped query (plus two for rates): the ranking needs every merchant's converted total,
    so it is done after conversion, not with LIMIT in the database.
    """
    found = grouped_totals(
        scope_rows(scope).exclude(merchant=""),
        currency=scope.currency,
        group_by={"merchant": "merchant"},
        sums={"net": NET},
        counts={"count": ROW_COUNT},
    )
    merchants = [
        MerchantSpending(merchant=key[0], spending=_positive(sums["net"]), count=sums["count"])
        for key, sums in found.items()
        if sums["net"] < 0
    ]
    merchants.sort(key=lambda item: (-item.spending, item.merchant))
    return MerchantBreakdown(
        currency=scope.currency,
        date_from=scope.date_from,
        date_to=scope.date_to,
        merchants=merchants[:limit],
        limit=limit,
    )


# --- Categories -------------------------------------------------------------------------

UNCATEGORISED = "Uncategorised"
PERCENT = Decimal("0.01")


@dataclass(frozen=True)
class CategorySpending:
    category_id: int | None  # None: uncategorised rows
    slug: str | None
    name: str
    spending: Decimal  # minus the sum of the category's rows: refunds reduce it
    count: int  # the category's non-transfer rows, refunds included
    share: Decimal  # percent of total_spending, 2 decimals


@dataclass(frozen=True)
class CategoryBreakdown:
    currency: str
    date_from: datetime.date
    date_to: datetime.date
    categories: list[CategorySpending]  # most spent first
    total_spending: Decimal  # the sum of the categories listed


_CATEGORY_KEYS = {"id": "category_id", "slug": "category__slug", "name": "category__name"}


def _category_spending(rows: QuerySet[Transaction], currency: str) -> list[CategorySpending]:
    """Each category with positive spending in ``rows``, most first, shares of their sum."""
    found = grouped_totals(
        rows,
        currency=currency,
        group_by=_CATEGORY_KEYS,
        sums={"net": NET},
        counts={"count": ROW_COUNT},
    )
    return _categories_ranked(found)


def _categories_ranked(found: dict[tuple, dict]) -> list[CategorySpending]:
    """Categories (groups keyed by _CATEGORY_KEYS, with "net" and "count") spending > 0."""
    spent = [
        (key, _positive(sums["net"]), sums["count"])
        for key, sums in found.items()
        if sums["net"] < 0
    ]
    total_spending = sum((spending for _, spending, _ in spent), ZERO)
    categories = [
        CategorySpending(
            category_id=category_id,
            slug=slug,
            name=name if category_id is not None else UNCATEGORISED,
            spending=spending,
            count=count,
            share=(spending * 100 / total_spending).quantize(PERCENT),
        )
        for (category_id, slug, name), spending, count in spent
    ]
    categories.sort(key=lambda item: (-item.spending, item.name, item.category_id or 0))
    return categories


def category_spending(*, scope: InsightScope) -> CategoryBreakdown:
    """Spending per category in the scope, with each one's share of the total, in percent.

    Uncategorised rows are a row of their own (``category_id`` None, "Uncategorised").
    Only categories whose spending is positive are listed: one that nets to zero or less
    (an income category such as salary, or refunds exceeding purchases) is no spending, and
    a negative share would make the rest add up to more than 100. ``total_spending`` is the
    sum of the listed amounts and each share is spending / total_spending * 100, rounded
    half to even to 2 decimals (so the shares may add up to 100 +- a few hundredths). One
    grouped query (plus two for rates).
    """
    categories = _category_spending(scope_rows(scope), scope.currency)
    return CategoryBreakdown(
        currency=scope.currency,
        date_from=scope.date_from,
        date_to=scope.date_to,
        categories=categories,
        total_spending=sum((item.spending for item in categories), ZERO),
    )


# --- Burn rate --------------------------------------------------------------------------

# Money the customer can spend: not a card's credit, a loan, or investments.
LIQUID_ACCOUNT_TYPES = (
    BankAccount.Type.CHECKING,
    BankAccount.Type.SAVINGS,
    BankAccount.Type.CASH,
)
SHORT_WINDOW_DAYS = 30
LONG_WINDOW_DAYS = 90


@dataclass(frozen=True)
class BurnRate:
    currency: str
    date_from: datetime.date  # the first day of the 90-day window
    date_to: datetime.date  # the day it is measured up to (default the customer's today)
    spending_30_days: Decimal  # money out over the 30 days up to date_to
    spending_90_days: Decimal
    average_daily_30_days: Decimal  # spending_30_days / 30
    average_daily_90_days: Decimal  # spending_90_days / 90
    month_to_date_spending: Decimal  # money out from the 1st of date_to's month to date_to
    days_left_in_month: int  # days after date_to in its month
    projected_month_end_spending: Decimal
    liquid_balance: Decimal | None  # checking, savings and cash at date_to; None: none in scope
    runway_days: int | None  # None when nothing is spent (or no liquid account in scope)


def burn_rate(*, scope: InsightScope) -> BurnRate:
    """How fast money goes out, and how long the customer's liquid money lasts at that pace.

    Measured up to ``scope.date_to`` (the customer's today unless asked otherwise): money out
    (cash-flow terms: refunds do not reduce it, transfers never count) over the last 30 and
    90 days, both ends included, divided by 30 and 90 whatever the history's length.
    The projection is month-to-date money out plus the exact 30-day average times the days
    left in the month, rounded once. The runway is the liquid balance (checking, savings and
    cash accounts in scope, each as it stood at the end of ``date_to``, converted at that
    day's rate) divided by the 30-day average, in whole days; 0 when the balance is zero or
    below, None when the average is zero or no liquid account is in scope. With a category
    filter the pace is that of those categories' spending.

    Queries: one grouped over the 90 days and one over the accounts' balances, plus two for
    rates each when an account is in another currency.
    """
    as_of = scope.date_to
    window_30 = as_of - datetime.timedelta(days=SHORT_WINDOW_DAYS - 1)
    window_90 = as_of - datetime.timedelta(days=LONG_WINDOW_DAYS - 1)
    month_start = as_of.replace(day=1)
    rows = scope_rows(
        InsightScope(
            user=scope.user,
            date_from=window_90,
            date_to=as_of,
            account=scope.account,
            categories=scope.categories,
        )
    )
    out = total(
        rows,
        currency=scope.currency,
        sums={
            "days_90": MONEY_OUT,
            "days_30": Sum("amount", filter=Q(amount__lt=0, txn_date__gte=window_30)),
            "month": Sum("amount", filter=Q(amount__lt=0, txn_date__gte=month_start)),
        },
    )
    spending_30, spending_90 = _positive(out["days_30"]), _positive(out["days_90"])
    month_to_date = _positive(out["month"])
    days_left = (period_end(month_start, MONTH) - as_of).days
    liquid = liquid_balance(user=scope.user, day=as_of, account=scope.account)
    runway = None
    if liquid is not None and spending_30 > 0:
        # balance / (spending_30 / 30), in whole days, without rounding the average first.
        runway = int(max(liquid, ZERO) * SHORT_WINDOW_DAYS // spending_30)
    return BurnRate(
        currency=scope.currency,
        date_from=window_90,
        date_to=as_of,
        spending_30_days=spending_30,
        spending_90_days=spending_90,
        average_daily_30_days=quantize_money(spending_30 / SHORT_WINDOW_DAYS),
        average_daily_90_days=quantize_money(spending_90 / LONG_WINDOW_DAYS),
        month_to_date_spending=month_to_date,
        days_left_in_month=days_left,
        projected_month_end_spending=quantize_money(
            month_to_date + spending_30 * days_left / SHORT_WINDOW_DAYS
        ),
        liquid_balance=liquid,
        runway_days=runway,
    )


def liquid_balance(
    *, user: User, day: datetime.date, account: BankAccount | None = None
) -> Decimal | None:
    """The customer's checking, savings and cash money at the end of ``day``, in base currency.

    Each account's balance as it stood then (its balance less its rows dated after ``day``,
    transfers included: they moved the money), converted at ``day``'s rate and summed,
    rounded once. Accounts opened after ``day`` did not exist yet. With ``account``, only
    that one. None when no such account is in scope. One query, plus two for rates.
    """
    accounts = BankAccount.objects.for_user(user).filter(
        account_type__in=LIQUID_ACCOUNT_TYPES, opening_date__lte=day
    )
    if account is not None:
        accounts = accounts.filter(pk=account.pk)
    # A correlated subquery, not a join with a filtered sum: the (account, -txn_date) index
    # then reads only the rows after ``day`` (none for today), not every row of the account.
    later = (
        Transaction.objects.filter(account=OuterRef("pk"), txn_date__gt=day)
        .order_by()
        .values("account")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    balances = accounts.order_by().annotate(later=Subquery(later))
    amounts = [
        (currency, day, balance - (later or 0))
        for currency, balance, later in balances.values_list("currency", "balance", "later")
    ]
    if not amounts:
        return None
    currency = user.base_currency
    return converted_total(amounts, currency, rate_book_for(amounts, {currency}))


# --- Transaction metrics ----------------------------------------------------------------

TOP_CATEGORIES = 5


@dataclass(frozen=True)
class TransactionMetrics:
    currency: str
    date_from: datetime.date | None  # the list's filter as given; None: not given
    date_to: datetime.date | None
    total_spent: Decimal  # money out, positive
    expense_count: int  # rows with money out
    average_transaction: Decimal | None  # total_spent / expense_count; None without any
    money_in: Decimal
    income_count: int
    top_categories: list[CategorySpending]  # the TOP_CATEGORIES most spent in


def transaction_metrics(
    *,
    rows: QuerySet[Transaction],
    currency: str,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> TransactionMetrics:
    """Totals over ``rows`` (a customer's filtered transaction list), transfers left out.

    ``total_spent`` is money out (cash-flow terms: refunds are money in, not less spent) and
    ``average_transaction`` the average money-out row. ``top_categories`` ranks categories by
    spending (net of refunds), each with its share of all the positive category spending of
    these rows, as ``category_spending`` does. ``date_from``/``date_to`` are the dates the
    rows were filtered on, echoed. One grouped query (plus rates).
    """
    found = totals_by(
        rows.non_transfer(),
        currency=currency,
        group_by=_CATEGORY_KEYS,
        sums=_FLOW_SUMS | {"net": NET},
        counts={
            "count": ROW_COUNT,
            "expenses": EXPENSE_COUNT,
            "income": Count("id", filter=Q(amount__gt=0)),
        },
    )
    flow = found.overall
    spent, expenses = _positive(flow["money_out"]), flow["expenses"]
    return TransactionMetrics(
        currency=currency,
        date_from=date_from,
        date_to=date_to,
        total_spent=spent,
        expense_count=expenses,
        average_transaction=quantize_money(spent / expenses) if expenses else None,
        money_in=flow["money_in"],
        income_count=flow["income"],
        top_categories=_categories_ranked(found.groups)[:TOP_CATEGORIES],
    )
