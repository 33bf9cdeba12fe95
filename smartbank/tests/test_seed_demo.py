import random
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F, Sum

from accounts.models import BankAccount, User
from accounts.roles import ROLE_GROUPS
from smartbank.demo import (
    DEMO_PASSWORD,
    PROFILES,
    DemoSize,
    add_months,
    customer_email,
    plan_history,
    seed_demo,
)
from smartbank.testing import database_snapshot
from transactions.models import Transaction
from transactions.services import ledger_differences

# Two years, few payments: the history tests. Three months: everything else, faster.
SMALL = DemoSize(customers=3, months=24, transactions_per_month=4)
TINY = DemoSize(customers=3, months=3, transactions_per_month=4)
STAFF_EMAILS = {
    "admin": "admin@smartbank.example",
    "auditor": "auditor@smartbank.example",
    "support": "support@smartbank.example",
}
CUSTOMER_EMAILS = ["paula@smartbank.example", "sam@smartbank.example", "lena@smartbank.example"]


def snapshot():
    """Everything a second run could change: rows per table and every balance."""
    return {
        "users": sorted(User.objects.values_list("email", "role", "is_staff", "kyc_status")),
        "accounts": sorted(
            BankAccount.objects.values_list("user__email", "name", "currency", "balance")
        ),
        "transactions": Transaction.objects.count(),
        "transaction_total": Transaction.objects.aggregate(total=Sum("amount"))["total"],
        "groups": sorted(User.groups.through.objects.values_list("user__email", "group__name")),
    }


def end_of_day_balances(account):
    """The account's balance at the end of each day of its history, replayed from the rows."""
    by_day = defaultdict(Decimal)
    for day, amount in account.transactions.values_list("txn_date", "amount"):
        by_day[day] += amount
    balance = account.opening_balance
    for day in sorted(by_day):
        balance += by_day[day]
        yield day, balance


@pytest.fixture
def small_demo(db):
    return seed_demo(SMALL)


@pytest.fixture
def tiny_demo(db):
    return seed_demo(TINY)


def test_creates_three_customers_and_one_staff_user_per_role(tiny_demo):
    customers = User.objects.filter(role=User.Role.CUSTOMER).order_by("pk")
    assert [user.email for user in customers] == CUSTOMER_EMAILS
    # Distinct habits live in distinct places, currencies and time zones.
    assert len({user.base_currency for user in customers}) == 3
    assert len({user.time_zone for user in customers}) == 3
    assert all(user.kyc_status == User.KycStatus.VERIFIED for user in customers)
    assert not any(user.is_staff for user in customers)

    for role, email in STAFF_EMAILS.items():
        staff = User.objects.get(email=email)
        assert staff.role == role
        assert staff.is_staff
        assert list(staff.groups.values_list("name", flat=True)) == [ROLE_GROUPS[role]]
    admin = User.objects.get(email=STAFF_EMAILS["admin"])
    auditor = User.objects.get(email=STAFF_EMAILS["auditor"])
    assert admin.has_perm("transactions.change_transaction")
    assert auditor.has_perm("transactions.view_transaction")
    assert not auditor.has_perm("transactions.change_transaction")

    assert [(login.role, login.email) for login in tiny_demo.logins] == [
        *STAFF_EMAILS.items(),
        *(("customer", email) for email in CUSTOMER_EMAILS),
    ]
    assert (tiny_demo.customers_created, tiny_demo.customers_kept) == (3, 0)


def test_every_demo_password_logs_in_and_passes_the_validators(tiny_demo):
    for login in tiny_demo.logins:
        user = authenticate(email=login.email, password=login.password)
        assert user is not None and user.email == login.email
        assert login.password == DEMO_PASSWORD
        validate_password(login.password, user)


def test_the_admin_user_can_use_the_admin_console(tiny_demo, client):
    client.force_login(User.objects.get(email=STAFF_EMAILS["admin"]))
    response = client.get("/admin/")
    assert response.status_code == 200


