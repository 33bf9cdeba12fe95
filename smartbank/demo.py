"""The demo dataset: believable customers, their accounts and years of history, and staff.

``seed_demo()`` is what ``manage.py seed_demo`` runs; the benchmarks call it with a larger
``DemoSize``. It works in two steps:

1. ``plan_history()`` is pure: from a profile, a date range and a seeded ``random.Random``
   it walks the days in order, keeping a running balance per account, and returns the rows
   and transfers to write. Because it walks in order, no floored account ever goes below
   its floor on any day (a payment that would is skipped or moved to the other account).
2. ``seed_demo()`` writes a plan through the ledger: each account's history in one
   ``transactions_bulk_create`` (one balance update per account), then the transfers in
   date order through ``transfer_create``. Transfers only ever leave checking, so taking
   them after the bulk rows never refuses one (checking's final balance is not negative and
   every later transfer only lowers it).

Idempotent: a customer who already has bank accounts is left exactly as they are (each
customer is written in one database transaction, so a customer is either complete or
absent); users are found by email and their demo password restored. Run twice, the second
run changes nothing. History ends on the day the customer was first seeded; to move it to
today, start from an empty database.

3. Then what a customer keeps beside their history: budgets for this month and the two
   before it (from their own spending, one of them set tight), their regular bills from the
   next due date on (some on auto-pay, one overdue), their rewards (staff's earning rules
   and redemption rates, a welcome bonus) and the alerts their last month raises, all
   through the same services the API uses.
"""

import calendar
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Any

from django.db import connection
from django.db import transaction as db_transaction
from django.utils import timezone

from accounts.models import BankAccount, User
from accounts.services import account_create, user_set_kyc_status, user_set_role, user_signup
from bills.models import Recurrence
from bills.services import bill_create
from budgets.services import budget_create
from rewards.models import EarningRule, RedemptionRate
from rewards.services import points_adjust, programme_create
from smartbank.dates import add_months
from smartbank.money import quantize_money
from transactions.followups import followups_paused, transactions_written
from transactions.models import Category, Transaction
from transactions.services import transactions_bulk_create, transfer_create

# Documented in README.md; only ever given to the demo users.
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105
DEMO_EMAIL_DOMAIN = "smartbank.example"
# The seed of every customer's random.Random: same seed and same day, same data.
DEMO_SEED = "smartbank-demo"

CHECKING, SAVINGS, CARD, FOREIGN = "checking", "savings", "card", "foreign"


@dataclass(frozen=True)
class DemoSize:
    """How much to generate. transactions_per_month counts day-to-day payments per customer;
    salaries, bills, interest, refunds and transfers come on top."""

    customers: int = 3
    months: int = 24
    transactions_per_month: int = 40


# --- Profiles -------------------------------------------------------------------------


@dataclass(frozen=True)
class Spend:
    """A kind of day-to-day payment: one of these merchants, an amount between low and high."""

    category: str
    merchants: tuple[str, ...]
    low: Decimal
    high: Decimal
    weight: int
    refundable: bool = False


@dataclass(frozen=True)
class Bill:
    """A regular expense on the same day each month; ``vary`` makes metered bills move."""

    day: int
    category: str
    merchant: str
    description: str
    amount: Decimal
    vary: Decimal = Decimal("0")
    on_card: bool = False


@dataclass(frozen=True)
class Profile:
    key: str
    habits: str
    full_name: str
    email_local: str
    phone: str
    base_currency: str
    time_zone: str
    locale: str
    bank_name: str
    employer: str
    salary: Decimal
    salary_day: int
    opening_checking: Decimal
    opening_savings: Decimal
    savings_per_month: Decimal
    checking_target: Decimal  # about what is left in checking just before payday
    savings_interest: Decimal  # yearly rate, paid monthly
    credit_limit: Decimal
    card_share: float  # share of day-to-day payments made by credit card
    card_payment_day: int
    foreign_currency: str
    foreign_account_type: str
    foreign_account_name: str
    foreign_funding: Decimal  # sent each month from checking, in the base currency
    foreign_rate: Decimal  # about how much foreign currency one unit of base buys
    foreign_payments_per_month: int
    weekend_weight: float
    bills: tuple[Bill, ...]
    spending: tuple[Spend, ...]
    foreign_spending: tuple[Spend, ...] = ()


def _d(value: str) -> Decimal:
    return Decimal(value)


