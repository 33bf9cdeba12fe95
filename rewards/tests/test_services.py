"""rewards.services: programmes, earning once per cause, redemptions and staff adjustments.

Transactions are made before the earning rules in these tests, so only the explicit calls
earn (the ledger's own follow-up call finds no rule when the rows are written).
"""

import datetime
import logging
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditLog, BankAccount
from accounts.services import user_signup
from accounts.tests.factories import BankAccountFactory, ExchangeRateFactory
from rewards import selectors
from rewards.models import EarningRule, PointsEntry, RewardProgramme
from rewards.services import (
    POINTS_MAX,
    REDEMPTION_DESCRIPTION,
    points_adjust,
    points_earn_for_bill,
    points_earn_for_spending,
    points_redeem,
    programme_create,
    programme_for,
)
from rewards.tests.factories import (
    BillRuleFactory,
    EarningRuleFactory,
    PointsEntryFactory,
    RedemptionRateFactory,
)
from transactions.models import Transaction
from transactions.services import ledger_differences, transactions_bulk_create, transfer_create
from transactions.tests.factories import CategoryFactory, TransactionFactory, default_category

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


def balance_of(programme: RewardProgramme) -> int:
    """The balance three ways, which must agree: selector, list annotation, plain sum."""
    selected = selectors.programme_balance(programme=programme)
    annotated = RewardProgramme.objects.with_balance().get(pk=programme.pk).balance
    summed = sum(PointsEntry.objects.filter(programme=programme).values_list("points", flat=True))
    assert selected == annotated == summed
    return selected


def spend(account: BankAccount, amount: str, *, category="groceries", **fields) -> Transaction:
    if isinstance(category, str):
        category = default_category(category)
    return TransactionFactory(account=account, amount=Decimal(amount), category=category, **fields)


def paid_bill(
    *,
    user,
    due_date,
    paid_on,
    biller="City Power",
    pk=7,
    created_at=None,
    notice_days=3,
    previous_id=None,
) -> SimpleNamespace:
    """What points_earn_for_bill reads of a bill, and nothing more (it never imports bills).

    Entered a month before it is due unless ``created_at`` says otherwise.
    """
    account = BankAccountFactory(user=user)
    payment = spend(account, "-60.00", category="utilities", txn_date=paid_on)
    if created_at is None:
        created_at = datetime.datetime.combine(
            due_date - datetime.timedelta(days=30), datetime.time(12), tzinfo=datetime.UTC
        )
    return SimpleNamespace(
        pk=pk,
        user=user,
        due_date=due_date,
        notice_days=notice_days,
        created_at=created_at,
        previous_id=previous_id,
        paid_transaction=payment,
        biller=biller,
    )


@pytest.fixture
def account(user):
    return BankAccountFactory(user=user, opening_balance=Decimal("5000.00"))


@pytest.fixture
def programme(user):
    return programme_for(user)


# --- Programmes -------------------------------------------------------------------------


def test_programme_create_is_idempotent(user):
    first = programme_create(user=user)
    second = programme_create(user=user)

    assert first.pk == second.pk
    assert RewardProgramme.objects.filter(user=user).count() == 1
    assert first.name == "SmartBank Rewards"
    assert balance_of(first) == 0


def test_sign_up_makes_the_programme_in_the_same_database_transaction():
    user = user_signup(email="new@example.com", password="a-long-enough-password-1")

    assert RewardProgramme.objects.filter(user=user).count() == 1


def test_a_refused_sign_up_makes_no_programme():
    user_signup(email="taken@example.com", password="a-long-enough-password-1")

    with pytest.raises(ValidationError):
        user_signup(email="TAKEN@example.com", password="a-long-enough-password-1")

    assert RewardProgramme.objects.count() == 1


# --- Bills paid on time -----------------------------------------------------------------


