"""Seeded random customer histories for tests of totals: insights, reports, the portfolio.

``build_history()`` makes customers in different time zones and base currencies, each with
accounts in several currencies, months of income, spending at many merchants, refunds
(positive amounts in spending categories), uncategorised rows, and transfers between their
own accounts (through ``transactions.services.transfer_create``, so both legs are linked as
the ledger makes them). Non-transfer rows go in through ``transactions_bulk_create``, the
ledger's path for generated history, so balances stay equal to opening + sum.

Exchange rates are the test's own: ``random_rates()`` makes a table of EUR -> quote rates
(ECB style: weekdays only, so a weekend uses Friday's rate) and ``store_rates()`` writes it
as ``ExchangeRate`` rows. A test that checks conversions resolves rates from the same table
itself (``TableRates``), not through ``accounts.currency``.

The same seed gives the same history, so a failure can be replayed.
"""

from __future__ import annotations

import datetime
import decimal
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from accounts.models import BankAccount, ExchangeRate, User
from accounts.tests.factories import BankAccountFactory, UserFactory
from smartbank.dates import add_months
from transactions.models import Category
from transactions.services import transactions_bulk_create, transfer_create
from transactions.tests.factories import CategoryFactory, default_category

EURO = "EUR"
CENT = Decimal("0.01")

# Where a random walk of EUR -> quote starts.
START_RATES = {
    "USD": Decimal("1.08"),
    "GBP": Decimal("0.85"),
    "NZD": Decimal("1.80"),
    "AUD": Decimal("1.65"),
    "MXN": Decimal("19.50"),
    "JPY": Decimal("160.0"),
}

SPENDING = {
    "groceries": ["FreshMart", "Green Grocer", "Corner Shop", "Bulk Barn", "Market Hall"],
    "dining": ["Noodle Bar", "Cafe Blue", "Pizza Forno", "Taco Stand", "Sushi Go", "Bistro 9"],
    "transport": ["Metro Transit", "CityCab", "Fuel Stop", "ParkRight"],
    "utilities": ["PowerCo", "AquaWorks", "FibreNet"],
    "shopping": ["MegaStore", "Book Nook", "Shoe Hub", "Gadget World", "Home Goods"],
    "entertainment": ["CinemaMax", "StreamFlix", "Concert Hall"],
    "health": ["PharmaPlus", "Dental Care"],
    "travel": ["SkyAir", "Harbour Hotel", "RailLink"],
}


@dataclass(frozen=True)
class Profile:
    """A customer's shape: where they live, their base currency, their accounts."""

    name: str
    time_zone: str
    base_currency: str
    # (account type, currency) each; the first is the everyday account salaries go to.
    accounts: tuple[tuple[str, str], ...]
    own_category: str | None = None


PROFILES = (
    Profile(
        "auckland",
        "Pacific/Auckland",
        "NZD",
        (("checking", "NZD"), ("savings", "NZD"), ("credit_card", "AUD"), ("cash", "USD")),
        own_category="pets",
    ),
    Profile(
        "los-angeles",
        "America/Los_Angeles",
        "USD",
        (("checking", "USD"), ("savings", "EUR"), ("credit_card", "USD"), ("cash", "MXN")),
    ),
    Profile(
        "london",
        "Europe/London",
        "GBP",
        (("checking", "GBP"), ("savings", "EUR"), ("credit_card", "GBP"), ("investment", "USD")),
        own_category="groceries",  # the same slug as a default category: a filter means both
    ),
)

# One customer whose accounts are all in their base currency: no conversion at all.
SINGLE_CURRENCY = Profile(
    "dublin",
    "Europe/Dublin",
    "EUR",
    (("checking", "EUR"), ("savings", "EUR"), ("credit_card", "EUR"), ("cash", "EUR")),
)


@dataclass
class Customer:
    profile: Profile
    user: User
    accounts: list[BankAccount]
    categories: dict[str, Category] = field(default_factory=dict)  # default slug -> category
    own_category: Category | None = None


@dataclass
class History:
    customers: list[Customer]
    start: datetime.date
    end: datetime.date


# --- Rates ------------------------------------------------------------------------------

RateTable = dict[str, dict[datetime.date, Decimal]]  # quote -> day -> 1 EUR in quote


