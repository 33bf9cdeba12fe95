"""accounts.services for bank accounts: account_create, account_update, account_delete."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from accounts.models import AuditLog, BankAccount
from accounts.selectors import ArchivedState, bank_account_list
from accounts.services import (
    account_create,
    account_delete,
    account_number_last4,
    account_update,
)
from accounts.tests.factories import BankAccountFactory, UserFactory
from transactions.models import Transaction
from transactions.services import ledger_differences
from transactions.tests.factories import TransactionFactory

pytestmark = pytest.mark.django_db

OPENED = datetime.date(2025, 1, 1)


def open_account(user, **kwargs):
    kwargs.setdefault("name", "Everyday")
    kwargs.setdefault("currency", "EUR")
    kwargs.setdefault("opening_date", OPENED)
    return account_create(user=user, actor=user, **kwargs)


# --- account_number_last4 -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "last4"),
    [
        ("4444", "4444"),
        ("12345678", "5678"),
        ("DE89 3704 0044 0532 0130 00", "3000"),
        ("gb29-nwbk-6016-1331-9268-1x", "681X"),
        ("4111.1111/1111.1111", "1111"),
    ],
)
def test_account_number_last4_keeps_the_last_four(raw, last4):
    assert account_number_last4(raw) == last4


@pytest.mark.parametrize("raw", ["", "12", "!!!!", "12 3", "1" * 35, "ÄÖÜ1"])
def test_account_number_last4_refuses_what_is_not_an_account_number(raw):
    with pytest.raises(ValidationError) as excinfo:
        account_number_last4(raw)
    assert "account_number" in excinfo.value.message_dict


# --- account_create -------------------------------------------------------------------------


def test_create_starts_the_balance_at_the_opening_balance(user):
    account = open_account(user, opening_balance=Decimal("123.45"), account_number="12-34-56 78")

    account.refresh_from_db()
    assert account.balance == account.opening_balance == Decimal("123.45")
    assert account.number_last4 == "5678"
    assert account.is_archived is False
    assert ledger_differences() == []


def test_create_rounds_to_cents_half_even(user):
    assert open_account(user, opening_balance=Decimal("10.005")).balance == Decimal("10.00")
    assert open_account(user, opening_balance=Decimal("10.015")).balance == Decimal("10.02")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"account_type": "checking", "opening_balance": Decimal("-0.01")}, "opening_balance"),
        ({"account_type": "savings", "opening_balance": Decimal("-1")}, "opening_balance"),
        ({"account_type": "cash", "opening_balance": Decimal("-1")}, "opening_balance"),
        (
            {
                "account_type": "credit_card",
                "opening_balance": Decimal("-501"),
                "credit_limit": Decimal("500"),
            },
            "opening_balance",
        ),
        ({"credit_limit": Decimal("-1")}, "credit_limit"),
        ({"opening_balance": Decimal("1000000000000")}, "opening_balance"),
        ({"account_number": "12"}, "account_number"),
        ({"opening_date": datetime.date(1899, 12, 31)}, "opening_date"),
    ],
)
def test_create_refuses_bad_accounts_and_writes_nothing(user, kwargs, field):
    with pytest.raises(ValidationError) as excinfo:
        open_account(user, **kwargs)

    assert field in excinfo.value.message_dict
    assert not BankAccount.objects.exists()


def test_create_refuses_an_unknown_currency(user):
    with pytest.raises(ValidationError):
        open_account(user, currency="XYZ")
    assert not BankAccount.objects.exists()


def test_a_loan_may_open_negative(user):
    account = open_account(user, account_type="loan", opening_balance=Decimal("-25000"))

    assert account.balance == Decimal("-25000.00")
    assert ledger_differences() == []


@time_machine.travel(datetime.datetime(2025, 6, 15, 20, 0, tzinfo=datetime.UTC), tick=False)
def test_opening_date_is_checked_against_the_owners_today():
    # 20:00 UTC on 15 June is already 16 June in Auckland, still 15 June in London.
    auckland = UserFactory(time_zone="Pacific/Auckland")
    london = UserFactory(time_zone="Europe/London")
    june_16 = datetime.date(2025, 6, 16)

    assert open_account(auckland, opening_date=june_16).opening_date == june_16
    with pytest.raises(ValidationError) as excinfo:
        open_account(london, opening_date=june_16)
    assert excinfo.value.message_dict == {
        "opening_date": ["The opening date cannot be in the future."]
    }
    assert open_account(london, opening_date=datetime.date(2025, 6, 15)).pk


def test_customer_creating_their_own_account_is_not_audited(user):
    open_account(user)

    assert not AuditLog.objects.exists()


def test_staff_creating_a_customers_account_is_audited(user, staff):
    account = account_create(
        user=user,
        actor=staff["admin"],
        name="Opened by staff",
        currency="EUR",
        opening_date=OPENED,
        account_number="DE89 3704 0044 0532 0130 00",
    )

    entry = AuditLog.objects.get()
    assert entry.actor == staff["admin"]
    assert entry.action == "bank_account.create"
    assert entry.target_id == str(account.pk)
    assert "0532" not in str(entry.changes)


# --- account_update -------------------------------------------------------------------------


def test_opening_balance_change_moves_the_balance_by_the_difference(user):
    account = BankAccountFactory(user=user, opening_balance=Decimal("1000.00"))
    TransactionFactory(account=account, amount=Decimal("-300.00"))
    TransactionFactory(account=account, amount=Decimal("45.50"))
    account.refresh_from_db()
    assert account.balance == Decimal("745.50")

    account_update(account=account, actor=user, opening_balance=Decimal("800"))

    account.refresh_from_db()
    assert account.opening_balance == Decimal("800.00")
    assert account.balance == Decimal("545.50")
    assert ledger_differences() == []

    account_update(account=account, actor=user, opening_balance=Decimal("1200.00"))

    account.refresh_from_db()
    assert account.balance == Decimal("945.50")
    assert ledger_differences() == []


def test_update_changes_fields_and_keeps_only_the_last_four(user):
    account = BankAccountFactory(user=user, number_last4="1111")

    updated = account_update(
        account=account,
        actor=user,
        name="Renamed",
        account_number="GB29 NWBK 6016 1331 9268 19",
        credit_limit=Decimal("100.00"),
    )

    account.refresh_from_db()
    assert updated.name == account.name == "Renamed"
    assert account.number_last4 == "6819"
    assert account.credit_limit == Decimal("100.00")


def test_update_with_nothing_new_writes_nothing(user):
    account = BankAccountFactory(user=user)
    updated_at = account.updated_at

    account_update(account=account, actor=user, name=account.name, currency="EUR")

    account.refresh_from_db()
    assert account.updated_at == updated_at


def test_update_refuses_fields_it_does_not_own(user):
    account = BankAccountFactory(user=user)

    with pytest.raises(ValueError, match="balance"):
        account_update(account=account, actor=user, balance=Decimal("1"))


def test_currency_cannot_change_once_there_are_transactions(user):
    account = BankAccountFactory(user=user, currency="EUR")
    TransactionFactory(account=account)

    with pytest.raises(ValidationError) as excinfo:
        account_update(account=account, actor=user, currency="USD")

    assert "currency" in excinfo.value.message_dict
    account.refresh_from_db()
    assert account.currency == "EUR"
    assert set(Transaction.objects.values_list("currency", flat=True)) == {"EUR"}


def test_currency_can_change_without_transactions(user):
    account = BankAccountFactory(user=user, currency="EUR")

    account_update(account=account, actor=user, currency="USD")

    account.refresh_from_db()
    assert account.currency == "USD"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"opening_balance": Decimal("-1.00")}, "opening_balance"),
        ({"credit_limit": Decimal("-5")}, "credit_limit"),
        ({"opening_date": datetime.date(3000, 1, 1)}, "opening_date"),
        ({"opening_balance": Decimal("999999999999.99")}, "opening_balance"),
    ],
)
def test_refused_update_leaves_the_account_as_it_was(user, fields, field):
    account = BankAccountFactory(user=user)
    TransactionFactory(account=account, amount=Decimal("10.00"))
    before = BankAccount.objects.values().get(pk=account.pk)

    with pytest.raises(ValidationError) as excinfo:
        account_update(account=account, actor=user, **fields)

    assert field in excinfo.value.message_dict
    assert BankAccount.objects.values().get(pk=account.pk) == before
    assert ledger_differences() == []


def test_staff_update_is_audited_customer_update_is_not(user, staff):
    account = BankAccountFactory(user=user, name="Before")

    account_update(account=account, actor=user, name="By owner")
    assert not AuditLog.objects.exists()

    account_update(account=account, actor=staff["admin"], name="By staff")
    entry = AuditLog.objects.get()
    assert entry.action == "bank_account.update"
    assert entry.changes == {"name": ["By owner", "By staff"]}


# --- account_delete -------------------------------------------------------------------------


def test_delete_removes_an_account_without_transactions(user):
    account = BankAccountFactory(user=user)

    assert account_delete(account=account, actor=user) is True

    assert not BankAccount.objects.filter(pk=account.pk).exists()


def test_delete_archives_an_account_with_transactions(user):
    account = BankAccountFactory(user=user)
    kept = [
        TransactionFactory(account=account, amount=Decimal("-12.00")).pk,
        TransactionFactory(account=account, amount=Decimal("30.00")).pk,
    ]

    assert account_delete(account=account, actor=user) is False

    account.refresh_from_db()
    assert account.is_archived is True
    assert account.balance == Decimal("1018.00")
    assert sorted(Transaction.objects.filter(account=account).values_list("pk", flat=True)) == kept
    assert ledger_differences() == []
    assert not AuditLog.objects.exists()


def test_staff_archiving_instead_of_deleting_is_audited(user, staff):
    account = BankAccountFactory(user=user)
    TransactionFactory(account=account)

    assert account_delete(account=account, actor=staff["support"]) is False

    entry = AuditLog.objects.get()
    assert entry.action == "bank_account.archive"
    assert entry.changes == {"is_archived": [False, True]}


# --- selectors ------------------------------------------------------------------------------


def test_bank_account_list_is_the_users_active_accounts_by_default(user, other_user):
    active = BankAccountFactory(user=user, name="Active")
    archived = BankAccountFactory(user=user, name="Archived", is_archived=True)
    BankAccountFactory(user=other_user)

    assert list(bank_account_list(user=user)) == [active]
    assert list(bank_account_list(user=user, archived=ArchivedState.ARCHIVED)) == [archived]
    assert list(bank_account_list(user=user, archived=ArchivedState.ALL)) == [active, archived]


def test_a_new_type_or_limit_cannot_start_out_below_the_floor(user):
    from transactions.services import transaction_create

    card = account_create(
        user=user,
        name="Card",
        currency="EUR",
        opening_date=datetime.date(2025, 1, 1),
        account_type="credit_card",
        credit_limit=Decimal("500.00"),
    )
    transaction_create(
        user=user, account=card, amount=Decimal("-93.33"), txn_date=datetime.date(2025, 2, 1)
    )
    with pytest.raises(ValidationError) as excinfo:
        account_update(account=card, actor=user, credit_limit=Decimal("50.00"))
    assert "-93.33" in excinfo.value.message_dict["credit_limit"][0]
    card.refresh_from_db()
    assert card.credit_limit == Decimal("500.00")
    account_update(account=card, actor=user, credit_limit=Decimal("100.00"))

    loan = account_create(
        user=user,
        name="Loan",
        currency="EUR",
        opening_date=datetime.date(2025, 1, 1),
        account_type="loan",
        opening_balance=Decimal("-5000.00"),
    )
    with pytest.raises(ValidationError) as excinfo:
        account_update(account=loan, actor=user, account_type="checking")
    # Its opening balance alone already breaks a checking account's floor.
    assert "opening_balance" in excinfo.value.message_dict
    loan.refresh_from_db()
    assert loan.account_type == "loan"


def test_an_account_cannot_open_after_its_first_transaction(user):
    from transactions.services import transaction_create

    account = account_create(
        user=user,
        name="Everyday",
        currency="EUR",
        opening_date=datetime.date(2025, 1, 1),
        opening_balance=Decimal("100.00"),
    )
    transaction_create(
        user=user, account=account, amount=Decimal("-1.00"), txn_date=datetime.date(2025, 3, 1)
    )
    with pytest.raises(ValidationError) as excinfo:
        account_update(account=account, actor=user, opening_date=datetime.date(2025, 3, 2))
    assert "2025-03-01" in excinfo.value.message_dict["opening_date"][0]
    account_update(account=account, actor=user, opening_date=datetime.date(2025, 3, 1))
