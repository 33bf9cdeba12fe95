"""The evaluators: large transactions and low balances, batched, in the base currency."""

import datetime
import logging
from decimal import Decimal

import pytest
import time_machine
from django.db.models import F

from accounts.models import BankAccount
from accounts.tests.factories import BankAccountFactory, ExchangeRateFactory, UserFactory
from alerts.evaluators import (
    average_daily_balance,
    large_transactions_check,
    low_balance_check,
    low_balances_check_ids,
)
from alerts.models import Alert, Notification
from alerts.services import ALERT_RECENT_DAYS
from alerts.tasks import low_balances_check_task
from alerts.tests.factories import AlertSubscriptionFactory
from transactions.models import Transaction

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 6, 15, 12, tzinfo=datetime.UTC)
TODAY = datetime.date(2025, 6, 15)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def add_rows(account, rows, merchant="Big Store") -> list[Transaction]:
    """Rows written straight to the table, balance moved to match: the evaluators are
    called by hand here, whatever the ledger calls on its own writes."""
    txns = [
        Transaction(
            user=account.user,
            account=account,
            amount=Decimal(amount),
            currency=account.currency,
            kind=Transaction.kind_for_amount(Decimal(amount)),
            txn_date=day,
            merchant=merchant,
            description=f"Payment {n}",
        )
        for n, (day, amount) in enumerate(rows)
    ]
    Transaction.objects.bulk_create(txns)
    total = sum((Decimal(amount) for _, amount in rows), Decimal("0"))
    BankAccount.objects.filter(pk=account.pk).update(balance=F("balance") + total)
    account.refresh_from_db()
    return txns


def days_ago(n: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=n)


def alerts_of(user, alert_type):
    return list(Alert.objects.filter(user=user, alert_type=alert_type).order_by("key"))


# --- Large transactions ---------------------------------------------------------------


def test_recent_expenses_at_or_over_the_threshold_raise_once(user):
    account = BankAccountFactory(user=user, opening_balance=Decimal("10000.00"))
    under, at, over, income, old = add_rows(
        account,
        [
            (days_ago(1), "-999.99"),
            (days_ago(2), "-1000.00"),
            (days_ago(ALERT_RECENT_DAYS), "-2500.00"),
            (days_ago(3), "5000.00"),
            (days_ago(ALERT_RECENT_DAYS + 1), "-3000.00"),
        ],
    )
    rows = [under, at, over, income, old]

    large_transactions_check(user=user, transactions=rows)
    large_transactions_check(user=user, transactions=rows)

    alerts = alerts_of(user, "large_transaction")
    assert [a.key for a in alerts] == sorted(
        [f"large_transaction:{at.pk}", f"large_transaction:{over.pk}"]
    )
    alert = Alert.objects.get(key=f"large_transaction:{at.pk}")
    assert alert.title == "Large transaction: 1,000.00 EUR"
    assert alert.severity == "warning"
    assert "at Big Store on 2025-06-13" in alert.message
    assert alert.data == {
        "transaction_id": at.pk,
        "account_id": account.pk,
        "amount": "-1000.00",
        "currency": "EUR",
        "amount_base": "1000.00",
        "base_currency": "EUR",
        "threshold": "1000.00",
        "txn_date": "2025-06-13",
    }
    assert Notification.objects.filter(alert__in=alerts, channel="email").count() == 2


def test_a_transfer_leg_never_raises(user):
    account = BankAccountFactory(user=user)
    leg = Transaction(
        pk=424242, user=user, account=account, amount=Decimal("-5000.00"), currency="EUR",
        kind=Transaction.Kind.TRANSFER, txn_date=TODAY,
    )  # fmt: skip
    large_transactions_check(user=user, transactions=[leg])
    assert not Alert.objects.exists()


def test_unsaved_rows_are_a_programming_error(user):
    account = BankAccountFactory(user=user)
    unsaved = Transaction(
        user=user, account=account, amount=Decimal("-5000.00"), currency="EUR",
        kind=Transaction.Kind.EXPENSE, txn_date=TODAY,
    )  # fmt: skip
    with pytest.raises(ValueError, match="saved transactions"):
        large_transactions_check(user=user, transactions=[unsaved])


def test_the_users_own_threshold(user):
    AlertSubscriptionFactory(user=user, alert_type="large_transaction", threshold="50.00")
    account = BankAccountFactory(user=user)
    small, big = add_rows(account, [(TODAY, "-49.99"), (TODAY, "-50.00")])
    large_transactions_check(user=user, transactions=[small, big])
    assert [a.data["transaction_id"] for a in alerts_of(user, "large_transaction")] == [big.pk]


