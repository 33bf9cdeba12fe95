"""GET/POST /api/v1/transactions/ and /api/v1/transactions/{id}/."""

import datetime
import json
from decimal import Decimal

import pytest
import time_machine

from accounts.models import BankAccount
from accounts.tests.factories import BankAccountFactory
from conftest import client_for
from transactions.models import Category, Transaction
from transactions.services import ledger_differences, transfer_create
from transactions.tests.factories import CategoryFactory, TransactionFactory, default_category

URL = "/api/v1/transactions/"

pytestmark = pytest.mark.django_db


def detail(pk) -> str:
    return f"{URL}{pk}/"


def db_state():
    """Every transaction row and every balance: what a refused request must leave as it was."""
    return (
        list(Transaction.objects.order_by("pk").values()),
        dict(BankAccount.objects.values_list("pk", "balance")),
    )


def balance(account) -> Decimal:
    account.refresh_from_db()
    return account.balance


@pytest.fixture
def account(user):
    return BankAccountFactory(user=user, opening_balance=Decimal("1000.00"))


@pytest.fixture
def other_account(other_user):
    return BankAccountFactory(user=other_user)


def payload(bank_account, /, **overrides):
    data = {
        "account": bank_account.pk,
        "amount": "-12.50",
        "txn_date": "2025-03-01",
        "description": "Weekly shop",
        "merchant": "Green Grocer",
        "category": "groceries",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not ...}


# --- Create ---------------------------------------------------------------------------