def test_a_bill_paid_on_time_earns_the_sum_of_the_active_rules_once(user):
    bill = paid_bill(
        user=user, due_date=datetime.date(2025, 3, 20), paid_on=datetime.date(2025, 3, 14)
    )
    BillRuleFactory(points=Decimal("50.00"))
    BillRuleFactory(points=Decimal("25.50"))
    BillRuleFactory(points=Decimal("1000.00"), active=False)
    BillRuleFactory(points=Decimal("1000.00"), starts_on=datetime.date(2025, 3, 15))
    EarningRuleFactory(points=Decimal("1000.00"))  # category spending: not for bills

    entry = points_earn_for_bill(bill=bill)

    assert entry is not None
    assert entry.points == 75  # 75.50 rounded down
    assert entry.source == "bill_on_time"
    assert entry.cause == "bill:7"
    assert entry.transaction_id == bill.paid_transaction.pk
    assert "City Power" in entry.reason
    assert points_earn_for_bill(bill=bill) is None
    assert points_earn_for_bill(bill=bill) is None
    assert PointsEntry.objects.count() == 1
    assert balance_of(programme_for(user)) == 75


def test_a_bill_paid_on_its_due_date_is_on_time(user):
    bill = paid_bill(
        user=user, due_date=datetime.date(2025, 3, 14), paid_on=datetime.date(2025, 3, 14)
    )
    BillRuleFactory()

    assert points_earn_for_bill(bill=bill).points == 50


def test_a_late_or_unpaid_bill_earns_nothing(user):
    late = paid_bill(
        user=user, due_date=datetime.date(2025, 3, 13), paid_on=datetime.date(2025, 3, 14)
    )
    BillRuleFactory()
    unpaid = SimpleNamespace(
        pk=8, user=user, due_date=datetime.date(2025, 3, 13), paid_transaction=None
    )

    assert points_earn_for_bill(bill=late) is None
    assert points_earn_for_bill(bill=unpaid) is None
    assert not PointsEntry.objects.exists()


def at(day: datetime.date, hour: int, zone: str = "UTC") -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=ZoneInfo(zone))


@pytest.mark.parametrize(
    ("zone", "created_at", "earns"),
    [
        # Due on the 20th with 3 days of notice: the notice period opens on the 17th.
        ("Europe/London", at(datetime.date(2025, 3, 16), 23, "Europe/London"), True),
        ("Europe/London", at(datetime.date(2025, 3, 17), 0, "Europe/London"), False),
        ("Europe/London", at(datetime.date(2025, 3, 19), 9, "Europe/London"), False),
        # The customer's date, not UTC's: 15:00 UTC on the 16th is the 17th in Tokyo,
        # 02:00 UTC on the 17th still the 16th in New York.
        ("Asia/Tokyo", at(datetime.date(2025, 3, 16), 15), False),
        ("Asia/Tokyo", at(datetime.date(2025, 3, 16), 14), True),
        ("America/New_York", at(datetime.date(2025, 3, 17), 2), True),
    ],
)
def test_only_a_bill_entered_before_its_notice_period_opened_earns(user, zone, created_at, earns):
    """Entering a 0.01 bill and paying it at once, again and again, must not farm points."""
    user.time_zone = zone
    user.save(update_fields=["time_zone"])
    bill = paid_bill(
        user=user,
        due_date=datetime.date(2025, 3, 20),
        paid_on=datetime.date(2025, 3, 19),
        created_at=created_at,
    )
    BillRuleFactory()

    assert (points_earn_for_bill(bill=bill) is not None) is earns
    assert PointsEntry.objects.count() == int(earns)


def test_a_next_occurrence_made_by_its_series_earns_even_when_made_late(user):
    # The previous occurrence was paid late, on the day this one's notice period opened.
    made_by_the_series = paid_bill(
        user=user,
        due_date=datetime.date(2025, 3, 20),
        paid_on=datetime.date(2025, 3, 18),
        created_at=at(datetime.date(2025, 3, 17), 10),
        previous_id=6,
    )
    entered_by_hand = paid_bill(
        user=user,
        pk=8,
        due_date=datetime.date(2025, 3, 20),
        paid_on=datetime.date(2025, 3, 18),
        created_at=at(datetime.date(2025, 3, 17), 10),
    )
    BillRuleFactory()

    assert points_earn_for_bill(bill=made_by_the_series).points == 50
    assert points_earn_for_bill(bill=entered_by_hand) is None


def test_with_no_notice_a_bill_entered_the_day_before_it_is_due_earns(user):
    due = datetime.date(2025, 3, 20)
    BillRuleFactory()
    day_before = paid_bill(
        user=user, due_date=due, paid_on=due, notice_days=0, created_at=at(due, 0) - HOUR
    )
    same_day = paid_bill(
        user=user, pk=8, due_date=due, paid_on=due, notice_days=0, created_at=at(due, 0)
    )

    assert points_earn_for_bill(bill=day_before) is not None
    assert points_earn_for_bill(bill=same_day) is None


