"""Unusual spending: payments and months far outside the customer's own pattern.

Three findings raise an ``unusual_spending`` alert that says why, with the figures:

- **amount**: an expense far above what the customer usually pays in its category or at its
  merchant (their payments there in the UNUSUAL_HISTORY_DAYS before the payment's day; a
  series of fewer than UNUSUAL_MIN_SAMPLE payments has no pattern yet). Far above means all
  of: at least UNUSUAL_AMOUNT_FACTOR times the median; at least UNUSUAL_MAD_SCORE robust
  deviations above it (1.4826 x MAD, which is the standard deviation of normal data,
  floored at UNUSUAL_MAD_FLOOR_PERCENT of the median so that one cent more on a rent paid
  to the cent every month is not unusual); and no habit of such payments: fewer than two,
  and fewer than UNUSUAL_PRECEDENT_PERCENT, of the earlier ones at least half as large (a
  customer who flies every month is not warned about each flight among their taxi rides).
- **new merchant**: the first payment ever at a merchant (no earlier row of the customer's
  there; case and spacing of the name do not count) of at least UNUSUAL_NEW_MERCHANT_FACTOR
  times the median of all their payments, once they have UNUSUAL_NEW_MERCHANT_MIN_HISTORY.
- **category month**: a category's spending this month (to date) at least
  UNUSUAL_MONTH_FACTOR times its mean over the UNUSUAL_MONTH_TRAILING months before, over
  at least UNUSUAL_MONTH_FACTOR times as many payments, for a category the customer pays
  at least UNUSUAL_MONTH_MIN_PAYMENTS times a month, when the excess is at least
  UNUSUAL_MONTH_MIN_SHARE_PERCENT of their mean monthly spending. Only full months since
  the customer's first row count, at least UNUSUAL_MONTH_MIN_HISTORY of them. Refunds
  reduce a month; payments unusual on their own are left out of every month (they have
  their alert, and one big ticket is not a change of habit).

Spending only: expenses raise, transfers never count, refunds count only as what they take
off a category's month. Everything is in the customer's base currency at the rate of each
row's day (``accounts.currency.RateBook``); a row without a rate is left out and logged,
never a broken ledger write. Like the other evaluators it runs inside the ledger's write
(``transactions.followups.transactions_written``), only rows of the last ALERT_RECENT_DAYS
raise (an imported history raises nothing for its old rows), and it takes a fixed number of
queries whatever the number of rows: the preference, the customer's rows of the window, the
merchants and first day before it, the rates (when currencies differ), the category names,
the raise.

Keys: ``unusual_spending:transaction:{pk}`` (one alert per payment, giving every reason)
and ``unusual_spending:category:{category_id}:{YYYY-MM}`` (one per category and month), so
running twice raises once.
"""

from __future__ import annotations

import bisect
import calendar
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from django.conf import settings
from django.db.models import Min

from accounts.currency import MissingRateError, RateBook
from accounts.models import User
from alerts.evaluators import recent_expenses
from alerts.models import AlertType, Severity
from alerts.selectors import alert_preferences
from alerts.services import AlertSpec, alerts_raise
from smartbank.dates import add_months
from smartbank.money import format_money, quantize_money

logger = logging.getLogger(__name__)

# MAD x 1.4826 estimates the standard deviation of normally distributed amounts.
MAD_TO_SIGMA = Decimal("1.4826")
# Earlier payments of at least half a new one make it less of a surprise; one such payment
# is not yet a habit (it may be the last unusual one).
PRECEDENT_MIN = 2
HUNDRED = Decimal(100)
ZERO = Decimal(0)

AMOUNT = "amount"
NEW_MERCHANT = "new_merchant"
CATEGORY_MONTH = "category_month"


