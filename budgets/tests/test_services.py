"""budgets.services: the rules every budget keeps, copying a month, and budget alerts."""

import datetime
import logging
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.db import transaction as db_transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditLog, BankAccount
from accounts.tests.factories import BankAccountFactory, UserFactory
from alerts.models import Alert
from budgets import services
from budgets.models import Budget
from budgets.tests.factories import BudgetFactory
from smartbank.money import MONEY_MAX
from transactions.models import Transaction
from transactions.services import transfer_create
from transactions.tests.factories import CategoryFactory, TransactionFactory, default_category

pytestmark = pytest.mark.django_db

D = Decimal
NOW = datetime.datetime(2025, 3, 20, 12, tzinfo=datetime.UTC)
travel = time_machine.travel(NOW, tick=False)


def groceries():
    return default_category("groceries")


def create(user, **overrides):
    arguments = {
        "user": user,
        "category": groceries(),
        "month": datetime.date(2025, 3, 14),
        "amount": D("400.00"),
    }
    arguments.update(overrides)
    return services.budget_create(**arguments)


# --- Create -----------------------------------------------------------------------------


@travel
def test_create_normalises_the_month_and_takes_the_base_currency(user):
    user.base_currency = "GBP"
    user.save()

    budget = create(user)

    assert (budget.month, budget.amount, budget.currency) == (
        datetime.date(2025, 3, 1),
        D("400.00"),
        "GBP",
    )
    assert not AuditLog.objects.exists()  # customers' own changes are not audited


@travel
def test_staff_creating_a_budget_for_a_customer_is_audited(user, staff):
    budget = create(user, actor=staff["support"])

    entry = AuditLog.objects.get(action="budget.create")
    assert (entry.actor, entry.target_id) == (staff["support"], str(budget.pk))
    assert entry.changes["amount"] == [None, "400.00"]


@travel
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"amount": D("0")}, "amount", "must be positive"),
        ({"amount": D("-5.00")}, "amount", "must be positive"),
        ({"amount": D("1.005")}, "amount", "two decimals"),
        ({"amount": MONEY_MAX + 1}, "amount", "too large"),
        ({"amount": D("NaN")}, "amount", "valid number"),
        ({"category": None}, "category", "needs a category"),
        ({"month": datetime.date(1899, 12, 1)}, "month", "before 1900-01-01"),
        ({"month": datetime.date(2026, 4, 1)}, "month", "days ahead"),
        ({"month": "2025-03"}, "month", "given as a date"),
    ],
)
def test_create_refuses_bad_input(user, overrides, field, message):
    with pytest.raises(ValidationError) as exc:
        create(user, **overrides)

    assert message in str(exc.value.message_dict[field])
    assert not Budget.objects.exists()


@travel
def test_create_refuses_another_customers_category_and_transfers(user, other_user):
    with pytest.raises(ValidationError, match="Category not found"):
        create(user, category=CategoryFactory(user=other_user))
    with pytest.raises(ValidationError, match="kept for transfers"):
        create(user, category=default_category("transfers"))

    own = create(user, category=CategoryFactory(user=user))
    assert own.category.user == user
    assert Budget.objects.count() == 1


@travel
def test_one_budget_per_category_and_month(user, other_user):
    create(user)

    with pytest.raises(ValidationError) as exc:
        create(user, month=datetime.date(2025, 3, 31))

    assert "already have a budget for Groceries in March 2025" in str(
        exc.value.message_dict["category"]
    )
    create(user, month=datetime.date(2025, 4, 1))
    create(user, category=default_category("dining"))
    create(other_user)
    assert Budget.objects.count() == 4


@travel
def test_a_duplicate_that_slips_past_the_check_is_still_a_field_error(user, monkeypatch):
    """A concurrent request may insert between the check and the insert: the constraint."""
    create(user)
    monkeypatch.setattr(services, "_check_unique", lambda **kwargs: None)

    with db_transaction.atomic():
        with pytest.raises(ValidationError) as exc:
            create(user)
        # The savepoint keeps the outer database transaction usable.
        assert Budget.objects.count() == 1

    assert "already have a budget" in str(exc.value.message_dict["category"])


def test_the_database_refuses_what_the_services_refuse(user):
    for fields in (
        {"month": datetime.date(2025, 3, 2)},
        {"amount": D("0.00")},
        {"amount": D("-1.00")},
    ):
        row = {"month": datetime.date(2025, 3, 1), "amount": D("1.00"), **fields}
        with pytest.raises(IntegrityError), db_transaction.atomic():
            Budget.objects.create(user=user, category=groceries(), currency="EUR", **row)
    assert not Budget.objects.exists()


# --- Update and delete ------------------------------------------------------------------


@travel
def test_update_changes_amount_category_and_month(user):
    budget = create(user)

    updated = services.budget_update(
        budget=budget,
        amount=D("250.00"),
        category=default_category("dining"),
        month=datetime.date(2025, 4, 30),
    )

    budget.refresh_from_db()
    assert budget == updated
    assert (budget.amount, budget.category.slug, budget.month, budget.currency) == (
        D("250.00"),
        "dining",
        datetime.date(2025, 4, 1),
        "EUR",
    )


