"""Unusual spending: a payment far outside the pattern, a large first payment at a new
merchant, a category month far above its trailing months; batched, in the base currency."""

import datetime
import logging
import random
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.db.models import F

from accounts.models import BankAccount
from accounts.tests.factories import BankAccountFactory, ExchangeRateFactory, UserFactory
from alerts.models import Alert, Notification
from alerts.services import ALERT_RECENT_DAYS
from alerts.tests.factories import AlertSubscriptionFactory
from alerts.unusual import (
    UnusualRules,
    Verdict,
    doubled_median,
    judge,
    merchant_key,
    unusual_spending_check,
)
from smartbank.env import env_decimal
from transactions import imports
from transactions.followups import followups_paused
from transactions.models import Transaction
from transactions.services import transaction_create, transfer_create
from transactions.tests.factories import default_category

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 6, 15, 12, tzinfo=datetime.UTC)
TODAY = datetime.date(2025, 6, 15)
# Forty groceries payments at REWE over the year before: median 40.00, MAD 2.00.
USUAL = ("36.00", "38.00", "40.00", "42.00", "44.00")


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def days_ago(n: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=n)


def add(account, rows) -> list[Transaction]:
    """Rows of (day, signed amount, merchant, category slug or None), written straight to
    the table with the balance moved to match: the check is called by hand here."""
    categories = {slug: default_category(slug) for _, _, _, slug in rows if slug}
    txns = [
        Transaction(
            user=account.user,
            account=account,
            amount=Decimal(amount),
            currency=account.currency,
            kind=Transaction.kind_for_amount(Decimal(amount)),
            txn_date=day,
            merchant=merchant,
            description=f"Card payment {merchant}",
            category=categories.get(slug),
        )
        for day, amount, merchant, slug in rows
    ]
    Transaction.objects.bulk_create(txns)
    total = sum((Decimal(amount) for _, amount, _, _ in rows), Decimal("0"))
    BankAccount.objects.filter(pk=account.pk).update(balance=F("balance") + total)
    return txns


def groceries_history(account, *, merchant="REWE", count=40, first=datetime.date(2024, 7, 1)):
    """``count`` payments every 8 days from ``first``, amounts cycling through USUAL."""
    return add(
        account,
        [
            (first + datetime.timedelta(days=8 * n), f"-{USUAL[n % 5]}", merchant, "groceries")
            for n in range(count)
        ],
    )


def unusual(user) -> list[Alert]:
    return list(Alert.objects.filter(user=user, alert_type="unusual_spending").order_by("key"))


@pytest.fixture
def account(user):
    return BankAccountFactory(
        user=user, opening_balance=Decimal("100000.00"), opening_date=datetime.date(2024, 1, 1)
    )


# --- A payment far outside the pattern ------------------------------------------------


def test_a_payment_far_above_its_category_raises_one_alert_that_says_why(user, account):
    groceries_history(account)
    [big] = add(account, [(days_ago(3), "-412.00", "REWE", "groceries")])

    assert unusual_spending_check(user=user, transactions=[big]) == 1
    assert unusual_spending_check(user=user, transactions=[big]) == 0  # once, however often

    [alert] = unusual(user)
    assert alert.key == f"unusual_spending:transaction:{big.pk}"
    assert alert.severity == "warning"
    assert alert.title == "Unusual payment: 412.00 EUR at REWE"
    assert alert.message == (
        "412.00 EUR at REWE on 2025-06-12 is 10.3 times your usual groceries spend "
        "(median 40.00 EUR over your last 40 groceries payments)."
    )
    assert alert.data == {
        "kind": "amount",
        "reasons": [
            {
                "kind": "amount",
                "compared_with": "category",
                "median": "40.00",
                "ratio": "10.3",
                "payments": 40,
            }
        ],
        "transaction_id": big.pk,
        "account_id": account.pk,
        "amount": "-412.00",
        "currency": "EUR",
        "amount_base": "412.00",
        "base_currency": "EUR",
        "category_id": big.category_id,
        "merchant": "REWE",
        "txn_date": "2025-06-12",
    }
    # Raised like every alert: the customer's default channels (email) get it too.
    assert Notification.objects.filter(alert=alert, channel="email").count() == 1


