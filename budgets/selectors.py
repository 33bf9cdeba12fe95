"""Reads of budgets: ownership, and progress computed from the transactions each time.

Spending (DESIGN.md, "What the numbers mean"): minus the sum of the amounts of the
category's non-transfer rows with ``txn_date`` in the month, so a refund (a positive amount
in a spending category) reduces it. Each row is converted from its account's currency into
the budget's currency at the rate of its ``txn_date`` (``accounts.currency.RateBook``, the
same rates as ``accounts.currency.convert``). The rows are summed per currency and day by
the database and each sum is multiplied by its unrounded rate; the total is rounded to the
cent once, at the end, so it equals the exact sum of the converted rows however they are
grouped. A missing rate raises ``MissingRateError`` naming the pair and the day; it is never
replaced by 1:1.

Spent is the net figure: it can be negative when refunds in a month outweigh the spending
(percent_used is then negative too), and remaining (amount - spent) is negative once a
budget is exceeded.

Cost: whatever the number of budgets and transactions, progress takes one aggregate query
over the transactions plus at most two queries for the rates (none when every row is in
the budget's currency).
"""

import calendar
import decimal
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum

from accounts.currency import (
    DatedAmount,
    MissingRateError,
    RateBook,
    converted_total,
    rate_book_for,
)
from accounts.models import User
from budgets.models import Budget
from smartbank.dates import EARLIEST_DATE
from smartbank.money import quantize_money
from transactions.models import Transaction

EARLIEST_YEAR = EARLIEST_DATE.year
LATEST_YEAR = 9999
PERCENT = Decimal("0.01")
# (currency, txn_date, sum of amounts) of one category in one month
_Entry = DatedAmount


@dataclass(frozen=True)
class BudgetProgress:
    """Where one budget stands. Money is in ``currency``, the budget's currency.

    ``projected`` is the month-end spending at the current pace: for the customer's current
    month spent / days elapsed (today included) * days in the month, for a past month what
    was spent, for a future month zero.
    """

    budget: Budget
    spent: Decimal
    remaining: Decimal
    percent_used: Decimal
    exceeded: bool
    projected: Decimal
    currency: str
    days_in_month: int
    days_elapsed: int


@dataclass(frozen=True)
class CategorySpending:
    """Spending in one category (or in none: category_id None) in the base currency."""

    category_id: int | None
    slug: str | None
    name: str
    spent: Decimal
    currency: str


@dataclass(frozen=True)
class MonthSummary:
    """A customer's month: every budget with its progress, and spending nothing budgets.

    ``unbudgeted`` lists the categories without a budget this month whose net spending is
    positive, most spent first, in the customer's base currency; uncategorised spending is
    one entry with category_id None. Categories netting zero or less (income, refunds only)
    are left out. ``unbudgeted_spent`` is their total.
    """

    year: int
    month: int
    currency: str
    budgets: list[BudgetProgress]
    unbudgeted: list[CategorySpending]
    unbudgeted_spent: Decimal


# --- Months ---------------------------------------------------------------------------


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """The first and last day of a month; ValueError outside 1900-01 .. 9999-12."""
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise ValueError(f"The year must be from {EARLIEST_YEAR} to {LATEST_YEAR}.")
    if not 1 <= month <= 12:
        raise ValueError("The month must be from 1 to 12.")
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def month_end(start: date) -> date:
    return month_bounds(start.year, start.month)[1]


# --- Ownership ------------------------------------------------------------------------


def budget_list(*, user: User) -> QuerySet[Budget]:
    """The user's budgets, newest month first, with what a list row shows joined in."""
    return (
        Budget.objects.for_user(user)
        .select_related("category", "user")
        .order_by("-month", "category__name", "id")
    )


# --- Progress -------------------------------------------------------------------------


def _spending_entries(condition: Q) -> dict[tuple[int, int | None, date], list[_Entry]]:
    """Sums of the non-transfer rows matching ``condition`` per (user, category, month).

    One query: the database groups by category, currency and day; the months are put
    together here.
    """
    rows = (
        Transaction.objects.filter(condition)
        .exclude(kind=Transaction.Kind.TRANSFER)
        .order_by()
        .values("user_id", "category_id", "currency", "txn_date")
        .annotate(total=Sum("amount"))
        .values_list("user_id", "category_id", "currency", "txn_date", "total")
    )
    entries: dict[tuple[int, int | None, date], list[_Entry]] = defaultdict(list)
    for user_id, category_id, currency, day, total in rows:
        entries[(user_id, category_id, day.replace(day=1))].append((currency, day, total))
    return entries


def _rate_book(entries: Iterable[list[_Entry]], currencies: Iterable[str]) -> RateBook | None:
    """The rates the conversions need, loaded once (two queries); None when all is one currency."""
    return rate_book_for((entry for group in entries for entry in group), currencies)


def _spent(entries: Iterable[_Entry], currency: str, book: RateBook | None) -> Decimal:
    """Minus the exact sum of the converted amounts, rounded once. Raises MissingRateError."""
    return -converted_total(entries, currency, book)