def test_each_customer_has_several_accounts_in_several_currencies(tiny_demo):
    for user in User.objects.filter(role=User.Role.CUSTOMER):
        accounts = list(user.bank_accounts.all())
        types = Counter(account.account_type for account in accounts)
        assert types[BankAccount.Type.CHECKING] >= 1
        assert types[BankAccount.Type.SAVINGS] >= 1
        card = user.bank_accounts.get(account_type=BankAccount.Type.CREDIT_CARD)
        assert card.credit_limit > 0
        currencies = {account.currency for account in accounts}
        assert user.base_currency in currencies
        assert len(currencies) >= 2
        assert all(len(account.number_last4) == 4 for account in accounts)
    assert BankAccount.objects.values("currency").distinct().count() >= 3


def test_two_years_of_history_up_to_each_customers_today(small_demo):
    for user in User.objects.filter(role=User.Role.CUSTOMER):
        today = user.today()
        start = add_months(today, -24)
        assert set(user.bank_accounts.values_list("opening_date", flat=True)) == {start}
        dates = user.transactions.values_list("txn_date", flat=True)
        assert start <= min(dates) <= add_months(start, 1)
        assert add_months(today, -1) <= max(dates) <= today
        assert not user.transactions.filter(posted_date__lt=F("txn_date")).exists()
        assert not user.transactions.filter(posted_date__gt=today).exists()
        # A salary every month, and money moved to savings by transfers.
        salaries = user.transactions.filter(kind="income", category__slug="income", amount__gt=1000)
        assert 23 <= salaries.count() <= 25
        transfers = user.transactions.filter(kind=Transaction.Kind.TRANSFER)
        assert transfers.count() % 2 == 0
        assert transfers.filter(account__account_type=BankAccount.Type.SAVINGS).count() >= 12
        assert not transfers.filter(counterpart__isnull=True).exists()
        # Every row is in its account's currency and has a category.
        assert not user.transactions.exclude(currency=F("account__currency")).exists()
        assert not user.transactions.filter(category__isnull=True).exists()
    assert ledger_differences() == []


def test_running_it_again_changes_nothing(tiny_demo):
    before, rows_before = snapshot(), database_snapshot()

    again = seed_demo(TINY)

    assert (again.customers_created, again.customers_kept) == (0, 3)
    assert snapshot() == before
    assert database_snapshot() == rows_before
    assert ledger_differences() == []


def test_running_it_again_restores_a_changed_demo_password(tiny_demo):
    paula = User.objects.get(email=CUSTOMER_EMAILS[0])
    paula.set_password("something-else-entirely")
    paula.save(update_fields=["password"])

    seed_demo(TINY)

    assert authenticate(email=paula.email, password=DEMO_PASSWORD) is not None


def test_the_same_seed_plans_the_same_history():
    profile = PROFILES[1]
    start, end = date(2026, 1, 15), date(2026, 6, 15)

    def plan():
        return plan_history(
            profile, start=start, end=end, transactions_per_month=30, rng=random.Random("x")
        )

    first, second = plan(), plan()
    assert first.rows == second.rows
    assert first.transfers == second.transfers
    assert first.balances == second.balances
    other = plan_history(
        profile, start=start, end=end, transactions_per_month=30, rng=random.Random("y")
    )
    assert other.rows != first.rows


def test_larger_sizes_repeat_the_profiles_for_benchmarks(db):
    seed_demo(DemoSize(customers=5, months=2, transactions_per_month=3))
    assert customer_email(3) == "paula.4@smartbank.example"
    extra = User.objects.get(email="sam.5@smartbank.example")
    assert extra.base_currency == PROFILES[1].base_currency
    assert extra.bank_accounts.count() == 4
    assert User.objects.filter(role=User.Role.CUSTOMER).count() == 5
    assert ledger_differences() == []