PRACTICAL = Profile(
    key="practical",
    habits="groceries, utilities, transport",
    full_name="Paula Berger",
    email_local="paula",
    phone="+49 30 901820",
    base_currency="EUR",
    time_zone="Europe/Berlin",
    locale="de-de",
    bank_name="Berliner Volksbank",
    employer="Müller Logistik GmbH",
    salary=_d("3400.00"),
    salary_day=27,
    opening_checking=_d("1850.00"),
    opening_savings=_d("6500.00"),
    savings_per_month=_d("400.00"),
    checking_target=_d("1200.00"),
    savings_interest=_d("0.020"),
    credit_limit=_d("2000.00"),
    card_share=0.25,
    card_payment_day=3,
    foreign_currency="USD",
    foreign_account_type=BankAccount.Type.SAVINGS,
    foreign_account_name="Dollar savings",
    foreign_funding=_d("150.00"),
    foreign_rate=_d("1.08"),
    foreign_payments_per_month=0,
    weekend_weight=1.2,
    bills=(
        Bill(1, "housing", "Deutsche Wohnen", "Rent", _d("1050.00")),
        Bill(1, "transport", "BVG", "Deutschlandticket", _d("49.00")),
        Bill(5, "utilities", "Telekom", "Internet", _d("39.95")),
        Bill(8, "utilities", "O2", "Mobile phone", _d("19.99")),
        Bill(15, "utilities", "Vattenfall", "Electricity", _d("68.00"), vary=_d("14.00")),
        Bill(20, "utilities", "Berliner Wasserbetriebe", "Water", _d("31.00"), vary=_d("6.00")),
        Bill(15, "utilities", "ARD ZDF Deutschlandradio", "Rundfunkbeitrag", _d("18.36")),
        Bill(3, "utilities", "GASAG", "Heating", _d("74.00"), vary=_d("30.00")),
        Bill(12, "entertainment", "Spotify", "Spotify Premium", _d("10.99"), on_card=True),
    ),
    spending=(
        Spend("groceries", ("REWE", "Lidl", "Aldi Süd", "Edeka", "Netto"), _d("6"), _d("95"), 48),
        Spend(
            "transport", ("Aral", "Shell", "DB Fernverkehr", "Call a Bike"), _d("3"), _d("70"), 14
        ),
        Spend("dining", ("Bäckerei Kamps", "Vapiano", "Curry 36"), _d("3"), _d("38"), 9),
        Spend(
            "shopping",
            ("IKEA", "Amazon.de", "Tchibo", "Hornbach", "Bauhaus"),
            _d("9"),
            _d("90"),
            5,
            refundable=True,
        ),
        Spend(
            "health", ("dm-drogerie markt", "Apotheke am Markt", "Rossmann"), _d("4"), _d("45"), 8
        ),
        Spend("entertainment", ("Kino International", "Thalia"), _d("8"), _d("30"), 3),
    ),
)

SOCIAL = Profile(
    key="social",
    habits="dining, entertainment",
    full_name="Sam O'Neill",
    email_local="sam",
    phone="+44 20 7946 0321",
    base_currency="GBP",
    time_zone="Europe/London",
    locale="en-gb",
    bank_name="Monzo",
    employer="Brightwave Media Ltd",
    salary=_d("3150.00"),
    salary_day=25,
    opening_checking=_d("900.00"),
    opening_savings=_d("2000.00"),
    savings_per_month=_d("200.00"),
    checking_target=_d("600.00"),
    savings_interest=_d("0.035"),
    credit_limit=_d("3000.00"),
    card_share=0.6,
    card_payment_day=3,
    foreign_currency="EUR",
    foreign_account_type=BankAccount.Type.CHECKING,
    foreign_account_name="Euro wallet",
    foreign_funding=_d("120.00"),
    foreign_rate=_d("1.17"),
    foreign_payments_per_month=3,
    weekend_weight=2.2,
    bills=(
        Bill(1, "housing", "Foxtons Lettings", "Rent", _d("1350.00")),
        Bill(2, "health", "PureGym", "Gym membership", _d("32.99")),
        Bill(3, "utilities", "Lambeth Council", "Council tax", _d("142.00")),
        Bill(
            10, "utilities", "Octopus Energy", "Gas and electricity", _d("84.00"), vary=_d("22.00")
        ),
        Bill(14, "utilities", "BT", "Broadband", _d("32.00")),
        Bill(9, "entertainment", "Netflix", "Netflix", _d("10.99"), on_card=True),
        Bill(20, "entertainment", "Spotify", "Spotify Premium", _d("11.99"), on_card=True),
    ),
    spending=(
        Spend(
            "dining",
            ("Pret A Manger", "Dishoom", "Nando's", "Wagamama", "Deliveroo"),
            _d("4"),
            _d("55"),
            30,
        ),
        Spend(
            "dining",
            ("The Crown & Anchor", "The Old Red Lion", "BrewDog Shoreditch"),
            _d("6"),
            _d("48"),
            12,
        ),
        Spend(
            "entertainment",
            ("Odeon", "Vue Cinemas", "Barbican Centre", "Steam"),
            _d("8"),
            _d("45"),
            16,
        ),
        Spend(
            "entertainment",
            ("Ticketmaster", "Dice", "Fabric London"),
            _d("18"),
            _d("95"),
            9,
            refundable=True,
        ),
        Spend(
            "groceries", ("Tesco Express", "Sainsbury's Local", "M&S Food"), _d("4"), _d("48"), 18
        ),
        Spend("transport", ("TfL", "Uber"), _d("3"), _d("28"), 14),
        Spend(
            "shopping", ("ASOS", "Amazon.co.uk", "Uniqlo"), _d("12"), _d("85"), 5, refundable=True
        ),
    ),
    foreign_spending=(
        Spend(
            "dining", ("Café de Flore", "Bar Marsella", "Trattoria da Enzo"), _d("8"), _d("60"), 5
        ),
        Spend(
            "entertainment",
            ("Paradiso Amsterdam", "Berghain", "Musée d'Orsay"),
            _d("15"),
            _d("45"),
            3,
        ),
    ),
)