@travel
def test_update_refuses_a_duplicate_and_bad_values(user):
    march = create(user)
    april = create(user, month=datetime.date(2025, 4, 1))

    with pytest.raises(ValidationError, match="already have a budget"):
        services.budget_update(budget=april, month=datetime.date(2025, 3, 1))
    with pytest.raises(ValidationError, match="positive"):
        services.budget_update(budget=april, amount=D("0"))
    with pytest.raises(ValueError, match="currency"):
        services.budget_update(budget=april, currency="USD")

    assert services.budget_update(budget=march, month=datetime.date(2025, 3, 9)) == march
    assert sorted(Budget.objects.values_list("month", "amount")) == [
        (datetime.date(2025, 3, 1), D("400.00")),
        (datetime.date(2025, 4, 1), D("400.00")),
    ]


@travel
def test_staff_update_and_delete_are_audited(user, staff):
    budget = create(user)

    services.budget_update(budget=budget, amount=D("10.00"), actor=staff["admin"])
    services.budget_delete(budget=budget, actor=staff["admin"])

    assert not Budget.objects.exists()
    entries = dict(AuditLog.objects.values_list("action", "changes"))
    assert entries["budget.update"] == {"amount": ["400.00", "10.00"]}
    assert entries["budget.delete"]["amount"] == ["10.00", None]


# --- Copying a month --------------------------------------------------------------------


@travel
def test_copy_month_copies_last_months_budgets_and_skips_taken_categories(user, other_user):
    dining, transport = default_category("dining"), default_category("transport")
    create(user, month=datetime.date(2025, 2, 1), amount=D("300.00"))
    create(user, month=datetime.date(2025, 2, 1), category=dining, amount=D("80.00"))
    create(user, month=datetime.date(2025, 2, 1), category=transport, amount=D("50.00"))
    create(user, month=datetime.date(2025, 1, 1), category=default_category("travel"))
    create(other_user, month=datetime.date(2025, 2, 1), category=default_category("health"))
    create(user, month=datetime.date(2025, 3, 1), category=dining, amount=D("120.00"))

    copied = services.budgets_copy_month(user=user, year=2025, month=3)

    assert sorted((b.category.slug, b.month, b.amount) for b in copied) == [
        ("groceries", datetime.date(2025, 3, 1), D("300.00")),
        ("transport", datetime.date(2025, 3, 1), D("50.00")),
    ]
    assert set(
        Budget.objects.filter(user=user, month=datetime.date(2025, 3, 1)).values_list(
            "category__slug", "amount"
        )
    ) == {("groceries", D("300.00")), ("transport", D("50.00")), ("dining", D("120.00"))}
    # Twice in a row: nothing more.
    assert services.budgets_copy_month(user=user, year=2025, month=3) == []
    assert Budget.objects.filter(user=user).count() == 7


@travel
def test_copy_month_across_the_year_and_with_nothing_to_copy(user):
    create(user, month=datetime.date(2024, 12, 1))

    assert [b.month for b in services.budgets_copy_month(user=user, year=2025, month=1)] == [
        datetime.date(2025, 1, 1)
    ]
    assert services.budgets_copy_month(user=user, year=2025, month=6) == []


@travel
@pytest.mark.parametrize(("year", "month"), [(2025, 13), (2025, 0), (1899, 5), (2030, 1)])
def test_copy_month_refuses_impossible_months(user, year, month):
    create(user, month=datetime.date(2025, 2, 1))

    with pytest.raises(ValidationError) as exc:
        services.budgets_copy_month(user=user, year=year, month=month)

    assert "month" in exc.value.message_dict
    assert Budget.objects.count() == 1


# --- Budget alerts ----------------------------------------------------------------------


@pytest.fixture
def account(user):
    return BankAccountFactory(user=user, opening_balance=D("10000.00"))


def spend(account, amount, day=datetime.date(2025, 3, 10), category="groceries"):
    category = default_category(category) if isinstance(category, str) else category
    return TransactionFactory(account=account, amount=D(amount), txn_date=day, category=category)


def check(user, *rows):
    services.budget_alerts_check(user=user, transactions=list(rows))


def alert_keys(user) -> list[tuple[str, str]]:
    return sorted(Alert.objects.filter(user=user).values_list("alert_type", "key"))