def test_the_ledger_raises_it_on_a_write_and_not_while_follow_ups_are_paused(user, account):
    groceries_history(account)
    groceries = default_category("groceries")
    with followups_paused():
        transaction_create(
            user=user, account=account, amount=Decimal("-500.00"), txn_date=days_ago(2),
            merchant="REWE", category=groceries,
        )  # fmt: skip
    assert unusual(user) == []

    txn = transaction_create(
        user=user, account=account, amount=Decimal("-412.00"), txn_date=days_ago(1),
        merchant="REWE", category=groceries,
    )  # fmt: skip

    assert [alert.data["transaction_id"] for alert in unusual(user)] == [txn.pk]


def test_an_imported_statement_raises_only_for_its_recent_rows(user, account):
    """A year of history imported at once: the old surprise raises nothing, the recent one
    raises once, and importing the file again nothing more."""
    lines = ["Date,Payee,Description,Amount"]
    for n in range(40):
        day = datetime.date(2024, 7, 1) + datetime.timedelta(days=8 * n)
        lines.append(f"{day},REWE,Groceries,-{USUAL[n % 5]}")
    lines.append(f"{days_ago(60)},REWE,Groceries,-400.00")
    lines.append(f"{days_ago(3)},REWE,Groceries,-412.00")
    data = ("\n".join(lines) + "\n").encode()

    for _ in range(2):
        batch = imports.import_create(user=user, account=account, filename="s.csv", data=data)
        assert imports.import_run(batch_id=batch.pk).status == "done"

    [alert] = unusual(user)
    assert alert.message == (
        "412.00 EUR at REWE on 2025-06-12 is 10.3 times what you usually pay there "
        "(median 40.00 EUR over your last 41 payments there)."
    )  # the 41st, the old 400.00, is one surprise: not yet a habit


def test_far_above_its_merchant_when_the_category_holds_larger_payments(user, account):
    """A gym membership of 245.00 makes 300.00 ordinary for health, not for the chemist."""
    add(
        account,
        [(datetime.date(2024, 7, 1) + datetime.timedelta(days=30 * n), "-245.00", "Equinox",
          "health") for n in range(11)]
        + [(datetime.date(2024, 7, 3) + datetime.timedelta(days=12 * n),
            f"-{20 + n % 5}.00", "Walgreens", "health") for n in range(28)],
    )  # fmt: skip
    [big] = add(account, [(days_ago(1), "-300.00", "Walgreens", "health")])

    unusual_spending_check(user=user, transactions=[big])

    [alert] = unusual(user)
    assert alert.data["reasons"][0]["compared_with"] == "merchant"
    assert alert.message == (
        "300.00 EUR at Walgreens on 2025-06-14 is 13.6 times what you usually pay there "
        "(median 22.00 EUR over your last 28 payments there)."
    )


def test_normal_variation_raises_nothing(user, account):
    """A year of everyday spending, then a month more of the same: no alert of any kind."""
    rng = random.Random(5)
    shops = {
        "groceries": (("REWE", "Lidl", "Edeka"), 8, 95),
        "dining": (("Vapiano", "Curry 36"), 5, 40),
        "transport": (("BVG", "Aral"), 3, 70),
    }

    def month_of_rows(first, last, count):
        rows = []
        for _ in range(count):
            slug = rng.choice(sorted(shops))
            merchants, low, high = shops[slug]
            day = first + datetime.timedelta(days=rng.randrange((last - first).days + 1))
            amount = Decimal(rng.randint(low * 100, high * 100)) / 100
            rows.append((day, f"-{amount}", rng.choice(merchants), slug))
        return rows

    add(account, month_of_rows(datetime.date(2024, 5, 1), days_ago(40), 400))
    # Rent to the cent every month: its tiny spread must not make anything unusual.
    add(account, [(datetime.date(2024, 5, 1) + datetime.timedelta(days=30 * n), "-1000.00",
                   "Deutsche Wohnen", "housing") for n in range(13)])  # fmt: skip
    recent = add(account, month_of_rows(days_ago(30), TODAY, 40))
    recent += add(account, [(days_ago(2), "-1000.50", "Deutsche Wohnen", "housing")])

    assert unusual_spending_check(user=user, transactions=recent) == 0
    assert unusual(user) == []