@time_machine.travel(datetime(2026, 11, 21, 12, tzinfo=UTC), tick=False)
def test_the_default_command_gives_each_customer_their_habits(db):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    output = out.getvalue()

    for email in [*STAFF_EMAILS.values(), *CUSTOMER_EMAILS]:
        line = next(line for line in output.splitlines() if email in line)
        assert DEMO_PASSWORD in line
    expected_top = {
        "paula@smartbank.example": {"groceries", "utilities", "transport"},
        "sam@smartbank.example": {"dining", "entertainment"},
        "lena@smartbank.example": {"shopping", "travel", "health"},
    }
    for email, habits in expected_top.items():
        spending = Counter()
        rows = (
            Transaction.objects.filter(user__email=email)
            .non_transfer()
            .exclude(category__slug__in=["housing", "income"])
        )
        for slug, amount in rows.values_list("category__slug", "amount"):
            spending[slug] -= amount
        top = {slug for slug, _ in spending.most_common(len(habits))}
        assert top == habits, (email, spending.most_common())

    # A few refunds: positive amounts in spending categories.
    refunds = Transaction.objects.filter(kind="income").exclude(category__slug="income")
    assert refunds.count() >= 3
    assert Transaction.objects.count() > 3000
    assert ledger_differences() == []
    # Generated in date order with running balances: no account ever went past its floor.
    for account in BankAccount.objects.all():
        floor = account.balance_floor
        assert floor is not None  # every demo account type has one
        for day, balance in end_of_day_balances(account):
            assert balance >= floor, (account.name, account.user.email, day, balance)


def test_the_command_refuses_sizes_that_make_no_sense(db):
    with pytest.raises(CommandError, match="--months"):
        call_command("seed_demo", "--months", "0", stdout=StringIO())
    with pytest.raises(CommandError, match="--per-month"):
        call_command("seed_demo", "--per-month", "-1", stdout=StringIO())
    assert not User.objects.exists()


def test_each_customer_has_budgets_bills_rewards_and_alerts(tiny_demo):
    from bills.models import BillStatus
    from bills.selectors import bill_list
    from budgets.models import Budget
    from rewards.models import EarningRule, RedemptionRate
    from rewards.selectors import points_total

    assert EarningRule.objects.filter(active=True).count() == 2
    assert set(RedemptionRate.objects.values_list("currency", flat=True)) >= {"EUR", "GBP", "USD"}
    for email in CUSTOMER_EMAILS:
        user = User.objects.get(email=email)
        today = user.today()
        budgets = list(Budget.objects.filter(user=user))
        months = {budget.month for budget in budgets}
        assert months == {add_months(today.replace(day=1), -n) for n in range(3)}
        # Set from the customer's own spending, rounded up to tens.
        assert all(budget.amount > 0 and budget.amount % 10 == 0 for budget in budgets)
        assert all(budget.currency == user.base_currency for budget in budgets)

        bills = list(bill_list(user=user))
        statuses = Counter(bill.status_on(today) for bill in bills)
        assert statuses[BillStatus.OVERDUE] == 1
        assert len(bills) > 5
        assert any(bill.autopay for bill in bills) and not all(bill.autopay for bill in bills)

        # A welcome bonus, and points for the last weeks' groceries and dining.
        assert points_total(user=user) > 500
    assert ledger_differences() == []


def test_the_daily_jobs_on_the_demo_report_each_overdue_bill_once(
    tiny_demo, mailoutbox, django_capture_on_commit_callbacks
):
    from alerts.models import Alert, AlertType

    out = StringIO()
    # Emails are queued when the database transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_jobs", stdout=out)
    first_mails = len(mailoutbox)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_jobs", stdout=StringIO())

    assert [line.split(":")[0] for line in out.getvalue().splitlines()] == [
        "autopay",
        "overdue",
        "reminders",
        "low-balances",
    ]
    for email in CUSTOMER_EMAILS:
        overdue = Alert.objects.filter(user__email=email, alert_type=AlertType.BILL_OVERDUE)
        assert overdue.count() == 1
        assert "District water board" in overdue.get().title + overdue.get().message
    # The second run found everything already said: not one more email.
    assert first_mails >= len(CUSTOMER_EMAILS)
    assert len(mailoutbox) == first_mails


def test_demo_alerts_speak_of_balances_the_customer_really_had(tiny_demo):
    """The history is written out of order (rows, then the transfers that fund them); the
    follow-ups run once it is whole, so no alert quotes a balance on the way."""
    from alerts.models import Alert, AlertType

    for alert in Alert.objects.filter(alert_type=AlertType.LOW_BALANCE):
        account = BankAccount.objects.get(pk=alert.data["account_id"])
        assert Decimal(alert.data["balance"]) == account.balance
    assert not BankAccount.objects.filter(
        account_type__in=[BankAccount.Type.CHECKING, BankAccount.Type.SAVINGS],
        balance__lt=0,
    ).exists()
