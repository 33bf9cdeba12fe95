"""The transaction pages (Django's test client): list with filters and pages, add, edit,
delete, transfer, a row's category and bulk change. Refusals write nothing."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from accounts.tests.factories import BankAccountFactory, UserFactory
from smartbank.testing import database_snapshot
from transactions.models import CategorySource, Transaction
from transactions.services import transfer_create
from transactions.tests.factories import CategoryFactory, TransactionFactory, default_category

pytestmark = pytest.mark.django_db

LIST = reverse("transactions-web:list")


@pytest.fixture(autouse=True)
def _frozen_today():
    with time_machine.travel(datetime.datetime(2025, 6, 30, 12, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def customer(client):
    user = UserFactory(time_zone="UTC")
    client.force_login(user)
    return user


@pytest.fixture
def account(customer):
    return BankAccountFactory(user=customer, name="Everyday", opening_balance=Decimal("1000.00"))


def _rows(response) -> list[str]:
    return [txn.description for txn in response.context["rows"]]


def test_pages_need_a_login(client):
    txn = TransactionFactory()
    for url in (
        LIST,
        reverse("transactions-web:create"),
        reverse("transactions-web:transfer"),
        reverse("transactions-web:update", args=[txn.pk]),
        reverse("transactions-web:delete", args=[txn.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    before = database_snapshot()
    for url in (
        reverse("transactions-web:delete", args=[txn.pk]),
        reverse("transactions-web:category", args=[txn.pk]),
        reverse("transactions-web:bulk-category"),
    ):
        assert client.post(url, {"ids": [txn.pk], "category": ""}).status_code == 302
    assert database_snapshot() == before


def test_the_list_filters_like_the_api(client, customer, account):
    savings = BankAccountFactory(user=customer, name="Savings")
    dining = default_category("dining")
    TransactionFactory(account=account, description="Tesco weekly", amount=Decimal("-54.20"))
    TransactionFactory(
        account=account,
        description="Pizza night",
        amount=Decimal("-18.00"),
        category=dining,
        txn_date=datetime.date(2025, 5, 2),
    )
    TransactionFactory(
        account=savings, description="Salary", amount=Decimal("2500.00"), category=None
    )
    TransactionFactory(description="Someone else's", amount=Decimal("-1.00"))
    assert sorted(_rows(client.get(LIST))) == ["Pizza night", "Salary", "Tesco weekly"]
    cases = [
        ({"account": savings.pk}, ["Salary"]),
        ({"date_from": "2025-05-01", "date_to": "2025-05-31"}, ["Pizza night"]),
        ({"amount_min": "-20", "amount_max": "-0.01"}, ["Pizza night"]),
        ({"category": "dining"}, ["Pizza night"]),
        ({"kind": "income"}, ["Salary"]),
        ({"q": "tesco WEEK"}, ["Tesco weekly"]),
        ({"q": "nothing like it"}, []),
    ]
    for query, expected in cases:
        response = client.get(LIST, query)
        assert response.status_code == 200
        assert sorted(_rows(response)) == expected, query
    empty = client.get(LIST, {"q": "nothing like it"}).content.decode()
    assert "No transactions match these filters" in empty


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"date_from": "not-a-date"}, "date_from", "Enter a valid date."),
        ({"amount_min": "abc"}, "amount_min", "Enter a number."),
        ({"amount_max": "1e400"}, "amount_max", ""),
        ({"kind": "gift"}, "kind", "Select a valid choice."),
        ({"category": "no-such"}, "category", "Unknown category: no-such."),
        ({"account": "999999"}, "account", "Account not found."),
    ],
)
def test_a_bad_filter_is_shown_beside_its_field(client, customer, account, query, field, message):
    TransactionFactory(account=account)
    response = client.get(LIST, query)
    assert response.status_code == 400
    errors = response.context["filter_form"].errors
    assert message in " ".join(errors[field]), errors
    assert f'id="id_{field}_error"' in response.content.decode()
    assert response.context["rows"] == []


def test_another_customers_account_in_the_filter_is_refused(client, customer, account):
    theirs = BankAccountFactory()
    TransactionFactory(account=theirs, description="Theirs")
    response = client.get(LIST, {"account": theirs.pk})
    assert response.status_code == 400
    assert "Theirs" not in response.content.decode()


def test_pages_keep_the_filters_in_their_links(client, customer, account):
    for day in range(60):
        TransactionFactory(
            account=account,
            amount=Decimal("-1.00"),
            description=f"Coffee {day}",
            txn_date=datetime.date(2025, 3, 1) + datetime.timedelta(days=day),
        )
    response = client.get(LIST, {"q": "coffee", "kind": "expense"})
    page = response.content.decode()
    assert len(response.context["rows"]) == 50
    assert 'href="?q=coffee&amp;kind=expense&amp;page=2"' in page
    second = client.get(LIST, {"q": "coffee", "kind": "expense", "page": 2})
    assert len(second.context["rows"]) == 10
    assert 'href="?q=coffee&amp;kind=expense&amp;page=1"' in second.content.decode()


def test_the_list_runs_a_fixed_number_of_queries(
    client, customer, account, django_assert_num_queries
):
    savings = BankAccountFactory(user=customer)
    for _ in range(3):
        TransactionFactory(account=account)
    # session, user, categories, the account filter's choices, count, the page's rows
    with django_assert_num_queries(6):
        client.get(LIST, {"q": "card"})
    for day in range(120):
        TransactionFactory(
            account=savings if day % 2 else account,
            amount=Decimal("-1.00"),
            category=CategoryFactory(user=customer) if day % 10 == 0 else None,
            txn_date=datetime.date(2025, 1, 1) + datetime.timedelta(days=day),
        )
    transfer_create(
        user=customer,
        from_account=account,
        to_account=savings,
        amount=Decimal("5.00"),
        txn_date=datetime.date(2025, 6, 1),
    )
    with django_assert_num_queries(6):
        response = client.get(LIST, {"q": "card"})
    assert len(response.context["rows"]) == 50
    with django_assert_num_queries(6):
        client.get(LIST)


def test_adding_a_transaction_signs_it_by_its_kind(client, customer, account):
    response = client.post(
        reverse("transactions-web:create"),
        {
            "account": account.pk,
            "kind": "expense",
            "amount": "12.34",
            "txn_date": "2025-06-29",
            "description": "Lunch",
            "merchant": "Cafe",
            "category": default_category("dining").pk,
            "notes": "",
        },
    )
    assert response.status_code == 302
    txn = Transaction.objects.get(user=customer, description="Lunch")
    assert (txn.amount, txn.kind, txn.category.slug) == (Decimal("-12.34"), "expense", "dining")
    account.refresh_from_db()
    assert account.balance == Decimal("987.66")


GOOD = {"kind": "expense", "amount": "10.00", "txn_date": "2025-06-29", "description": "Lunch"}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount": "abc"}, "amount", "Enter a number."),
        ({"amount": "123456789012345.00"}, "amount", "no more than 14 digits"),
        ({"amount": "-5"}, "amount", "greater than or equal to 0.01"),
        ({"txn_date": "2025-02-30"}, "txn_date", "Enter a valid date."),
        ({"txn_date": "yesterday"}, "txn_date", "Enter a valid date."),
        ({"amount": "1000.01"}, "amount", "Insufficient funds"),
        ({"kind": "transfer"}, "kind", "Select a valid choice."),
    ],
)
def test_a_bad_transaction_is_refused_beside_its_field_and_writes_nothing(
    client, customer, account, changes, field, message
):
    before = database_snapshot()
    response = client.post(
        reverse("transactions-web:create"), GOOD | {"account": account.pk} | changes
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors[field]), errors
    assert f'id="id_{field}_error"' in response.content.decode()
    assert database_snapshot() == before


def test_another_customers_account_or_category_cannot_be_chosen(client, customer, account):
    theirs = BankAccountFactory()
    their_category = CategoryFactory(user=theirs.user)
    before = database_snapshot()
    response = client.post(
        reverse("transactions-web:create"),
        GOOD | {"account": theirs.pk, "category": their_category.pk},
    )
    assert set(response.context["form"].errors) == {"account", "category"}
    assert database_snapshot() == before


def test_editing_moves_the_balance_by_the_difference(client, customer, account):
    txn = TransactionFactory(account=account, amount=Decimal("-25.00"), description="Shop")
    form = client.get(reverse("transactions-web:update", args=[txn.pk]))
    assert form.context["form"].initial["amount"] == Decimal("25.00")
    response = client.post(
        reverse("transactions-web:update", args=[txn.pk]),
        GOOD | {"account": account.pk, "amount": "40.00", "description": "Bigger shop"},
    )
    assert response.status_code == 302
    txn.refresh_from_db()
    account.refresh_from_db()
    assert (txn.amount, txn.description, account.balance) == (
        Decimal("-40.00"),
        "Bigger shop",
        Decimal("960.00"),
    )


def test_a_transfer_leg_edits_only_what_keeps_the_pair(client, customer, account):
    savings = BankAccountFactory(user=customer, name="Savings")
    result = transfer_create(
        user=customer,
        from_account=account,
        to_account=savings,
        amount=Decimal("100.00"),
        txn_date=datetime.date(2025, 6, 1),
    )
    form = client.get(reverse("transactions-web:update", args=[result.outgoing.pk]))
    assert set(form.context["form"].fields) == {"txn_date", "description", "merchant", "notes"}
    client.post(
        reverse("transactions-web:update", args=[result.outgoing.pk]),
        {"txn_date": "2025-06-02", "description": "Rainy day", "merchant": "", "notes": ""},
    )
    result.outgoing.refresh_from_db()
    result.incoming.refresh_from_db()
    assert result.outgoing.description == "Rainy day"
    assert result.incoming.txn_date == datetime.date(2025, 6, 2)


def test_delete_asks_first_then_deletes_both_legs_of_a_transfer(client, customer, account):
    savings = BankAccountFactory(user=customer, name="Savings")
    result = transfer_create(
        user=customer,
        from_account=account,
        to_account=savings,
        amount=Decimal("100.00"),
        txn_date=datetime.date(2025, 6, 1),
    )
    confirm = client.get(reverse("transactions-web:delete", args=[result.incoming.pk]))
    assert "both legs are deleted" in confirm.content.decode()
    assert Transaction.objects.filter(user=customer).count() == 2
    response = client.post(reverse("transactions-web:delete", args=[result.incoming.pk]))
    assert response["Location"] == LIST
    assert not Transaction.objects.filter(user=customer).exists()
    account.refresh_from_db()
    savings.refresh_from_db()
    assert (account.balance, savings.balance) == (Decimal("1000.00"), Decimal("1000.00"))


def test_another_customers_transaction_is_a_404_and_nothing_changes(client, customer, account):
    theirs = TransactionFactory(description="Theirs")
    before = database_snapshot()
    for name in ("update", "delete"):
        assert client.get(reverse(f"transactions-web:{name}", args=[theirs.pk])).status_code == 404
    for name, data in (
        ("update", GOOD | {"account": account.pk}),
        ("delete", {}),
        ("category", {"category": "dining"}),
    ):
        response = client.post(reverse(f"transactions-web:{name}", args=[theirs.pk]), data)
        assert response.status_code == 404
    assert database_snapshot() == before


def test_a_transfer_between_two_currencies_takes_the_amount_received(client, customer, account):
    dollars = BankAccountFactory(user=customer, name="Dollars", currency="USD")
    response = client.post(
        reverse("transactions-web:transfer"),
        {
            "from_account": account.pk,
            "to_account": dollars.pk,
            "amount": "100.00",
            "amount_received": "108.25",
            "txn_date": "2025-06-29",
            "description": "",
        },
    )
    assert response.status_code == 302
    account.refresh_from_db()
    dollars.refresh_from_db()
    assert (account.balance, dollars.balance) == (Decimal("900.00"), Decimal("1108.25"))


TRANSFER = {"amount": "50.00", "txn_date": "2025-06-29", "description": ""}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"to": "same"}, "to_account", "Choose a different account"),
        ({"to": "dollars"}, "amount_received", "Give the amount received in USD"),
        ({"amount": "5000.00"}, "amount", "Insufficient funds"),
        ({"amount": "abc"}, "amount", "Enter a number."),
        ({"amount": "99999999999999999"}, "amount", "no more than 14 digits"),
        ({"txn_date": "2025-13-01"}, "txn_date", "Enter a valid date."),
        ({"to": "theirs"}, "to_account", "Select a valid choice."),
        ({"to": "archived"}, "to_account", "Select a valid choice."),
    ],
)
def test_a_bad_transfer_is_refused_beside_its_field_and_writes_nothing(
    client, customer, account, changes, field, message
):
    targets = {
        "same": account,
        "dollars": BankAccountFactory(user=customer, currency="USD"),
        "theirs": BankAccountFactory(),
        "archived": BankAccountFactory(user=customer, is_archived=True),
        None: BankAccountFactory(user=customer, name="Savings"),
    }
    to = targets[changes.pop("to", None)]
    before = database_snapshot()
    response = client.post(
        reverse("transactions-web:transfer"),
        TRANSFER | {"from_account": account.pk, "to_account": to.pk} | changes,
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors[field]), errors
    assert f'id="id_{field}_error"' in response.content.decode()
    assert database_snapshot() == before


def test_a_rows_category_is_set_by_hand_and_the_list_is_kept(client, customer, account):
    txn = TransactionFactory(account=account, category=None)
    back = f"{LIST}?q=card&page=1"
    response = client.post(
        reverse("transactions-web:category", args=[txn.pk]), {"category": "dining", "next": back}
    )
    assert response["Location"] == back
    txn.refresh_from_db()
    assert (txn.category.slug, txn.category_source) == ("dining", CategorySource.MANUAL)
    # Away from this site, "next" is ignored.
    client.post(
        reverse("transactions-web:category", args=[txn.pk]),
        {"category": "", "next": "https://evil.example/"},
    )
    txn.refresh_from_db()
    assert txn.category is None


def test_a_bad_category_for_a_row_changes_nothing(client, customer, account):
    txn = TransactionFactory(account=account)
    savings = BankAccountFactory(user=customer)
    leg = transfer_create(
        user=customer,
        from_account=account,
        to_account=savings,
        amount=Decimal("1.00"),
        txn_date=datetime.date(2025, 6, 1),
    ).outgoing
    their_category = CategoryFactory(user=UserFactory())
    before = database_snapshot()
    for pk, slug in ((txn.pk, "no-such"), (txn.pk, their_category.slug), (leg.pk, "dining")):
        response = client.post(
            reverse("transactions-web:category", args=[pk]), {"category": slug}, follow=True
        )
        assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert database_snapshot() == before


def test_bulk_change_sets_the_ticked_rows_all_or_nothing(client, customer, account):
    mine = [TransactionFactory(account=account, category=None) for _ in range(3)]
    theirs = TransactionFactory(description="Theirs")
    before = database_snapshot()
    refused = client.post(
        reverse("transactions-web:bulk-category"),
        {"ids": [mine[0].pk, theirs.pk], "category": "dining"},
        follow=True,
    )
    assert f"Transactions not found: {theirs.pk}" in refused.content.decode()
    for data in ({"ids": [], "category": "dining"}, {"ids": ["x"], "category": "dining"}):
        client.post(reverse("transactions-web:bulk-category"), data)
    client.post(reverse("transactions-web:bulk-category"), {"ids": [mine[0].pk], "category": "??"})
    assert database_snapshot() == before
    done = client.post(
        reverse("transactions-web:bulk-category"),
        {"ids": [mine[0].pk, mine[1].pk], "category": "dining"},
        follow=True,
    )
    assert "2 transactions changed" in done.content.decode()
    slugs = {
        t.pk: (t.category.slug if t.category else None)
        for t in Transaction.objects.filter(user=customer)
    }
    assert slugs == {mine[0].pk: "dining", mine[1].pk: "dining", mine[2].pk: None}


def test_the_form_pages_run_a_fixed_number_of_queries(
    client, customer, account, django_assert_num_queries
):
    savings = BankAccountFactory(user=customer)
    txn = TransactionFactory(account=account)
    for _ in range(30):
        TransactionFactory(account=savings)
    # session, user, then the row and the choices of the form's selects
    with django_assert_num_queries(4):  # accounts, categories
        client.get(reverse("transactions-web:create"))
    with django_assert_num_queries(6):  # the row, accounts, categories, category history
        client.get(reverse("transactions-web:update", args=[txn.pk]))
    with django_assert_num_queries(3):  # the row with its account
        client.get(reverse("transactions-web:delete", args=[txn.pk]))
    with django_assert_num_queries(5):  # the count of open accounts, both selects
        client.get(reverse("transactions-web:transfer"))
