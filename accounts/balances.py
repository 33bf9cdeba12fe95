"""Money in one currency: account balances in the customer's base currency, and rates on a day.

Balances. Each active account's stored balance (``BankAccount.balance``, kept equal to
opening balance + transactions by the ledger, so no transaction is read) is converted into
the target currency at the rate in force on one day, by ``accounts.currency``'s rule (the
latest rate on or before that day). For a customer that day is their today. Liabilities
count as stored: a credit card or loan that is owed has a negative balance and lowers the
total. Archived accounts are left out (``bank_account_list``'s default).

A missing rate does not fail the answer: the accounts in that currency get
``balance_in_base`` None, the pair and day are listed in ``missing_rates``, and the total
leaves them out (``complete`` is False). A caller that wants all or nothing calls
``raise_if_incomplete()``, which raises ``MissingRateError`` (a 409 in the API).

Rounding. Each account's and each currency's converted figure is rounded to the cent once;
the total converts each currency's exact sum with its unrounded rate and rounds once
(``accounts.currency.converted_total``), as every total in SmartBank does, so it can be a
cent away from the sum of the rounded per-account figures.

Cost: one query for the accounts, plus two for the rates when some account is in another
currency than the target (one ``RateBook`` for all the accounts).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Max, Q

from accounts.currency import EURO, ONE, MissingRateError, RateBook, converted_total
from accounts.models import BankAccount, ExchangeRate, User
from accounts.selectors import bank_account_list
from smartbank.money import quantize_money


@dataclass(frozen=True)
class MissingRate:
    """No rate for 1 ``base`` in ``quote`` on or before ``day``."""

    base: str
    quote: str
    day: date

    @classmethod
    def from_error(cls, error: MissingRateError) -> MissingRate:
        return cls(base=error.base, quote=error.quote, day=error.day)

    @property
    def detail(self) -> str:
        return str(MissingRateError(self.base, self.quote, self.day))


@dataclass(frozen=True)
class AccountBalance:
    """One account's stored balance and what it is worth in the target currency.

    ``rate``: 1 unit of the account's currency in the target currency; None (and
    ``balance_in_base`` None) when no rate is known.
    """

    account: BankAccount
    rate: Decimal | None
    balance_in_base: Decimal | None

    @property
    def balance(self) -> Decimal:
        return self.account.balance

    @property
    def currency(self) -> str:
        return self.account.currency


@dataclass(frozen=True)
class CurrencyBalance:
    """The accounts held in one currency: their summed balance, and it converted."""

    currency: str
    count: int
    balance: Decimal
    rate: Decimal | None
    balance_in_base: Decimal | None


@dataclass(frozen=True)
class Balances:
    """Accounts' balances in ``currency`` at the rates of ``day``.

    ``total`` adds every account whose currency has a rate; ``complete`` says whether that
    is all of them, and ``missing_rates`` names each pair left out.
    """

    currency: str
    day: date
    accounts: list[AccountBalance]
    currencies: list[CurrencyBalance]
    total: Decimal
    missing_rates: list[MissingRate]

    @property
    def count(self) -> int:
        return len(self.accounts)

    @property
    def complete(self) -> bool:
        return not self.missing_rates

    def raise_if_incomplete(self) -> Balances:
        """These balances, or ``MissingRateError`` for the first pair without a rate."""
        if self.missing_rates:
            missing = self.missing_rates[0]
            raise MissingRateError(missing.base, missing.quote, missing.day)
        return self


def balances_in(
    *, accounts: Iterable[BankAccount], currency: str, day: date, book: RateBook | None = None
) -> Balances:
    """The balances of ``accounts`` (in their order) in ``currency`` at the rates of ``day``.

    No query when every account is in ``currency`` or ``book`` is given (it must then hold
    the accounts' currencies and ``currency`` on ``day``); two for the rates otherwise.
    """
    accounts = list(accounts)
    held: dict[str, list[BankAccount]] = defaultdict(list)
    for account in accounts:
        held[account.currency].append(account)
    if book is None and set(held) - {currency}:
        book = RateBook.load(set(held) | {currency}, day, day)

    rates: dict[str, Decimal | None] = {}
    missing: list[MissingRate] = []
    for held_currency in sorted(held):
        if held_currency == currency:
            rates[held_currency] = ONE
            continue
        try:
            rates[held_currency] = book.rate(held_currency, currency, day)
        except MissingRateError as error:
            rates[held_currency] = None
            missing.append(MissingRate.from_error(error))

    def converted(amount: Decimal, from_currency: str) -> Decimal | None:
        if rates[from_currency] is None:
            return None
        if from_currency == currency:
            return quantize_money(amount)
        return book.convert(amount, from_currency, currency, day)

    per_account = [
        AccountBalance(
            account=account,
            rate=rates[account.currency],
            balance_in_base=converted(account.balance, account.currency),
        )
        for account in accounts
    ]
    per_currency = []
    for held_currency in sorted(held, key=lambda code: (code != currency, code)):
        summed = sum((account.balance for account in held[held_currency]), Decimal("0.00"))
        per_currency.append(
            CurrencyBalance(
                currency=held_currency,
                count=len(held[held_currency]),
                balance=summed,
                rate=rates[held_currency],
                balance_in_base=converted(summed, held_currency),
            )
        )
    total = converted_total(
        [(item.currency, day, item.balance) for item in per_currency if item.rate is not None],
        currency,
        book,
    )
    return Balances(
        currency=currency,
        day=day,
        accounts=per_account,
        currencies=per_currency,
        total=total,
        missing_rates=missing,
    )


def balances_in_base(*, user: User, day: date | None = None) -> Balances:
    """The customer's active accounts in their base currency at the rates of ``day``.

    ``day`` defaults to the customer's today. One query for the accounts (name order) and
    two for the rates when some account is in another currency than the base.
    """
    return balances_in(
        accounts=bank_account_list(user=user),
        currency=user.base_currency,
        day=day or user.today(),
    )


# --- Rates on a day -------------------------------------------------------------------


@dataclass(frozen=True)
class QuotedRate:
    """1 base = ``rate`` ``currency`` on the day asked; None when no rate is known.

    ``day`` is the day of the stored row the rate comes from (a Saturday shows Friday's);
    for a cross rate via the euro, the older of its two legs. None with no row (the base
    itself, or no rate).
    """

    currency: str
    rate: Decimal | None
    day: date | None


@dataclass(frozen=True)
class RatesOnDay:
    base: str
    day: date
    rates: list[QuotedRate]
    currencies: list[str]


def rates_on(*, base: str, day: date, quotes: Sequence[str] | None = None) -> RatesOnDay:
    """What 1 ``base`` buys in each of ``quotes`` on ``day`` (default: every known currency).

    ``currencies`` lists every currency the rates table knows, as base or quote. A quote
    with no rate on or before ``day`` (by the rule of ``accounts.currency``) is listed with
    rate None rather than failing the others. Two queries: each stored pair with its latest
    day on or before ``day``, then those rows themselves.
    """
    latest: dict[tuple[str, str], date | None] = {
        (row["base"], row["quote"]): row["last"]
        for row in ExchangeRate.objects.order_by()
        .values("base", "quote")
        .annotate(last=Max("day", filter=Q(day__lte=day)))
    }
    known = sorted({code for pair in latest for code in pair})
    wanted = list(dict.fromkeys(quotes)) if quotes is not None else [c for c in known if c != base]
    book = RateBook({base, *wanted}, day, day, rows=_latest_rows(latest, {base, *wanted, EURO}))
    rates = []
    for quote in wanted:
        if quote == base:
            rates.append(QuotedRate(currency=quote, rate=ONE, day=None))
            continue
        try:
            value = book.rate(base, quote, day)
        except MissingRateError:
            rates.append(QuotedRate(currency=quote, rate=None, day=None))
            continue
        rates.append(
            QuotedRate(currency=quote, rate=value, day=_rate_day(latest, base, quote, day))
        )
    return RatesOnDay(base=base, day=day, rates=rates, currencies=known)


def _latest_rows(
    latest: dict[tuple[str, str], date | None], currencies: set[str]
) -> list[tuple[str, str, date, Decimal]]:
    """The latest row on or before the day of each pair among ``currencies``: all a one-day
    RateBook needs, as the rule never looks further back than a pair's latest row.

    Read by the few distinct days involved, not by one condition per pair: PostgreSQL
    answers a long OR of (base, quote, day) triples with a scan of the whole table.
    """
    anchors = {
        pair: last
        for pair, last in latest.items()
        if last is not None and pair[0] in currencies and pair[1] in currencies
    }
    if not anchors:
        return []
    rows = (
        ExchangeRate.objects.order_by()
        .filter(base__in=currencies, quote__in=currencies, day__in=set(anchors.values()))
        .values_list("base", "quote", "day", "rate")
    )
    return [row for row in rows if anchors.get((row[0], row[1])) == row[2]]


def _rate_day(
    latest: dict[tuple[str, str], date | None], base: str, quote: str, day: date
) -> date | None:
    """The day of the row(s) ``rate(base, quote, day)`` uses, given each pair's latest day.

    accounts.currency's rule takes the most recently dated of its candidates (the pair, the
    reverse pair, the cross via the euro dated by its older leg), and only looks at the
    cross when the pair has no row on ``day`` itself; so the day in force is the latest of
    the candidates' days.
    """

    def pair_day(one: str, other: str) -> date | None:
        days = [d for d in (latest.get((one, other)), latest.get((other, one))) if d is not None]
        return max(days, default=None)

    candidates = [pair_day(base, quote)]
    if EURO not in (base, quote):
        legs = [pair_day(EURO, quote), pair_day(EURO, base)]
        if None not in legs:
            candidates.append(min(legs))
    return max((d for d in candidates if d is not None), default=None)


# --- Converting an amount -------------------------------------------------------------


@dataclass(frozen=True)
class Conversion:
    """``amount`` of ``from_currency`` is ``converted_amount`` of ``to_currency`` on ``day``."""

    amount: Decimal
    from_currency: str
    to_currency: str
    day: date
    rate: Decimal
    converted_amount: Decimal


def conversion_on(
    *, amount: Decimal, from_currency: str, to_currency: str, day: date
) -> Conversion:
    """``amount`` converted at the rate of ``day`` by accounts.currency's rule, rounded to
    the cent once (half to even). ``MissingRateError`` when no rate is known on or before
    ``day``. Two queries: one RateBook for the rate and the conversion. Used by POST
    /api/v1/currency/convert/ and the currency page alike.
    """
    book = RateBook.load({from_currency, to_currency}, day, day)
    rate = book.rate(from_currency, to_currency, day)
    return Conversion(
        amount=amount,
        from_currency=from_currency,
        to_currency=to_currency,
        day=day,
        rate=rate,
        converted_amount=book.convert(amount, from_currency, to_currency, day),
    )