def _progress(budget: Budget, spent: Decimal, today: date) -> BudgetProgress:
    start = budget.month
    end = month_end(start)
    days_in_month = end.day
    if today < start:
        days_elapsed, projected = 0, Decimal("0.00")
    elif today > end:
        days_elapsed, projected = days_in_month, spent
    else:
        days_elapsed = today.day
        projected = quantize_money(spent * days_in_month / days_elapsed)
    percent = (spent * 100 / budget.amount).quantize(PERCENT, rounding=decimal.ROUND_HALF_EVEN)
    return BudgetProgress(
        budget=budget,
        spent=spent,
        remaining=budget.amount - spent,
        percent_used=percent,
        exceeded=spent > budget.amount,
        projected=projected,
        currency=budget.currency,
        days_in_month=days_in_month,
        days_elapsed=days_elapsed,
    )


def _todays(budgets: Sequence[Budget]) -> dict[int, date]:
    """Each budget owner's today, in their time zone; one query for owners not loaded."""
    users = {b.user_id: b.user for b in budgets if Budget.user.is_cached(b)}
    missing = {b.user_id for b in budgets} - set(users)
    if missing:
        users.update(User.objects.in_bulk(missing))
    return {user_id: user.today() for user_id, user in users.items()}


def budgets_progress(
    *,
    budgets: Iterable[Budget],
    today: date | None = None,
    on_missing_rate: Callable[[Budget, MissingRateError], None] | None = None,
) -> list[BudgetProgress]:
    """The progress of each budget, in the order given, in a fixed number of queries.

    ``today`` is the owner's today (``user.today()``); left out, it is taken from each
    budget's user. A missing rate raises ``accounts.currency.MissingRateError``, unless
    ``on_missing_rate`` is given: it is then called with the budget and the error, and that
    budget is left out of the result (for callers that must not fail, such as alerts).
    """
    budgets = list(budgets)
    if not budgets:
        return []
    todays = {} if today is not None else _todays(budgets)
    categories_by_month: dict[tuple[int, date], set[int]] = defaultdict(set)
    for budget in budgets:
        categories_by_month[(budget.user_id, budget.month)].add(budget.category_id)
    condition = Q(pk__in=[])
    for (user_id, start), category_ids in categories_by_month.items():
        condition |= Q(
            user_id=user_id,
            category_id__in=sorted(category_ids),
            txn_date__gte=start,
            txn_date__lte=month_end(start),
        )
    entries = _spending_entries(condition)
    book = _rate_book(entries.values(), {budget.currency for budget in budgets})
    result = []
    for budget in budgets:
        key = (budget.user_id, budget.category_id, budget.month)
        try:
            spent = _spent(entries.get(key, ()), budget.currency, book)
        except MissingRateError as exc:
            if on_missing_rate is None:
                raise
            on_missing_rate(budget, exc)
            continue
        result.append(
            _progress(budget, spent, today if today is not None else todays[budget.user_id])
        )
    return result


def budget_progress(*, budget: Budget, today: date | None = None) -> BudgetProgress:
    """One budget's progress; see budgets_progress. Raises MissingRateError."""
    return budgets_progress(budgets=[budget], today=today)[0]


def month_summary(*, user: User, year: int, month: int) -> MonthSummary:
    """A customer's budgets of a month with their progress, and the spending no budget covers.

    Fixed cost: the month's budgets, one aggregate over the month's transactions, and the
    rates. Raises ValueError for a month outside 1900-01 .. 9999-12 and MissingRateError.
    """
    start, end = month_bounds(year, month)
    budgets = list(budget_list(user=user).filter(month=start))
    rows = (
        Transaction.objects.for_user(user)
        .filter(txn_date__gte=start, txn_date__lte=end)
        .exclude(kind=Transaction.Kind.TRANSFER)
        .order_by()
        .values("category_id", "category__slug", "category__name", "currency", "txn_date")
        .annotate(total=Sum("amount"))
        .values_list(
            "category_id", "category__slug", "category__name", "currency", "txn_date", "total"
        )
    )
    entries: dict[int | None, list[_Entry]] = defaultdict(list)
    names: dict[int | None, tuple[str | None, str]] = {None: (None, "Uncategorised")}
    for category_id, slug, name, currency, day, total in rows:
        entries[category_id].append((currency, day, total))
        if category_id is not None:
            names[category_id] = (slug, name)
    base = user.base_currency
    book = _rate_book(entries.values(), {base} | {budget.currency for budget in budgets})
    today = user.today()
    progress = [
        _progress(budget, _spent(entries.get(budget.category_id, ()), budget.currency, book), today)
        for budget in budgets
    ]
    budgeted = {budget.category_id for budget in budgets}
    unbudgeted = []
    for category_id, category_entries in entries.items():
        if category_id in budgeted:
            continue
        spent = _spent(category_entries, base, book)
        if spent > 0:
            slug, name = names[category_id]
            unbudgeted.append(CategorySpending(category_id, slug, name, spent, base))
    unbudgeted.sort(key=lambda item: (-item.spent, item.name, item.category_id or 0))
    return MonthSummary(
        year=year,
        month=month,
        currency=base,
        budgets=progress,
        unbudgeted=unbudgeted,
        unbudgeted_spent=sum((item.spent for item in unbudgeted), Decimal("0.00")),
    )