def test_create_expense_moves_the_balance_and_returns_the_row(api_client, account):
    response = api_client.post(
        URL, payload(account, posted_date="2025-03-03", notes="for the party"), format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    txn = Transaction.objects.get()
    assert body == {
        "id": txn.pk,
        "account": account.pk,
        "amount": "-12.50",
        "currency": "EUR",
        "kind": "expense",
        "description": "Weekly shop",
        "merchant": "Green Grocer",
        "category": "groceries",
        "category_source": "manual",
        "txn_date": "2025-03-01",
        "posted_date": "2025-03-03",
        "notes": "for the party",
        "external_id": "",
        "transfer_id": None,
        "counterpart": None,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert txn.amount == Decimal("-12.50")
    assert txn.user == account.user
    assert balance(account) == Decimal("987.50")
    assert ledger_differences() == []


def test_category_source_is_shown_and_read_only(api_client, account):
    response = api_client.post(URL, payload(account, category_source="rule"), format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["category_source"] == "manual"
    txn = Transaction.objects.get()
    assert txn.category_source == "manual"
    patched = api_client.patch(detail(txn.pk), {"category_source": "import"}, format="json")
    assert patched.json()["category_source"] == "manual"
    assert api_client.get(URL).json()["results"][0]["category_source"] == "manual"


def test_create_income_derives_the_kind_and_takes_the_account_currency(api_client, user):
    usd = BankAccountFactory(user=user, currency="USD")
    response = api_client.post(
        URL, payload(usd, amount="2500.00", category="income", kind=...), format="json"
    )

    assert response.status_code == 201, response.json()
    assert response.json()["kind"] == "income"
    assert response.json()["currency"] == "USD"
    assert balance(usd) == Decimal("3500.00")


def test_create_accepts_a_kind_that_agrees_with_the_sign(api_client, account):
    response = api_client.post(URL, payload(account, kind="expense"), format="json")
    assert response.status_code == 201
    assert response.json()["kind"] == "expense"


def test_create_with_own_category_and_without_category(api_client, user, account):
    own = CategoryFactory(user=user, slug="pets", name="Pets")

    with_own = api_client.post(URL, payload(account, category="pets"), format="json")
    without = api_client.post(URL, payload(account, category=...), format="json")
    null = api_client.post(URL, payload(account, category=None), format="json")

    assert with_own.status_code == 201 and with_own.json()["category"] == "pets"
    assert Transaction.objects.get(pk=with_own.json()["id"]).category == own
    assert without.status_code == 201 and without.json()["category"] is None
    assert null.status_code == 201 and null.json()["category"] is None


def test_amount_keeps_cents_exactly(api_client, account):
    response = api_client.post(URL, payload(account, amount="-0.10"), format="json")
    api_client.post(URL, payload(account, amount="-0.20"), format="json")

    assert response.json()["amount"] == "-0.10"
    assert balance(account) == Decimal("999.70")


def test_insufficient_funds_is_a_400_that_says_so_and_writes_nothing(api_client, user):
    checking = BankAccountFactory(user=user, opening_balance=Decimal("50.00"))
    before = db_state()

    response = api_client.post(URL, payload(checking, amount="-50.01"), format="json")

    assert response.status_code == 400
    assert "Insufficient funds" in response.json()["amount"][0]
    assert db_state() == before


def test_spending_to_exactly_zero_is_allowed(api_client, user):
    checking = BankAccountFactory(user=user, opening_balance=Decimal("50.00"))
    response = api_client.post(URL, payload(checking, amount="-50.00"), format="json")
    assert response.status_code == 201
    assert balance(checking) == Decimal("0.00")


def test_credit_card_past_its_limit_is_refused(api_client, user):
    card = BankAccountFactory(
        user=user,
        account_type=BankAccount.Type.CREDIT_CARD,
        opening_balance=Decimal("0.00"),
        credit_limit=Decimal("500.00"),
    )
    before = db_state()

    refused = api_client.post(URL, payload(card, amount="-500.01"), format="json")

    assert refused.status_code == 400
    assert "credit limit" in refused.json()["amount"][0]
    assert db_state() == before
    assert api_client.post(URL, payload(card, amount="-500.00"), format="json").status_code == 201
    assert balance(card) == Decimal("-500.00")


def test_archived_account_is_refused(api_client, user):
    archived = BankAccountFactory(user=user, is_archived=True)
    before = db_state()

    response = api_client.post(URL, payload(archived), format="json")

    assert response.status_code == 400
    assert "archived" in response.json()["account"][0]
    assert db_state() == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"account": ...}, "account"),
        ({"amount": ...}, "amount"),
        ({"txn_date": ...}, "txn_date"),
        ({"account": None}, "account"),
        ({"account": "abc"}, "account"),
        ({"account": True}, "account"),
        ({"account": 10**12}, "account"),
        ({"account": 10**20}, "account"),
        ({"account": [1]}, "account"),
        ({"amount": "0"}, "amount"),
        ({"amount": "0.00"}, "amount"),
        ({"amount": "-0.001"}, "amount"),
        ({"amount": "12.345"}, "amount"),
        ({"amount": 12.345}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": ""}, "amount"),
        ({"amount": None}, "amount"),
        ({"amount": 1e15}, "amount"),
        ({"amount": "-1000000000000.00"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": "-Infinity"}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": {"value": "-12.50"}}, "amount"),
        ({"amount": ["-12.50"]}, "amount"),
        ({"kind": "income"}, "amount"),
        ({"kind": "transfer"}, "kind"),
        ({"kind": "refund"}, "kind"),
        ({"category": "no-such-category"}, "category"),
        ({"category": 3}, "category"),
        ({"txn_date": "notadate"}, "txn_date"),
        ({"txn_date": "2025-02-30"}, "txn_date"),
        ({"txn_date": "01/03/2025"}, "txn_date"),
        ({"txn_date": 20250301}, "txn_date"),
        ({"txn_date": "0001-01-01"}, "txn_date"),
        ({"txn_date": "1899-12-31"}, "txn_date"),
        ({"txn_date": "9999-12-31"}, "txn_date"),
        ({"posted_date": "2025-02-28"}, "posted_date"),
        ({"posted_date": "0001-01-01"}, "posted_date"),
        ({"description": {"a": 1}}, "description"),
        ({"description": "x" * 256}, "description"),
        ({"merchant": ["Shop"]}, "merchant"),
        ({"notes": None}, "notes"),
        ({"notes": "x" * 2001}, "notes"),
        ({"account": 1.5}, "account"),
        ({"account": "1.5"}, "account"),
        ({"category": "groc\u0000eries"}, "category"),
        ({"category": "g" * 51}, "category"),
        ({"description": "Weekly\u0000shop"}, "description"),
    ],
)
def test_bad_create_input_is_a_400_and_writes_nothing(api_client, account, overrides, field):
    TransactionFactory(account=account)
    before = db_state()

    response = api_client.post(URL, payload(account, **overrides), format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json(), response.json()
    assert db_state() == before


def test_another_users_account_is_not_found(api_client, account, other_account):
    before = db_state()
    response = api_client.post(URL, payload(other_account), format="json")
    assert response.status_code == 400
    assert response.json() == {"account": ["Account not found."]}
    assert db_state() == before


def test_another_users_category_is_not_found(api_client, account, other_user):
    CategoryFactory(user=other_user, slug="their-hobby")
    before = db_state()
    response = api_client.post(URL, payload(account, category="their-hobby"), format="json")
    assert response.status_code == 400
    assert "not found" in response.json()["category"][0]
    assert db_state() == before


def test_a_non_json_body_is_a_400(api_client, account):
    response = api_client.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert Transaction.objects.count() == 0


def test_a_10_mb_body_is_refused_with_413_before_parsing(api_client, account):
    body = json.dumps(payload(account, notes="x" * (10 * 1024 * 1024)))

    response = api_client.post(URL, body, content_type="application/json")

    assert response.status_code == 413
    assert "too large" in response.json()["detail"]
    assert Transaction.objects.count() == 0
    assert balance(account) == Decimal("1000.00")


# --- Dates out of range ---------------------------------------------------------------


def test_booking_dates_are_limited_to_1900_through_366_days_after_the_users_today(user, account):
    # 23:30 UTC on 30 June is already 1 July in Auckland: the limit follows the customer's day.
    user.time_zone = "Pacific/Auckland"
    user.save()
    with time_machine.travel(
        datetime.datetime(2025, 6, 30, 23, 30, tzinfo=datetime.UTC), tick=False
    ):
        client = client_for(user)
        latest = datetime.date(2025, 7, 1) + datetime.timedelta(days=366)
        for ok in ("1900-01-01", latest.isoformat()):
            response = client.post(URL, payload(account, txn_date=ok), format="json")
            assert response.status_code == 201, (ok, response.json())
        before = db_state()
        too_late = client.post(
            URL,
            payload(account, txn_date=(latest + datetime.timedelta(days=1)).isoformat()),
            format="json",
        )
        assert too_late.status_code == 400
        assert latest.isoformat() in too_late.json()["txn_date"][0]
        assert db_state() == before


# --- Retrieve, update, delete ---------------------------------------------------------


def test_retrieve_own_transaction(api_client, account):
    txn = TransactionFactory(account=account, amount=Decimal("-7.25"))
    response = api_client.get(detail(txn.pk))
    assert response.status_code == 200
    assert response.json()["amount"] == "-7.25"
    assert response.json()["category"] == "groceries"
    assert response.json()["account"] == account.pk


def test_patch_amount_moves_the_balance_by_the_difference(api_client, account):
    txn = TransactionFactory(account=account, amount=Decimal("-25.00"))

    response = api_client.patch(detail(txn.pk), {"amount": "-40.00"}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["amount"] == "-40.00"
    assert balance(account) == Decimal("960.00")
    assert ledger_differences() == []


def test_patch_text_fields_and_category(api_client, account):
    txn = TransactionFactory(account=account)
    response = api_client.patch(
        detail(txn.pk),
        {"description": "Lunch", "merchant": "Cafe", "category": "dining", "notes": "team"},
        format="json",
    )
    assert response.status_code == 200
    txn.refresh_from_db()
    assert (txn.description, txn.merchant, txn.category.slug, txn.notes) == (
        "Lunch",
        "Cafe",
        "dining",
        "team",
    )
    assert balance(account) == Decimal("975.00")


def test_patch_flipping_the_sign_changes_the_kind(api_client, account):
    txn = TransactionFactory(account=account, amount=Decimal("-25.00"))
    response = api_client.patch(detail(txn.pk), {"amount": "25.00"}, format="json")
    assert response.status_code == 200
    assert response.json()["kind"] == "income"
    assert balance(account) == Decimal("1025.00")


def test_put_replaces_the_transaction(api_client, user, account):
    savings = BankAccountFactory(user=user, account_type=BankAccount.Type.SAVINGS)
    txn = TransactionFactory(account=account, amount=Decimal("-25.00"))

    response = api_client.put(
        detail(txn.pk),
        payload(savings, amount="-30.00", txn_date="2025-04-02", category="shopping"),
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["account"] == savings.pk
    assert balance(account) == Decimal("1000.00")
    assert balance(savings) == Decimal("970.00")
    assert ledger_differences() == []


def test_put_without_required_fields_is_a_400(api_client, account):
    txn = TransactionFactory(account=account)
    before = db_state()
    response = api_client.put(detail(txn.pk), {"description": "only this"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) >= {"account", "amount", "txn_date"}
    assert db_state() == before


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": "1.001"}, "amount"),
        ({"amount": 1e15}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": False}, "amount"),
        ({"amount": {"x": 1}}, "amount"),
        ({"kind": "income"}, "amount"),
        ({"kind": "transfer"}, "kind"),
        ({"category": "no-such-category"}, "category"),
        ({"account": "junk"}, "account"),
        ({"txn_date": "0001-01-01"}, "txn_date"),
        ({"txn_date": "2025-13-01"}, "txn_date"),
        ({"posted_date": "2025-03-01"}, "posted_date"),
        ({"amount": "-1000.01"}, "amount"),
    ],
)
def test_bad_update_input_is_a_400_and_changes_nothing(api_client, account, data, field):
    txn = TransactionFactory(
        account=account, amount=Decimal("-25.00"), txn_date=datetime.date(2025, 3, 14)
    )
    before = db_state()

    response = api_client.patch(detail(txn.pk), data, format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json(), response.json()
    assert db_state() == before


def test_update_cannot_move_to_another_users_account_or_category(
    api_client, account, other_account, other_user
):
    txn = TransactionFactory(account=account)
    CategoryFactory(user=other_user, slug="their-hobby")
    before = db_state()

    moved = api_client.patch(detail(txn.pk), {"account": other_account.pk}, format="json")
    recategorised = api_client.patch(detail(txn.pk), {"category": "their-hobby"}, format="json")

    assert moved.status_code == 400 and moved.json() == {"account": ["Account not found."]}
    assert recategorised.status_code == 400
    assert db_state() == before


def test_delete_restores_the_balance(api_client, account):
    txn = TransactionFactory(account=account, amount=Decimal("-25.00"))
    response = api_client.delete(detail(txn.pk))
    assert response.status_code == 204
    assert not Transaction.objects.exists()
    assert balance(account) == Decimal("1000.00")


# --- Ownership and authentication -----------------------------------------------------


@pytest.mark.parametrize("method", ["get", "patch", "put", "delete"])
def test_another_users_transaction_is_404_and_unchanged(api_client, other_account, method):
    theirs = TransactionFactory(account=other_account)
    before = db_state()

    data = None if method == "get" else payload(other_account, amount="-1.00")
    response = getattr(api_client, method)(detail(theirs.pk), data, format="json")

    assert response.status_code == 404
    assert db_state() == before


def test_an_unknown_id_is_404(api_client, account):
    assert api_client.get(detail(987654)).status_code == 404
    assert api_client.get(f"{URL}abc/").status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", URL),
        ("post", URL),
        ("get", "{detail}"),
        ("put", "{detail}"),
        ("patch", "{detail}"),
        ("delete", "{detail}"),
        ("post", f"{URL}transfer/"),
    ],
)
def test_anonymous_is_401_on_every_route(anon_client, account, method, path):
    txn = TransactionFactory(account=account)
    before = db_state()

    data = None if method == "get" else payload(account)
    response = getattr(anon_client, method)(path.format(detail=detail(txn.pk)), data, format="json")

    assert response.status_code == 401
    assert db_state() == before


# --- List -----------------------------------------------------------------------------


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def test_list_is_paginated_newest_first_and_only_mine(api_client, account, other_account):
    old = TransactionFactory(account=account, txn_date=datetime.date(2025, 1, 5))
    new = TransactionFactory(account=account, txn_date=datetime.date(2025, 2, 5))
    same_day = TransactionFactory(account=account, txn_date=datetime.date(2025, 2, 5))
    TransactionFactory(account=other_account)

    response = api_client.get(URL)

    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3
    assert ids(response) == [same_day.pk, new.pk, old.pk]


def test_list_pagination_limit_offset_and_skip(api_client, account):
    rows = [
        TransactionFactory(account=account, txn_date=datetime.date(2025, 1, day))
        for day in range(1, 6)
    ]
    newest_first = [row.pk for row in reversed(rows)]

    page = api_client.get(URL, {"limit": 2, "offset": 2})
    skipped = api_client.get(URL, {"limit": 2, "skip": 2})

    assert ids(page) == newest_first[2:4]
    assert ids(skipped) == newest_first[2:4]
    assert page.json()["count"] == 5
    assert page.json()["next"] and page.json()["previous"]


def test_list_filters(api_client, user, account):
    savings = BankAccountFactory(user=user, account_type=BankAccount.Type.SAVINGS)
    CategoryFactory(user=user, slug="pets", name="Pets")
    groceries = TransactionFactory(
        account=account,
        amount=Decimal("-40.00"),
        txn_date=datetime.date(2025, 1, 10),
        merchant="Green Grocer",
        description="Weekly shop",
    )
    dinner = TransactionFactory(
        account=account,
        amount=Decimal("-80.00"),
        txn_date=datetime.date(2025, 2, 10),
        merchant="Trattoria Roma",
        description="Birthday dinner",
        category=default_category("dining"),
    )
    salary = TransactionFactory(
        account=savings,
        amount=Decimal("2000.00"),
        txn_date=datetime.date(2025, 2, 28),
        merchant="ACME Ltd",
        description="Salary",
        category=None,
        notes="February pay",
    )
    vet = TransactionFactory(
        account=savings,
        amount=Decimal("-120.00"),
        txn_date=datetime.date(2025, 3, 5),
        merchant="Vet clinic",
        category=Category.objects.get(slug="pets", user=user),
    )

    def listed(**params):
        return sorted(ids(api_client.get(URL, params)))

    assert listed(account=savings.pk) == sorted([salary.pk, vet.pk])
    assert listed(date_from="2025-02-10") == sorted([dinner.pk, salary.pk, vet.pk])
    assert listed(date_to="2025-02-10") == sorted([groceries.pk, dinner.pk])
    assert listed(start_date="2025-02-01", end_date="2025-02-28") == sorted([dinner.pk, salary.pk])
    assert listed(amount_min="-80.00", amount_max="-0.01") == sorted([groceries.pk, dinner.pk])
    assert listed(amount_min="0") == [salary.pk]
    assert listed(merchant="grocer") == [groceries.pk]
    assert listed(category="dining") == [dinner.pk]
    assert listed(category="pets") == [vet.pk]
    assert listed(categories="groceries, dining") == sorted([groceries.pk, dinner.pk])
    assert listed(kind="income") == [salary.pk]
    assert listed(kind="expense", account=account.pk) == sorted([groceries.pk, dinner.pk])
    assert listed(q="birthday") == [dinner.pk]
    assert listed(q="february") == [salary.pk]
    assert listed(q="weekly GREEN") == [groceries.pk]
    assert listed(q="weekly roma") == []


def test_list_ordering(api_client, account):
    a = TransactionFactory(account=account, amount=Decimal("-5.00"), merchant="Bakery")
    b = TransactionFactory(account=account, amount=Decimal("-50.00"), merchant="Alpha")
    c = TransactionFactory(account=account, amount=Decimal("-20.00"), merchant="Alpha")

    assert ids(api_client.get(URL, {"ordering": "amount"})) == [b.pk, c.pk, a.pk]
    assert ids(api_client.get(URL, {"ordering": "-amount"})) == [a.pk, c.pk, b.pk]
    # Ties are broken by id, newest first, so pages never overlap.
    assert ids(api_client.get(URL, {"ordering": "merchant"})) == [c.pk, b.pk, a.pk]
    assert ids(api_client.get(URL, {"ordering": "merchant,amount"})) == [b.pk, c.pk, a.pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date_from": "notadate"}, "date_from"),
        ({"date_to": "2025-02-30"}, "date_to"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "31/01/2025"}, "end_date"),
        ({"amount_min": "abc"}, "amount_min"),
        ({"amount_max": "NaN"}, "amount_max"),
        ({"amount_max": "1e400"}, "amount_max"),
        ({"account": "junk"}, "account"),
        ({"account": "{their_account}"}, "account"),
        ({"account": "99999999"}, "account"),
        ({"account": str(10**20)}, "account"),
        ({"kind": "bogus"}, "kind"),
        ({"category": "no-such-category"}, "category"),
        ({"categories": "groceries,no-such-category"}, "categories"),
        ({"category": "their-hobby"}, "category"),
        ({"ordering": "password"}, "ordering"),
        ({"ordering": "amount,bogus"}, "ordering"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": "-5"}, "offset"),
        ({"skip": "x"}, "skip"),
    ],
)
def test_malformed_filters_are_a_400_naming_the_parameter(
    api_client, account, other_account, other_user, params, field
):
    CategoryFactory(user=other_user, slug="their-hobby")
    TransactionFactory(account=account)
    params = {key: value.format(their_account=other_account.pk) for key, value in params.items()}

    response = api_client.get(URL, params)

    assert response.status_code == 400, response.json()
    assert list(response.json()) == [field]


def test_a_limit_above_the_maximum_is_capped(api_client, account):
    TransactionFactory(account=account)
    response = api_client.get(URL, {"limit": "100000"})
    assert response.status_code == 200
    assert response.json()["count"] == 1


def make_rows(account, count):
    for day in range(count):
        TransactionFactory(
            account=account,
            amount=Decimal("-1.00"),
            txn_date=datetime.date(2025, 1, 1) + datetime.timedelta(days=day),
        )


@pytest.mark.parametrize("rows", [1, 20])
def test_list_query_count_does_not_grow_with_rows(
    api_client, user, account, django_assert_num_queries, rows
):
    card = BankAccountFactory(user=user, account_type=BankAccount.Type.CREDIT_CARD)
    make_rows(account, rows)
    make_rows(card, rows)

    # JWT user, count, page.
    with django_assert_num_queries(3):
        response = api_client.get(URL)
    assert len(response.json()["results"]) == 2 * rows

    # The account and category filters each validate their value with one query.
    with django_assert_num_queries(5):
        response = api_client.get(URL, {"account": account.pk, "categories": "groceries,dining"})
    assert len(response.json()["results"]) == rows


def test_transfer_legs_appear_in_the_list_linked(api_client, user, account):
    savings = BankAccountFactory(user=user, account_type=BankAccount.Type.SAVINGS)
    result = transfer_create(
        user=user,
        from_account=account,
        to_account=savings,
        amount=Decimal("100.00"),
        txn_date=datetime.date(2025, 3, 1),
    )

    response = api_client.get(URL, {"kind": "transfer"})

    rows = {row["id"]: row for row in response.json()["results"]}
    assert set(rows) == {result.outgoing.pk, result.incoming.pk}
    assert rows[result.outgoing.pk]["counterpart"] == result.incoming.pk
    assert rows[result.incoming.pk]["counterpart"] == result.outgoing.pk
    assert rows[result.outgoing.pk]["transfer_id"] == str(result.outgoing.transfer_id)
    assert rows[result.outgoing.pk]["category"] == "transfers"


# --- Schema ---------------------------------------------------------------------------


def test_schema_documents_filters_aliases_and_the_transfer_shape(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()

    list_op = schema["paths"]["/api/v1/transactions/"]["get"]
    names = {parameter["name"] for parameter in list_op["parameters"]}
    assert names >= {
        "account",
        "date_from",
        "date_to",
        "start_date",
        "end_date",
        "amount_min",
        "amount_max",
        "merchant",
        "category",
        "categories",
        "kind",
        "q",
        "ordering",
        "limit",
        "offset",
        "skip",
    }
    transfer = schema["paths"]["/api/v1/transactions/transfer/"]["post"]
    request_ref = transfer["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    response_ref = transfer["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    components = schema["components"]["schemas"]
    assert set(components[request_ref.rsplit("/", 1)[1]]["properties"]) >= {
        "from_account",
        "to_account",
        "amount",
        "amount_received",
        "txn_date",
    }
    assert set(components[response_ref.rsplit("/", 1)[1]]["properties"]) == {
        "outgoing",
        "incoming",
    }