def test_too_little_history_is_no_pattern(user, account):
    groceries_history(account, count=UnusualRules.from_settings().min_sample - 1)
    [big] = add(account, [(days_ago(1), "-412.00", "REWE", "groceries")])
    unusual_spending_check(user=user, transactions=[big])
    assert unusual(user) == []


def test_a_habit_of_large_payments_is_not_unusual(user, account):
    """Taxi rides most days and a flight every month: the next flight is no surprise."""
    add(
        account,
        [(datetime.date(2024, 7, 1) + datetime.timedelta(days=3 * n), f"-{12 + n % 7}.00",
          "Uber", "travel") for n in range(110)]
        + [(datetime.date(2024, 7, 10) + datetime.timedelta(days=30 * n), "-380.00",
            f"Airline {n}", "travel") for n in range(11)],
    )  # fmt: skip
    [flight] = add(account, [(days_ago(1), "-450.00", "Airline 0", "travel")])
    unusual_spending_check(user=user, transactions=[flight])
    assert unusual(user) == []


# --- A large first payment at a new merchant ------------------------------------------


def test_a_large_first_payment_at_a_new_merchant_raises_one_alert(user, account):
    groceries_history(account)
    first, second, small = add(
        account,
        [
            (days_ago(5), "-260.00", "Maison  Dupont", "shopping"),
            (days_ago(2), "-300.00", "maison dupont", "shopping"),
            (days_ago(1), "-45.00", "Café Neuf", "dining"),
        ],
    )

    unusual_spending_check(user=user, transactions=[first, second, small])

    [alert] = unusual(user)
    assert alert.key == f"unusual_spending:transaction:{first.pk}"
    assert alert.title == "Large first payment: 260.00 EUR at Maison  Dupont"
    assert alert.message == (
        "260.00 EUR at Maison  Dupont on 2025-06-10 is your first payment there and 6.5 times "
        "your usual payment (median 40.00 EUR over your last 40 payments)."
    )
    assert alert.data["kind"] == "new_merchant"
    assert [reason["kind"] for reason in alert.data["reasons"]] == ["new_merchant"]


def test_a_merchant_seen_before_the_window_is_not_new(user, account):
    add(account, [(datetime.date(2023, 1, 5), "-20.00", "IKEA", "shopping")])
    groceries_history(account)
    [big] = add(account, [(days_ago(1), "-400.00", "ikea", "shopping")])
    unusual_spending_check(user=user, transactions=[big])
    assert unusual(user) == []


def test_a_new_customer_has_no_usual_payment_yet(user, account):
    """Their first month: every merchant is new, none of it is unusual."""
    rows = add(account, [(days_ago(n), "-30.00", f"Shop {n}", "groceries") for n in range(1, 15)])
    rows += add(account, [(days_ago(1), "-900.00", "Furniture World", "shopping")])
    unusual_spending_check(user=user, transactions=rows)
    assert unusual(user) == []


# --- A category month far above its trailing months -----------------------------------


def dining_months(account, *, per_month=5, amount="-20.00"):
    """Five dining payments of 20.00 in each month from December to May: 100.00 a month."""
    rows = []
    for month in range(6):
        first = datetime.date(2024, 12, 1) if month == 0 else datetime.date(2025, month, 1)
        rows += [
            (first + datetime.timedelta(days=5 * n), amount, "Vapiano", "dining")
            for n in range(per_month)
        ]
    return add(account, rows)


def test_a_category_month_far_above_its_trailing_months_raises_once(user, account):
    dining_months(account)

    def june(first_day):
        return add(
            account,
            [
                (datetime.date(2025, 6, first_day + n), "-20.00", "Vapiano", "dining")
                for n in range(7)
            ],
        )

    first_week = june(1)
    unusual_spending_check(user=user, transactions=first_week)
    assert unusual(user) == []  # 140.00 over 7 payments: not yet
    second_week = june(8)
    unusual_spending_check(user=user, transactions=second_week)
    unusual_spending_check(user=user, transactions=first_week + second_week)

    [alert] = unusual(user)
    assert alert.key == f"unusual_spending:category:{first_week[0].category_id}:2025-06"
    assert alert.severity == "info"
    assert alert.title == "Unusual dining spending this month: 280.00 EUR"
    assert alert.message == (
        "Your dining spending this month, 280.00 EUR so far over 14 payments, is 2.8 times "
        "your average of 100.00 EUR over 5.0 payments a month in the last 6 months."
    )
    assert alert.data == {
        "kind": "category_month",
        "category_id": first_week[0].category_id,
        "month": "2025-06",
        "as_of": "2025-06-15",
        "spending": "280.00",
        "trailing_mean": "100.00",
        "ratio": "2.8",
        "months": 6,
        "payments": 14,
        "usual_payments": "5.0",
        "left_out": 0,
        "base_currency": "EUR",
    }