LIFESTYLE = Profile(
    key="lifestyle",
    habits="shopping, travel, health",
    full_name="Lena Park",
    email_local="lena",
    phone="+1 212 555 0142",
    base_currency="USD",
    time_zone="America/New_York",
    locale="en-us",
    bank_name="Chase",
    employer="Hudson & Vale Partners LLC",
    salary=_d("7800.00"),
    salary_day=30,
    opening_checking=_d("4200.00"),
    opening_savings=_d("15000.00"),
    savings_per_month=_d("900.00"),
    checking_target=_d("2500.00"),
    savings_interest=_d("0.040"),
    credit_limit=_d("12000.00"),
    card_share=0.8,
    card_payment_day=5,
    foreign_currency="EUR",
    foreign_account_type=BankAccount.Type.CHECKING,
    foreign_account_name="Euro travel account",
    foreign_funding=_d("300.00"),
    foreign_rate=_d("0.92"),
    foreign_payments_per_month=3,
    weekend_weight=1.4,
    bills=(
        Bill(1, "housing", "Greystar", "Rent", _d("3200.00")),
        Bill(1, "health", "Equinox", "Equinox membership", _d("245.00"), on_card=True),
        Bill(15, "health", "ClassPass", "ClassPass", _d("49.00"), on_card=True),
        Bill(18, "utilities", "Con Edison", "Electricity", _d("105.00"), vary=_d("35.00")),
        Bill(22, "utilities", "Verizon", "Phone and internet", _d("85.00")),
        Bill(9, "entertainment", "Netflix", "Netflix", _d("15.49"), on_card=True),
        Bill(11, "technology", "Apple", "iCloud+", _d("9.99"), on_card=True),
    ),
    spending=(
        Spend(
            "shopping",
            ("Amazon", "Zara", "Sephora", "Aritzia", "Uniqlo"),
            _d("15"),
            _d("140"),
            24,
            refundable=True,
        ),
        Spend(
            "shopping",
            ("Nordstrom", "Apple Store", "Bloomingdale's"),
            _d("60"),
            _d("420"),
            4,
            refundable=True,
        ),
        Spend("travel", ("Uber", "Lyft", "MTA OMNY"), _d("3"), _d("45"), 12),
        Spend(
            "travel",
            ("Delta Air Lines", "JetBlue", "Airbnb", "Marriott"),
            _d("120"),
            _d("650"),
            2,
            refundable=True,
        ),
        Spend(
            "health",
            ("CVS Pharmacy", "Walgreens", "One Medical", "Sweetgreen"),
            _d("8"),
            _d("75"),
            14,
        ),
        Spend(
            "dining",
            ("Blue Bottle Coffee", "Joe's Pizza", "Carbone", "Sushi Nakazawa"),
            _d("6"),
            _d("95"),
            14,
        ),
        Spend("groceries", ("Whole Foods Market", "Trader Joe's"), _d("18"), _d("140"), 11),
        Spend("entertainment", ("AMC Theatres", "Broadway Direct"), _d("18"), _d("160"), 3),
    ),
    foreign_spending=(
        Spend("travel", ("SNCF", "Hotel Le Marais", "Air France"), _d("25"), _d("180"), 4),
        Spend("shopping", ("Galeries Lafayette", "Le Bon Marché"), _d("20"), _d("140"), 3),
        Spend("dining", ("Café Kitsuné", "Le Comptoir du Relais"), _d("8"), _d("65"), 3),
    ),
)