def test_turned_off_raises_nothing(user):
    AlertSubscriptionFactory(
        user=user, alert_type="large_transaction", in_app=False, email=False, sms=False
    )
    account = BankAccountFactory(user=user, opening_balance=Decimal("9000.00"))
    large_transactions_check(user=user, transactions=add_rows(account, [(TODAY, "-5000.00")]))
    assert not Alert.objects.exists()


def test_amounts_are_compared_in_the_base_currency(user):
    ExchangeRateFactory(base="EUR", quote="USD", rate=Decimal("1.25"), day=days_ago(3))
    dollars = BankAccountFactory(user=user, currency="USD", opening_balance=Decimal("5000.00"))
    over, under = add_rows(dollars, [(days_ago(1), "-1250.00"), (days_ago(1), "-1249.98")])

    large_transactions_check(user=user, transactions=[over, under])

    [alert] = alerts_of(user, "large_transaction")
    assert alert.data["transaction_id"] == over.pk
    assert alert.data["amount_base"] == "1000.00"
    assert "(about 1,000.00 EUR)" in alert.message


def test_a_missing_rate_skips_the_row_and_warns(user, caplog):
    pounds = BankAccountFactory(user=user, currency="GBP", opening_balance=Decimal("9000.00"))
    euros = BankAccountFactory(user=user, opening_balance=Decimal("9000.00"))
    rows = add_rows(pounds, [(TODAY, "-5000.00")]) + add_rows(euros, [(TODAY, "-5000.00")])

    with caplog.at_level(logging.WARNING, logger="alerts.evaluators"):
        large_transactions_check(user=user, transactions=rows)

    assert [a.data["transaction_id"] for a in alerts_of(user, "large_transaction")] == [rows[1].pk]
    assert f"skipped transaction {rows[0].pk}" in caplog.text
    assert "No exchange rate for GBP->EUR" in caplog.text


def test_old_history_raises_nothing(user):
    """An import of two years of history: only the last ALERT_RECENT_DAYS days count."""
    account = BankAccountFactory(user=user, opening_balance=Decimal("900000.00"))
    history = add_rows(
        account, [(days_ago(ALERT_RECENT_DAYS + 1 + n * 7), "-4000.00") for n in range(100)]
    )
    large_transactions_check(user=user, transactions=history)
    assert not Alert.objects.exists()


def test_large_transactions_check_is_a_fixed_number_of_queries(user, django_assert_num_queries):
    ExchangeRateFactory(base="EUR", quote="USD", rate=Decimal("1.10"), day=days_ago(20))
    euros = BankAccountFactory(user=user, opening_balance=Decimal("900000.00"))
    dollars = BankAccountFactory(user=user, currency="USD", opening_balance=Decimal("900000.00"))

    def rows(count):
        return add_rows(euros, [(days_ago(n % 20), "-1500.00") for n in range(count)]) + add_rows(
            dollars, [(days_ago(n % 20), "-1500.00") for n in range(count)]
        )

    # 70 rows: one insert batch on SQLite too (999 parameters / 13 columns).
    few, many = rows(3), rows(35)
    with django_assert_num_queries(12) as few_queries:
        large_transactions_check(user=user, transactions=few)
    with django_assert_num_queries(len(few_queries)):
        large_transactions_check(user=user, transactions=many)
    assert Alert.objects.count() == 76


# --- Low balances ---------------------------------------------------------------------


def test_below_the_threshold_raises_once_a_day(user):
    low = BankAccountFactory(user=user, name="Everyday", opening_balance=Decimal("99.99"))
    at = BankAccountFactory(user=user, opening_balance=Decimal("100.00"))

    low_balance_check(accounts=[low, at])
    low_balance_check(accounts=[low, at])

    [alert] = alerts_of(user, "low_balance")
    assert alert.key == f"low_balance:{low.pk}:2025-06-15"
    assert alert.title == "Low balance on Everyday: 99.99 EUR"
    assert alert.message == (
        "Everyday is at 99.99 EUR, below your low-balance amount of 100.00 EUR."
    )
    assert alert.severity == "warning"
    assert alert.data["below_threshold"] is True and alert.data["below_average"] is False

    with time_machine.travel(NOW + datetime.timedelta(days=1), tick=False):
        low_balance_check(accounts=[low])
    assert len(alerts_of(user, "low_balance")) == 2


def test_an_overdrawn_account_is_critical(user):
    account = BankAccountFactory(user=user, opening_balance=Decimal("0.00"))
    low_balance_check(accounts=[account])
    assert alerts_of(user, "low_balance")[0].severity == "critical"