def test_one_big_ticket_is_a_payment_alert_not_a_category_month(user, account):
    dining_months(account)
    rows = add(account, [(days_ago(2), "-20.00", "Vapiano", "dining"),
                         (days_ago(1), "-400.00", "Vapiano", "dining")])  # fmt: skip
    unusual_spending_check(user=user, transactions=rows)
    assert [alert.data["kind"] for alert in unusual(user)] == ["amount"]


def test_a_category_paid_a_few_times_a_month_has_no_monthly_pattern(user, account, settings):
    dining_months(account, per_month=3, amount="-33.33")
    june = add(
        account, [(datetime.date(2025, 6, 1 + n), "-33.33", "Vapiano", "dining") for n in range(9)]
    )
    unusual_spending_check(user=user, transactions=june)
    assert unusual(user) == []

    settings.UNUSUAL_MONTH_MIN_PAYMENTS = Decimal("3")
    unusual_spending_check(user=user, transactions=june)
    assert [alert.data["kind"] for alert in unusual(user)] == ["category_month"]


def test_the_mad_floor_sets_the_deviation_of_a_near_constant_series(user, account, settings):
    """Rent to the cent: its MAD is 0, and every cent more would be infinitely many
    deviations. The floor (a share of the median) stands in for it."""
    settings.UNUSUAL_AMOUNT_FACTOR = Decimal("1")
    settings.UNUSUAL_MAD_FLOOR_PERCENT = 50
    add(account, [(datetime.date(2024, 7, 1) + datetime.timedelta(days=30 * n), "-1000.00",
                   "Deutsche Wohnen", "housing") for n in range(11)])  # fmt: skip
    within, beyond = add(
        account,
        [
            (days_ago(2), "-3000.00", "Deutsche Wohnen", "housing"),
            (days_ago(1), "-3600.00", "Deutsche Wohnen", "housing"),
        ],
    )
    unusual_spending_check(user=user, transactions=[within, beyond])
    # 3,000.00 is 4 floored deviations (500.00) above the median, 3,600.00 is 5.2.
    assert [alert.data["transaction_id"] for alert in unusual(user)] == [beyond.pk]


def test_refunds_reduce_the_month_and_never_raise(user, account):
    dining_months(account)
    june = add(
        account, [(datetime.date(2025, 6, 1 + n), "-20.00", "Vapiano", "dining") for n in range(14)]
    )
    refunds = add(
        account,
        [(days_ago(1), "100.00", "Vapiano", "dining"), (days_ago(1), "900.00", "New Shop", None)],
    )

    unusual_spending_check(user=user, transactions=june + refunds)

    assert unusual(user) == []  # 180.00 is 1.8 times the usual 100.00


# --- What never raises ----------------------------------------------------------------


def test_old_rows_raise_nothing(user, account):
    """An import of history: rows older than ALERT_RECENT_DAYS raise nothing."""
    groceries_history(account)
    dining_months(account)
    old = add(
        account,
        [
            (days_ago(ALERT_RECENT_DAYS + 1), "-412.00", "REWE", "groceries"),
            (days_ago(ALERT_RECENT_DAYS + 2), "-900.00", "Never Seen", "shopping"),
        ]
        + [(datetime.date(2025, 5, 1 + n), "-20.00", "Vapiano", "dining") for n in range(14)],
    )
    assert unusual_spending_check(user=user, transactions=old) == 0
    assert unusual(user) == []


