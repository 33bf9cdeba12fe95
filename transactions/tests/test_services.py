"""The ledger: every balance equals opening balance + sum of transactions, and payments
never take a floored account past its floor."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import AuditLog, BankAccount
from accounts.tests.factories import BankAccountFactory, UserFactory
from transactions.models import Transaction
from transactions.services import (
    InsufficientFunds,
    ledger_differences,
    transaction_create,
    transaction_delete,
    transaction_update,
    transactions_bulk_create,
    transfer_create,
)
from transactions.tests.factories import CategoryFactory, TransactionFactory, default_category

DAY = datetime.date(2025, 3, 1)
pytestmark = pytest.mark.django_db


def balance_of(account: BankAccount) -> Decimal:
    return BankAccount.objects.get(pk=account.pk).balance


def expense(account, amount, **kwargs):
    return transaction_create(
        user=account.user, account=account, amount=Decimal(amount), txn_date=DAY, **kwargs
    )


class TestCreate:
    def test_expense_and_income_move_the_balance(self):
        account = BankAccountFactory(opening_balance=Decimal("100.00"))
        expense(account, "-30.10")
        income = expense(account, "12.35")
        assert balance_of(account) == Decimal("82.25")
        assert income.kind == Transaction.Kind.INCOME
        assert income.currency == account.currency
        assert ledger_differences() == []

    @pytest.mark.parametrize("account_type", ["checking", "savings", "cash"])
    def test_expense_below_zero_is_refused_and_nothing_written(self, account_type):
        account = BankAccountFactory(account_type=account_type, opening_balance=Decimal("50.00"))
        with pytest.raises(InsufficientFunds) as excinfo:
            expense(account, "-50.01")
        assert "Insufficient funds" in excinfo.value.message_dict["amount"][0]
        assert balance_of(account) == Decimal("50.00")
        assert not Transaction.objects.exists()

    def test_expense_down_to_exactly_zero_is_allowed(self):
        account = BankAccountFactory(opening_balance=Decimal("50.00"))
        expense(account, "-50.00")
        assert balance_of(account) == Decimal("0.00")

    def test_credit_card_may_go_down_to_minus_its_limit(self):
        card = BankAccountFactory(
            account_type="credit_card",
            opening_balance=Decimal("0.00"),
            credit_limit=Decimal("500.00"),
        )
        expense(card, "-500.00")
        with pytest.raises(InsufficientFunds) as excinfo:
            expense(card, "-0.01")
        assert "credit limit of 500.00" in excinfo.value.message_dict["amount"][0]
        assert balance_of(card) == Decimal("-500.00")

    def test_checking_with_an_arranged_overdraft_uses_its_limit(self):
        account = BankAccountFactory(
            opening_balance=Decimal("10.00"), credit_limit=Decimal("100.00")
        )
        expense(account, "-110.00")
        assert balance_of(account) == Decimal("-100.00")

    @pytest.mark.parametrize("account_type", ["loan", "investment"])
    def test_loans_and_investments_have_no_floor(self, account_type):
        account = BankAccountFactory(account_type=account_type, opening_balance=Decimal("-1000.00"))
        expense(account, "-250.00")
        assert balance_of(account) == Decimal("-1250.00")

    def test_kind_must_agree_with_the_sign(self):
        account = BankAccountFactory()
        with pytest.raises(ValidationError) as excinfo:
            expense(account, "10.00", kind="expense")
        assert "negative" in excinfo.value.message_dict["amount"][0]
        with pytest.raises(ValidationError):
            expense(account, "-10.00", kind="income")
        with pytest.raises(ValidationError) as excinfo:
            expense(account, "-10.00", kind="transfer")
        assert "transfer" in excinfo.value.message_dict["kind"][0]
        assert balance_of(account) == Decimal("1000.00")

    @pytest.mark.parametrize("amount", ["0", "0.00", "0.004", "1000000000000.00"])
    def test_zero_and_oversized_amounts_are_refused(self, amount):
        account = BankAccountFactory()
        with pytest.raises(ValidationError):
            expense(account, amount)
        assert not Transaction.objects.exists()

    def test_archived_account_takes_no_new_transactions(self):
        account = BankAccountFactory(is_archived=True)
        with pytest.raises(ValidationError) as excinfo:
            expense(account, "-1.00")
        assert "archived" in excinfo.value.message_dict["account"][0]

    def test_another_users_account_or_category_is_refused(self):
        account = BankAccountFactory()
        stranger = UserFactory()
        with pytest.raises(ValidationError):
            transaction_create(user=stranger, account=account, amount=Decimal("-1"), txn_date=DAY)
        foreign_category = CategoryFactory(user=stranger)
        with pytest.raises(ValidationError) as excinfo:
            expense(account, "-1.00", category=foreign_category)
        assert "category" in excinfo.value.message_dict
        assert balance_of(account) == Decimal("1000.00")

    def test_posted_date_before_txn_date_is_refused(self):
        account = BankAccountFactory()
        with pytest.raises(ValidationError) as excinfo:
            expense(account, "-1.00", posted_date=DAY - datetime.timedelta(days=1))
        assert "posted_date" in excinfo.value.message_dict

    def test_amount_is_rounded_to_cents_at_the_edge(self):
        account = BankAccountFactory(opening_balance=Decimal("0.00"))
        txn = expense(account, "10.005")
        assert txn.amount == Decimal("10.00")  # banker's rounding: half to even
        assert balance_of(account) == Decimal("10.00")


class TestUpdate:
    def test_changing_the_amount_moves_the_balance_by_the_difference(self):
        txn = TransactionFactory(amount=Decimal("-25.00"))
        transaction_update(transaction=txn, actor=None, amount=Decimal("-40.00"))
        assert balance_of(txn.account) == Decimal("960.00")
        assert ledger_differences() == []

    def test_making_an_expense_larger_respects_the_floor(self):
        txn = TransactionFactory(amount=Decimal("-25.00"))
        with pytest.raises(InsufficientFunds):
            transaction_update(transaction=txn, actor=None, amount=Decimal("-1025.01"))
        txn.refresh_from_db()
        assert txn.amount == Decimal("-25.00")
        assert balance_of(txn.account) == Decimal("975.00")

    def test_correcting_an_income_downwards_is_not_a_payment(self):
        account = BankAccountFactory(opening_balance=Decimal("0.00"))
        salary = expense(account, "5000.00")
        expense(account, "-4000.00")
        transaction_update(transaction=salary, actor=None, amount=Decimal("500.00"))
        assert balance_of(account) == Decimal("-3500.00")
        assert ledger_differences() == []

    def test_flipping_the_sign_changes_the_kind(self):
        txn = TransactionFactory(amount=Decimal("-25.00"))
        transaction_update(transaction=txn, actor=None, amount=Decimal("25.00"))
        txn.refresh_from_db()
        assert txn.kind == Transaction.Kind.INCOME
        assert balance_of(txn.account) == Decimal("1025.00")

    def test_moving_to_another_account_moves_both_balances(self):
        txn = TransactionFactory(amount=Decimal("-25.00"))
        other = BankAccountFactory(user=txn.user, opening_balance=Decimal("100.00"))
        transaction_update(transaction=txn, actor=None, account=other)
        assert balance_of(txn.account) == Decimal("1000.00")
        assert balance_of(other) == Decimal("75.00")
        assert ledger_differences() == []

    def test_moving_to_an_account_in_another_currency_is_refused(self):
        txn = TransactionFactory(amount=Decimal("-25.00"))
        dollars = BankAccountFactory(user=txn.user, currency="USD")
        with pytest.raises(ValidationError):
            transaction_update(transaction=txn, actor=None, account=dollars)
        assert balance_of(txn.account) == Decimal("975.00")
        assert balance_of(dollars) == Decimal("1000.00")

    def test_staff_edit_is_audited(self):
        txn = TransactionFactory(amount=Decimal("-25.00"))
        admin = UserFactory(staff_role="admin")
        transaction_update(transaction=txn, actor=admin, notes="corrected by support call")
        entry = AuditLog.objects.get(action="transaction.update")
        assert entry.actor == admin
        assert entry.target_id == str(txn.pk)
        assert entry.changes == {"notes": ["", "corrected by support call"]}

    def test_customer_editing_own_transaction_is_not_audited(self):
        txn = TransactionFactory()
        transaction_update(transaction=txn, actor=txn.user, notes="mine")
        assert not AuditLog.objects.exists()


class TestDelete:
    def test_delete_takes_the_amount_back_out(self):
        txn = TransactionFactory(amount=Decimal("-25.00"))
        assert transaction_delete(transaction=txn, actor=None) == 1
        assert balance_of(txn.account) == Decimal("1000.00")
        assert ledger_differences() == []


class TestTransfer:
    def test_same_currency_transfer_is_two_linked_legs(self):
        checking = BankAccountFactory(opening_balance=Decimal("500.00"))
        savings = BankAccountFactory(
            user=checking.user, account_type="savings", opening_balance=Decimal("0")
        )
        result = transfer_create(
            user=checking.user,
            from_account=checking,
            to_account=savings,
            amount=Decimal("200"),
            txn_date=DAY,
        )
        assert result.outgoing.amount == Decimal("-200.00")
        assert result.incoming.amount == Decimal("200.00")
        assert result.outgoing.transfer_id == result.incoming.transfer_id
        assert Transaction.objects.get(pk=result.outgoing.pk).counterpart_id == result.incoming.pk
        assert result.incoming.counterpart_id == result.outgoing.pk
        assert {result.outgoing.kind, result.incoming.kind} == {"transfer"}
        assert result.outgoing.category == default_category("transfers")
        assert (balance_of(checking), balance_of(savings)) == (Decimal("300.00"), Decimal("200.00"))
        assert ledger_differences() == []

    def test_cross_currency_needs_the_amount_received(self):
        euros = BankAccountFactory(opening_balance=Decimal("500.00"))
        dollars = BankAccountFactory(user=euros.user, currency="USD", opening_balance=Decimal("0"))
        with pytest.raises(ValidationError) as excinfo:
            transfer_create(
                user=euros.user,
                from_account=euros,
                to_account=dollars,
                amount=Decimal("100"),
                txn_date=DAY,
            )
        assert "USD" in excinfo.value.message_dict["amount_received"][0]
        transfer_create(
            user=euros.user,
            from_account=euros,
            to_account=dollars,
            amount=Decimal("100"),
            amount_received=Decimal("108.37"),
            txn_date=DAY,
        )
        assert (balance_of(euros), balance_of(dollars)) == (Decimal("400.00"), Decimal("108.37"))

    def test_same_currency_amount_received_must_match(self):
        a = BankAccountFactory()
        b = BankAccountFactory(user=a.user)
        with pytest.raises(ValidationError):
            transfer_create(
                user=a.user,
                from_account=a,
                to_account=b,
                amount=Decimal("10"),
                amount_received=Decimal("11"),
                txn_date=DAY,
            )

    def test_insufficient_funds_writes_nothing(self):
        a = BankAccountFactory(opening_balance=Decimal("10.00"))
        b = BankAccountFactory(user=a.user)
        with pytest.raises(InsufficientFunds):
            transfer_create(
                user=a.user, from_account=a, to_account=b, amount=Decimal("10.01"), txn_date=DAY
            )
        assert (balance_of(a), balance_of(b)) == (Decimal("10.00"), Decimal("1000.00"))
        assert not Transaction.objects.exists()

    def test_to_the_same_or_a_strangers_account_is_refused(self):
        a = BankAccountFactory()
        stranger_account = BankAccountFactory()
        with pytest.raises(ValidationError):
            transfer_create(
                user=a.user, from_account=a, to_account=a, amount=Decimal("1"), txn_date=DAY
            )
        with pytest.raises(ValidationError):
            transfer_create(
                user=a.user,
                from_account=a,
                to_account=stranger_account,
                amount=Decimal("1"),
                txn_date=DAY,
            )
        assert not Transaction.objects.exists()
        assert balance_of(stranger_account) == Decimal("1000.00")

    def test_negative_transfer_amount_is_refused(self):
        a = BankAccountFactory()
        b = BankAccountFactory(user=a.user)
        with pytest.raises(ValidationError):
            transfer_create(
                user=a.user, from_account=a, to_account=b, amount=Decimal("-5"), txn_date=DAY
            )

    def test_deleting_one_leg_deletes_both_and_restores_both_balances(self):
        a = BankAccountFactory()
        b = BankAccountFactory(user=a.user)
        result = transfer_create(
            user=a.user, from_account=a, to_account=b, amount=Decimal("75"), txn_date=DAY
        )
        assert transaction_delete(transaction=result.incoming, actor=None) == 2
        assert not Transaction.objects.exists()
        assert (balance_of(a), balance_of(b)) == (Decimal("1000.00"), Decimal("1000.00"))

    def test_a_legs_amount_cannot_be_edited_but_its_date_moves_both(self):
        a = BankAccountFactory()
        b = BankAccountFactory(user=a.user)
        result = transfer_create(
            user=a.user, from_account=a, to_account=b, amount=Decimal("75"), txn_date=DAY
        )
        with pytest.raises(ValidationError):
            transaction_update(transaction=result.outgoing, actor=None, amount=Decimal("-80"))
        new_day = DAY + datetime.timedelta(days=2)
        transaction_update(transaction=result.outgoing, actor=None, txn_date=new_day)
        assert set(Transaction.objects.values_list("txn_date", flat=True)) == {new_day}
        assert ledger_differences() == []


class TestBulkAndVerification:
    def test_bulk_create_moves_the_balance_once_and_records_history_as_booked(self):
        account = BankAccountFactory(opening_balance=Decimal("0.00"))
        rows = [
            {"amount": Decimal("-100.00"), "txn_date": DAY, "description": "rent"},
            {"amount": Decimal("40.00"), "txn_date": DAY, "description": "refund"},
        ]
        created = transactions_bulk_create(account=account, rows=rows)
        assert len(created) == 2
        assert balance_of(account) == Decimal("-60.00")
        assert [t.kind for t in Transaction.objects.order_by("amount")] == ["expense", "income"]
        assert ledger_differences() == []

    def test_bulk_create_can_enforce_the_floor(self):
        account = BankAccountFactory(opening_balance=Decimal("0.00"))
        with pytest.raises(InsufficientFunds):
            transactions_bulk_create(
                account=account,
                rows=[{"amount": Decimal("-1.00"), "txn_date": DAY}],
                enforce_floor=True,
            )
        assert not Transaction.objects.exists()

    def test_verify_ledger_passes_then_fails_on_a_tampered_balance(self, capsys):
        txn = TransactionFactory()
        call_command("verify_ledger")
        assert "Ledger OK: 1 accounts balance." in capsys.readouterr().out
        BankAccount.objects.filter(pk=txn.account_id).update(balance=Decimal("1.00"))
        with pytest.raises(CommandError, match="1 of 1 accounts do not balance"):
            call_command("verify_ledger")
        assert "off by -974.00" in capsys.readouterr().err


class TestRulesHeldByTheServices:
    """Rules that every door (API, admin, imports) gets because the service holds them."""

    @pytest.mark.parametrize(
        ("field", "day"),
        [("txn_date", datetime.date(1, 1, 1)), ("txn_date", datetime.date(9999, 12, 31))],
    )
    def test_booking_dates_out_of_range_are_refused(self, field, day):
        account = BankAccountFactory()
        with pytest.raises(ValidationError) as excinfo:
            transaction_create(
                user=account.user, account=account, amount=Decimal("-1"), txn_date=day
            )
        assert field in excinfo.value.message_dict
        with pytest.raises(ValidationError) as excinfo:
            expense(account, "-1.00", posted_date=datetime.date(9999, 12, 31))
        assert "posted_date" in excinfo.value.message_dict
        assert not Transaction.objects.exists()

    def test_an_account_archived_after_it_was_read_takes_no_row(self):
        account = BankAccountFactory()
        stale = BankAccount.objects.get(pk=account.pk)
        BankAccount.objects.filter(pk=account.pk).update(is_archived=True)
        with pytest.raises(ValidationError) as excinfo:
            expense(stale, "-1.00")
        assert "archived" in excinfo.value.message_dict["account"][0]
        assert not Transaction.objects.exists()

    def test_an_account_deleted_after_it_was_read_is_not_found(self):
        account = BankAccountFactory()
        stale = BankAccount.objects.get(pk=account.pk)
        BankAccount.objects.filter(pk=account.pk).delete()
        with pytest.raises(ValidationError) as excinfo:
            expense(stale, "-1.00")
        assert excinfo.value.message_dict == {"account": ["Account not found."]}

    def test_moving_a_legs_date_past_the_other_legs_posting_is_refused(self):
        a = BankAccountFactory()
        b = BankAccountFactory(user=a.user)
        result = transfer_create(
            user=a.user,
            from_account=a,
            to_account=b,
            amount=Decimal("5"),
            txn_date=DAY,
            posted_date=DAY,
        )
        with pytest.raises(ValidationError) as excinfo:
            transaction_update(
                transaction=result.incoming,
                actor=None,
                txn_date=DAY + datetime.timedelta(days=3),
                posted_date=DAY + datetime.timedelta(days=3),
            )
        assert "posted" in excinfo.value.message_dict["txn_date"][0]
        assert set(Transaction.objects.values_list("txn_date", flat=True)) == {DAY}


def test_the_transfers_category_is_kept_for_transfers():
    account = BankAccountFactory()
    with pytest.raises(ValidationError) as excinfo:
        expense(account, "-5.00", category=default_category("transfers"))
    assert "kept for transfers" in excinfo.value.message_dict["category"][0]
    assert not Transaction.objects.exists()