@travel
def test_a_budget_warns_once_at_80_percent_and_once_when_exceeded(user, account):
    budget = BudgetFactory(user=user, amount=D("100.00"))

    check(user, spend(account, "-79.99"))
    assert alert_keys(user) == []

    check(user, spend(account, "-0.01"))
    assert alert_keys(user) == [("budget_80", f"budget_80:{budget.pk}")]
    alert = Alert.objects.get(user=user)
    assert alert.severity == "warning"
    assert "80.00%" in alert.title
    assert "80.00 EUR of your 100.00 EUR Groceries budget for March 2025" in alert.message
    assert alert.data["budget_id"] == budget.pk
    assert alert.data["spent"] == "80.00"

    check(user, spend(account, "-5.00"))
    assert len(alert_keys(user)) == 1

    check(user, spend(account, "-20.00"))
    exceeded = Alert.objects.get(user=user, alert_type="budget_exceeded")
    assert exceeded.key == f"budget_exceeded:{budget.pk}"
    assert exceeded.severity == "critical"
    assert "5.00 EUR over" in exceeded.message

    check(user, spend(account, "-20.00"))
    assert len(alert_keys(user)) == 2


@travel
def test_jumping_past_the_limit_says_exceeded_only(user, account):
    budget = BudgetFactory(user=user, amount=D("100.00"))

    check(user, spend(account, "-150.00"))
    check(user, spend(account, "-5.00"))

    assert alert_keys(user) == [("budget_exceeded", f"budget_exceeded:{budget.pk}")]


@travel
def test_old_rows_raise_nothing(user, account):
    """Recent means within alerts.services.ALERT_RECENT_DAYS (31) of the user's today."""
    january = BudgetFactory(user=user, month=datetime.date(2025, 1, 1), amount=D("10.00"))
    february = BudgetFactory(user=user, month=datetime.date(2025, 2, 1), amount=D("10.00"))
    old = spend(account, "-50.00", datetime.date(2025, 1, 20))
    older_in_february = spend(account, "-50.00", datetime.date(2025, 2, 16))

    check(user, old, older_in_february)
    assert alert_keys(user) == []

    check(user, spend(account, "-1.00", datetime.date(2025, 2, 17)))  # 31 days ago
    assert alert_keys(user) == [("budget_exceeded", f"budget_exceeded:{february.pk}")]
    assert not Alert.objects.filter(key__endswith=f":{january.pk}").exists()


@travel
def test_only_budgets_of_the_rows_category_and_month_and_never_transfers(user, account, other_user):
    BudgetFactory(user=user, category=default_category("dining"), amount=D("10.00"))
    BudgetFactory(user=user, month=datetime.date(2025, 2, 1), amount=D("10.00"))
    BudgetFactory(user=other_user, amount=D("10.00"))
    # Made behind the services' back (they refuse it), to show transfer rows never count.
    BudgetFactory(user=user, category=default_category("transfers"), amount=D("10.00"))
    savings = BankAccountFactory(user=user, account_type=BankAccount.Type.SAVINGS)
    legs = transfer_create(
        user=user,
        from_account=account,
        to_account=savings,
        amount=D("500.00"),
        txn_date=datetime.date(2025, 3, 10),
    )

    check(user, spend(account, "-50.00"), legs.outgoing, legs.incoming)

    assert Alert.objects.count() == 0


@travel
def test_a_missing_rate_skips_the_budget_without_failing(user, caplog):
    dollars = BankAccountFactory(user=user, currency="USD")
    BudgetFactory(user=user, amount=D("1.00"))

    with caplog.at_level(logging.WARNING, logger="budgets.services"):
        check(user, spend(dollars, "-50.00"))

    assert alert_keys(user) == []
    assert "No exchange rate for USD->EUR on or before 2025-03-10" in caplog.text


@travel
def test_alerts_check_takes_a_fixed_number_of_queries(user, account):
    dining = default_category("dining")
    BudgetFactory(user=user, amount=D("10000.00"))
    BudgetFactory(user=user, category=dining, amount=D("10000.00"))
    few = [spend(account, "-1.00")]
    many = [spend(account, "-1.00", datetime.date(2025, 3, day), dining) for day in range(1, 21)]
    many += [spend(account, "-1.00", datetime.date(2025, 3, day)) for day in range(1, 21)]

    with CaptureQueriesContext(connection) as one_row:
        check(user, *few)
    with CaptureQueriesContext(connection) as forty_rows:
        check(user, *many)

    assert len(one_row) == len(forty_rows) == 2  # budgets, the aggregate
    assert Alert.objects.count() == 0


def test_no_rows_no_queries(user, django_assert_num_queries):
    with django_assert_num_queries(0):
        check(user)
        check(user, Transaction(kind="transfer", txn_date=datetime.date(2025, 3, 1)))


@travel
def test_an_expense_in_a_time_zone_ahead_counts_in_its_own_month(account):
    """31 March 23:30 UTC is 1 April in Auckland; a row of 1 April is April's, and recent."""
    kiwi = UserFactory(time_zone="Pacific/Auckland")
    wallet = BankAccountFactory(user=kiwi)
    with time_machine.travel(datetime.datetime(2025, 3, 31, 23, 30, tzinfo=datetime.UTC)):
        april = BudgetFactory(user=kiwi, month=datetime.date(2025, 4, 1), amount=D("10.00"))
        check(kiwi, spend(wallet, "-9.00", datetime.date(2025, 4, 1)))

    assert alert_keys(kiwi) == [("budget_80", f"budget_80:{april.pk}")]