def test_transfers_and_income_are_ignored(user, account):
    groceries_history(account)
    savings = BankAccountFactory(user=user, account_type=BankAccount.Type.SAVINGS)
    transfer_create(
        user=user, from_account=account, to_account=savings, amount=Decimal("5000.00"),
        txn_date=days_ago(1), description="To savings",
    )  # fmt: skip
    income = add(account, [(days_ago(1), "5000.00", "Brand New Employer", "groceries")])
    legs = list(Transaction.objects.filter(user=user, kind=Transaction.Kind.TRANSFER))

    assert unusual_spending_check(user=user, transactions=legs + income) == 0
    assert unusual(user) == []


def test_turned_off_raises_nothing_and_reads_nothing_else(user, account, django_assert_num_queries):
    AlertSubscriptionFactory(
        user=user, alert_type="unusual_spending", in_app=False, email=False, sms=False
    )
    groceries_history(account)
    [big] = add(account, [(days_ago(1), "-412.00", "REWE", "groceries")])
    with django_assert_num_queries(1):  # the preferences
        assert unusual_spending_check(user=user, transactions=[big]) == 0
    assert unusual(user) == []


def test_in_app_off_keeps_the_email(user, account):
    AlertSubscriptionFactory(user=user, alert_type="unusual_spending", in_app=False, email=True)
    groceries_history(account)
    [big] = add(account, [(days_ago(1), "-412.00", "REWE", "groceries")])
    unusual_spending_check(user=user, transactions=[big])
    [alert] = unusual(user)
    assert alert.in_app is False
    assert Notification.objects.get(alert=alert).channel == "email"


def test_unsaved_rows_are_a_programming_error(user, account):
    unsaved = Transaction(
        user=user, account=account, amount=Decimal("-5.00"), currency="EUR",
        kind=Transaction.Kind.EXPENSE, txn_date=TODAY,
    )  # fmt: skip
    with pytest.raises(ValueError, match="saved transactions"):
        unusual_spending_check(user=user, transactions=[unsaved])


def test_each_customer_is_judged_on_their_own_history(user, account):
    other = UserFactory()
    other_account = BankAccountFactory(user=other, opening_balance=Decimal("100000.00"))
    groceries_history(other_account)
    [big] = add(account, [(days_ago(1), "-412.00", "REWE", "groceries")])
    unusual_spending_check(user=user, transactions=[big])
    assert Alert.objects.filter(alert_type="unusual_spending").count() == 0


# --- Currencies -----------------------------------------------------------------------


def test_amounts_are_compared_in_the_base_currency(user, account):
    ExchangeRateFactory(
        base="EUR", quote="USD", rate=Decimal("1.25"), day=datetime.date(2024, 6, 3)
    )
    dollars = BankAccountFactory(
        user=user, currency="USD", opening_balance=Decimal("9000.00"),
        opening_date=datetime.date(2024, 1, 1),
    )  # fmt: skip
    # Half the pattern paid in dollars: 50.00 USD is 40.00 EUR.
    groceries_history(account, count=20)
    add(dollars, [(datetime.date(2024, 7, 5) + datetime.timedelta(days=16 * n), "-50.00",
                   "REWE", "groceries") for n in range(20)])  # fmt: skip
    [big] = add(dollars, [(days_ago(1), "-515.00", "REWE", "groceries")])

    unusual_spending_check(user=user, transactions=[big])

    [alert] = unusual(user)
    assert alert.message.startswith(
        "515.00 USD (about 412.00 EUR) at REWE on 2025-06-14 is 10.3 times your usual "
        "groceries spend (median 40.00 EUR"
    )
    assert alert.data["amount"] == "-515.00"
    assert alert.data["currency"] == "USD"
    assert alert.data["amount_base"] == "412.00"


def test_a_missing_rate_leaves_the_row_out_and_never_breaks_the_write(user, account, caplog):
    groceries_history(account)
    pounds = BankAccountFactory(user=user, currency="GBP", opening_balance=Decimal("9000.00"))
    groceries = default_category("groceries")

    with caplog.at_level(logging.WARNING, logger="alerts.unusual"):
        pound_row = transaction_create(
            user=user, account=pounds, amount=Decimal("-900.00"), txn_date=days_ago(1),
            merchant="REWE", category=groceries,
        )  # fmt: skip
        euro_row = transaction_create(
            user=user, account=account, amount=Decimal("-412.00"), txn_date=days_ago(1),
            merchant="REWE", category=groceries,
        )  # fmt: skip

    assert Transaction.objects.filter(pk=pound_row.pk).exists()
    assert [alert.data["transaction_id"] for alert in unusual(user)] == [euro_row.pk]
    assert "No exchange rate for GBP->EUR" in caplog.text