def random_rates(
    *, seed: int, currencies: Iterable[str], start: datetime.date, end: datetime.date
) -> RateTable:
    """EUR -> quote for each currency on each weekday from ``start`` to ``end``: a random walk
    of at most 0.4 % a day, 6 decimals, as the ECB publishes."""
    rng = random.Random(seed)
    table: RateTable = {}
    for quote in sorted(set(currencies) - {EURO}):
        value = START_RATES[quote]
        days: dict[datetime.date, Decimal] = {}
        day = start
        while day <= end:
            if day.weekday() < 5:
                value *= Decimal(1) + Decimal(rng.randint(-400, 400)) / Decimal(100_000)
                value = value.quantize(Decimal("0.000001"))
                days[day] = value
            day += datetime.timedelta(days=1)
        table[quote] = days
    return table


def store_rates(table: RateTable) -> None:
    ExchangeRate.objects.bulk_create(
        ExchangeRate(base=EURO, quote=quote, day=day, rate=value)
        for quote, days in table.items()
        for day, value in days.items()
    )


# Rates carry 28 significant digits (accounts.currency's documented rule); a rate resolved
# here must be the same number, so money rounds the same way.
_RATE_CONTEXT = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN)


class TableRates:
    """Rates resolved from a ``RateTable`` by the test itself: the latest EUR -> quote on or
    before the day for each side, crossed through the euro."""

    def __init__(self, table: RateTable) -> None:
        self.table = {quote: sorted(days.items()) for quote, days in table.items()}

    def euro_to(self, quote: str, day: datetime.date) -> Decimal:
        if quote == EURO:
            return Decimal(1)
        known = [value for rate_day, value in self.table[quote] if rate_day <= day]
        if not known:
            raise LookupError(f"The test's table has no EUR->{quote} on or before {day}.")
        return known[-1]

    def rate(self, base: str, quote: str, day: datetime.date) -> Decimal:
        if base == quote:
            return Decimal(1)
        with decimal.localcontext(_RATE_CONTEXT):
            if base == EURO:
                return self.euro_to(quote, day)
            if quote == EURO:
                return Decimal(1) / self.euro_to(base, day)
            return self.euro_to(quote, day) / self.euro_to(base, day)


# --- Customers --------------------------------------------------------------------------


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    """A random amount from ``low`` to ``high`` whole units, with random cents."""
    return Decimal(rng.randint(low * 100, high * 100)) * CENT


def _customer(
    profile: Profile, index: int, seed: int, start: datetime.date, opening: Decimal
) -> Customer:
    user = UserFactory(
        email=f"{profile.name}-{seed}-{index}@example.com",
        time_zone=profile.time_zone,
        base_currency=profile.base_currency,
    )
    accounts = []
    for position, (account_type, currency) in enumerate(profile.accounts):
        accounts.append(
            BankAccountFactory(
                user=user,
                name=f"{account_type.replace('_', ' ').title()} {currency} {position}",
                account_type=account_type,
                currency=currency,
                opening_balance=Decimal("0.00") if account_type == "credit_card" else opening,
                credit_limit=Decimal("20000.00") if account_type == "credit_card" else None,
                opening_date=start - datetime.timedelta(days=1),
            )
        )
    categories = {slug: default_category(slug) for slug in [*SPENDING, "income", "other"]}
    own = None
    if profile.own_category:
        own = CategoryFactory(
            user=user, slug=profile.own_category, name=f"My {profile.own_category}"
        )
    return Customer(
        profile=profile, user=user, accounts=accounts, categories=categories, own_category=own
    )