def test_no_bill_rule_means_no_points(user):
    bill = paid_bill(
        user=user, due_date=datetime.date(2025, 3, 20), paid_on=datetime.date(2025, 3, 14)
    )

    assert points_earn_for_bill(bill=bill) is None
    assert not PointsEntry.objects.exists()


def test_a_bill_without_a_biller_attribute_still_earns(user):
    bill = paid_bill(
        user=user, due_date=datetime.date(2025, 3, 20), paid_on=datetime.date(2025, 3, 14)
    )
    del bill.biller
    BillRuleFactory()

    assert points_earn_for_bill(bill=bill).points == 50


def test_a_concurrent_duplicate_loses_on_the_unique_constraint_and_returns_none(user, monkeypatch):
    bill = paid_bill(
        user=user, due_date=datetime.date(2025, 3, 20), paid_on=datetime.date(2025, 3, 14)
    )
    BillRuleFactory()
    assert points_earn_for_bill(bill=bill) is not None
    # The other caller checked before this one's row was committed: it saw nothing.
    monkeypatch.setattr(QuerySet, "exists", lambda self: False)

    assert points_earn_for_bill(bill=bill) is None

    monkeypatch.undo()
    assert PointsEntry.objects.count() == 1
    # The database transaction is still usable after the refused insert.
    assert balance_of(programme_for(user)) == 50


# --- Spending in categories -------------------------------------------------------------


def test_spending_in_a_rule_category_earns_points_per_unit_rounded_down(user, account):
    groceries = spend(account, "-42.75")
    EarningRuleFactory(points=Decimal("2.00"))

    added = points_earn_for_spending(user=user, transactions=[groceries])

    assert added == 85  # 42.75 * 2 = 85.5
    entry = PointsEntry.objects.get()
    assert entry.points == 85
    assert entry.source == "category_spend"
    assert entry.transaction_id == groceries.pk
    assert entry.cause == f"spend:{groceries.pk}:{EarningRule.objects.get().pk}"
    assert balance_of(programme_for(user)) == 85


def test_each_row_earns_once_per_rule_however_often_it_is_passed(user, account):
    groceries = spend(account, "-10.00")
    first = EarningRuleFactory(points=Decimal("1.00"))
    second = EarningRuleFactory(points=Decimal("0.50"))

    assert points_earn_for_spending(user=user, transactions=[groceries]) == 15
    assert points_earn_for_spending(user=user, transactions=[groceries]) == 0
    assert points_earn_for_spending(user=user, transactions=[groceries, groceries]) == 0

    causes = set(PointsEntry.objects.values_list("cause", flat=True))
    assert causes == {f"spend:{groceries.pk}:{first.pk}", f"spend:{groceries.pk}:{second.pk}"}
    assert balance_of(programme_for(user)) == 15


def test_only_expenses_in_the_rules_categories_from_its_start_earn(user, account, other_user):
    savings = BankAccountFactory(user=user, account_type=BankAccount.Type.SAVINGS)
    earning = spend(account, "-20.00")
    refund = spend(account, "5.00")
    dining = spend(account, "-30.00", category="dining")
    uncategorised = spend(account, "-30.00", category=None)
    before_start = spend(account, "-30.00", txn_date=datetime.date(2024, 12, 31))
    own_category = spend(account, "-30.00", category=CategoryFactory(user=user))
    transfer = transfer_create(
        user=user,
        from_account=account,
        to_account=savings,
        amount=Decimal("100.00"),
        txn_date=datetime.date(2025, 3, 14),
    )
    strangers = spend(BankAccountFactory(user=other_user), "-30.00")
    EarningRuleFactory(points=Decimal("1.00"))

    added = points_earn_for_spending(
        user=user,
        transactions=[
            earning,
            refund,
            dining,
            uncategorised,
            before_start,
            own_category,
            transfer.outgoing,
            transfer.incoming,
            strangers,
        ],
    )

    assert added == 20
    assert list(PointsEntry.objects.values_list("transaction_id", flat=True)) == [earning.pk]
    assert not RewardProgramme.objects.filter(user=other_user).exists()


