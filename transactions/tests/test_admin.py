"""The staff console for transactions and categories: every write goes through the ledger."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditLog, BankAccount
from accounts.tests.factories import BankAccountFactory, UserFactory
from accounts.tests.test_admin import admin_url, change_url, form_data
from transactions.models import Category, Transaction
from transactions.services import ledger_differences, transfer_create
from transactions.tests.factories import CategoryFactory, TransactionFactory, default_category


def transaction_form(account, **overrides) -> dict:
    return {
        "account": account.pk,
        "amount": "-42.50",
        "txn_date": "2025-04-02",
        "posted_date": "",
        "description": "Weekly shop",
        "merchant": "Greengrocer",
        "category": default_category("groceries").pk,
        "notes": "",
        **overrides,
    }


def balance_of(account) -> Decimal:
    return BankAccount.objects.get(pk=account.pk).balance


# --- Adding -----------------------------------------------------------------------------


def test_adding_a_transaction_moves_the_balance_through_the_ledger(admin_client, admin_user):
    account = BankAccountFactory()

    response = admin_client.post(admin_url(Transaction, "add"), transaction_form(account))

    assert response.status_code == 302
    txn = Transaction.objects.get(account=account)
    assert txn.amount == Decimal("-42.50")
    assert txn.kind == "expense"
    assert txn.user == account.user
    assert txn.currency == account.currency
    assert balance_of(account) == Decimal("957.50")
    assert AuditLog.objects.filter(
        action="transaction.create", target_id=str(txn.pk), actor=admin_user
    ).exists()
    assert ledger_differences() == []


def test_income_gets_its_kind_from_the_sign(admin_client):
    account = BankAccountFactory()

    admin_client.post(
        admin_url(Transaction, "add"),
        transaction_form(account, amount="1200.00", category=default_category("income").pk),
    )

    assert Transaction.objects.get(account=account).kind == "income"
    assert balance_of(account) == Decimal("2200.00")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": "-5000.00"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "12.345"}, "amount"),
        ({"amount": "ten"}, "amount"),
        ({"posted_date": "2025-04-01"}, "posted_date"),
        ({"txn_date": "not a date"}, "txn_date"),
    ],
)
def test_a_refused_transaction_is_a_form_error_and_writes_nothing(admin_client, overrides, field):
    account = BankAccountFactory()

    response = admin_client.post(
        admin_url(Transaction, "add"), transaction_form(account, **overrides)
    )

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not Transaction.objects.exists()
    assert balance_of(account) == Decimal("1000.00")
    assert not AuditLog.objects.exists()


def test_an_overdraft_says_why(admin_client):
    account = BankAccountFactory(name="Everyday")

    response = admin_client.post(
        admin_url(Transaction, "add"), transaction_form(account, amount="-1000.01")
    )

    assert "Insufficient funds" in str(response.context["adminform"].form.errors["amount"])


def test_another_customers_category_is_refused(admin_client):
    account = BankAccountFactory()
    strangers = CategoryFactory(user=UserFactory())

    response = admin_client.post(
        admin_url(Transaction, "add"), transaction_form(account, category=strangers.pk)
    )

    assert response.status_code == 200
    assert "category" in response.context["adminform"].form.errors
    assert not Transaction.objects.exists()


def test_an_archived_account_takes_no_new_transactions(admin_client):
    account = BankAccountFactory(is_archived=True)

    response = admin_client.post(admin_url(Transaction, "add"), transaction_form(account))

    assert "account" in response.context["adminform"].form.errors
    assert not Transaction.objects.exists()


# --- Changing ---------------------------------------------------------------------------


def test_amount_account_and_kind_are_read_only_in_the_change_form(admin_client):
    txn = TransactionFactory(amount=Decimal("-25.00"))
    other_account = BankAccountFactory(user=txn.user)
    page = admin_client.get(change_url(txn))
    form = page.context["adminform"].form
    assert not {"amount", "account", "kind", "user", "currency"} & set(form.fields)

    data = form_data(page) | {
        "amount": "-999.00",
        "account": other_account.pk,
        "kind": "income",
        "description": "Corner shop, milk",
    }
    response = admin_client.post(change_url(txn), data)

    assert response.status_code == 302
    txn.refresh_from_db()
    assert txn.amount == Decimal("-25.00")
    assert txn.account_id != other_account.pk
    assert txn.description == "Corner shop, milk"
    assert balance_of(txn.account) == Decimal("975.00")
    assert ledger_differences() == []


def test_the_category_choices_are_the_customers(admin_client):
    txn = TransactionFactory()
    own = CategoryFactory(user=txn.user)
    strangers = CategoryFactory(user=UserFactory())
    page = admin_client.get(change_url(txn))
    choices = set(page.context["adminform"].form.fields["category"].queryset)
    assert own in choices
    assert strangers not in choices

    response = admin_client.post(change_url(txn), form_data(page) | {"category": strangers.pk})

    assert response.status_code == 200
    txn.refresh_from_db()
    assert txn.category.slug == "groceries"


def transfer(amount="100.00"):
    customer = UserFactory()
    checking = BankAccountFactory(user=customer)
    savings = BankAccountFactory(user=customer, name="Savings", account_type="savings")
    result = transfer_create(
        user=customer,
        from_account=checking,
        to_account=savings,
        amount=Decimal(amount),
        txn_date=datetime.date(2025, 5, 1),
    )
    return result, checking, savings


def test_a_transfer_leg_keeps_its_category(admin_client):
    result, _, _ = transfer()
    page = admin_client.get(change_url(result.outgoing))

    assert "category" not in page.context["adminform"].form.fields
    response = admin_client.post(
        change_url(result.outgoing), form_data(page) | {"description": "Rainy day money"}
    )
    assert response.status_code == 302
    result.outgoing.refresh_from_db()
    assert result.outgoing.description == "Rainy day money"


# --- Deleting ---------------------------------------------------------------------------


def test_deleting_a_transaction_gives_the_money_back(admin_client, admin_user):
    txn = TransactionFactory(amount=Decimal("-60.00"))

    response = admin_client.post(admin_url(Transaction, "delete", txn.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not Transaction.objects.filter(pk=txn.pk).exists()
    assert balance_of(txn.account) == Decimal("1000.00")
    assert AuditLog.objects.filter(action="transaction.delete", actor=admin_user).exists()


def test_deleting_a_transfer_leg_deletes_both_and_says_so_first(admin_client):
    result, checking, savings = transfer()
    url = admin_url(Transaction, "delete", result.incoming.pk)

    page = admin_client.get(url)
    assert page.status_code == 200
    assert dict(page.context["model_count"])["transactions"] == 2

    admin_client.post(url, {"post": "yes"})
    assert not Transaction.objects.exists()
    assert balance_of(checking) == balance_of(savings) == Decimal("1000.00")
    assert ledger_differences() == []


def test_bulk_delete_goes_through_the_ledger(admin_client):
    result, checking, _ = transfer()
    expense = TransactionFactory(account=checking, amount=Decimal("-30.00"))

    response = admin_client.post(
        admin_url(Transaction, "changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [result.outgoing.pk, result.incoming.pk, expense.pk],
            "post": "yes",
        },
    )

    assert response.status_code == 302
    assert not Transaction.objects.exists()
    assert ledger_differences() == []
    assert balance_of(checking) == Decimal("1000.00")


# --- The changelist ---------------------------------------------------------------------


def test_changelist_filters(admin_client):
    account = BankAccountFactory(currency="EUR")
    dollars = BankAccountFactory(currency="USD")
    groceries = TransactionFactory(account=account)
    own = TransactionFactory(account=account, category=CategoryFactory(user=account.user))
    income = TransactionFactory(account=dollars, amount=Decimal("10.00"), category=None)
    url = admin_url(Transaction, "changelist")

    def shown(params) -> set[int]:
        response = admin_client.get(url, params)
        assert response.status_code == 200
        return {txn.pk for txn in response.context["cl"].result_list}

    assert shown({"kind__exact": "income"}) == {income.pk}
    assert shown({"category": "groceries"}) == {groceries.pk}
    assert shown({"category": "own"}) == {own.pk}
    assert shown({"currency": "USD"}) == {income.pk}
    assert shown({"q": account.user.email}) == {groceries.pk, own.pk}
    assert shown({"txn_date__year": "2025", "txn_date__month": "3"}) == {
        groceries.pk,
        own.pk,
        income.pk,
    }


# Session, user, the category filter's choices, the currency filter's choices, count, the
# rows (accounts, users and categories joined), the date hierarchy's range and days.
TRANSACTION_CHANGELIST_QUERIES = 8


def test_transaction_changelist_query_count_does_not_grow_per_row(
    admin_client, django_assert_num_queries
):
    url = admin_url(Transaction, "changelist")

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(url).status_code == 200
        return len(queries)

    account = BankAccountFactory(opening_balance=Decimal("5000.00"))
    for _ in range(3):
        TransactionFactory(account=account, category=CategoryFactory(user=account.user))
    few = count_queries()
    for _ in range(12):
        TransactionFactory(account=BankAccountFactory())
    assert count_queries() == few
    with django_assert_num_queries(TRANSACTION_CHANGELIST_QUERIES):
        admin_client.get(url)


# --- Categories -------------------------------------------------------------------------


def test_staff_add_a_customers_own_category(admin_client, admin_user):
    customer = UserFactory()

    response = admin_client.post(
        admin_url(Category, "add"), {"user": customer.pk, "name": "Pet food", "slug": ""}
    )

    assert response.status_code == 302
    category = Category.objects.get(user=customer)
    assert category.slug == "pet-food"
    assert AuditLog.objects.filter(action="category.create", actor=admin_user).exists()


def test_a_category_may_not_shadow_a_default_one(admin_client):
    customer = UserFactory()

    response = admin_client.post(
        admin_url(Category, "add"), {"user": customer.pk, "name": "Groceries", "slug": ""}
    )

    assert response.status_code == 200
    assert "slug" in response.context["adminform"].form.errors
    assert not Category.objects.filter(user=customer).exists()


def test_default_categories_are_read_only(admin_client):
    groceries = default_category("groceries")

    assert admin_client.get(change_url(groceries)).status_code == 200
    response = admin_client.post(change_url(groceries), {"name": "Food"})
    assert response.status_code == 403
    assert admin_client.get(admin_url(Category, "delete", groceries.pk)).status_code == 403
    groceries.refresh_from_db()
    assert groceries.name == "Groceries"


def test_renaming_and_deleting_an_own_category(admin_client, admin_user):
    category = CategoryFactory(user=UserFactory(), name="Pets", slug="pets")

    admin_client.post(change_url(category), {"name": "Pet care"})
    category.refresh_from_db()
    assert (category.name, category.slug) == ("Pet care", "pets")

    admin_client.post(admin_url(Category, "delete", category.pk), {"post": "yes"})
    assert not Category.objects.filter(pk=category.pk).exists()
    actions = set(AuditLog.objects.filter(actor=admin_user).values_list("action", flat=True))
    assert actions == {"category.update", "category.delete"}
