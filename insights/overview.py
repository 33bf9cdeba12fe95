"""The dashboard overview: a customer's money at a glance, in one call.

Every figure comes from the selector that owns it, so it means here what it means on its
own endpoint: balances from ``accounts.balances`` (stored balances, converted at the rate
of the customer's today), this month's income, spending and net from
``insights.selectors.cash_flow``, budgets from ``budgets.selectors.month_summary``, bills
from ``bills.selectors.bill_list``, then the unread alerts, the reward points and the
latest transactions. "Today" and "this month" are the customer's, in their time zone.

Cost: a fixed number of queries whatever the history's length, each bounded by this
month's rows or read through an index: balances are stored on the accounts, flows and
budgets aggregate only this month's rows (the (user, txn_date) indexes), the recent
transactions are the first rows of the (user, -txn_date, -id) index, bills come by their
(user, due_date) index. Rates add two queries per money section when some account or row
is in another currency than the base.

A missing exchange rate does not fail the dashboard: what can be shown is shown. An
account whose currency has no rate has ``balance_in_base`` None and is left out of the
total (``Balances.complete`` False); a section that needs a missing rate for this month's
rows (``this_month``, ``budgets``) is None. Each missing pair and day is listed in
``missing_rates`` with the section it blanked, so a client can say what is incomplete.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Window

from accounts.balances import Balances, balances_in_base
from accounts.currency import MissingRateError
from accounts.models import User
from alerts.selectors import alert_unread_count
from bills.models import Bill
from bills.selectors import bill_list
from budgets.selectors import MonthSummary, month_summary
from insights.selectors import InsightScope, cash_flow
from rewards.selectors import points_total
from transactions.models import Transaction
from transactions.selectors import transaction_list

# A bill due within this many days after today (today and that day included) is upcoming.
UPCOMING_BILL_DAYS = 14
# Overdue bills shown, most overdue first; overdue_count says how many there are in all.
OVERDUE_BILLS_SHOWN = 10
RECENT_TRANSACTIONS = 10

ACCOUNTS = "accounts"
THIS_MONTH = "this_month"
BUDGETS = "budgets"


@dataclass(frozen=True)
class SectionMissingRate:
    """No rate for 1 ``base`` in ``quote`` on or before ``day``, so ``section`` is incomplete."""

    section: str
    base: str
    quote: str
    day: datetime.date

    @property
    def detail(self) -> str:
        return str(MissingRateError(self.base, self.quote, self.day))


@dataclass(frozen=True)
class MonthFlow:
    """This month so far (the 1st to today), transfers left out, in the base currency.

    ``income`` is money in, ``spending`` money out shown positive (refunds are money in,
    as in cash flow), ``net`` = income - spending.
    """

    date_from: datetime.date
    date_to: datetime.date
    currency: str
    income: Decimal
    spending: Decimal
    net: Decimal
    count: int


@dataclass(frozen=True)
class BillsAhead:
    """Unpaid bills: due from today to ``until``, and those already overdue."""

    until: datetime.date
    upcoming: list[Bill]
    overdue: list[Bill]
    overdue_count: int


@dataclass(frozen=True)
class Overview:
    currency: str
    today: datetime.date
    balances: Balances
    this_month: MonthFlow | None
    budgets: MonthSummary | None
    bills: BillsAhead
    unread_alerts: int
    reward_points: int
    recent_transactions: list[Transaction]
    missing_rates: list[SectionMissingRate]

    @property
    def complete(self) -> bool:
        """Whether every figure could be computed (no rate was missing)."""
        return not self.missing_rates


def _missing(section: str, error: MissingRateError) -> SectionMissingRate:
    return SectionMissingRate(section=section, base=error.base, quote=error.quote, day=error.day)


def month_flow(*, user: User, today: datetime.date) -> MonthFlow:
    """This month's money in, out and net so far. Raises MissingRateError."""
    flow = cash_flow(scope=InsightScope(user=user, date_from=today.replace(day=1), date_to=today))
    return MonthFlow(
        date_from=flow.date_from,
        date_to=flow.date_to,
        currency=flow.currency,
        income=flow.money_in,
        spending=flow.money_out,
        net=flow.net,
        count=flow.count,
    )


def bills_ahead(*, user: User, today: datetime.date) -> BillsAhead:
    """Unpaid bills due in the next UPCOMING_BILL_DAYS days, and the overdue ones.

    Overdue bills are listed apart (the OVERDUE_BILLS_SHOWN most overdue, with their count)
    rather than mixed with the upcoming ones: they need paying now. Two queries, both on the
    (user, due_date) index; the count rides on the overdue query as a window function,
    which is counted before the LIMIT applies.
    """
    until = today + datetime.timedelta(days=UPCOMING_BILL_DAYS)
    unpaid = bill_list(user=user, today=today).unpaid()
    upcoming = list(unpaid.filter(due_date__gte=today, due_date__lte=until))
    overdue = list(
        unpaid.filter(due_date__lt=today).annotate(overdue_count=Window(Count("pk")))[
            :OVERDUE_BILLS_SHOWN
        ]
    )
    return BillsAhead(
        until=until,
        upcoming=upcoming,
        overdue=overdue,
        overdue_count=overdue[0].overdue_count if overdue else 0,
    )


def dashboard_overview(*, user: User) -> Overview:
    """Everything the dashboard shows, for the customer's today. Never raises for a rate."""
    today = user.today()
    missing: list[SectionMissingRate] = []

    balances = balances_in_base(user=user, day=today)
    missing += [
        SectionMissingRate(section=ACCOUNTS, base=m.base, quote=m.quote, day=m.day)
        for m in balances.missing_rates
    ]
    try:
        this_month = month_flow(user=user, today=today)
    except MissingRateError as error:
        this_month = None
        missing.append(_missing(THIS_MONTH, error))
    try:
        budgets = month_summary(user=user, year=today.year, month=today.month)
    except MissingRateError as error:
        budgets = None
        missing.append(_missing(BUDGETS, error))

    return Overview(
        currency=user.base_currency,
        today=today,
        balances=balances,
        this_month=this_month,
        budgets=budgets,
        bills=bills_ahead(user=user, today=today),
        unread_alerts=alert_unread_count(user=user),
        reward_points=points_total(user=user),
        recent_transactions=list(transaction_list(user=user)[:RECENT_TRANSACTIONS]),
        missing_rates=missing,
    )