def test_an_inactive_rule_or_a_rule_worth_nothing_earns_nothing(user, account):
    groceries = spend(account, "-10.00")
    EarningRuleFactory(active=False)
    EarningRuleFactory(points=Decimal("0.00"))
    EarningRuleFactory(points=Decimal("0.05"))  # 10.00 * 0.05 = 0.5 points: rounds to none

    assert points_earn_for_spending(user=user, transactions=[groceries]) == 0
    assert not PointsEntry.objects.exists()


def test_foreign_spending_is_converted_to_the_base_currency_at_its_date(user):
    dollars = BankAccountFactory(user=user, currency="USD", opening_balance=Decimal("500.00"))
    groceries = spend(dollars, "-100.00", txn_date=datetime.date(2025, 3, 14))
    # 1 EUR = 1.25 USD on the Friday before: 100 USD = 80 EUR.
    ExchangeRateFactory(base="EUR", quote="USD", day=datetime.date(2025, 3, 7), rate="1.25")
    EarningRuleFactory(points=Decimal("1.00"))

    assert user.base_currency == "EUR"
    assert points_earn_for_spending(user=user, transactions=[groceries]) == 80


def test_a_row_with_no_rate_is_skipped_with_a_warning_and_the_rest_earn(user, account, caplog):
    dollars = BankAccountFactory(user=user, currency="USD", opening_balance=Decimal("500.00"))
    no_rate = spend(dollars, "-100.00")
    euros = spend(account, "-10.00")
    EarningRuleFactory()

    with caplog.at_level(logging.WARNING, logger="rewards.services"):
        added = points_earn_for_spending(user=user, transactions=[no_rate, euros])

    assert added == 10
    assert list(PointsEntry.objects.values_list("transaction_id", flat=True)) == [euros.pk]
    assert "no exchange rate to EUR" in caplog.text
    assert "USD on 2025-03-14" in caplog.text


def test_a_huge_amount_earns_at_most_points_max(user):
    account = BankAccountFactory(user=user, opening_balance=Decimal("999999999999.99"))
    huge = spend(account, "-999999999999.99")
    EarningRuleFactory(points=Decimal("999999.99"))

    assert points_earn_for_spending(user=user, transactions=[huge]) == POINTS_MAX


def test_nothing_to_earn_costs_no_query(user, account, django_assert_num_queries):
    income = spend(account, "100.00", category="income")
    EarningRuleFactory()

    with django_assert_num_queries(0):
        assert points_earn_for_spending(user=user, transactions=[income]) == 0


def test_no_rule_costs_one_query(user, account, django_assert_num_queries):
    groceries = spend(account, "-10.00")

    with django_assert_num_queries(1):
        assert points_earn_for_spending(user=user, transactions=[groceries]) == 0


def test_the_query_count_does_not_grow_with_the_rows(user, account):
    dollars = BankAccountFactory(user=user, currency="USD", opening_balance=Decimal("5000.00"))
    few = [spend(account, "-1.00"), spend(dollars, "-1.00")]
    many = [spend(account, "-1.00") for _ in range(20)] + [spend(dollars, "-1.00")] * 5
    ExchangeRateFactory(base="EUR", quote="USD", day=datetime.date(2025, 3, 1), rate="0.5")
    EarningRuleFactory()
    EarningRuleFactory(categories=[default_category("groceries"), default_category("dining")])
    programme_for(user)

    def count(rows) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert points_earn_for_spending(user=user, transactions=rows) > 0
        return len(queries)

    assert count(few) == count(many)


def test_an_import_sized_batch_earns_once_with_a_fixed_number_of_queries(user, account):
    rows = [
        {
            "amount": Decimal("-1.00"),
            "txn_date": datetime.date(2025, 3, 1) + datetime.timedelta(days=n % 20),
            "description": f"Shop {n}",
            "category": default_category("groceries"),
        }
        for n in range(700)
    ]
    created = transactions_bulk_create(account=account, rows=rows)
    EarningRuleFactory()
    programme_for(user)

    with CaptureQueriesContext(connection) as first:
        assert points_earn_for_spending(user=user, transactions=created) == 700
    with CaptureQueriesContext(connection) as again:
        assert points_earn_for_spending(user=user, transactions=created) == 0

    assert PointsEntry.objects.count() == 700
    assert balance_of(programme_for(user)) == 700
    # Rules, their categories, the programme, the causes earned already; then the insert:
    # one statement on PostgreSQL, batches of what SQLite's limit on parameters allows.
    reads = [q for q in first.captured_queries if not q["sql"].startswith("INSERT")]
    inserts = len(first.captured_queries) - len(reads)
    assert len(reads) == 4
    assert inserts == 1 if connection.vendor == "postgresql" else inserts >= 1
    assert len(again) == 4