@dataclass(frozen=True)
class UnusualRules:
    """The thresholds, from settings (see smartbank/settings.py, "Unusual spending")."""

    history_days: int
    min_sample: int
    amount_factor: Decimal
    mad_score: Decimal
    mad_floor: Decimal  # a share of the median
    precedent_share: Decimal
    new_merchant_factor: Decimal
    new_merchant_min_history: int
    month_factor: Decimal
    month_trailing: int
    month_min_history: int
    month_min_payments: Decimal
    month_min_share: Decimal

    @classmethod
    def from_settings(cls) -> UnusualRules:
        return cls(
            history_days=settings.UNUSUAL_HISTORY_DAYS,
            min_sample=settings.UNUSUAL_MIN_SAMPLE,
            amount_factor=settings.UNUSUAL_AMOUNT_FACTOR,
            mad_score=settings.UNUSUAL_MAD_SCORE,
            mad_floor=Decimal(settings.UNUSUAL_MAD_FLOOR_PERCENT) / HUNDRED,
            precedent_share=Decimal(settings.UNUSUAL_PRECEDENT_PERCENT) / HUNDRED,
            new_merchant_factor=settings.UNUSUAL_NEW_MERCHANT_FACTOR,
            new_merchant_min_history=settings.UNUSUAL_NEW_MERCHANT_MIN_HISTORY,
            month_factor=settings.UNUSUAL_MONTH_FACTOR,
            month_trailing=settings.UNUSUAL_MONTH_TRAILING,
            month_min_history=settings.UNUSUAL_MONTH_MIN_HISTORY,
            month_min_payments=settings.UNUSUAL_MONTH_MIN_PAYMENTS,
            month_min_share=Decimal(settings.UNUSUAL_MONTH_MIN_SHARE_PERCENT) / HUNDRED,
        )


def merchant_key(merchant: str) -> str:
    """What makes two merchant names one merchant: case and spacing do not."""
    return " ".join(merchant.split()).casefold()


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


# --- Statistics -----------------------------------------------------------------------
# In whole cents (int): sorting and comparing ints is several times faster than Decimals,
# and a customer's import of 100,000 rows is judged inside the ledger's write.


def doubled_median(ordered: list[int]) -> int:
    """Twice the median of a sorted, non-empty list: a whole number even for an even count."""
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return 2 * ordered[middle]
    return ordered[middle - 1] + ordered[middle]


@dataclass(frozen=True, slots=True)
class Verdict:
    """A payment against one series' pattern: its size and median (in money), and whether
    the payment is far above it."""

    size: int
    median: Decimal
    far_above: bool