def test_only_open_asset_accounts_count(user):
    kinds = [
        BankAccountFactory(user=user, account_type=kind, opening_balance=Decimal("5.00"))
        for kind in ("checking", "savings", "cash", "credit_card", "loan", "investment")
    ]
    archived = BankAccountFactory(user=user, opening_balance=Decimal("5.00"), is_archived=True)
    low_balance_check(accounts=[*kinds, archived])
    assert {a.data["account_id"] for a in alerts_of(user, "low_balance")} == {
        kinds[0].pk,
        kinds[1].pk,
        kinds[2].pk,
    }


def test_the_users_threshold_and_turning_it_off(user, other_user):
    AlertSubscriptionFactory(user=user, alert_type="low_balance", threshold="500.00")
    AlertSubscriptionFactory(
        user=other_user, alert_type="low_balance", in_app=False, email=False, sms=False
    )
    mine = BankAccountFactory(user=user, opening_balance=Decimal("499.99"))
    theirs = BankAccountFactory(user=other_user, opening_balance=Decimal("1.00"))
    low_balance_check(accounts=[mine, theirs])
    assert [a.data["account_id"] for a in Alert.objects.all()] == [mine.pk]


def test_the_balance_is_read_fresh(user):
    account = BankAccountFactory(user=user, opening_balance=Decimal("1000.00"))
    BankAccount.objects.filter(pk=account.pk).update(balance=Decimal("10.00"))
    low_balance_check(accounts=[account])  # a stale object in hand says 1000.00
    assert alerts_of(user, "low_balance")[0].data["balance"] == "10.00"


def test_balances_are_compared_in_the_base_currency(user, caplog):
    ExchangeRateFactory(base="EUR", quote="USD", rate=Decimal("1.25"), day=days_ago(2))
    low = BankAccountFactory(user=user, currency="USD", opening_balance=Decimal("124.99"))
    fine = BankAccountFactory(user=user, currency="USD", opening_balance=Decimal("125.00"))
    low_balance_check(accounts=[low, fine])
    [alert] = alerts_of(user, "low_balance")
    assert alert.data["account_id"] == low.pk and alert.data["balance_base"] == "99.99"
    assert "124.99 USD, about 99.99 EUR, below" in alert.message


def test_a_missing_rate_skips_the_threshold_only(user, caplog):
    # 2,000 GBP for 89 days, 100 GBP today: no rate to EUR, but far under its average.
    pounds = BankAccountFactory(
        user=user, currency="GBP", opening_balance=Decimal("2000.00"), opening_date=days_ago(300)
    )
    add_rows(pounds, [(TODAY, "-1900.00")])
    quiet = BankAccountFactory(user=user, currency="GBP", opening_balance=Decimal("1.00"))

    with caplog.at_level(logging.WARNING, logger="alerts.evaluators"):
        low_balance_check(accounts=[pounds, quiet])

    [alert] = alerts_of(user, "low_balance")
    assert alert.data["account_id"] == pounds.pk
    assert alert.data["below_average"] is True and alert.data["balance_base"] is None
    assert f"skipped account {quiet.pk}" in caplog.text


def independent_average(opening_balance, opening_date, rows, today):
    """Forward, day by day from the opening: the balance at the end of each of the last 90
    days the account was open, averaged (not the evaluator's backward walk)."""
    balance = Decimal(opening_balance)
    end_of_day = {}
    day = opening_date
    while day <= today:
        balance += sum((Decimal(a) for d, a in rows if d == day), Decimal("0"))
        end_of_day[day] = balance
        day += datetime.timedelta(days=1)
    window = [end_of_day[d] for d in end_of_day if d > today - datetime.timedelta(days=90)]
    return sum(window, Decimal("0")) / len(window)


SALARY_MONTHS = [
    (days_ago(150), "2400.00"),
    (days_ago(120), "2400.00"),
    (days_ago(95), "-1800.00"),
    (days_ago(89), "2400.00"),
    (days_ago(70), "-650.25"),
    (days_ago(60), "2400.00"),
    (days_ago(41), "-3100.40"),
    (days_ago(30), "2400.00"),
    (days_ago(12), "-2222.22"),
    (days_ago(3), "-1500.00"),
]


@pytest.mark.parametrize(("last_spend", "low"), [("-2500.00", True), ("-2000.00", False)])
def test_twenty_percent_of_the_90_day_average(user, last_spend, low):
    AlertSubscriptionFactory(user=user, alert_type="low_balance", threshold="0.00")
    opening_date = days_ago(200)
    account = BankAccountFactory(
        user=user, opening_balance=Decimal("500.00"), opening_date=opening_date
    )
    rows = [*SALARY_MONTHS, (TODAY, last_spend)]
    add_rows(account, rows)
    expected = independent_average("500.00", opening_date, rows, TODAY)
    assert (account.balance < expected * Decimal("0.2")) is low  # the cases are what they say

    low_balance_check(accounts=[account])

    alerts = alerts_of(user, "low_balance")
    assert bool(alerts) is low
    if low:
        [alert] = alerts
        assert alert.data["average_daily_balance"] == str(expected.quantize(Decimal("0.01")))
        assert alert.data["below_average"] is True and alert.data["below_threshold"] is False
        assert f"under 20 % of its 90-day average of {expected:,.2f} EUR" in alert.message