# --- Redemption -------------------------------------------------------------------------


@pytest.fixture
def rich_programme(programme):
    PointsEntryFactory(programme=programme, points=1000)
    return programme


def test_redeeming_credits_the_account_and_takes_the_points(user, account, rich_programme):
    RedemptionRateFactory(currency="EUR", points_per_unit=100, minimum_points=500)

    redemption = points_redeem(programme=rich_programme, points=750, account=account)

    assert redemption.credit == Decimal("7.50")
    assert redemption.currency == "EUR"
    assert redemption.balance == 250
    txn = redemption.transaction
    assert txn.amount == Decimal("7.50")
    assert txn.kind == "income"
    assert txn.account_id == account.pk
    assert txn.description == REDEMPTION_DESCRIPTION
    assert txn.category.slug == "income"
    assert txn.txn_date == user.today()
    assert redemption.entry.points == -750
    assert redemption.entry.source == "redemption"
    assert redemption.entry.transaction_id == txn.pk
    assert balance_of(rich_programme) == 250
    account.refresh_from_db()
    assert account.balance == Decimal("5007.50")
    assert ledger_differences() == []


def test_the_credit_is_rounded_down_to_the_cent(user, account, rich_programme):
    RedemptionRateFactory(currency="EUR", points_per_unit=3, minimum_points=1)

    redemption = points_redeem(programme=rich_programme, points=10, account=account)

    assert redemption.credit == Decimal("3.33")
    assert balance_of(rich_programme) == 990


def test_the_whole_balance_can_be_redeemed(account, rich_programme):
    RedemptionRateFactory()

    points_redeem(programme=rich_programme, points=1000, account=account)

    assert balance_of(rich_programme) == 0


def test_a_credit_card_can_take_the_credit(user, rich_programme):
    card = BankAccountFactory(
        user=user,
        account_type=BankAccount.Type.CREDIT_CARD,
        opening_balance=Decimal("-200.00"),
        credit_limit=Decimal("500.00"),
    )
    RedemptionRateFactory()

    points_redeem(programme=rich_programme, points=1000, account=card)

    card.refresh_from_db()
    assert card.balance == Decimal("-190.00")


def refused(field: str, **kwargs) -> str:
    with pytest.raises(ValidationError) as caught:
        points_redeem(**kwargs)
    assert field in caught.value.message_dict, caught.value.message_dict
    return caught.value.message_dict[field][0]


def assert_nothing_redeemed(programme, account, balance=1000):
    assert balance_of(programme) == balance
    assert not Transaction.objects.filter(account=account, amount__gt=0).exists()
    account.refresh_from_db()
    assert account.balance == Decimal("5000.00")
    assert not PointsEntry.objects.filter(source="redemption").exists()


def test_more_points_than_the_balance_are_refused(account, rich_programme):
    RedemptionRateFactory()

    message = refused("points", programme=rich_programme, points=1001, account=account)

    assert message == "You have 1000 points; you cannot redeem 1001."
    assert_nothing_redeemed(rich_programme, account)


@pytest.mark.parametrize(
    ("points", "message"),
    [
        (0, "The points cannot be zero."),
        (-5, "Redeem a positive number of points."),
        (1.5, "Points are a whole number, such as 500."),
        ("500", "Points are a whole number, such as 500."),
        (True, "Points are a whole number, such as 500."),
        (Decimal("500"), "Points are a whole number, such as 500."),
        (POINTS_MAX + 1, f"At most {POINTS_MAX} points at a time."),
        (499, "Redeem at least 500 points."),
    ],
)
def test_bad_points_are_refused(account, rich_programme, points, message):
    RedemptionRateFactory()

    assert refused("points", programme=rich_programme, points=points, account=account) == message
    assert_nothing_redeemed(rich_programme, account)