def judge(window: list[int], spent: int, rules: UnusualRules) -> Verdict:
    """``spent`` cents against ``window``, the series' earlier payments in cents, sorted.

    Far above: at least amount_factor x the median, no habit of such payments (see the
    module docstring), and mad_score x the floored, scaled MAD above the median. Doubled
    values keep the median of an even count whole; the MAD, the costly part, is only worked
    out for the rare payment that passes the cheaper tests.
    """
    size = len(window)
    if size == 0:
        return Verdict(0, ZERO, False)
    median2 = doubled_median(window)
    median = Decimal(median2) / 200
    if size < rules.min_sample or median2 <= 0 or 2 * spent < rules.amount_factor * median2:
        return Verdict(size, median, False)
    # Earlier payments of at least half of this one (2 x amount >= spent).
    habit = size - bisect.bisect_left(window, (spent + 1) // 2)
    if habit >= max(PRECEDENT_MIN, rules.precedent_share * size):
        return Verdict(size, median, False)
    mad2 = doubled_median(sorted(abs(2 * amount - median2) for amount in window)) / Decimal(2)
    scale2 = max(MAD_TO_SIGMA * mad2, rules.mad_floor * median2)
    return Verdict(size, median, 2 * spent - median2 >= rules.mad_score * scale2)


def cents(amount: Decimal) -> int:
    return int(amount * 100)


class _Series:
    """One series' payments in day order (cents), with the verdict on each payment from the
    first day judged (``SpendingHistory.judged_from``), worked out in one sweep."""

    __slots__ = ("amounts", "days", "pks", "verdicts", "windows")

    def __init__(self) -> None:
        self.days: list[date] = []
        self.amounts: list[int] = []
        self.pks: list[int] = []
        self.verdicts: dict[int, Verdict] | None = None
        self.windows: dict[date, list[int]] = {}


# --- Findings -------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """Why a payment is unusual against one series: ``kind`` AMOUNT or NEW_MERCHANT;
    ``series`` "category", "merchant" or "all"."""

    kind: str
    series: str
    median: Decimal
    ratio: Decimal
    sample: int


class Row(NamedTuple):
    """One non-transfer row in the base currency; ``amount`` signed like the row. (A tuple:
    an import builds one for each of up to 100,000 rows.)"""

    pk: int
    day: date
    amount: Decimal
    category_id: int | None
    merchant: str  # merchant_key()


@dataclass(frozen=True)
class MonthPart:
    """A category's spending in (part of) a month without its unusual payments: the total
    (refunds reduce it), the payments counted, how many were left out."""

    spending: Decimal
    payments: int
    left_out: int


@dataclass(frozen=True)
class MonthFinding:
    category_id: int
    month: date
    as_of: date
    spending: Decimal
    trailing_mean: Decimal
    months: int
    payments: int
    usual_payments: Decimal  # a month, on average over the trailing months
    left_out: int  # payments unusual on their own, not counted in ``spending``

    @property
    def ratio(self) -> Decimal:
        return self.spending / self.trailing_mean


class SpendingHistory:
    """A customer's rows of the window, and what is unusual among them.

    ``rows``: every non-transfer row from the window's start to its end that has a rate, in
    the base currency. ``merchants_before``: the merchant keys of rows before the window.
    ``first_day``: the customer's first non-transfer row ever. ``judged_from``: the first
    day whose payments may be asked about (the window must hold UNUSUAL_HISTORY_DAYS
    before it).
    """

    def __init__(
        self,
        *,
        rows: Iterable[Row],
        rules: UnusualRules,
        first_day: date | None,
        merchants_before: set[str],
        judged_from: date,
    ) -> None:
        self.rules = rules
        self.first_day = first_day
        self.merchants_before = merchants_before
        self.judged_from = judged_from
        self.series: dict[tuple, _Series] = defaultdict(_Series)
        # What all payments took each month, and each category's rows in day order.
        self.month_spending: dict[date, Decimal] = defaultdict(Decimal)
        self.category_rows: dict[int, list[Row]] = defaultdict(list)
        self.first_at: dict[str, tuple[date, int]] = {}
        self.parts: dict[tuple[int, date, date], MonthPart] = {}
        for row in sorted(rows, key=lambda row: (row.day, row.pk)):
            if row.category_id is not None:
                self.category_rows[row.category_id].append(row)
            if row.merchant:
                self.first_at.setdefault(row.merchant, (row.day, row.pk))
            if row.amount >= 0:
                continue
            self.month_spending[month_start(row.day)] -= row.amount
            spent = cents(-row.amount)
            for key in self._keys(row):
                series = self.series[key]
                series.days.append(row.day)
                series.amounts.append(spent)
                series.pks.append(row.pk)

    @staticmethod
    def _keys(row: Row) -> list[tuple]:
        keys: list[tuple] = [("all",)]
        if row.category_id is not None:
            keys.append(("category", row.category_id))
        if row.merchant:
            keys.append(("merchant", row.merchant))
        return keys

    def window(self, key: tuple, day: date) -> list[int]:
        """The series' payments in the UNUSUAL_HISTORY_DAYS before ``day`` (not on it),
        sorted. For the rare question about one day; ``verdict`` sweeps."""
        series = self.series.get(key)
        if series is None:
            return []
        if day not in series.windows:
            start = bisect.bisect_left(series.days, day - timedelta(days=self.rules.history_days))
            end = bisect.bisect_left(series.days, day)
            series.windows[day] = sorted(series.amounts[start:end])
        return series.windows[day]

    def verdict(self, key: tuple, row: Row) -> Verdict | None:
        """The verdict on a payment of the series, from its window on its own day."""
        series = self.series.get(key)
        if series is None:
            return None
        if series.verdicts is None:
            series.verdicts = self._sweep(series)
        return series.verdicts.get(row.pk)

    def _sweep(self, series: _Series) -> dict[int, Verdict]:
        """Every payment from judged_from on against its window, in one pass in day order:
        the window slides with a sorted list (a binary-search insert or removal per row)
        rather than being sorted again for each day."""
        days, amounts, history = series.days, series.amounts, self.rules.history_days
        verdicts: dict[int, Verdict] = {}
        first = bisect.bisect_left(days, self.judged_from)
        low = high = bisect.bisect_left(days, self.judged_from - timedelta(days=history))
        window: list[int] = []
        index = first
        while index < len(days):
            day = days[index]
            while high < index and days[high] < day:
                bisect.insort(window, amounts[high])
                high += 1
            edge = day - timedelta(days=history)
            while low < high and days[low] < edge:
                del window[bisect.bisect_left(window, amounts[low])]
                low += 1
            while index < len(days) and days[index] == day:
                verdicts[series.pks[index]] = judge(window, amounts[index], self.rules)
                index += 1
        return verdicts

    # Payments

    def amount_reason(self, row: Row) -> Reason | None:
        """Far above its category's pattern or its merchant's (the category's figures when
        both say so)."""
        if row.amount >= 0:
            return None
        keys = []
        if row.category_id is not None:
            keys.append(("category", ("category", row.category_id)))
        if row.merchant:
            keys.append(("merchant", ("merchant", row.merchant)))
        for name, key in keys:
            verdict = self.verdict(key, row)
            if verdict is not None and verdict.far_above:
                return Reason(
                    AMOUNT, name, verdict.median, -row.amount / verdict.median, verdict.size
                )
        return None

    def is_new_merchant(self, row: Row) -> bool:
        if not row.merchant or row.merchant in self.merchants_before:
            return False
        return self.first_at.get(row.merchant, (row.day, row.pk)) >= (row.day, row.pk)

    def new_merchant_reason(self, row: Row) -> Reason | None:
        if row.amount >= 0 or not self.is_new_merchant(row):
            return None
        window = self.window(("all",), row.day)
        if len(window) < self.rules.new_merchant_min_history:
            return None
        median = Decimal(doubled_median(window)) / 200
        spent = -row.amount
        if median <= 0 or spent < self.rules.new_merchant_factor * median:
            return None
        return Reason(NEW_MERCHANT, "all", median, spent / median, len(window))

    def payment_reasons(self, row: Row) -> list[Reason]:
        """Every reason a payment is unusual, the new merchant first."""
        return [
            reason for reason in (self.new_merchant_reason(row), self.amount_reason(row)) if reason
        ]

    # Months

    def first_full_month(self) -> date | None:
        if self.first_day is None:
            return None
        if self.first_day.day == 1:
            return self.first_day
        return add_months(month_start(self.first_day), 1)

    def month_part(self, category_id: int, month: date, as_of: date) -> MonthPart:
        """The category's spending from ``month``'s first day to ``as_of``, leaving out the
        payments unusual on their own. Cached: trailing months are read for many months."""
        key = (category_id, month, as_of)
        if key in self.parts:
            return self.parts[key]
        spending, payments, left_out = ZERO, 0, 0
        rows = self.category_rows.get(category_id, [])
        start = bisect.bisect_left(rows, month, key=lambda row: row.day)
        for row in rows[start:]:
            if row.day > as_of:
                break
            if row.amount < 0:
                if self.payment_reasons(row):
                    left_out += 1
                    continue
                payments += 1
            spending -= row.amount
        self.parts[key] = MonthPart(spending, payments, left_out)
        return self.parts[key]

    def category_month(self, category_id: int, month: date, as_of: date) -> MonthFinding | None:
        """The category's spending from ``month``'s first day to ``as_of`` against its
        trailing months, when that is unusual."""
        rules = self.rules
        first_full = self.first_full_month()
        if first_full is None:
            return None
        trailing = [add_months(month, -offset) for offset in range(1, rules.month_trailing + 1)]
        counted = [m for m in trailing if m >= first_full]
        if len(counted) < rules.month_min_history:
            return None
        parts = [self.month_part(category_id, m, month_end(m)) for m in counted]
        mean = sum((part.spending for part in parts), ZERO) / len(counted)
        if mean <= 0:
            return None
        usual_payments = Decimal(sum(part.payments for part in parts)) / len(counted)
        if usual_payments < rules.month_min_payments:
            return None
        current = self.month_part(category_id, month, as_of)
        if current.spending < rules.month_factor * mean:
            return None
        # More payments too, not one or two big tickets: those are judged one by one, and a
        # category of occasional large payments (flights) swings by months on its own.
        if current.payments < rules.month_factor * usual_payments:
            return None
        customer_mean = sum((self.month_spending[m] for m in counted), ZERO) / len(counted)
        if current.spending - mean < rules.month_min_share * customer_mean:
            return None
        return MonthFinding(
            category_id=category_id,
            month=month,
            as_of=as_of,
            spending=current.spending,
            trailing_mean=mean,
            months=len(counted),
            payments=current.payments,
            usual_payments=usual_payments,
            left_out=current.left_out,
        )


# --- Loading and raising --------------------------------------------------------------


def load_history(
    *, user: User, judged_from: date, end: date, rules: UnusualRules
) -> tuple[SpendingHistory, dict[int, Row]]:
    """The customer's SpendingHistory to judge payments from ``judged_from`` to ``end``, and
    its rows by id: rows from UNUSUAL_HISTORY_DAYS before ``judged_from`` to ``end``.

    Two queries, four with rates: the rows; the merchants and first day before them; the
    rates when more than one currency is involved. Rows without a rate are left out with
    one warning per currency pair.
    """
    from transactions.models import Transaction

    start = judged_from - timedelta(days=rules.history_days)
    own = Transaction.objects.filter(user=user).non_transfer().order_by()
    raw = list(
        own.filter(txn_date__gte=start, txn_date__lte=end).values_list(
            "pk", "txn_date", "amount", "currency", "category_id", "merchant"
        )
    )
    before = own.filter(txn_date__lt=start).values("merchant").annotate(first=Min("txn_date"))
    merchants_before: set[str] = set()
    first_day = min((day for _, day, *_ in raw), default=None)
    for group in before:
        if group["merchant"]:
            merchants_before.add(merchant_key(group["merchant"]))
        first_day = group["first"] if first_day is None else min(first_day, group["first"])

    base = user.base_currency
    currencies = {currency for _, _, _, currency, _, _ in raw} | {base}
    book = RateBook.load(currencies, start, end) if len(currencies) > 1 else None
    rows: dict[int, Row] = {}
    missing: dict[tuple[str, str], tuple[int, MissingRateError]] = {}
    for pk, day, amount, currency, category_id, merchant in raw:
        if currency != base:
            try:
                amount = book.convert(amount, currency, base, day)
            except MissingRateError as exc:
                count, first = missing.get((currency, base), (0, exc))
                missing[(currency, base)] = (count + 1, first)
                continue
        rows[pk] = Row(pk, day, amount, category_id, merchant_key(merchant))
    for count, exc in missing.values():
        logger.warning(
            "unusual spending check left out %s rows of user %s: %s",
            count,
            user.pk,
            exc,
            extra={"user_id": user.pk},
        )
    history = SpendingHistory(
        rows=rows.values(),
        rules=rules,
        first_day=first_day,
        merchants_before=merchants_before,
        judged_from=judged_from,
    )
    return history, rows


def _ratio(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.1'))}"


def _payment_spec(user: User, txn, row: Row, reasons: list[Reason], names: dict) -> AlertSpec:
    base = user.base_currency
    amount = format_money(-txn.amount, txn.currency)
    spent_base = -row.amount
    where = txn.merchant or txn.description or "a payment"
    category = names.get(txn.category_id, "")
    head = f"{amount}"
    if txn.currency != base:
        head += f" (about {format_money(spent_base, base)})"
    head += f" at {where} on {txn.txn_date.isoformat()}"
    parts = []
    for reason in reasons:
        typical = format_money(reason.median, base)
        times = f"{_ratio(reason.ratio)} times"
        if reason.kind == NEW_MERCHANT:
            parts.append(
                f"your first payment there and {times} your usual payment "
                f"(median {typical} over your last {reason.sample} payments)"
            )
        elif reason.series == "category":
            parts.append(
                f"{times} your usual {category.lower()} spend "
                f"(median {typical} over your last {reason.sample} {category.lower()} payments)"
            )
        else:
            parts.append(
                f"{times} what you usually pay there "
                f"(median {typical} over your last {reason.sample} payments there)"
            )
    kind = reasons[0].kind
    title = "Large first payment" if kind == NEW_MERCHANT else "Unusual payment"
    return AlertSpec(
        user=user,
        alert_type=AlertType.UNUSUAL_SPENDING,
        key=f"unusual_spending:transaction:{txn.pk}",
        title=f"{title}: {amount} at {where}",
        message=f"{head} is " + ", and ".join(parts) + ".",
        severity=Severity.WARNING,
        data={
            "kind": kind,
            "reasons": [
                {
                    "kind": reason.kind,
                    "compared_with": reason.series,
                    "median": str(quantize_money(reason.median)),
                    "ratio": _ratio(reason.ratio),
                    "payments": reason.sample,
                }
                for reason in reasons
            ],
            "transaction_id": txn.pk,
            "account_id": txn.account_id,
            "amount": str(txn.amount),
            "currency": txn.currency,
            "amount_base": str(quantize_money(spent_base)),
            "base_currency": base,
            "category_id": txn.category_id,
            "merchant": txn.merchant,
            "txn_date": txn.txn_date.isoformat(),
        },
    )


def _month_spec(user: User, finding: MonthFinding, names: dict, today: date) -> AlertSpec:
    base = user.base_currency
    category = names.get(finding.category_id, "")
    label = finding.month.strftime("%B %Y")
    when = "this month" if finding.month == month_start(today) else f"in {label}"
    spending = format_money(finding.spending, base)
    so_far = " so far" if finding.as_of < month_end(finding.month) else ""
    usual = finding.usual_payments.quantize(Decimal("0.1"))
    message = (
        f"Your {category.lower()} spending {when}, {spending}{so_far} over "
        f"{finding.payments} payments, is {_ratio(finding.ratio)} times your average of "
        f"{format_money(finding.trailing_mean, base)} over {usual:f} payments a month in the "
        f"last {finding.months} months."
    )
    if finding.left_out:
        message += (
            f" {finding.left_out} unusual payment{'s' if finding.left_out > 1 else ''} "
            "with an alert of their own are not counted."
        )
    data: dict[str, Any] = {
        "kind": CATEGORY_MONTH,
        "category_id": finding.category_id,
        "month": finding.month.strftime("%Y-%m"),
        "as_of": finding.as_of.isoformat(),
        "spending": str(quantize_money(finding.spending)),
        "trailing_mean": str(quantize_money(finding.trailing_mean)),
        "ratio": _ratio(finding.ratio),
        "months": finding.months,
        "payments": finding.payments,
        "usual_payments": str(usual),
        "left_out": finding.left_out,
        "base_currency": base,
    }
    return AlertSpec(
        user=user,
        alert_type=AlertType.UNUSUAL_SPENDING,
        key=f"unusual_spending:category:{finding.category_id}:{finding.month:%Y-%m}",
        title=f"Unusual {category.lower()} spending {when}: {spending}",
        message=message,
        severity=Severity.INFO,
        data=data,
    )


def unusual_spending_check(*, user: User, transactions: Iterable) -> int:
    """Raise unusual_spending for the recent expenses among ``transactions`` (saved rows of
    ``user``) and the category months they fall in; returns how many alerts it stored.

    Nothing when the customer turned the alert off. See the module docstring for the rules,
    the keys and the queries.
    """
    from transactions.models import Category

    today = user.today()
    candidates = recent_expenses(user=user, transactions=transactions)
    if not candidates:
        return 0
    if not alert_preferences(user)[AlertType.UNUSUAL_SPENDING].enabled:
        return 0

    rules = UnusualRules.from_settings()
    first = min(txn.txn_date for txn in candidates)
    last = max(max(txn.txn_date for txn in candidates), today)
    # From the trailing months of the first month: a category's month leaves out the
    # payments unusual on their own, in the months it is compared with too.
    judged_from = add_months(month_start(first), -rules.month_trailing)
    history, rows = load_history(user=user, judged_from=judged_from, end=last, rules=rules)

    payments: list[tuple[Any, Row, list[Reason]]] = []
    # The category months the payments fall in, with the last of their days.
    latest: dict[tuple[int, date], date] = {}
    for txn in candidates:
        row = rows.get(txn.pk)
        if row is None:  # no rate for its day: logged by load_history
            continue
        reasons = history.payment_reasons(row)
        if reasons:
            payments.append((txn, row, reasons))
        if row.category_id is not None:
            month = (row.category_id, month_start(row.day))
            latest[month] = max(latest.get(month, row.day), row.day)
    findings = []
    for (category_id, month), day in sorted(latest.items()):
        # Month to date: up to today, or to the last payment when it is dated ahead.
        as_of = min(max(today, day), month_end(month))
        finding = history.category_month(category_id, month, as_of)
        if finding is not None:
            findings.append(finding)
    if not payments and not findings:
        return 0

    category_ids = {txn.category_id for txn, _, _ in payments} | {
        finding.category_id for finding in findings
    }
    names = dict(
        Category.objects.filter(pk__in=[pk for pk in category_ids if pk is not None])
        .order_by()
        .values_list("pk", "name")
    )
    specs = [_payment_spec(user, txn, row, reasons, names) for txn, row, reasons in payments]
    specs += [_month_spec(user, finding, names, today) for finding in findings]
    return len(alerts_raise(specs=specs))
