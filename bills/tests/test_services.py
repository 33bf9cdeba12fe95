"""bills.services: create, edit, delete, pay, and the transactions that pay bills."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditLog, BankAccount
from accounts.tests.factories import BankAccountFactory, UserFactory
from bills import services
from bills.models import Bill, BillStatus, Recurrence
from bills.services import (
    BillAlreadyPaid,
    bill_create,
    bill_delete,
    bill_pay,
    bill_update,
    bills_match_transactions,
)
from bills.tests.conftest import TODAY
from bills.tests.factories import BillFactory, bill_with_account
from rewards.models import PointsEntry
from rewards.tests.factories import BillRuleFactory
from smartbank.testing import database_snapshot
from transactions.models import Transaction
from transactions.services import (
    InsufficientFunds,
    ledger_differences,
    transaction_delete,
    transaction_update,
    transactions_bulk_create,
)
from transactions.tests.factories import CategoryFactory, TransactionFactory, default_category

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_time")]

D = datetime.date


def balance(account) -> Decimal:
    return BankAccount.objects.get(pk=account.pk).balance


def points_of(user) -> int:
    return sum(PointsEntry.objects.for_user(user).values_list("points", flat=True))


# --- Create -------------------------------------------------------------------------------


def test_create_takes_the_accounts_currency_and_keeps_the_anchor_day(user):
    usd = BankAccountFactory(user=user, currency="USD")

    bill = bill_create(
        user=user,
        biller="  Water Co  ",
        amount_due=Decimal("45.5"),
        due_date=D(2025, 3, 31),
        recurrence=Recurrence.MONTHLY,
        account=usd,
        category=default_category("utilities"),
    )

    bill.refresh_from_db()
    assert (bill.biller, bill.amount_due, bill.currency) == ("Water Co", Decimal("45.50"), "USD")
    assert (bill.anchor_day, bill.notice_days, bill.autopay) == (31, 3, False)
    assert not AuditLog.objects.exists()


def test_create_without_account_takes_the_base_currency(user):
    user.base_currency = "GBP"
    bill = bill_create(user=user, biller="Gym", amount_due=Decimal("30"), due_date=TODAY)
    assert bill.currency == "GBP"


def test_staff_creating_a_bill_is_audited(user, staff):
    bill = bill_create(
        user=user,
        biller="Gym",
        amount_due=Decimal("30"),
        due_date=TODAY,
        actor=staff["admin"],
    )
    assert AuditLog.objects.get(action="bill.create").target_id == str(bill.pk)


def _bad_inputs(user):
    other_account = BankAccountFactory()
    archived = BankAccountFactory(user=user, is_archived=True)
    usd = BankAccountFactory(user=user, currency="USD")
    return [
        ({"biller": "   "}, "biller"),
        ({"biller": "x" * 101}, "biller"),
        ({"amount_due": Decimal("0")}, "amount_due"),
        ({"amount_due": Decimal("-5.00")}, "amount_due"),
        ({"amount_due": Decimal("1000000000000.00")}, "amount_due"),
        ({"amount_due": "ten"}, "amount_due"),
        ({"currency": "XXX"}, "currency"),
        ({"currency": "EURO"}, "currency"),
        ({"recurrence": "daily"}, "recurrence"),
        ({"notice_days": 61}, "notice_days"),
        ({"notice_days": -1}, "notice_days"),
        ({"due_date": D(1899, 12, 31)}, "due_date"),
        ({"due_date": TODAY + datetime.timedelta(days=2 * 366 + 1)}, "due_date"),
        ({"account": other_account}, "account"),
        ({"account": archived}, "account"),
        ({"account": usd, "currency": "EUR"}, "account"),
        ({"autopay": True}, "account"),
        ({"category": CategoryFactory(user=UserFactory())}, "category"),
        ({"category": default_category("transfers")}, "category"),
    ]


def test_bad_inputs_are_refused_with_their_field_and_write_nothing(user):
    base = {"user": user, "biller": "Gym", "amount_due": Decimal("30.00"), "due_date": TODAY}
    for overrides, field in _bad_inputs(user):
        before = database_snapshot()
        with pytest.raises(ValidationError) as caught:
            bill_create(**{**base, **overrides})
        assert field in caught.value.message_dict, (overrides, caught.value)
        assert database_snapshot() == before


def test_every_bad_field_is_named_at_once(user):
    with pytest.raises(ValidationError) as caught:
        bill_create(user=user, biller="", amount_due=Decimal("0"), due_date=TODAY, notice_days=99)
    assert set(caught.value.message_dict) == {"biller", "amount_due", "notice_days"}


# --- Update and delete ----------------------------------------------------------------


def test_update_changes_fields_and_a_new_due_date_moves_the_anchor(user):
    bill = BillFactory(user=user, due_date=D(2025, 3, 31))

    bill = bill_update(
        bill=bill, actor=user, due_date=D(2025, 4, 15), amount_due=Decimal("70"), currency="eur"
    )

    bill.refresh_from_db()
    assert (bill.due_date, bill.anchor_day, bill.amount_due) == (D(2025, 4, 15), 15, Decimal("70"))
    assert bill.currency == "EUR"


def test_a_paid_bill_keeps_its_amount_currency_and_due_date(user):
    bill = bill_with_account(user=user)
    bill_pay(bill=bill, actor=user)
    before = database_snapshot()

    for fields in ({"amount_due": Decimal("1.00")}, {"due_date": D(2025, 3, 11)}):
        with pytest.raises(ValidationError) as caught:
            bill_update(bill=bill, actor=user, **fields)
        assert set(caught.value.message_dict) == set(fields)
    assert database_snapshot() == before
    # The rest may change.
    assert bill_update(bill=bill, actor=user, notice_days=5).notice_days == 5


def test_update_refuses_autopay_without_an_account(user):
    bill = BillFactory(user=user)
    with pytest.raises(ValidationError) as caught:
        bill_update(bill=bill, actor=user, autopay=True)
    assert "account" in caught.value.message_dict


def test_update_refuses_an_account_in_another_currency(user):
    bill = BillFactory(user=user)
    usd = BankAccountFactory(user=user, currency="USD")
    with pytest.raises(ValidationError) as caught:
        bill_update(bill=bill, actor=user, account=usd)
    assert "USD" in caught.value.message_dict["account"][0]


def test_update_refuses_unknown_fields(user):
    with pytest.raises(ValueError, match="paid_transaction"):
        bill_update(bill=BillFactory(user=user), actor=user, paid_transaction=None)


def test_staff_edits_and_deletes_are_audited(user, staff):
    bill = BillFactory(user=user)
    bill_update(bill=bill, actor=staff["admin"], biller="City Power Ltd")
    bill_delete(bill=bill, actor=staff["admin"])

    assert not Bill.objects.exists()
    actions = list(AuditLog.objects.order_by("pk").values_list("action", "changes"))
    assert actions == [
        ("bill.update", {"biller": ["City Power", "City Power Ltd"]}),
        ("bill.delete", {"biller": ["City Power Ltd", None], "due_date": ["2025-03-10", None]}),
    ]


# --- Paying ---------------------------------------------------------------------------


def test_paying_a_bill_once_then_refusing_the_second_payment(user):
    """The issue's must-show: one transaction, balance down by the amount, next occurrence
    created, points earned once; paying it again is refused."""
    BillRuleFactory(points=Decimal("50"))
    account = BankAccountFactory(user=user, opening_balance=Decimal("1000.00"))
    # Entered weeks ahead, as a tracked bill is: one entered once due earns nothing
    # (test_a_bill_entered_once_due_and_paid_at_once_earns_no_points).
    with time_machine.travel(datetime.datetime(2025, 2, 14, 9, tzinfo=datetime.UTC)):
        bill = BillFactory(
            account=account,
            amount_due=Decimal("60.00"),
            due_date=D(2025, 3, 10),
            category=default_category("utilities"),
        )

    paid = bill_pay(bill=bill, actor=user)

    payment = Transaction.objects.get()
    assert (payment.amount, payment.account, payment.txn_date) == (
        Decimal("-60.00"),
        account,
        TODAY,
    )
    assert payment.category == default_category("utilities")
    assert payment.merchant == "City Power"
    assert paid.paid_transaction == payment
    assert balance(account) == Decimal("940.00")
    following = Bill.objects.get(previous=bill)
    assert (following.due_date, following.amount_due, following.account) == (
        D(2025, 4, 10),
        Decimal("60.00"),
        account,
    )
    assert following.status_on(TODAY) == BillStatus.UPCOMING
    assert points_of(user) == 50

    before = database_snapshot()
    with pytest.raises(BillAlreadyPaid):
        bill_pay(bill=bill, actor=user)
    with pytest.raises(BillAlreadyPaid):
        bill_pay(bill=Bill.objects.get(pk=bill.pk), actor=user)
    assert database_snapshot() == before
    assert Transaction.objects.count() == 1
    assert Bill.objects.count() == 2
    assert points_of(user) == 50
    assert ledger_differences() == []


def test_insufficient_funds_is_refused_and_nothing_changes(user):
    BillRuleFactory()
    account = BankAccountFactory(user=user, opening_balance=Decimal("59.99"))
    bill = BillFactory(account=account, amount_due=Decimal("60.00"))
    before = database_snapshot()

    with pytest.raises(InsufficientFunds) as caught:
        bill_pay(bill=bill, actor=user)

    # Under the account chosen to pay from: "amount" is no field of a payment.
    (error,) = caught.value.error_dict["account"]
    assert error.code == "insufficient_funds"
    assert error.message.startswith("Insufficient funds: this would take")
    assert list(caught.value.error_dict) == ["account"]
    assert database_snapshot() == before


@pytest.mark.parametrize("problem", ["none", "other_user", "currency", "archived"])
def test_paying_from_a_wrong_account_is_refused(user, problem):
    bill = BillFactory(user=user)
    account = {
        "none": None,
        "other_user": BankAccountFactory(),
        "currency": BankAccountFactory(user=user, currency="USD"),
        "archived": BankAccountFactory(user=user, is_archived=True),
    }[problem]
    before = database_snapshot()

    with pytest.raises(ValidationError) as caught:
        bill_pay(bill=bill, account=account, actor=user)

    assert "account" in caught.value.message_dict
    assert database_snapshot() == before


def test_paying_from_another_account_of_the_user(user):
    bill = bill_with_account(user=user)
    savings = BankAccountFactory(user=user, name="Savings")

    bill_pay(bill=bill, account=savings, actor=user)

    assert balance(savings) == Decimal("940.00")
    assert balance(bill.account) == Decimal("1000.00")


def test_a_bill_entered_once_due_and_paid_at_once_earns_no_points(user, frozen_time):
    """No farming: a 0.01 bill due today, entered and paid at once, again and again, earns
    nothing; the occurrences its series makes do, when paid on time."""
    BillRuleFactory(points=Decimal("50"))
    account = BankAccountFactory(user=user)
    for biller in ("Me", "Me again", "Me once more"):
        bill = BillFactory(
            account=account, biller=biller, amount_due=Decimal("0.01"), due_date=TODAY
        )
        bill_pay(bill=bill, actor=user)
    # Entered inside its notice period (it opened on the 3rd), paid before the due date.
    bill_pay(bill=BillFactory(account=account, due_date=D(2025, 3, 6), notice_days=2), actor=user)
    assert points_of(user) == 0
    assert Transaction.objects.count() == 4

    following = Bill.objects.get(previous=bill)
    frozen_time.move_to(datetime.datetime(2025, 4, 4, 12, tzinfo=datetime.UTC))
    bill_pay(bill=following, actor=user)

    assert points_of(user) == 50
    assert PointsEntry.objects.get().cause == f"bill:{following.pk}"


def test_a_bill_entered_the_day_before_its_notice_period_earns(user, frozen_time):
    BillRuleFactory(points=Decimal("50"))
    # 23:30 in London on the 4th (GMT): the 4th there, the day before the notice opens.
    frozen_time.move_to(datetime.datetime(2025, 3, 4, 23, 30, tzinfo=datetime.UTC))
    bill = bill_with_account(user=user, due_date=D(2025, 3, 8), notice_days=3)
    frozen_time.move_to(datetime.datetime(2025, 3, 5, 12, tzinfo=datetime.UTC))

    bill_pay(bill=bill, actor=user)

    assert points_of(user) == 50


def test_a_late_payment_earns_no_points_but_still_makes_the_next_occurrence(user):
    BillRuleFactory()
    bill = bill_with_account(user=user, due_date=D(2025, 3, 1))

    bill_pay(bill=bill, actor=user)

    assert points_of(user) == 0
    assert Bill.objects.get(previous=bill).due_date == D(2025, 4, 1)


def test_a_one_off_bill_has_no_next_occurrence(user):
    bill = bill_with_account(user=user, recurrence=Recurrence.NONE)
    bill_pay(bill=bill, actor=user)
    assert Bill.objects.count() == 1


def test_paying_month_end_bills_in_turn_keeps_the_31st(user):
    account = BankAccountFactory(user=user)
    bill = BillFactory(account=account, due_date=D(2025, 1, 31), amount_due=Decimal("10"))
    dues = []
    for _ in range(3):
        bill_pay(bill=bill, actor=user)
        bill = Bill.objects.get(previous=bill)
        dues.append(bill.due_date)
    assert dues == [D(2025, 2, 28), D(2025, 3, 31), D(2025, 4, 30)]


def test_deleting_the_payment_makes_the_bill_unpaid_and_paying_again_makes_no_second_occurrence(
    user,
):
    bill = bill_with_account(user=user)
    bill_pay(bill=bill, actor=user)
    transaction_delete(transaction=Transaction.objects.get(), actor=user)
    bill.refresh_from_db()
    assert bill.paid_transaction is None
    assert bill.status_on(TODAY) == BillStatus.UPCOMING

    bill_pay(bill=bill, actor=user)

    assert Bill.objects.filter(previous=bill).count() == 1
    assert Bill.objects.count() == 2


def test_staff_paying_a_bill_is_audited(user, staff):
    bill = bill_with_account(user=user)
    bill_pay(bill=bill, actor=staff["support"])
    actions = set(AuditLog.objects.values_list("action", flat=True))
    assert {"bill.pay", "transaction.create"} <= actions


def test_paying_one_bill_pays_no_other_bill_of_the_same_biller(user):
    """The payment bill_pay records goes through the ledger's follow-ups like any row: it
    must not pay an older unpaid bill of the same biller and amount as well."""
    account = BankAccountFactory(user=user)
    older = BillFactory(account=account, due_date=D(2025, 3, 3), recurrence=Recurrence.NONE)
    bill = BillFactory(account=account, due_date=D(2025, 3, 7), recurrence=Recurrence.NONE)

    bill_pay(bill=bill, actor=user)

    older.refresh_from_db()
    assert not older.is_paid
    with services._payment_being_recorded():
        assert bills_match_transactions(user=user, transactions=[Transaction.objects.get()]) == []


# --- Transactions that pay bills ------------------------------------------------------
#
# Every ledger write (transaction_create, transaction_update, an import) calls
# bills_match_transactions through transactions.followups; the tests below go through the
# ledger, or write the rows first and call it directly to see one batch matched at once.

PAID_ON = D(2025, 3, 9)
STATEMENT = (
    b"Date;Description;Amount\n"
    b"01.03.2025;Bakery;-4,20\n"
    b"03.03.2025;DD RENT CO REF 2211;-900,00\n"
    b"09.03.2025;City Power direct debit;-59,80\n"
)


def expense(account, amount="-60.00", txn_date=PAID_ON, **fields):
    fields.setdefault("merchant", "CITY POWER LTD")
    return TransactionFactory(
        account=account, amount=Decimal(amount), txn_date=txn_date, category=None, **fields
    )


def test_a_matching_expense_pays_the_bill_like_bill_pay(user):
    BillRuleFactory(points=Decimal("25"))
    account = BankAccountFactory(user=user)
    bill = BillFactory(account=account)

    txn = expense(account, amount="-61.50")

    bill.refresh_from_db()
    assert bill.paid_transaction == txn
    assert Bill.objects.get(previous=bill).due_date == D(2025, 4, 10)
    assert points_of(user) == 25
    assert Transaction.objects.count() == 1
    assert balance(account) == Decimal("938.50")
    # The same row again (an edit, a retry): nothing more.
    assert bills_match_transactions(user=user, transactions=[txn]) == []
    assert Bill.objects.count() == 2
    assert points_of(user) == 25


def test_imported_rows_pay_bills(user):
    from transactions import imports

    account = BankAccountFactory(user=user, opening_balance=Decimal("2000.00"))
    rent = BillFactory(
        account=account, biller="Rent Co", amount_due=Decimal("900"), due_date=D(2025, 3, 1)
    )
    power = BillFactory(account=account)
    batch = imports.import_create(user=user, account=account, filename="march.csv", data=STATEMENT)

    imports.import_run(batch_id=batch.pk)

    rent.refresh_from_db()
    power.refresh_from_db()
    assert rent.paid_transaction.description == "DD RENT CO REF 2211"
    assert power.paid_transaction.amount == Decimal("-59.80")
    assert Bill.objects.filter(previous__in=[rent, power]).count() == 2


def test_an_edit_that_makes_a_row_match_pays_the_bill(user):
    account = BankAccountFactory(user=user)
    txn = expense(account, merchant="Unknown")
    bill = BillFactory(account=account)

    transaction_update(transaction=txn, actor=user, merchant="City Power")

    bill.refresh_from_db()
    assert bill.paid_transaction == txn


@pytest.mark.parametrize(
    "fields",
    [
        {"description": "Direct debit city power 0311", "merchant": ""},
        {"merchant": "city power"},
    ],
    ids=["in the description", "in the merchant"],
)
def test_the_biller_is_found_in_merchant_or_description_ignoring_case(user, fields):
    account = BankAccountFactory(user=user)
    bill = BillFactory(account=account)
    txn = expense(account, **fields)
    bill.refresh_from_db()
    assert bill.paid_transaction == txn


@pytest.mark.parametrize(
    ("amount", "txn_date", "merchant"),
    [
        ("-63.01", D(2025, 3, 9), "City Power"),  # more than 5 % over
        ("-56.99", D(2025, 3, 9), "City Power"),  # more than 5 % under
        ("-60.00", D(2025, 3, 2), "City Power"),  # 8 days early
        ("-60.00", D(2025, 3, 18), "City Power"),  # 8 days late (a future-dated row)
        ("-60.00", D(2025, 3, 9), "Gas Board"),  # another biller
        ("60.00", D(2025, 3, 9), "City Power"),  # money in, a refund
    ],
)
def test_rows_that_do_not_match_leave_the_bill_unpaid(user, amount, txn_date, merchant):
    account = BankAccountFactory(user=user)
    bill = BillFactory(account=account)
    txn = expense(account, amount=amount, txn_date=txn_date, merchant=merchant)

    assert bills_match_transactions(user=user, transactions=[txn]) == []
    bill.refresh_from_db()
    assert not bill.is_paid


def test_the_edges_of_the_tolerance_and_the_window_match(user):
    account = BankAccountFactory(user=user)
    rows = [
        expense(account, amount="-63.00", txn_date=D(2025, 3, 3)),  # +5 %, 7 days early
        expense(account, amount="-57.00", txn_date=D(2025, 3, 27)),  # -5 %, 7 days late
    ]
    bills = [BillFactory(account=account, due_date=D(2025, 3, day)) for day in (10, 20)]

    assert bills_match_transactions(user=user, transactions=rows) == bills
    assert [Bill.objects.get(pk=b.pk).paid_transaction for b in bills] == rows


def test_other_currencies_transfers_and_other_users_rows_pay_nothing(user):
    account = BankAccountFactory(user=user)
    usd = BankAccountFactory(user=user, currency="USD")
    strangers = expense(BankAccountFactory())
    dollars = expense(usd)
    BillFactory(account=account)
    transfer = Transaction(
        user=user,
        account=account,
        amount=Decimal("-60.00"),
        currency="EUR",
        kind=Transaction.Kind.TRANSFER,
        merchant="City Power",
        txn_date=D(2025, 3, 9),
        pk=10**9,
    )
    assert bills_match_transactions(user=user, transactions=[strangers, dollars, transfer]) == []
    assert not Bill.objects.filter(paid_transaction__isnull=False).exists()


def test_each_bill_takes_one_row_and_each_row_pays_one_bill(user):
    account = BankAccountFactory(user=user)
    # One payment on the 10th, within 7 days of two bills: it pays the closer one only.
    only = expense(account, txn_date=D(2025, 3, 10))
    weekly = [
        BillFactory(account=account, due_date=D(2025, 3, day), recurrence=Recurrence.NONE)
        for day in (3, 10)
    ]
    assert bills_match_transactions(user=user, transactions=[only]) == [weekly[1]]

    # Two payments for one bill: the closer pays it, the other pays nothing.
    far = expense(account, merchant="Phone Co", txn_date=D(2025, 3, 15))
    near = expense(account, merchant="Phone Co", txn_date=D(2025, 3, 19))
    bill = BillFactory(account=account, biller="Phone Co", due_date=D(2025, 3, 20))
    assert bills_match_transactions(user=user, transactions=[far, near]) == [bill]
    bill.refresh_from_db()
    assert bill.paid_transaction == near


def test_a_row_already_paying_a_bill_pays_no_other(user):
    account = BankAccountFactory(user=user)
    first = BillFactory(account=account, recurrence=Recurrence.NONE)
    txn = expense(account)
    first.refresh_from_db()
    assert first.paid_transaction == txn
    second = BillFactory(account=account, recurrence=Recurrence.NONE)

    assert bills_match_transactions(user=user, transactions=[txn]) == []
    transaction_update(transaction=txn, actor=user, description="edited")
    second.refresh_from_db()
    assert not second.is_paid


def test_matching_takes_a_fixed_number_of_queries_whatever_the_rows(user):
    account = BankAccountFactory(user=user, opening_balance=Decimal("100000.00"))

    def queries_for(rows: int) -> int:
        # Written as an import writes them (no follow-ups yet), then matched in one batch.
        txns = transactions_bulk_create(
            account=account,
            rows=[
                {
                    "amount": Decimal("-60.00"),
                    "txn_date": PAID_ON,
                    "merchant": f"Shop {n}" if n else f"Biller {rows}",
                }
                for n in range(rows)
            ],
        )
        BillFactory(account=account, recurrence=Recurrence.NONE, biller=f"Biller {rows}")
        with CaptureQueriesContext(connection) as queries:
            assert len(bills_match_transactions(user=user, transactions=txns)) == 1
        return len(queries)

    assert queries_for(5) == queries_for(2000)


def test_rows_with_no_expense_take_no_query(user, django_assert_num_queries):
    income = TransactionFactory(amount=Decimal("5.00"), account=BankAccountFactory(user=user))
    with django_assert_num_queries(0):
        assert bills_match_transactions(user=user, transactions=[income]) == []


@pytest.mark.parametrize(
    ("days_from_today", "subject_says", "text_says"),
    [
        (3, "is due on", "in 3 days"),
        (0, "is due on", ", today."),
        (-2, "is overdue since", "was due on"),
    ],
)
def test_the_reminder_email_says_when_the_bill_is_due_or_that_it_is_overdue(
    db, days_from_today, subject_says, text_says
):
    from alerts.notifications import render_email

    bill = BillFactory(due_date=TODAY + datetime.timedelta(days=days_from_today))

    subject, text, html = render_email("bill_reminder", services._reminder_context(bill, TODAY))

    assert subject_says in subject and bill.biller in subject
    assert text_says in text
    overdue = days_from_today < 0
    assert ("as soon as you can" in text) is overdue
    assert ("as soon as you can" in html) is overdue
    assert ("before the due date" in text) is (not overdue and not bill.autopay)