def test_points_worth_less_than_a_cent_are_refused(account, rich_programme):
    RedemptionRateFactory(points_per_unit=1000, minimum_points=1)

    message = refused("points", programme=rich_programme, points=9, account=account)

    assert message == "9 points are worth less than 0.01 EUR; redeem at least 10."
    assert_nothing_redeemed(rich_programme, account)


def test_another_customers_account_is_refused(account, rich_programme, other_user):
    strangers = BankAccountFactory(user=other_user)
    RedemptionRateFactory()

    message = refused("account", programme=rich_programme, points=500, account=strangers)

    assert message == "Account not found."
    assert_nothing_redeemed(rich_programme, account)
    strangers.refresh_from_db()
    assert strangers.balance == Decimal("1000.00")


def test_an_archived_account_is_refused(user, account, rich_programme):
    archived = BankAccountFactory(user=user, is_archived=True)
    RedemptionRateFactory()

    assert "archived" in refused("account", programme=rich_programme, points=500, account=archived)
    assert_nothing_redeemed(rich_programme, account)


def test_a_currency_without_a_rate_is_refused(user, account, rich_programme):
    pounds = BankAccountFactory(user=user, currency="GBP")
    RedemptionRateFactory(currency="EUR")

    message = refused("account", programme=rich_programme, points=500, account=pounds)

    assert message == "Points cannot be redeemed into a GBP account."
    assert_nothing_redeemed(rich_programme, account)


# --- Staff adjustments ------------------------------------------------------------------


def test_an_admin_adjustment_is_an_audited_entry(programme, staff):
    admin_user = staff["admin"]

    entry = points_adjust(programme=programme, points=300, reason=" Goodwill ", actor=admin_user)

    assert entry.points == 300
    assert entry.source == "adjustment"
    assert entry.reason == "Goodwill"
    assert entry.created_by == admin_user
    assert balance_of(programme) == 300
    log = AuditLog.objects.get(action="rewards.points_adjust")
    assert log.actor == admin_user
    assert log.target_type == "rewards.rewardprogramme"
    assert log.target_id == str(programme.pk)
    assert log.changes == {
        "balance": [0, 300],
        "points": [None, 300],
        "reason": [None, "Goodwill"],
        "entry": [None, entry.pk],
    }


def test_a_negative_adjustment_may_empty_the_balance_but_not_go_below(programme, staff):
    PointsEntryFactory(programme=programme, points=100)

    with pytest.raises(ValidationError) as caught:
        points_adjust(programme=programme, points=-101, reason="Fraud", actor=staff["admin"])
    assert caught.value.message_dict == {
        "points": ["The balance is 100 points; it cannot go below zero."]
    }
    assert balance_of(programme) == 100

    points_adjust(programme=programme, points=-100, reason="Fraud", actor=staff["admin"])
    assert balance_of(programme) == 0
    assert AuditLog.objects.filter(action="rewards.points_adjust").count() == 1


@pytest.mark.parametrize("role", ["auditor", "support"])
def test_only_admins_adjust_points(programme, staff, role):
    with pytest.raises(PermissionDenied):
        points_adjust(programme=programme, points=10, reason="Nice", actor=staff[role])
    assert not PointsEntry.objects.exists()
    assert not AuditLog.objects.exists()


def test_a_customer_cannot_adjust_their_own_points(user, programme):
    with pytest.raises(PermissionDenied):
        points_adjust(programme=programme, points=10, reason="Mine", actor=user)
    with pytest.raises(PermissionDenied):
        points_adjust(programme=programme, points=10, reason="Mine", actor=None)
    assert not PointsEntry.objects.exists()


@pytest.mark.parametrize(
    ("points", "reason", "field"),
    [
        (10, "   ", "reason"),
        (10, "x" * 256, "reason"),
        (0, "Zero", "points"),
        (2.5, "Half", "points"),
        (POINTS_MAX + 1, "Too many", "points"),
    ],
)
def test_bad_adjustments_are_refused(programme, staff, points, reason, field):
    with pytest.raises(ValidationError) as caught:
        points_adjust(programme=programme, points=points, reason=reason, actor=staff["admin"])
    assert field in caught.value.message_dict
    assert not PointsEntry.objects.exists()
    assert not AuditLog.objects.exists()


