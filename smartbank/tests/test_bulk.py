"""smartbank.bulk: many rows in one go (COPY on PostgreSQL, bulk_create elsewhere)."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.db import transaction as db_transaction
from django.utils import timezone

from accounts.tests.factories import BankAccountFactory
from smartbank.bulk import bulk_insert, insert_rows
from transactions.models import CategoryChange, CategorySource, Transaction
from transactions.tests.factories import TransactionFactory, default_category

pytestmark = pytest.mark.django_db
DAY = datetime.date(2025, 3, 1)


def txn_row(account, amount="-1.00", **extra):
    return {
        "user_id": account.user_id,
        "account_id": account.pk,
        "currency": account.currency,
        "amount": Decimal(amount),
        "kind": "expense" if Decimal(amount) < 0 else "income",
        "txn_date": DAY,
        **extra,
    }


def test_rows_are_inserted_in_order_with_defaults_and_come_back_saved():
    account = BankAccountFactory()
    before = timezone.now()

    created = insert_rows(
        Transaction,
        [txn_row(account, "-1.00", description="one"), txn_row(account, "2.00", merchant="Two")],
    )

    assert [t.description for t in created] == ["one", ""]
    assert all(t.pk and not t._state.adding for t in created)
    assert created[0].pk < created[1].pk
    stored = {t.pk: t for t in Transaction.objects.all()}
    first, second = stored[created[0].pk], stored[created[1].pk]
    assert (first.amount, first.description, first.merchant) == (Decimal("-1.00"), "one", "")
    assert (second.amount, second.merchant, second.notes) == (Decimal("2.00"), "Two", "")
    # Defaults and auto_now fields are filled in, as a save would.
    assert second.category_source == CategorySource.NONE
    assert first.created_at >= before and first.updated_at >= before
    # The returned objects hold what was stored.
    assert created[1].merchant == "Two" and created[0].created_at == first.created_at


def test_a_foreign_key_given_as_an_instance_is_stored_by_its_key_and_kept_cached(
    django_assert_num_queries,
):
    account = BankAccountFactory()
    groceries = default_category("groceries")
    row = txn_row(account, category=groceries)
    del row["account_id"]

    created = insert_rows(Transaction, [{**row, "account": account}])

    with django_assert_num_queries(0):
        assert created[0].account is account
        assert created[0].category is groceries
    assert Transaction.objects.get().category_id == groceries.pk


def test_a_callable_default_is_called_for_each_row_unless_given():
    txn = TransactionFactory()
    given = timezone.now() - datetime.timedelta(days=3)
    common = {"transaction_id": txn.pk, "user_id": txn.user_id, "source": "manual"}

    changes = insert_rows(CategoryChange, [common, {**common, "created_at": given}])

    stored = list(
        CategoryChange.objects.filter(pk__in=[c.pk for c in changes])
        .order_by("pk")
        .values_list("created_at", flat=True)
    )
    assert stored[1] == given and stored[0] > given
    assert [c.created_at for c in changes] == stored


def test_an_unknown_field_or_an_unsaved_instance_is_refused():
    account = BankAccountFactory()
    with pytest.raises(TypeError, match="no field 'colour'"), db_transaction.atomic():
        insert_rows(Transaction, [txn_row(account), txn_row(account, colour="red")])
    unsaved = default_category("groceries")
    unsaved.pk = None
    with pytest.raises(ValueError, match="category is not saved"), db_transaction.atomic():
        insert_rows(Transaction, [txn_row(account, category=unsaved)])
    assert not Transaction.objects.exists()


def test_constraints_still_hold_and_raise_django_errors():
    account = BankAccountFactory()
    rows = [txn_row(account, fingerprint="same"), txn_row(account, fingerprint="same")]
    with pytest.raises(IntegrityError), db_transaction.atomic():
        insert_rows(Transaction, rows)
    with pytest.raises(IntegrityError), db_transaction.atomic():
        insert_rows(Transaction, [txn_row(account, "0.00")])  # txn_amount_non_zero
    assert not Transaction.objects.exists()


def test_nothing_to_insert_makes_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert insert_rows(Transaction, []) == []


@pytest.mark.postgres  # the count is only used to draw keys on PostgreSQL
def test_bulk_insert_refuses_a_count_that_does_not_match_the_rows():
    account = BankAccountFactory()
    columns = list(txn_row(account))
    values = list(txn_row(account).values())
    with pytest.raises(ValueError, match="promised 2"), db_transaction.atomic():
        bulk_insert(Transaction, columns, [values], count=2)
    with pytest.raises(ValueError, match="promised 1"), db_transaction.atomic():
        bulk_insert(Transaction, columns, [values, values], count=1)
    assert not Transaction.objects.exists()