PROFILES = (PRACTICAL, SOCIAL, LIFESTYLE)

STAFF = (
    ("admin", "admin", "Ada Admin"),
    ("auditor", "auditor", "Otto Auditor"),
    ("support", "support", "Sue Support"),
)


def customer_email(index: int) -> str:
    """The three documented customers, then numbered copies of their profiles for benchmarks."""
    profile = PROFILES[index % len(PROFILES)]
    suffix = "" if index < len(PROFILES) else f".{index + 1}"
    return f"{profile.email_local}{suffix}@{DEMO_EMAIL_DOMAIN}"


# --- Planning (pure: no database) -----------------------------------------------------


@dataclass(frozen=True)
class PlannedTransfer:
    txn_date: date
    from_key: str
    to_key: str
    amount: Decimal
    amount_received: Decimal
    description: str


@dataclass
class HistoryPlan:
    """Rows per account key (CHECKING, SAVINGS, CARD, FOREIGN) and transfers between them.

    A row's ``category`` is a default category's slug; ``balances`` are the final ones.
    """

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    transfers: list[PlannedTransfer] = field(default_factory=list)
    balances: dict[str, Decimal] = field(default_factory=dict)


def _day_in_month(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _months(start: date, end: date):
    current = start.replace(day=1)
    while current <= end:
        yield current.year, current.month
        current = add_months(current, 1)


def _days(start: date, end: date):
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


ZERO = Decimal("0.00")
# What a careful customer leaves in checking before paying by debit card or topping up.
CHECKING_CUSHION = Decimal("100.00")


class _HistoryPlanner:
    """Walks one customer's days in order with running balances, so every payment is
    checked against its account's floor on its own day."""

    def __init__(
        self,
        profile: Profile,
        *,
        start: date,
        end: date,
        transactions_per_month: int,
        rng: random.Random,
    ):
        self.profile = profile
        self.start = start
        self.end = end
        self.transactions_per_month = transactions_per_month
        self.rng = rng
        self.plan = HistoryPlan()
        self.balances = {
            CHECKING: profile.opening_checking,
            SAVINGS: profile.opening_savings,
            CARD: ZERO,
            FOREIGN: ZERO,
        }
        self.floors = {CHECKING: ZERO, SAVINGS: ZERO, CARD: -profile.credit_limit, FOREIGN: ZERO}
        self.refunds: dict[date, list[tuple[str, dict[str, Any]]]] = defaultdict(list)

    def run(self) -> HistoryPlan:
        for year, month in _months(self.start, self.end):
            events = self._month_events(year, month)
            first = max(self.start, date(year, month, 1))
            last = min(self.end, _day_in_month(year, month, 31))
            for day in _days(first, last):
                # Money in, then bills, then transfers, then day-to-day payments, then refunds.
                for _, action, args in sorted(events.get(day, []), key=lambda event: event[0]):
                    action(day, *args)
                for key, row in self.refunds.pop(day, []):
                    self._book(key, **row)
        self.plan.balances = dict(self.balances)
        return self.plan

    def _month_events(self, year: int, month: int) -> dict[date, list]:
        profile, rng = self.profile, self.rng
        events: dict[date, list] = defaultdict(list)

        def at(day_of_month: int, order: int, action, *args) -> None:
            day = _day_in_month(year, month, day_of_month)
            if self.start <= day <= self.end:
                events[day].append((order, action, args))

        months_in = (year - self.start.year) * 12 + month - self.start.month
        # A pay rise of 3% for each full year with the same employer.
        salary = quantize_money(profile.salary * Decimal("1.03") ** (months_in // 12))
        at(profile.salary_day, 0, self._salary, salary)
        at(31, 0, self._interest)
        for bill in profile.bills:
            at(bill.day, 1, self._bill, bill)
        at(profile.card_payment_day, 2, self._card_payoff)
        at(profile.salary_day + 1, 2, self._to_savings, salary)
        at(10, 2, self._to_foreign)

        for day in self._payment_days(
            year, month, self.transactions_per_month, profile.weekend_weight
        ):
            spend = rng.choices(profile.spending, weights=[s.weight for s in profile.spending])[0]
            first = CARD if rng.random() < profile.card_share else CHECKING
            events[day].append((3, self._pay_card_or_debit, (spend, self._amount(spend), first)))
        if profile.foreign_spending:
            weights = [s.weight for s in profile.foreign_spending]
            for day in self._payment_days(year, month, profile.foreign_payments_per_month, 1.0):
                spend = rng.choices(profile.foreign_spending, weights=weights)[0]
                events[day].append((3, self._pay_foreign, (spend, self._amount(spend))))
        return events

    def _payment_days(self, year: int, month: int, count: int, weekend: float) -> list[date]:
        month_length = calendar.monthrange(year, month)[1]
        days = [
            day
            for day in _days(date(year, month, 1), date(year, month, month_length))
            if self.start <= day <= self.end
        ]
        if not days or count <= 0:
            return []
        # A part month (the first and the current one) gets its share of the payments.
        count = max(1, round(count * len(days) / month_length))
        weights = [weekend if day.weekday() >= 4 else 1.0 for day in days]
        return self.rng.choices(days, weights=weights, k=count)

    def _amount(self, spend: Spend) -> Decimal:
        # Skewed towards the low end: most payments are small, a few are large.
        fraction = Decimal(self.rng.random() ** 1.7)
        return quantize_money(spend.low + (spend.high - spend.low) * fraction)

    def _posted(self, day: date) -> date:
        return min(day + timedelta(days=self.rng.choice((0, 1, 1, 2, 3))), self.end)

    def _can_pay(self, key: str, amount: Decimal, cushion: Decimal = ZERO) -> bool:
        return self.balances[key] - amount >= self.floors[key] + cushion

    def _book(self, key: str, amount: Decimal, **row: Any) -> None:
        self.balances[key] += amount
        self.plan.rows[key].append({"amount": amount, **row})

    def _transfer(
        self,
        day: date,
        from_key: str,
        to_key: str,
        amount: Decimal,
        *,
        description: str,
        amount_received: Decimal | None = None,
    ) -> None:
        received = amount if amount_received is None else amount_received
        self.balances[from_key] -= amount
        self.balances[to_key] += received
        self.plan.transfers.append(
            PlannedTransfer(day, from_key, to_key, amount, received, description)
        )

    # Events: each takes the day first.

    def _salary(self, day: date, salary: Decimal) -> None:
        employer = self.profile.employer
        self._book(
            CHECKING,
            salary,
            description=f"Salary {employer}",
            merchant=employer,
            category="income",
            txn_date=day,
            posted_date=day,
        )

    def _interest(self, day: date) -> None:
        amount = quantize_money(self.balances[SAVINGS] * self.profile.savings_interest / 12)
        if amount > 0:
            bank = self.profile.bank_name
            self._book(
                SAVINGS,
                amount,
                description="Interest",
                merchant=bank,
                category="income",
                txn_date=day,
                posted_date=day,
            )

    def _bill(self, day: date, bill: Bill) -> None:
        amount = bill.amount
        if bill.vary:
            amount = quantize_money(amount + bill.vary * Decimal(self.rng.uniform(-1, 1)))
        key = CARD if bill.on_card else CHECKING
        if self._can_pay(key, amount):
            self._book(
                key,
                -amount,
                description=bill.description,
                merchant=bill.merchant,
                category=bill.category,
                txn_date=day,
                posted_date=day,
            )

    def _card_payoff(self, day: date) -> None:
        amount = min(-self.balances[CARD], self.balances[CHECKING] - CHECKING_CUSHION)
        if amount > 0:
            self._transfer(day, CHECKING, CARD, amount, description="Credit card payment")

    def _to_savings(self, day: date, salary: Decimal) -> None:
        # Save the planned amount plus whatever was left above the checking target before
        # the salary came in, but always keep a month's bills in checking.
        profile = self.profile
        before_salary = self.balances[CHECKING] - salary
        amount = profile.savings_per_month + max(ZERO, before_salary - profile.checking_target)
        bills = sum((bill.amount for bill in profile.bills), ZERO)
        amount = min(amount, self.balances[CHECKING] - bills)
        if amount >= Decimal("25.00"):
            self._transfer(day, CHECKING, SAVINGS, amount, description="Monthly saving")

    def _to_foreign(self, day: date) -> None:
        profile = self.profile
        amount = profile.foreign_funding
        if self._can_pay(CHECKING, amount, cushion=CHECKING_CUSHION):
            # The bank's rate moves a little from day to day.
            rate = profile.foreign_rate * Decimal(1 + self.rng.uniform(-0.025, 0.025))
            self._transfer(
                day,
                CHECKING,
                FOREIGN,
                amount,
                amount_received=quantize_money(amount * rate),
                description=f"Top up {profile.foreign_account_name}",
            )

    def _pay_card_or_debit(self, day: date, spend: Spend, amount: Decimal, first: str) -> None:
        for key in (first, CARD if first == CHECKING else CHECKING):
            cushion = CHECKING_CUSHION if key == CHECKING else ZERO
            if self._can_pay(key, amount, cushion):
                self._pay(day, spend, key, amount)
                return

    def _pay_foreign(self, day: date, spend: Spend, amount: Decimal) -> None:
        if self._can_pay(FOREIGN, amount):
            self._pay(day, spend, FOREIGN, amount)

    def _pay(self, day: date, spend: Spend, key: str, amount: Decimal) -> None:
        merchant = self.rng.choice(spend.merchants)
        row = {
            "description": f"{'Card' if key == CARD else 'Debit card'} payment {merchant}",
            "merchant": merchant,
            "category": spend.category,
            "txn_date": day,
            "posted_date": self._posted(day),
        }
        self._book(key, -amount, **row)
        if spend.refundable and self.rng.random() < 0.06:
            refund_day = day + timedelta(days=self.rng.randint(3, 20))
            if refund_day <= self.end:
                refund = amount if self.rng.random() < 0.7 else quantize_money(amount / 2)
                self.refunds[refund_day].append(
                    (
                        key,
                        {
                            **row,
                            "amount": refund,
                            "description": f"Refund {merchant}",
                            "txn_date": refund_day,
                            "posted_date": refund_day,
                        },
                    )
                )


def plan_history(
    profile: Profile, *, start: date, end: date, transactions_per_month: int, rng: random.Random
) -> HistoryPlan:
    """Every booking of one customer from start to end (inclusive), in date order."""
    return _HistoryPlanner(
        profile, start=start, end=end, transactions_per_month=transactions_per_month, rng=rng
    ).run()


# --- Writing (through the account and ledger services) --------------------------------


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str
    who: str


@dataclass
class DemoResult:
    logins: list[DemoLogin]
    customers_created: int = 0
    customers_kept: int = 0


def seed_demo(size: DemoSize | None = None, *, today: date | None = None) -> DemoResult:
    """Create the staff users and ``size.customers`` customers with their history.

    ``today`` ends every customer's history (default: each customer's own today, in
    their time zone). Customers who already have accounts are left as they are.
    """
    size = size or DemoSize()
    result = DemoResult(logins=[])
    for role, email_local, full_name in STAFF:
        email = f"{email_local}@{DEMO_EMAIL_DOMAIN}"
        user = _demo_user(email=email, full_name=full_name)
        user_set_role(user=user, role=role, actor=None)
        result.logins.append(DemoLogin(role, email, DEMO_PASSWORD, full_name))

    categories = {category.slug: category for category in Category.objects.filter(user=None)}
    seed_reward_scheme(
        categories=categories, starts_on=(today or timezone.localdate()) - timedelta(days=90)
    )
    for index in range(size.customers):
        profile = PROFILES[index % len(PROFILES)]
        email = customer_email(index)
        created = _seed_customer(
            index=index, email=email, size=size, today=today, categories=categories
        )
        if created:
            result.customers_created += 1
        else:
            result.customers_kept += 1
        if index < len(PROFILES):
            result.logins.append(
                DemoLogin(
                    "customer",
                    email,
                    DEMO_PASSWORD,
                    f"{profile.full_name}, {profile.key}: {profile.habits}",
                )
            )
    return result


def _demo_user(*, email: str, full_name: str, profile: Profile | None = None) -> User:
    """The user with this email, created if missing, with the demo password and KYC verified."""
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        details = {}
        if profile is not None:
            details = {
                "phone": profile.phone,
                "base_currency": profile.base_currency,
                "time_zone": profile.time_zone,
                "locale": profile.locale,
            }
        user = user_signup(email=email, password=DEMO_PASSWORD, full_name=full_name, **details)
    elif not user.check_password(DEMO_PASSWORD):
        # Someone changed it while trying the demo: the documented password works again.
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    user_set_kyc_status(user=user, kyc_status=User.KycStatus.VERIFIED, actor=None)
    return user


@db_transaction.atomic
def _seed_customer(
    *,
    index: int,
    email: str,
    size: DemoSize,
    today: date | None,
    categories: dict[str, Category],
) -> bool:
    """One customer, all or nothing. Returns False when they already had accounts."""
    profile = PROFILES[index % len(PROFILES)]
    suffix = "" if index < len(PROFILES) else f" {index + 1}"
    user = _demo_user(email=email, full_name=f"{profile.full_name}{suffix}", profile=profile)
    if user.bank_accounts.exists():
        return False

    end = today or user.today()
    start = add_months(end, -size.months)
    # Not for secrets: a fixed seed makes the demo the same on every machine.
    rng = random.Random(f"{DEMO_SEED}:{index}")  # noqa: S311
    plan = plan_history(
        profile,
        start=start,
        end=end,
        transactions_per_month=size.transactions_per_month,
        rng=rng,
    )
    accounts = _open_accounts(user=user, profile=profile, opening_date=start, rng=rng)
    for key, rows in plan.rows.items():
        transactions_bulk_create(
            account=accounts[key],
            rows=[{**row, "category": categories[row["category"]]} for row in rows],
        )
    # In date order, after the bulk rows: see the module docstring for why none is refused.
    # Until the last transfer is in, an account's balance on the way is not one it ever had:
    # the follow-ups (alerts, points) run once the history is whole.
    with followups_paused():
        _seed_transfers(user=user, accounts=accounts, transfers=plan.transfers)
    _seed_budgets(user=user, plan=plan, profile=profile, categories=categories, end=end)
    _seed_bills(user=user, profile=profile, accounts=accounts, categories=categories, end=end)
    _seed_rewards_and_alerts(user=user, accounts=accounts, end=end)
    return True


def _seed_transfers(
    *, user: User, accounts: dict[str, BankAccount], transfers: list[PlannedTransfer]
) -> None:
    for planned in transfers:
        transfer_create(
            user=user,
            from_account=accounts[planned.from_key],
            to_account=accounts[planned.to_key],
            amount=planned.amount,
            amount_received=planned.amount_received,
            txn_date=planned.txn_date,
            posted_date=planned.txn_date,
            description=planned.description,
        )


def _open_accounts(
    *, user: User, profile: Profile, opening_date: date, rng: random.Random
) -> dict[str, BankAccount]:
    specs = {
        CHECKING: ("Everyday checking", BankAccount.Type.CHECKING, profile.base_currency, None),
        SAVINGS: ("Savings", BankAccount.Type.SAVINGS, profile.base_currency, None),
        CARD: (
            "Credit card",
            BankAccount.Type.CREDIT_CARD,
            profile.base_currency,
            profile.credit_limit,
        ),
        FOREIGN: (
            profile.foreign_account_name,
            profile.foreign_account_type,
            profile.foreign_currency,
            None,
        ),
    }
    openings = {CHECKING: profile.opening_checking, SAVINGS: profile.opening_savings}
    return {
        key: account_create(
            user=user,
            name=name,
            account_type=account_type,
            currency=currency,
            credit_limit=credit_limit,
            bank_name=profile.bank_name,
            account_number=f"{rng.randrange(10**12):012d}",
            opening_balance=openings.get(key, ZERO),
            opening_date=opening_date,
        )
        for key, (name, account_type, currency, credit_limit) in specs.items()
    }


# --- Budgets, bills, rewards and alerts ------------------------------------------------

# Staff's reward scheme, created once: what the demo's points are earned by and worth.
REWARD_RULES = (
    ("Bills paid on time", EarningRule.Kind.BILL_ON_TIME, Decimal("50"), ()),
    ("Everyday spending", EarningRule.Kind.CATEGORY_SPEND, Decimal("1"), ("groceries", "dining")),
)
REDEMPTION_CURRENCIES = ("EUR", "GBP", "USD")
WELCOME_POINTS = 500
# Budgets are set a little above what a category usually takes; the first one is tight.
BUDGET_HEADROOM = Decimal("1.10")
TIGHT_BUDGET = Decimal("0.80")
BUDGET_MONTHS = 3


def seed_reward_scheme(*, categories: dict[str, Category], starts_on: date) -> None:
    """The earning rules and redemption rates staff would set in the admin, once."""
    if not EarningRule.objects.exists():
        for name, kind, points, slugs in REWARD_RULES:
            rule = EarningRule.objects.create(
                name=name, kind=kind, points=points, starts_on=starts_on
            )
            rule.categories.set([categories[slug] for slug in slugs])
    for currency in REDEMPTION_CURRENCIES:
        RedemptionRate.objects.get_or_create(
            currency=currency, defaults={"points_per_unit": 100, "minimum_points": 500}
        )


def _round_up(amount: Decimal, step: Decimal = Decimal("10")) -> Decimal:
    return quantize_money((amount / step).to_integral_value(rounding=ROUND_CEILING) * step)


def _seed_budgets(
    *, user: User, plan: HistoryPlan, profile: Profile, categories: dict[str, Category], end: date
) -> None:
    """Budgets for this month and the two before it, from the last three full months' spending."""
    first_of_month = end.replace(day=1)
    window_start = add_months(first_of_month, -3)
    spent: dict[str, Decimal] = defaultdict(Decimal)
    for key in (CHECKING, CARD):  # the accounts in the base currency
        for row in plan.rows[key]:
            if window_start <= row["txn_date"] < first_of_month:
                spent[row["category"]] -= row["amount"]
    # A profile may spend in one category in several ways (cafés and restaurants): one budget.
    slugs = list(dict.fromkeys(spend.category for spend in profile.spending))
    slugs = [slug for slug in slugs if spent[slug] > 0]
    for month_offset in range(BUDGET_MONTHS):
        month = add_months(first_of_month, -month_offset)
        for index, slug in enumerate(slugs):
            share = TIGHT_BUDGET if index == 0 else BUDGET_HEADROOM
            budget_create(
                user=user,
                category=categories[slug],
                month=month,
                amount=_round_up(spent[slug] / 3 * share),
            )


def _seed_bills(
    *,
    user: User,
    profile: Profile,
    accounts: dict[str, BankAccount],
    categories: dict[str, Category],
    end: date,
) -> None:
    """Each regular bill from its next due date on, every other one on auto-pay, plus one
    quarterly bill left unpaid past its due date."""
    for index, bill in enumerate(profile.bills):
        due = _day_in_month(end.year, end.month, bill.day)
        if due <= end:
            next_month = add_months(end.replace(day=1), 1)
            due = _day_in_month(next_month.year, next_month.month, bill.day)
        bill_create(
            user=user,
            biller=bill.merchant,
            amount_due=bill.amount,
            due_date=due,
            recurrence=Recurrence.MONTHLY,
            autopay=index % 2 == 0,
            account=accounts[CARD if bill.on_card else CHECKING],
            category=categories[bill.category],
        )
    bill_create(
        user=user,
        biller="District water board",
        amount_due=Decimal("84.50"),
        due_date=end - timedelta(days=3),
        recurrence=Recurrence.QUARTERLY,
        account=accounts[CHECKING],
        category=categories["utilities"],
    )


def _seed_rewards_and_alerts(*, user: User, accounts: dict[str, BankAccount], end: date) -> None:
    """A welcome bonus, then the last month's rows run through the ledger's follow-ups, as if
    they had just been written: the points they earn and the alerts they raise."""
    staff = User.objects.filter(role=User.Role.ADMIN).order_by("pk").first()
    programme = programme_create(user=user)
    if staff is not None and not programme.entries.exists():
        points_adjust(
            programme=programme, points=WELCOME_POINTS, reason="Welcome bonus", actor=staff
        )
    recent = Transaction.objects.filter(user=user, txn_date__gt=end - timedelta(days=31))
    transactions_written(
        user=user,
        transactions=list(recent.order_by("txn_date", "pk")),
        # Fresh from the database, in one query: the rows written since moved their balances.
        accounts=list(
            BankAccount.objects.filter(
                pk__in=[account.pk for account in accounts.values()]
            ).order_by("pk")
        ),
    )


def demo_customer_delete(user: User) -> None:
    """Remove a generated customer (a benchmark's) and everything theirs.

    Set-based SQL: an ORM delete would load a million ids to null the links to them one
    list at a time, and the points ledger is PROTECTed, as no product path deletes it.
    """

    with db_transaction.atomic(), connection.cursor() as cursor:
        params = {"user": user.pk}
        cursor.execute(
            "UPDATE transactions_transaction SET counterpart_id = NULL "
            "WHERE user_id = %(user)s AND counterpart_id IS NOT NULL",
            params,
        )
        cursor.execute(
            "UPDATE bills_bill SET paid_transaction_id = NULL, previous_id = NULL "
            "WHERE user_id = %(user)s",
            params,
        )
        cursor.execute(
            "UPDATE rewards_pointsentry SET transaction_id = NULL WHERE transaction_id IN "
            "(SELECT id FROM transactions_transaction WHERE user_id = %(user)s)",
            params,
        )
        # A points ledger is never edited in the product (PROTECT); the whole customer goes.
        cursor.execute(
            "DELETE FROM rewards_pointsentry WHERE programme_id IN "
            "(SELECT id FROM rewards_rewardprogramme WHERE user_id = %(user)s)",
            params,
        )
        cursor.execute("DELETE FROM transactions_categorychange WHERE user_id = %(user)s", params)
        cursor.execute("DELETE FROM transactions_transaction WHERE user_id = %(user)s", params)
        cursor.execute("DELETE FROM transactions_importbatch WHERE user_id = %(user)s", params)
        user.bills.all().delete()
        user.bank_accounts.all().delete()
        user.delete()