def test_the_balance_is_the_sum_of_the_entries_through_every_operation(
    user, account, programme, staff
):
    groceries = spend(account, "-120.00")
    bill = paid_bill(
        user=user, due_date=datetime.date(2025, 3, 20), paid_on=datetime.date(2025, 3, 14)
    )
    EarningRuleFactory(points=Decimal("5.00"))
    BillRuleFactory(points=Decimal("40.00"))
    RedemptionRateFactory()
    expected = 0

    points_earn_for_spending(user=user, transactions=[groceries, bill.paid_transaction])
    expected += 600
    assert balance_of(programme) == expected
    points_earn_for_bill(bill=bill)
    expected += 40
    assert balance_of(programme) == expected
    points_adjust(programme=programme, points=-40, reason="Correction", actor=staff["admin"])
    expected -= 40
    assert balance_of(programme) == expected
    points_redeem(programme=programme, points=500, account=account)
    expected -= 500
    assert balance_of(programme) == expected == 100
    assert selectors.points_total(user=user) == 100
    assert ledger_differences() == []


def test_deleting_an_expense_takes_back_the_points_it_earned_once(db):
    from accounts.tests.factories import BankAccountFactory
    from rewards.selectors import points_total
    from rewards.tests.factories import EarningRuleFactory
    from transactions.services import transaction_create, transaction_delete
    from transactions.tests.factories import default_category

    groceries = default_category("groceries")
    rule = EarningRuleFactory(
        kind="category_spend", points=Decimal("2"), starts_on=datetime.date(2020, 1, 1)
    )
    rule.categories.set([groceries])
    account = BankAccountFactory(currency="EUR", opening_balance=Decimal("500.00"))
    user = account.user
    user.base_currency = "EUR"
    user.save()

    kept = transaction_create(
        user=user,
        account=account,
        amount=Decimal("-10.00"),
        txn_date=datetime.date(2026, 1, 2),
        category=groceries,
    )
    gone = transaction_create(
        user=user,
        account=account,
        amount=Decimal("-25.50"),
        txn_date=datetime.date(2026, 1, 3),
        category=groceries,
    )
    assert points_total(user=user) == 20 + 51

    transaction_delete(transaction=gone, actor=user)

    assert points_total(user=user) == 20
    assert PointsEntry.objects.filter(cause__startswith="spend-reversed:").count() == 1
    # Entering and deleting an expense again and again mints nothing.
    for _ in range(3):
        again = transaction_create(
            user=user,
            account=account,
            amount=Decimal("-25.50"),
            txn_date=datetime.date(2026, 1, 3),
            category=groceries,
        )
        transaction_delete(transaction=again, actor=user)
    assert points_total(user=user) == 20
    assert kept.pk


def test_a_bill_paid_more_than_a_month_ahead_earns_nothing(user):
    """Prepaying a series occurrence after occurrence must not mint points."""
    BillRuleFactory()
    due = datetime.date(2025, 6, 30)
    far_ahead = paid_bill(
        user=user, due_date=due, paid_on=due - datetime.timedelta(days=32), previous_id=1
    )
    month_ahead = paid_bill(
        user=user, due_date=due, paid_on=due - datetime.timedelta(days=31), pk=8, previous_id=1
    )

    assert points_earn_for_bill(bill=far_ahead) is None
    assert points_earn_for_bill(bill=month_ahead).points == 50


def test_at_most_the_months_limit_of_bills_earn(user, settings):
    settings.REWARDS_BILLS_PER_MONTH = 3
    BillRuleFactory()
    march = [
        paid_bill(
            user=user,
            due_date=datetime.date(2025, 3, 28),
            paid_on=datetime.date(2025, 3, day),
            pk=day,
        )
        for day in range(1, 6)
    ]
    april = paid_bill(
        user=user, due_date=datetime.date(2025, 4, 28), paid_on=datetime.date(2025, 4, 1), pk=99
    )

    earned = [points_earn_for_bill(bill=bill) for bill in march]

    assert [entry is not None for entry in earned] == [True, True, True, False, False]
    # A new month, a new allowance.
    assert points_earn_for_bill(bill=april).points == 50
    assert balance_of(programme_for(user)) == 200