def _month_rows(
    rng: random.Random,
    customer: Customer,
    month_start: datetime.date,
    end: datetime.date,
    per_month: int,
) -> dict[int, list[dict]]:
    """One month of non-transfer rows, per account index."""
    rows: dict[int, list[dict]] = {index: [] for index in range(len(customer.accounts))}
    last_day = min(add_months(month_start, 1) - datetime.timedelta(days=1), end)
    days = (last_day - month_start).days + 1

    def day_in_month() -> datetime.date:
        return month_start + datetime.timedelta(days=rng.randrange(days))

    # Salary and a small bonus to the everyday account: income, a payer as merchant.
    rows[0].append(
        {
            "amount": _money(rng, 3000, 5000),
            "txn_date": month_start + datetime.timedelta(days=min(24, days - 1)),
            "description": "Salary",
            "merchant": "Employer Ltd",
            "category": customer.categories["income"],
        }
    )
    spending_slugs = list(SPENDING)
    own = customer.own_category
    for _ in range(per_month):
        account_index = rng.choice([0, 0, 0, 1, 2, 2, 3])
        roll = rng.random()
        if roll < 0.08:
            category, merchant = None, rng.choice(["", "Unknown Vendor", "ATM"])
        elif own and roll < 0.14:
            category, merchant = own, rng.choice(["Pet Palace", "Vet 24", "FreshMart"])
        else:
            slug = rng.choice(spending_slugs)
            category, merchant = customer.categories[slug], rng.choice(SPENDING[slug])
        if rng.random() < 0.05:
            merchant = ""
        amount = -_money(rng, 1, 250 if account_index != 3 else 40)
        if rng.random() < 0.10:
            # A refund: money back from a merchant, in the spending category it came from.
            amount = _money(rng, 1, 120)
        elif category is None and rng.random() < 0.3:
            amount = _money(rng, 5, 200)  # uncategorised money in (a payback from a friend)
        rows[account_index].append(
            {
                "amount": amount,
                "txn_date": day_in_month(),
                "description": f"{merchant or 'Card'} {'refund' if amount > 0 else 'payment'}",
                "merchant": merchant,
                "category": category,
            }
        )
    return rows


def _transfers(
    rng: random.Random, customer: Customer, month_start: datetime.date, end: datetime.date
) -> None:
    checking, savings, card, fourth = customer.accounts
    day = min(month_start + datetime.timedelta(days=rng.randrange(1, 20)), end)

    def move(source: BankAccount, target: BankAccount, amount: Decimal) -> None:
        received = None
        if source.currency != target.currency:
            received = (amount * Decimal(rng.randint(50, 200)) / 100).quantize(CENT)
        transfer_create(
            user=customer.user,
            from_account=source,
            to_account=target,
            amount=amount,
            amount_received=received,
            txn_date=day,
            description="Transfer",
        )

    move(checking, savings, _money(rng, 100, 800))
    move(checking, card, _money(rng, 200, 900))  # paying the card off
    if rng.random() < 0.5:
        move(savings, checking, _money(rng, 50, 300))
    if fourth.account_type in (BankAccount.Type.CASH, BankAccount.Type.INVESTMENT):
        move(checking, fourth, _money(rng, 50, 200))


def build_history(
    *,
    seed: int,
    start: datetime.date,
    end: datetime.date,
    per_month: int = 30,
    profiles: Sequence[Profile] = PROFILES,
) -> History:
    """One customer per profile, with a history from ``start`` to ``end``, plus one row on
    the day after ``end`` per customer: freeze time at ``end`` in UTC late enough that it is
    already that day in Auckland, and it is inside that customer's "today" only.

    ``per_month`` is the number of spending rows a month (salaries and transfers come on
    top), so ten times it makes a ten times longer history. Rates are not made here: store
    the test's own first (``random_rates`` for ``currencies_of(profiles)``, ``store_rates``),
    as the ledger's follow-ups (alerts on balances) convert too.
    """
    rng = random.Random(seed)
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    # Rows go in before the transfers, which must not overdraw: enough for every month.
    opening = Decimal(1000 * per_month * months)
    customers = [
        _customer(profile, index, seed, start, opening) for index, profile in enumerate(profiles)
    ]
    for customer in customers:
        rows: dict[int, list[dict]] = {index: [] for index in range(len(customer.accounts))}
        month = start.replace(day=1)
        while month <= end:
            first = max(month, start)
            for index, month_rows in _month_rows(rng, customer, first, end, per_month).items():
                rows[index].extend(month_rows)
            month = add_months(month, 1)
        rows[0].append(
            {
                "amount": Decimal("-12.34"),
                "txn_date": end + datetime.timedelta(days=1),
                "description": "Booked ahead",
                "merchant": "FreshMart",
                "category": customer.categories["groceries"],
            }
        )
        for index, account_rows in rows.items():
            transactions_bulk_create(account=customer.accounts[index], rows=account_rows)
        month = start.replace(day=1)
        while month <= end:
            _transfers(rng, customer, max(month, start), end)
            month = add_months(month, 1)
    return History(customers=customers, start=start, end=end)


def currencies_of(profiles: Iterable[Profile]) -> set[str]:
    """Every currency the profiles' customers hold or report in: the rates a test stores."""
    return {
        currency
        for profile in profiles
        for currency in [profile.base_currency, *(currency for _, currency in profile.accounts)]
    }
