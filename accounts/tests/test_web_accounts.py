"""The bank account pages (Django's test client): list, detail and its chart, add, edit, archive."""

import datetime
import json
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from accounts.models import BankAccount, User
from accounts.selectors import balance_history
from accounts.tests.factories import BankAccountFactory, UserFactory
from smartbank.demo import DemoSize, seed_demo
from smartbank.testing import database_snapshot
from transactions.tests.factories import TransactionFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2025, 6, 30)


@pytest.fixture(autouse=True)
def _frozen_today():
    with time_machine.travel(datetime.datetime(2025, 6, 30, 12, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def customer(client):
    user = UserFactory(time_zone="UTC")
    client.force_login(user)
    return user


def _history(account, days: int, per_day: int = 1) -> None:
    for offset in range(days):
        for _ in range(per_day):
            TransactionFactory(
                account=account,
                amount=Decimal("-1.25"),
                txn_date=TODAY - datetime.timedelta(days=offset),
            )


def test_pages_need_a_login(client):
    account = BankAccountFactory()
    for url in (
        reverse("accounts-web:list"),
        reverse("accounts-web:create"),
        reverse("accounts-web:detail", args=[account.pk]),
        reverse("accounts-web:update", args=[account.pk]),
        reverse("accounts-web:archive", args=[account.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_the_list_shows_balances_with_their_currency_and_the_archived_toggle(client, customer):
    BankAccountFactory(user=customer, name="Everyday", balance=Decimal("12.50"), currency="EUR")
    BankAccountFactory(user=customer, name="Dollars", balance=Decimal("3.00"), currency="USD")
    BankAccountFactory(user=customer, name="Old one", is_archived=True)
    BankAccountFactory(name="Someone else's")
    page = client.get(reverse("accounts-web:list")).content.decode()
    assert 'data-money="12.50" data-currency="EUR">12.50 EUR<' in page
    assert 'data-money="3.00" data-currency="USD"' in page
    assert "Old one" not in page and "Someone else" not in page
    archived = client.get(reverse("accounts-web:list"), {"archived": "true"}).content.decode()
    assert "Old one" in archived and "Everyday" not in archived
    everything = client.get(reverse("accounts-web:list"), {"archived": "all"}).content.decode()
    assert "Old one" in everything and "Everyday" in everything
    # A value that means nothing falls back to the active accounts.
    odd = client.get(reverse("accounts-web:list"), {"archived": "maybe"}).content.decode()
    assert "Everyday" in odd and "Old one" not in odd


def test_an_empty_list_says_what_to_do_next(client, customer):
    page = client.get(reverse("accounts-web:list")).content.decode()
    assert "No accounts yet" in page and reverse("accounts-web:create") in page


def test_the_list_runs_a_fixed_number_of_queries(client, customer, django_assert_num_queries):
    for _ in range(2):
        BankAccountFactory(user=customer)
    with django_assert_num_queries(3):  # session, user, accounts
        client.get(reverse("accounts-web:list"))
    for _ in range(20):
        BankAccountFactory(user=customer)
    with django_assert_num_queries(3):
        response = client.get(reverse("accounts-web:list"))
    assert len(response.context["accounts"]) == 22


def test_balance_history_is_the_opening_balance_plus_each_days_running_sum():
    account = BankAccountFactory(
        opening_balance=Decimal("100.00"), opening_date=TODAY.replace(year=2024)
    )
    TransactionFactory(
        account=account, amount=Decimal("-10.00"), txn_date=datetime.date(2024, 7, 1)
    )
    TransactionFactory(account=account, amount=Decimal("25.10"), txn_date=datetime.date(2025, 6, 1))
    TransactionFactory(account=account, amount=Decimal("-0.10"), txn_date=datetime.date(2025, 6, 1))
    TransactionFactory(account=account, amount=Decimal("-5.00"), txn_date=datetime.date(2025, 6, 3))
    history = balance_history(
        account=account, first_day=datetime.date(2025, 5, 31), last_day=datetime.date(2025, 6, 4)
    )
    assert [(point.day.isoformat(), point.balance) for point in history] == [
        ("2025-05-31", Decimal("90.00")),  # carried in: opening 100 - 10
        ("2025-06-01", Decimal("115.00")),
        ("2025-06-02", Decimal("115.00")),
        ("2025-06-03", Decimal("110.00")),
        ("2025-06-04", Decimal("110.00")),
    ]
    # Before the account opened there is no balance to show.
    late = BankAccountFactory(
        opening_balance=Decimal("5.00"), opening_date=datetime.date(2025, 6, 3)
    )
    points = balance_history(account=late, first_day=datetime.date(2025, 6, 1), last_day=TODAY)
    assert points[0].day == datetime.date(2025, 6, 3) and points[0].balance == Decimal("5.00")


def test_the_detail_page_charts_a_year_of_closing_balances_ending_at_the_balance(client, customer):
    account = BankAccountFactory(
        user=customer, opening_balance=Decimal("500.00"), opening_date=datetime.date(2024, 1, 1)
    )
    TransactionFactory(
        account=account, amount=Decimal("-40.00"), txn_date=datetime.date(2024, 3, 1)
    )
    TransactionFactory(
        account=account, amount=Decimal("1200.00"), txn_date=datetime.date(2025, 5, 28)
    )
    response = client.get(reverse("accounts-web:detail", args=[account.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    chart = json.loads(page.split('id="balance-data" type="application/json">')[1].split("<")[0])
    assert chart["currency"] == "EUR"
    assert len(chart["labels"]) == 366
    assert chart["labels"][0] == "2024-06-30" and chart["labels"][-1] == "2025-06-30"
    assert chart["balances"][0] == "460.00"
    assert chart["balances"][-1] == "1660.00"
    account.refresh_from_db()
    assert Decimal(chart["balances"][-1]) == account.balance
    assert 'data-money="1200.00" data-currency="EUR"' in page  # the latest transactions


def test_the_detail_page_runs_a_fixed_number_of_queries(
    client, customer, django_assert_num_queries
):
    account = BankAccountFactory(user=customer, opening_date=datetime.date(2024, 1, 1))
    _history(account, days=3)
    # session, user, account, the grouped balance query, the latest transactions
    with django_assert_num_queries(5):
        client.get(reverse("accounts-web:detail", args=[account.pk]))
    _history(account, days=200, per_day=2)
    with django_assert_num_queries(5):
        response = client.get(reverse("accounts-web:detail", args=[account.pk]))
    assert len(response.context["latest"]) == 10


def test_another_customers_account_is_a_404_and_nothing_changes(client, customer):
    theirs = BankAccountFactory(name="Theirs")
    before = database_snapshot()
    for name in ("detail", "update", "archive"):
        assert client.get(reverse(f"accounts-web:{name}", args=[theirs.pk])).status_code == 404
    for name, data in (
        ("update", {"name": "Mine now"}),
        ("archive", {}),
        ("restore", {}),
    ):
        assert (
            client.post(reverse(f"accounts-web:{name}", args=[theirs.pk]), data).status_code == 404
        )
    assert database_snapshot() == before


def test_adding_an_account_opens_it_through_the_service(client, customer):
    response = client.post(
        reverse("accounts-web:create"),
        {
            "name": "Holiday",
            "bank_name": "Example Bank",
            "account_type": "savings",
            "account_number": "GB33 BUKB 2020 1555 5555 55",
            "currency": "gbp",
            "opening_balance": "250.50",
            "opening_date": "2025-06-01",
            "credit_limit": "",
        },
    )
    account = BankAccount.objects.get(user=customer, name="Holiday")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts-web:detail", args=[account.pk])
    assert (account.currency, account.balance, account.number_last4) == (
        "GBP",
        Decimal("250.50"),
        "5555",
    )


GOOD_ACCOUNT = {
    "name": "Holiday",
    "account_type": "checking",
    "currency": "EUR",
    "opening_balance": "10.00",
    "opening_date": "2025-06-01",
}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"opening_balance": "abc"}, "opening_balance", "Enter a number."),
        ({"opening_balance": "1" * 20}, "opening_balance", "no more than 14 digits"),
        ({"opening_date": "31/31/2025"}, "opening_date", "Enter a valid date."),
        ({"opening_date": "2025-07-30"}, "opening_date", ""),
        ({"currency": "XYZ"}, "currency", "not an ISO 4217 currency code"),
        ({"opening_balance": "-5.00"}, "opening_balance", "cannot open below"),
        ({"account_number": "12"}, "account_number", "4 to 34 letters and digits"),
        ({"credit_limit": "-1"}, "credit_limit", "greater than or equal to 0"),
        ({"name": ""}, "name", "required"),
    ],
)
def test_a_bad_account_is_refused_beside_its_field_and_writes_nothing(
    client, customer, changes, field, message
):
    before = database_snapshot()
    response = client.post(reverse("accounts-web:create"), GOOD_ACCOUNT | changes)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field]), errors
    assert f'id="id_{field}_error"' in response.content.decode()
    assert database_snapshot() == before


def test_editing_changes_only_what_changed_and_refuses_a_currency_with_history(client, customer):
    account = BankAccountFactory(user=customer, name="Everyday", number_last4="4444")
    form = client.get(reverse("accounts-web:update", args=[account.pk]))
    assert "Now ends in 4444" in form.content.decode()
    data = {
        "name": "Main",
        "bank_name": account.bank_name,
        "account_type": "checking",
        "account_number": "",
        "currency": "EUR",
        "opening_balance": "1000.00",
        "opening_date": "2025-01-01",
        "credit_limit": "",
    }
    response = client.post(reverse("accounts-web:update", args=[account.pk]), data)
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.name, account.number_last4) == ("Main", "4444")
    TransactionFactory(account=account, amount=Decimal("-5.00"))
    before = database_snapshot()
    refused = client.post(
        reverse("accounts-web:update", args=[account.pk]), data | {"currency": "USD"}
    )
    assert "cannot change" in " ".join(refused.context["form"].errors["currency"])
    assert database_snapshot() == before


def test_archive_asks_first_then_archives_by_post_and_restore_brings_it_back(client, customer):
    account = BankAccountFactory(user=customer, name="Everyday")
    TransactionFactory(account=account)
    confirm = client.get(reverse("accounts-web:archive", args=[account.pk]))
    assert "Archive Everyday?" in confirm.content.decode()
    account.refresh_from_db()
    assert not account.is_archived
    response = client.post(reverse("accounts-web:archive", args=[account.pk]))
    assert response["Location"] == reverse("accounts-web:detail", args=[account.pk])
    account.refresh_from_db()
    assert account.is_archived
    assert account.transactions.count() == 1
    assert client.get(reverse("accounts-web:restore", args=[account.pk])).status_code == 405
    client.post(reverse("accounts-web:restore", args=[account.pk]))
    account.refresh_from_db()
    assert not account.is_archived


def test_the_form_pages_run_a_fixed_number_of_queries(client, customer, django_assert_num_queries):
    account = BankAccountFactory(user=customer)
    _history(account, days=30)
    # session and user, then the account (its edit form, archive page)
    with django_assert_num_queries(2):
        client.get(reverse("accounts-web:create"))
    with django_assert_num_queries(3):
        client.get(reverse("accounts-web:update", args=[account.pk]))
    with django_assert_num_queries(3):
        client.get(reverse("accounts-web:archive", args=[account.pk]))


def test_demo_customers_pages_run_the_pinned_queries_and_chart_their_ledger(
    client, django_assert_num_queries
):
    seed_demo(DemoSize(customers=1, months=14, transactions_per_month=6), today=TODAY)
    customer = User.objects.filter(role="customer").get()
    client.force_login(customer)
    with django_assert_num_queries(3):
        client.get(reverse("accounts-web:list"))
    accounts = list(BankAccount.objects.for_user(customer))
    assert accounts
    for account in accounts:
        with django_assert_num_queries(5):
            response = client.get(reverse("accounts-web:detail", args=[account.pk]))
        # The chart's last point is the ledger's balance (nothing is dated after today).
        assert Decimal(response.context["chart"]["balances"][-1]) == account.balance
    with django_assert_num_queries(6):
        client.get(reverse("transactions-web:list"), {"q": "a", "kind": "expense"})
