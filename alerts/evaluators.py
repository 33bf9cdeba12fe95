"""The evaluators that raise alerts from ledger writes and balances.

The ledger calls them after each write, in its database transaction
(``transactions.followups.transactions_written``), with every row of the write at once, so
each works in a fixed number of queries whatever the number of rows: load what it needs
once, decide in memory, raise the alerts in one batch (``alerts.services.alerts_raise``).

Amounts are compared in the customer's base currency, converted at the rate of the row's
day (``accounts.currency.RateBook``). A missing rate must not break a ledger write: that row
or account is left out of the comparison that needs the rate and a warning is logged.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction as db_transaction
from django.db.models import Sum

from accounts.currency import MissingRateError, RateBook
from accounts.models import BankAccount, User
from alerts.models import AlertType, Severity
from alerts.selectors import alert_preferences, alert_preferences_for_users
from alerts.services import AlertSpec, alerts_raise, recent_cutoff
from smartbank.money import format_money, quantize_money

logger = logging.getLogger(__name__)

# Accounts that hold the customer's own money and may not go below zero: a low balance
# means something there. (Credit cards are floored too, but their balance is a debt.)
LOW_BALANCE_ACCOUNT_TYPES = (
    BankAccount.Type.CHECKING,
    BankAccount.Type.SAVINGS,
    BankAccount.Type.CASH,
)
AVERAGE_DAYS = 90
# A balance under this share of its 90-day average daily balance is low.
AVERAGE_SHARE = Decimal("0.20")
_ACCOUNT_CHUNK = 1000


def _rate_book(currencies: set[str], start: date, end: date) -> RateBook:
    if len(currencies) == 1:
        # One currency converts to itself without a rate: no query.
        return RateBook(currencies, start, end, rows=())
    return RateBook.load(currencies, start, end)


# --- Large transactions ---------------------------------------------------------------


def recent_expenses(*, user: User, transactions: Iterable) -> list:
    """The expenses among ``transactions`` dated on or after the user's recent cutoff.

    Those are the rows a write may raise alerts for (importing years of history raises none
    for the old rows). They must be saved: alert keys carry the row's id, and an unsaved
    row would share the key "None" with others.
    """
    from transactions.models import Transaction

    cutoff = recent_cutoff(user=user)
    rows = [
        txn
        for txn in transactions
        if txn.kind == Transaction.Kind.EXPENSE and txn.amount < 0 and txn.txn_date >= cutoff
    ]
    if any(txn.pk is None for txn in rows):
        raise ValueError("Alerts are checked on saved transactions (with ids) only.")
    return rows


def large_transactions_check(*, user: User, transactions: Iterable) -> None:
    """Raise large_transaction for each recent expense at or over the user's threshold.

    Recent: txn_date within ALERT_RECENT_DAYS of the user's today. The absolute amount is
    converted to the base currency at the rate of its txn_date. Transfers and income are
    ignored. Key ``large_transaction:{txn.pk}``: once per transaction, however often it is
    written. Queries: the preference, the rates when currencies differ, the raise.
    """
    rows = recent_expenses(user=user, transactions=transactions)
    if not rows:
        return
    preference = alert_preferences(user)[AlertType.LARGE_TRANSACTION]
    if not preference.enabled:
        return
    threshold = preference.threshold
    base = user.base_currency
    book = _rate_book(
        {txn.currency for txn in rows} | {base},
        min(txn.txn_date for txn in rows),
        max(txn.txn_date for txn in rows),
    )
    specs = []
    for txn in rows:
        try:
            amount_base = book.convert(-txn.amount, txn.currency, base, txn.txn_date)
        except MissingRateError as exc:
            logger.warning(
                "large transaction check skipped transaction %s: %s",
                txn.pk,
                exc,
                extra={"transaction_id": txn.pk},
            )
            continue
        if amount_base < threshold:
            continue
        amount = format_money(-txn.amount, txn.currency)
        where = txn.merchant or txn.description or "a payment"
        message = f"{amount} at {where} on {txn.txn_date.isoformat()}"
        if txn.currency != base:
            message += f" (about {format_money(amount_base, base)})"
        message += f", at or over your large-transaction amount of {format_money(threshold, base)}."
        specs.append(
            AlertSpec(
                user=user,
                alert_type=AlertType.LARGE_TRANSACTION,
                key=f"large_transaction:{txn.pk}",
                title=f"Large transaction: {amount}",
                message=message,
                severity=Severity.WARNING,
                data={
                    "transaction_id": txn.pk,
                    "account_id": txn.account_id,
                    "amount": str(txn.amount),
                    "currency": txn.currency,
                    "amount_base": str(amount_base),
                    "base_currency": base,
                    "threshold": str(threshold),
                    "txn_date": txn.txn_date.isoformat(),
                },
            )
        )
    if specs:
        alerts_raise(specs=specs)


# --- Low balances ---------------------------------------------------------------------


def average_daily_balance(
    *, balance: Decimal, day_totals: dict[date, Decimal], today: date, opening_date: date
) -> tuple[Decimal, int] | None:
    """(sum of end-of-day balances, number of days) over the last AVERAGE_DAYS days.

    Walks back from the current balance: the balance at the end of a day is the balance
    minus every amount dated after it (``day_totals``: the sum of amounts per txn_date for
    the window and anything dated after today). Days before the account opened do not
    count. None when no day counts (an account opening in the future).
    """
    first = max(today - timedelta(days=AVERAGE_DAYS - 1), opening_date)
    if first > today:
        return None
    end_of_day = balance - sum(
        (total for day, total in day_totals.items() if day > today), Decimal("0")
    )
    total, days = Decimal("0"), 0
    day = today
    while day >= first:
        total += end_of_day
        days += 1
        end_of_day -= day_totals.get(day, Decimal("0"))
        day -= timedelta(days=1)
    return total, days


def low_balance_check(*, accounts: Iterable[BankAccount]) -> None:
    """Raise low_balance for each account that is low now, at most once per account a day.

    Checking, savings and cash accounts that are not archived, of users with the alert on.
    Low: the balance converted to the base currency (rate of the user's today) is below the
    user's threshold, or the balance is below 20 % of the account's average daily balance
    over the last 90 days (a positive average; days before the account opened left out).
    Key ``low_balance:{account.pk}:{user's today}``. Balances are read fresh, in a fixed
    number of queries for all the accounts. A missing rate skips only the threshold
    comparison for that account (the average needs no rate) and logs a warning.
    """
    ids = [account.pk for account in accounts]
    if ids:
        low_balances_check_ids(ids)


def low_balances_check_ids(account_ids: list[int]) -> int:
    """``low_balance_check`` for accounts by id; returns how many alerts it raised."""
    from transactions.models import Transaction

    accounts = list(
        BankAccount.objects.filter(
            pk__in=account_ids,
            is_archived=False,
            account_type__in=LOW_BALANCE_ACCOUNT_TYPES,
        )
        .select_related("user")
        .order_by("pk")
    )
    if not accounts:
        return 0
    users = {account.user_id: account.user for account in accounts}
    preferences = alert_preferences_for_users(users)
    accounts = [
        account
        for account in accounts
        if preferences[account.user_id][AlertType.LOW_BALANCE].enabled
    ]
    if not accounts:
        return 0
    today_of = {user_id: users[user_id].today() for user_id in {a.user_id for a in accounts}}
    first_today, last_today = min(today_of.values()), max(today_of.values())

    day_totals: dict[int, dict[date, Decimal]] = defaultdict(dict)
    window_start = first_today - timedelta(days=AVERAGE_DAYS - 1)
    rows = (
        Transaction.objects.filter(
            account_id__in=[account.pk for account in accounts], txn_date__gte=window_start
        )
        .values("account_id", "txn_date")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for row in rows:
        day_totals[row["account_id"]][row["txn_date"]] = row["total"]

    currencies = {a.currency for a in accounts} | {u.base_currency for u in users.values()}
    book = _rate_book(currencies, first_today, last_today)

    specs = []
    for account in accounts:
        user = users[account.user_id]
        today = today_of[user.pk]
        threshold = preferences[user.pk][AlertType.LOW_BALANCE].threshold
        base = user.base_currency
        balance = account.balance
        below_threshold = False
        balance_base = None
        try:
            balance_base = book.convert(balance, account.currency, base, today)
            below_threshold = balance_base < threshold
        except MissingRateError as exc:
            logger.warning(
                "low balance threshold check skipped account %s: %s",
                account.pk,
                exc,
                extra={"account_id": account.pk},
            )
        average = None
        below_average = False
        window = average_daily_balance(
            balance=balance,
            day_totals=day_totals.get(account.pk, {}),
            today=today,
            opening_date=account.opening_date,
        )
        if window is not None:
            total, days = window
            average = total / days
            # balance < 20 % of total / days, without dividing.
            below_average = total > 0 and balance * days < total * AVERAGE_SHARE
        if not (below_threshold or below_average):
            continue
        shown = format_money(balance, account.currency)
        if below_threshold:
            reason = f"below your low-balance amount of {format_money(threshold, base)}"
            if account.currency != base:
                reason = f"about {format_money(balance_base, base)}, " + reason
        else:
            reason = (
                f"under 20 % of its 90-day average of {format_money(average, account.currency)}"
            )
        specs.append(
            AlertSpec(
                user=user,
                alert_type=AlertType.LOW_BALANCE,
                key=f"low_balance:{account.pk}:{today.isoformat()}",
                title=f"Low balance on {account.name}: {shown}",
                message=f"{account.name} is at {shown}, {reason}.",
                severity=Severity.CRITICAL if balance <= 0 else Severity.WARNING,
                data={
                    "account_id": account.pk,
                    "balance": str(balance),
                    "currency": account.currency,
                    "balance_base": None if balance_base is None else str(balance_base),
                    "base_currency": base,
                    "threshold": str(threshold),
                    "average_daily_balance": None
                    if average is None
                    else str(quantize_money(average)),
                    "below_threshold": below_threshold,
                    "below_average": below_average,
                    "day": today.isoformat(),
                },
            )
        )
    if not specs:
        return 0
    return len(alerts_raise(specs=specs))


def low_balances_check_all() -> int:
    """The daily check: every active account of an active customer, 1,000 accounts at a
    time, each batch in its own database transaction. Returns the alerts raised."""
    ids = list(
        BankAccount.objects.filter(
            is_archived=False,
            account_type__in=LOW_BALANCE_ACCOUNT_TYPES,
            user__is_active=True,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    raised = 0
    for start in range(0, len(ids), _ACCOUNT_CHUNK):
        with db_transaction.atomic():
            raised += low_balances_check_ids(ids[start : start + _ACCOUNT_CHUNK])
    return raised
