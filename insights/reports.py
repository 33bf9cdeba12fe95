"""Reads behind the customer reports (staff look into one customer) and the staff portfolio.

Reports are about one customer, named by id: ``report_customer`` decides who may see which
customer (the customer themself, or any staff role) and is the only way a report view finds
its customer, so an id that is not a customer, or another customer's, is the same "no such
customer" for whoever asks. Figures follow DESIGN.md, "What the numbers mean": transfers
never count in trends; totals across accounts are in the customer's base currency.

The portfolio adds up every customer, in ``settings.REPORTING_CURRENCY``: each section is one
grouped query (plus two for rates when a currency needs converting), so its cost does not
grow with the number of customers, accounts or transactions.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Case, CharField, Count, F, Q, Sum, Value, When
from django.utils import timezone

from accounts.balances import AccountBalance, balances_in_base
from accounts.currency import converted_total, rate_book_for
from accounts.models import BankAccount, User
from alerts.models import Alert, AlertType
from bills.models import Bill, BillStatus
from insights.aggregates import NET, grouped_totals
from insights.selectors import MONTH, CashFlow, InsightScope, cash_flow
from smartbank.money import quantize_money
from transactions.models import Transaction

# A customer id in a URL: digits, and few enough to fit a bigint column.
_CUSTOMER_ID = re.compile(r"[0-9]{1,18}")

# The account types that hold customers' money on deposit (not credit, loans or investments).
DEPOSIT_TYPES = (BankAccount.Type.CHECKING, BankAccount.Type.SAVINGS, BankAccount.Type.CASH)


# --- Customer reports -------------------------------------------------------------------


def report_customer(*, viewer: User, customer_id: str) -> User | None:
    """The customer ``customer_id`` names, if ``viewer`` may see their reports, else None.

    A customer sees only themself; admin, auditor and support see any customer. A staff
    user's id, an unknown id and a malformed one are all None, as is another customer's
    for a customer: the caller answers each with the same 404, so nothing leaks.
    """
    if not isinstance(customer_id, str) or not _CUSTOMER_ID.fullmatch(customer_id):
        return None
    pk = int(customer_id)
    if viewer.role == User.Role.CUSTOMER:
        # Nothing to look up: a customer's own record is the viewer itself.
        return viewer if viewer.pk == pk else None
    if viewer.role not in User.STAFF_ROLES:
        return None
    return User.objects.filter(pk=pk, role=User.Role.CUSTOMER).first()


@dataclass(frozen=True)
class AccountSummary:
    customer: User
    currency: str  # the customer's base currency
    as_of: datetime.date  # the customer's today, the day balances are converted at
    total_balance: Decimal
    accounts: list[AccountBalance]  # active accounts, name order, each also in base
    transaction_count: int  # every row, transfer legs included
    transactions_by_kind: dict[str, int]  # income, expense, transfer (zeros included)

    @property
    def account_count(self) -> int:
        return len(self.accounts)

    @property
    def non_transfer_count(self) -> int:
        return self.transaction_count - self.transactions_by_kind[Transaction.Kind.TRANSFER]


def account_summary(*, customer: User) -> AccountSummary:
    """A customer's total balance in their base currency, their accounts, and row counts.

    Balances come from ``accounts.balances.balances_in_base`` (the active accounts' stored
    ledger balances, converted at the customer's today), the one place that adds accounts
    up. Counts are of every transaction, archived accounts' too, each transfer leg as a row;
    ``transactions_by_kind`` splits them, so the non-transfer count is there too. A missing
    rate raises ``MissingRateError``: a total that leaves an account out is not reported.
    """
    as_of = customer.today()
    balances = balances_in_base(user=customer, day=as_of).raise_if_incomplete()
    by_kind = dict.fromkeys(Transaction.Kind.values, 0)
    for row in (
        Transaction.objects.for_user(customer).order_by().values("kind").annotate(rows=Count("id"))
    ):
        by_kind[row["kind"]] = row["rows"]
    return AccountSummary(
        customer=customer,
        currency=balances.currency,
        as_of=as_of,
        total_balance=balances.total,
        accounts=balances.accounts,
        transaction_count=sum(by_kind.values()),
        transactions_by_kind=by_kind,
    )


@dataclass(frozen=True)
class TransactionTrends:
    customer: User
    flow: CashFlow  # per calendar month, in the customer's base currency


def transaction_trends(
    *, customer: User, date_from: datetime.date, date_to: datetime.date
) -> TransactionTrends:
    """Money in, money out, net and row count per calendar month, transfers excluded.

    ``insights.selectors.cash_flow`` over all the customer's accounts in the range, in their
    base currency: every month of the range listed, empty ones as zeros, the first and last
    only from the range's days. Raises ``MissingRateError`` for a missing rate.
    """
    scope = InsightScope(user=customer, date_from=date_from, date_to=date_to)
    return TransactionTrends(customer=customer, flow=cash_flow(scope=scope, period=MONTH))


# --- Staff portfolio --------------------------------------------------------------------


@dataclass(frozen=True)
class KycLine:
    kyc_status: str
    customers: int
    joined: int  # of them, signed up within the range (UTC days)


@dataclass(frozen=True)
class DepositLine:
    currency: str
    balance: Decimal
    accounts: int


@dataclass(frozen=True)
class Deposits:
    currency: str  # the reporting currency of ``total``
    rate_date: datetime.date  # the day ``total`` is converted at: the range's end
    total: Decimal
    accounts: int
    by_currency: list[DepositLine]


@dataclass(frozen=True)
class CategoryLine:
    group: str  # "default": one of the shared categories; "own": customers' own; "none"
    category: str | None  # the default category's slug
    name: str
    spending: Decimal
    count: int


@dataclass(frozen=True)
class AlertLine:
    alert_type: str
    open: int
    unread: int


@dataclass(frozen=True)
class OverdueLine:
    currency: str
    bills: int
    amount_due: Decimal


@dataclass(frozen=True)
class Portfolio:
    date_from: datetime.date
    date_to: datetime.date
    currency: str  # settings.REPORTING_CURRENCY
    customers_by_kyc: list[KycLine]
    deposits: Deposits
    spending_by_category: list[CategoryLine]
    open_alerts: list[AlertLine]
    overdue_bills: list[OverdueLine]

    @property
    def customer_count(self) -> int:
        return sum(line.customers for line in self.customers_by_kyc)

    @property
    def joined_count(self) -> int:
        return sum(line.joined for line in self.customers_by_kyc)

    @property
    def open_alert_count(self) -> int:
        return sum(line.open for line in self.open_alerts)

    @property
    def unread_alert_count(self) -> int:
        return sum(line.unread for line in self.open_alerts)

    @property
    def overdue_bill_count(self) -> int:
        return sum(line.bills for line in self.overdue_bills)


def portfolio(*, date_from: datetime.date, date_to: datetime.date) -> Portfolio:
    """Every customer at once, for admins and auditors.

    Within the range: sign-ups and spending by category. As they stand now: customers by
    KYC status, deposits (converted at ``date_to``), open alerts and overdue bills. Six
    queries, plus two per section (deposits, spending) holding a currency other than the
    reporting one. Raises ``MissingRateError`` for a missing rate.
    """
    currency = settings.REPORTING_CURRENCY
    return Portfolio(
        date_from=date_from,
        date_to=date_to,
        currency=currency,
        customers_by_kyc=customers_by_kyc(date_from=date_from, date_to=date_to),
        deposits=deposits(currency=currency, day=date_to),
        spending_by_category=spending_by_category(
            date_from=date_from, date_to=date_to, currency=currency
        ),
        open_alerts=open_alerts(),
        overdue_bills=overdue_bills(),
    )


def _customers():
    return User.objects.filter(role=User.Role.CUSTOMER)


def _utc_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)


def customers_by_kyc(*, date_from: datetime.date, date_to: datetime.date) -> list[KycLine]:
    """Customers per KYC status (every status, zeros included) and how many joined in range.

    One query. The range is of UTC days: staff look at the bank as a whole, not from one
    customer's time zone.
    """
    joined_in_range = Q(
        date_joined__gte=_utc_midnight(date_from),
        date_joined__lt=_utc_midnight(date_to + datetime.timedelta(days=1)),
    )
    found = {
        row["kyc_status"]: row
        for row in _customers()
        .order_by()
        .values("kyc_status")
        .annotate(customers=Count("id"), joined=Count("id", filter=joined_in_range))
    }
    return [
        KycLine(
            kyc_status=status,
            customers=found.get(status, {}).get("customers", 0),
            joined=found.get(status, {}).get("joined", 0),
        )
        for status in User.KycStatus.values
    ]


def deposits(*, currency: str, day: datetime.date) -> Deposits:
    """Customers' money on deposit: balances of their active checking, savings and cash
    accounts, per currency, and in all in ``currency`` at ``day``'s rates.

    The balances are the stored ledger balances, as they stand now; only the conversion is
    dated. One query, plus two for the rates when an account is in another currency.
    """
    rows = list(
        BankAccount.objects.filter(
            user__role=User.Role.CUSTOMER, is_archived=False, account_type__in=DEPOSIT_TYPES
        )
        .order_by("currency")
        .values("currency")
        .annotate(balance=Sum("balance"), accounts=Count("id"))
    )
    # SQLite sums decimals as floats: back to cents at the edge.
    for row in rows:
        row["balance"] = quantize_money(row["balance"])
    amounts = [(row["currency"], day, row["balance"]) for row in rows]
    total = converted_total(amounts, currency, rate_book_for(amounts, {currency}))
    return Deposits(
        currency=currency,
        rate_date=day,
        total=total,
        accounts=sum(row["accounts"] for row in rows),
        by_currency=[
            DepositLine(currency=row["currency"], balance=row["balance"], accounts=row["accounts"])
            for row in rows
        ],
    )


# Shared categories are reported one by one; every customer's own categories together, as
# one line, since each is one customer's private label (and there may be many thousands).
_CATEGORY_GROUP = Case(
    When(category__isnull=True, then=Value("none")),
    When(category__user__isnull=True, then=Value("default")),
    default=Value("own"),
    output_field=CharField(),
)
_DEFAULT_CATEGORY = Q(category__isnull=False, category__user__isnull=True)
_GROUP_NAMES = {"none": "Uncategorised", "own": "Customers' own categories"}


def spending_by_category(
    *, date_from: datetime.date, date_to: datetime.date, currency: str
) -> list[CategoryLine]:
    """Spending per category across every customer in the range, in ``currency``.

    Spending is minus the sum of the category's non-transfer amounts (refunds reduce it),
    each row converted at its own day's rate (``insights.aggregates.grouped_totals``). Only
    groups with positive spending are listed (an income category's is negative), largest
    first. One query, plus two for the rates when a row is in another currency.
    """
    rows = Transaction.objects.non_transfer().filter(
        user__role=User.Role.CUSTOMER, txn_date__gte=date_from, txn_date__lte=date_to
    )
    found = grouped_totals(
        rows,
        currency=currency,
        group_by={
            "group": _CATEGORY_GROUP,
            "slug": Case(When(_DEFAULT_CATEGORY, then=F("category__slug")), default=None),
            "name": Case(When(_DEFAULT_CATEGORY, then=F("category__name")), default=None),
        },
        sums={"net": NET},
        counts={"count": Count("id")},
    )
    lines = [
        CategoryLine(
            group=group,
            category=slug,
            name=name or _GROUP_NAMES[group],
            spending=-totals["net"],
            count=totals["count"],
        )
        for (group, slug, name), totals in found.items()
        if totals["net"] < 0
    ]
    return sorted(lines, key=lambda line: (-line.spending, line.name))


def open_alerts() -> list[AlertLine]:
    """Customers' open alerts per type (every type, zeros included), and how many unread.

    Open is ``Alert.objects.active()``: not deleted and not dismissed (and shown in the
    app); read ones stay open until dismissed, so ``unread`` is counted beside them. One
    query.
    """
    found = {
        row["alert_type"]: row
        for row in Alert.objects.active()
        .filter(user__role=User.Role.CUSTOMER)
        .order_by()
        .values("alert_type")
        .annotate(open=Count("id"), unread=Count("id", filter=Q(read_at__isnull=True)))
    }
    return [
        AlertLine(
            alert_type=alert_type,
            open=found.get(alert_type, {}).get("open", 0),
            unread=found.get(alert_type, {}).get("unread", 0),
        )
        for alert_type in AlertType.values
    ]


def customer_todays(now: datetime.datetime | None = None) -> dict[datetime.date, list[str]]:
    """Each calendar day that is "today" for some customer, with the time zones it is in.

    At most three days (UTC-12 to UTC+14 spans them). One query for the distinct zones.
    """
    now = now or timezone.now()
    zones = _customers().order_by().values_list("time_zone", flat=True).distinct()
    todays: dict[datetime.date, list[str]] = defaultdict(list)
    for name in zones:
        todays[now.astimezone(ZoneInfo(name)).date()].append(name)
    return dict(todays)


def overdue_bills() -> list[OverdueLine]:
    """Customers' overdue bills per currency: how many, and the amounts due.

    Overdue is ``Bill.status_on`` as of each customer's own today (``with_status``): in one
    union query, one part per day that is today somewhere (at most three), each part the
    customers of the time zones where it is that day. Two queries in all.
    """
    parts = [
        Bill.objects.filter(user__role=User.Role.CUSTOMER, user__time_zone__in=zones)
        .with_status(today)
        .filter(status=BillStatus.OVERDUE)
        .order_by()
        .values("currency")
        .annotate(bills=Count("id"), amount_due=Sum("amount_due"))
        for today, zones in sorted(customer_todays().items())
    ]
    if not parts:
        return []
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    # A currency may come from several parts (several time zones): add them up.
    bills: dict[str, int] = defaultdict(int)
    amount_due: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        bills[row["currency"]] += row["bills"]
        amount_due[row["currency"]] += quantize_money(row["amount_due"])
    return [
        OverdueLine(currency=code, bills=bills[code], amount_due=amount_due[code])
        for code in sorted(bills)
    ]
