"""Reads of bank accounts. Every one starts from BankAccount.objects.for_user (ownership)."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import models
from django.db.models import Case, DateField, F, QuerySet, Sum, Value, When

from accounts.models import BankAccount, User
from smartbank.money import quantize_money


class ArchivedState(models.TextChoices):
    """Which accounts a list shows: the active ones unless asked otherwise."""

    ACTIVE = "false", "Active accounts only (the default)"
    ARCHIVED = "true", "Archived accounts only"
    ALL = "all", "Active and archived accounts"


@dataclass(frozen=True)
class BalanceDay:
    day: date
    balance: Decimal


def bank_accounts_filter_archived(
    queryset: QuerySet[BankAccount], state: str
) -> QuerySet[BankAccount]:
    if state == ArchivedState.ALL:
        return queryset
    return queryset.filter(is_archived=state == ArchivedState.ARCHIVED)


def bank_account_list(*, user: User, archived: str = ArchivedState.ACTIVE) -> QuerySet[BankAccount]:
    """The user's accounts, active ones only by default, in name order."""
    return bank_accounts_filter_archived(BankAccount.objects.for_user(user), archived)


def balance_history(*, account: BankAccount, first_day: date, last_day: date) -> list[BalanceDay]:
    """The account's closing balance on every day from first_day to last_day, in one query.

    Rows before the window are grouped into the day before it, so one grouped query gives
    the balance carried in and the total of each day after it; the closing balances are
    opening balance + running sums (the ledger invariant). Days before the account opened
    are left out.
    """
    first_day = max(first_day, account.opening_date)
    carried_in = first_day - timedelta(days=1)
    totals = dict(
        account.transactions.filter(txn_date__lte=last_day)
        .annotate(
            day=Case(
                When(txn_date__lt=first_day, then=Value(carried_in)),
                default=F("txn_date"),
                output_field=DateField(),
            )
        )
        .order_by()
        .values("day")
        .annotate(total=Sum("amount"))
        .values_list("day", "total")
    )
    # SQLite sums decimals as floats: each day's total comes back to cents first.
    balance = account.opening_balance + quantize_money(Decimal(str(totals.get(carried_in, 0))))
    history = []
    day = first_day
    while day <= last_day:
        if day in totals:
            balance += quantize_money(Decimal(str(totals[day])))
        history.append(BalanceDay(day=day, balance=balance))
        day += timedelta(days=1)
    return history