def test_days_before_the_opening_do_not_count(user):
    AlertSubscriptionFactory(user=user, alert_type="low_balance", threshold="0.00")
    # Open 10 days: 1,000 for nine days, 150 today. Over 10 days the average is 915 (20 %:
    # 183, so 150 is low); spread over 90 days it would look like 101.67 (and not low).
    account = BankAccountFactory(
        user=user, opening_balance=Decimal("1000.00"), opening_date=days_ago(9)
    )
    rows = [(TODAY, "-850.00")]
    add_rows(account, rows)
    assert independent_average("1000.00", days_ago(9), rows, TODAY) == Decimal("915")
    low_balance_check(accounts=[account])
    [alert] = alerts_of(user, "low_balance")
    assert alert.data["average_daily_balance"] == "915.00"


def test_average_daily_balance_matches_a_forward_computation():
    opening = days_ago(130)
    rows = [(days_ago(n), str(Decimal(37 * n % 211) - 100)) for n in range(0, 130, 3)]
    rows += [(TODAY + datetime.timedelta(days=2), "-40.00")]  # dated after today
    balance = Decimal("800.00") + sum((Decimal(a) for _, a in rows), Decimal("0"))
    day_totals = {}
    for day, amount in rows:
        day_totals[day] = day_totals.get(day, Decimal("0")) + Decimal(amount)

    total, days = average_daily_balance(
        balance=balance, day_totals=day_totals, today=TODAY, opening_date=opening
    )

    past = [(d, a) for d, a in rows if d <= TODAY]
    assert days == 90
    assert total / days == independent_average("800.00", opening, past, TODAY)


def test_an_account_opening_in_the_future_has_no_average():
    assert (
        average_daily_balance(
            balance=Decimal("5"), day_totals={}, today=TODAY, opening_date=days_ago(-3)
        )
        is None
    )


def test_low_balance_keys_use_the_users_today():
    user = UserFactory(time_zone="Pacific/Kiritimati")  # UTC+14: already 16 June
    account = BankAccountFactory(user=user, opening_balance=Decimal("1.00"))
    low_balance_check(accounts=[account])
    assert alerts_of(user, "low_balance")[0].key == f"low_balance:{account.pk}:2025-06-16"


def test_low_balance_check_is_a_fixed_number_of_queries(django_assert_num_queries):
    ExchangeRateFactory(base="EUR", quote="USD", rate=Decimal("1.10"), day=days_ago(20))

    def accounts(count):
        made = []
        for n in range(count):
            owner = UserFactory()
            account = BankAccountFactory(
                user=owner,
                currency="USD" if n % 2 else "EUR",
                opening_balance=Decimal("50.00"),
                opening_date=days_ago(200),
            )
            add_rows(account, [(days_ago(d), "10.00") for d in range(0, 90, 30)])
            made.append(account.pk)
        return made

    few, many = accounts(2), accounts(40)
    with django_assert_num_queries(14) as few_queries:
        assert low_balances_check_ids(few) == 2
    with django_assert_num_queries(len(few_queries)):
        assert low_balances_check_ids(many) == 40


# --- The daily task -------------------------------------------------------------------


def test_the_daily_check_is_scheduled_in_the_database():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name="Daily low-balance check")
    assert task.task == "alerts.tasks.low_balances_check_task"
    assert task.enabled
    assert (task.crontab.hour, task.crontab.minute) == ("6", "0")


def test_the_daily_task_checks_every_active_account_and_is_safe_to_repeat():
    low = BankAccountFactory(opening_balance=Decimal("10.00"))
    BankAccountFactory(opening_balance=Decimal("5000.00"))
    BankAccountFactory(opening_balance=Decimal("10.00"), is_archived=True)
    BankAccountFactory(opening_balance=Decimal("10.00"), user=UserFactory(is_active=False))

    assert low_balances_check_task.delay().get() == 1
    assert low_balances_check_task.delay().get() == 0
    assert [a.data["account_id"] for a in Alert.objects.all()] == [low.pk]
    assert Notification.objects.filter(status="sent").count() == 0  # queued on commit
    with time_machine.travel(NOW + datetime.timedelta(days=1), tick=False):
        assert low_balances_check_task.delay().get() == 1