# --- Batched --------------------------------------------------------------------------


def test_a_fixed_number_of_queries_for_10_or_1000_rows(user, account, django_assert_num_queries):
    ExchangeRateFactory(
        base="EUR", quote="USD", rate=Decimal("1.25"), day=datetime.date(2024, 6, 3)
    )
    dollars = BankAccountFactory(user=user, currency="USD", opening_balance=Decimal("900000.00"))
    groceries_history(account)
    dining_months(account)

    def written(count):
        # Uncategorised: a thousand more groceries payments would be a category month too.
        rows = [(days_ago(n % 20), f"-{USUAL[n % 5]}", "REWE", None) for n in range(count)]
        return add(account, rows) + add(dollars, [(days_ago(1), "-515.00", "REWE", "groceries")])

    few, many = written(9), written(999)
    # Preferences; rows of the window; merchants before it; two for the rates; category
    # names; the raise in its savepoint (preferences, keys, insert, read back, and the
    # notifications' keys, insert, read back).
    with django_assert_num_queries(15) as counted:
        assert unusual_spending_check(user=user, transactions=few) == 1
    with django_assert_num_queries(len(counted)):
        assert unusual_spending_check(user=user, transactions=many) == 1


# --- Pieces ---------------------------------------------------------------------------


def test_the_median_the_habit_and_the_mad_in_cents():
    rules = UnusualRules.from_settings()
    assert doubled_median([100, 200, 300]) == 400
    assert doubled_median([100, 201, 300, 400]) == 501  # 250.50, kept whole
    usual = sorted([3600, 3800, 4000, 4200, 4400] * 8)
    assert judge(usual, 41200, rules) == Verdict(40, Decimal("40.00"), True)
    assert judge(usual, 11900, rules).far_above is False  # under 3 x the median
    # Two earlier payments of at least half of it: a habit, not a surprise.
    assert judge(sorted([*usual, 25000, 21000]), 41200, rules).far_above is False
    assert judge(sorted([*usual, 25000]), 41200, rules).far_above is True
    few = [3600, 3800, 4000, 4000, 4000, 4200, 4400]
    assert judge(few, 41200, rules) == Verdict(7, Decimal("40.00"), False)  # no pattern yet
    assert judge([], 41200, rules) == Verdict(0, Decimal("0"), False)


def test_merchant_names_fold_case_and_spacing():
    assert merchant_key("  Maison   DUPONT ") == merchant_key("maison dupont") == "maison dupont"


def test_thresholds_come_from_settings(user, account, settings):
    settings.UNUSUAL_AMOUNT_FACTOR = Decimal("20")
    groceries_history(account)
    [big] = add(account, [(days_ago(1), "-412.00", "REWE", "groceries")])
    unusual_spending_check(user=user, transactions=[big])
    assert unusual(user) == []


@pytest.mark.parametrize("raw", ["abc", "-1", "1e3", "2,5", " 1.5.0 "])
def test_a_malformed_decimal_setting_names_the_variable(monkeypatch, raw):
    monkeypatch.setenv("UNUSUAL_MONTH_FACTOR", raw)
    with pytest.raises(ImproperlyConfigured, match="UNUSUAL_MONTH_FACTOR must be"):
        env_decimal("UNUSUAL_MONTH_FACTOR", "2.5", minimum="1")


def test_a_decimal_setting_out_of_range_names_the_variable(monkeypatch):
    monkeypatch.setenv("UNUSUAL_MONTH_FACTOR", "0.5")
    with pytest.raises(ImproperlyConfigured, match="UNUSUAL_MONTH_FACTOR must be at least 1"):
        env_decimal("UNUSUAL_MONTH_FACTOR", "2.5", minimum="1")
    monkeypatch.setenv("UNUSUAL_MONTH_FACTOR", " 3.5 ")
    assert env_decimal("UNUSUAL_MONTH_FACTOR", "2.5", minimum="1") == Decimal("3.5")
    monkeypatch.delenv("UNUSUAL_MONTH_FACTOR")
    assert env_decimal("UNUSUAL_MONTH_FACTOR", "2.5", minimum="1") == Decimal("2.5")
