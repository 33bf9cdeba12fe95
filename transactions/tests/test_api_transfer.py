"""POST /api/v1/transactions/transfer/ and what happens to transfer legs afterwards."""

import datetime
from decimal import Decimal

import pytest

from accounts.models import BankAccount
from accounts.tests.factories import BankAccountFactory
from transactions.models import Transaction
from transactions.services import ledger_differences

URL = "/api/v1/transactions/transfer/"
TXN_URL = "/api/v1/transactions/"

pytestmark = pytest.mark.django_db


def db_state():
    return (
        list(Transaction.objects.order_by("pk").values()),
        dict(BankAccount.objects.values_list("pk", "balance")),
    )


def balance(account) -> Decimal:
    account.refresh_from_db()
    return account.balance


@pytest.fixture
def checking(user):
    return BankAccountFactory(user=user, name="Checking", opening_balance=Decimal("1000.00"))


@pytest.fixture
def savings(user):
    return BankAccountFactory(
        user=user,
        name="Savings",
        account_type=BankAccount.Type.SAVINGS,
        opening_balance=Decimal("200.00"),
    )


@pytest.fixture
def dollars(user):
    return BankAccountFactory(
        user=user, name="Dollars", currency="USD", opening_balance=Decimal("0.00")
    )


def transfer_payload(source, target, /, **overrides):
    data = {
        "from_account": source.pk,
        "to_account": target.pk,
        "amount": "250.00",
        "txn_date": "2025-03-10",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not ...}


def test_same_currency_transfer_moves_both_balances_as_two_linked_legs(
    api_client, checking, savings
):
    response = api_client.post(
        URL,
        transfer_payload(checking, savings, description="Rainy day", notes="monthly"),
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    outgoing, incoming = body["outgoing"], body["incoming"]
    assert (outgoing["account"], outgoing["amount"], outgoing["kind"]) == (
        checking.pk,
        "-250.00",
        "transfer",
    )
    assert (incoming["account"], incoming["amount"], incoming["kind"]) == (
        savings.pk,
        "250.00",
        "transfer",
    )
    assert outgoing["transfer_id"] == incoming["transfer_id"] is not None
    assert outgoing["counterpart"] == incoming["id"]
    assert incoming["counterpart"] == outgoing["id"]
    assert outgoing["category"] == incoming["category"] == "transfers"
    assert outgoing["description"] == incoming["description"] == "Rainy day"
    assert outgoing["txn_date"] == incoming["txn_date"] == "2025-03-10"

    out_row = Transaction.objects.get(pk=outgoing["id"])
    in_row = Transaction.objects.get(pk=incoming["id"])
    assert out_row.counterpart_id == in_row.pk and in_row.counterpart_id == out_row.pk
    assert out_row.transfer_id == in_row.transfer_id
    assert balance(checking) == Decimal("750.00")
    assert balance(savings) == Decimal("450.00")
    assert ledger_differences() == []


def test_default_descriptions_name_the_other_account(api_client, checking, savings):
    body = api_client.post(URL, transfer_payload(checking, savings), format="json").json()
    assert body["outgoing"]["description"] == "Transfer to Savings"
    assert body["incoming"]["description"] == "Transfer from Checking"


def test_same_currency_accepts_an_equal_amount_received(api_client, checking, savings):
    response = api_client.post(
        URL, transfer_payload(checking, savings, amount_received="250.00"), format="json"
    )
    assert response.status_code == 201
    assert balance(savings) == Decimal("450.00")


def test_same_currency_refuses_a_different_amount_received(api_client, checking, savings):
    before = db_state()
    response = api_client.post(
        URL, transfer_payload(checking, savings, amount_received="240.00"), format="json"
    )
    assert response.status_code == 400
    assert "amount_received" in response.json()
    assert db_state() == before


def test_cross_currency_transfer_requires_the_amount_received(api_client, checking, dollars):
    before = db_state()

    missing = api_client.post(URL, transfer_payload(checking, dollars), format="json")

    assert missing.status_code == 400
    assert "USD" in missing.json()["amount_received"][0]
    assert db_state() == before

    response = api_client.post(
        URL, transfer_payload(checking, dollars, amount_received="270.13"), format="json"
    )

    assert response.status_code == 201, response.json()
    assert response.json()["outgoing"]["currency"] == "EUR"
    assert response.json()["incoming"]["currency"] == "USD"
    assert response.json()["incoming"]["amount"] == "270.13"
    assert balance(checking) == Decimal("750.00")
    assert balance(dollars) == Decimal("270.13")
    assert ledger_differences() == []


def test_transfer_to_the_same_account_is_refused(api_client, checking):
    before = db_state()
    response = api_client.post(URL, transfer_payload(checking, checking), format="json")
    assert response.status_code == 400
    assert "to_account" in response.json()
    assert db_state() == before


@pytest.mark.parametrize("side", ["from_account", "to_account"])
def test_another_users_account_is_refused_and_nothing_written(
    api_client, checking, other_user, side
):
    theirs = BankAccountFactory(user=other_user, opening_balance=Decimal("500.00"))
    before = db_state()

    response = api_client.post(
        URL, transfer_payload(checking, checking, **{side: theirs.pk}), format="json"
    )

    assert response.status_code == 400
    assert response.json()[side] == ["Account not found."]
    assert db_state() == before
    assert balance(theirs) == Decimal("500.00")


def test_insufficient_funds_is_refused_and_nothing_written(api_client, checking, savings):
    before = db_state()

    response = api_client.post(
        URL, transfer_payload(savings, checking, amount="200.01"), format="json"
    )

    assert response.status_code == 400
    assert "Insufficient funds" in response.json()["amount"][0]
    assert db_state() == before
    assert balance(savings) == Decimal("200.00")
    assert balance(checking) == Decimal("1000.00")
    assert not Transaction.objects.exists()


def test_archived_account_is_refused(api_client, checking, user):
    archived = BankAccountFactory(user=user, is_archived=True)
    before = db_state()
    response = api_client.post(URL, transfer_payload(checking, archived), format="json")
    assert response.status_code == 400
    assert "archived" in response.json()["to_account"][0]
    assert db_state() == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"from_account": ...}, "from_account"),
        ({"to_account": ...}, "to_account"),
        ({"amount": ...}, "amount"),
        ({"txn_date": ...}, "txn_date"),
        ({"from_account": "abc"}, "from_account"),
        ({"to_account": None}, "to_account"),
        ({"amount": "0"}, "amount"),
        ({"amount": "-10.00"}, "amount"),
        ({"amount": "10.001"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": 1e15}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": {"value": 10}}, "amount"),
        ({"amount_received": "-250.00"}, "amount_received"),
        ({"amount_received": "abc"}, "amount_received"),
        ({"txn_date": "notadate"}, "txn_date"),
        ({"txn_date": "0001-01-01"}, "txn_date"),
        ({"txn_date": "9999-12-31"}, "txn_date"),
        ({"posted_date": "2025-03-09"}, "posted_date"),
        ({"description": "x" * 256}, "description"),
        ({"notes": ["a"]}, "notes"),
    ],
)
def test_bad_transfer_input_is_a_400_and_writes_nothing(
    api_client, checking, savings, overrides, field
):
    before = db_state()

    response = api_client.post(URL, transfer_payload(checking, savings, **overrides), format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json(), response.json()
    assert db_state() == before


def test_anonymous_transfer_is_401(anon_client, checking, savings):
    response = anon_client.post(URL, transfer_payload(checking, savings), format="json")
    assert response.status_code == 401
    assert not Transaction.objects.exists()


def make_transfer(client, source, target, **overrides):
    response = client.post(URL, transfer_payload(source, target, **overrides), format="json")
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.mark.parametrize("leg", ["outgoing", "incoming"])
def test_deleting_one_leg_deletes_both_and_restores_both_balances(
    api_client, checking, savings, leg
):
    body = make_transfer(api_client, checking, savings)

    response = api_client.delete(f"{TXN_URL}{body[leg]['id']}/")

    assert response.status_code == 204
    assert not Transaction.objects.exists()
    assert balance(checking) == Decimal("1000.00")
    assert balance(savings) == Decimal("200.00")
    assert ledger_differences() == []


def test_deleting_a_cross_currency_transfer_restores_both_balances(api_client, checking, dollars):
    body = make_transfer(api_client, checking, dollars, amount_received="270.13")
    assert api_client.delete(f"{TXN_URL}{body['incoming']['id']}/").status_code == 204
    assert balance(checking) == Decimal("1000.00")
    assert balance(dollars) == Decimal("0.00")


def test_a_transfer_leg_text_and_date_can_be_edited(api_client, checking, savings):
    body = make_transfer(api_client, checking, savings)
    outgoing_id, incoming_id = body["outgoing"]["id"], body["incoming"]["id"]

    response = api_client.patch(
        f"{TXN_URL}{outgoing_id}/",
        {"description": "Savings top-up", "txn_date": "2025-03-12"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["description"] == "Savings top-up"
    # Both legs of one transfer stay on the same day.
    assert Transaction.objects.get(pk=incoming_id).txn_date == datetime.date(2025, 3, 12)
    assert balance(checking) == Decimal("750.00")


@pytest.mark.parametrize(
    "data",
    [
        {"amount": "-100.00"},
        {"category": "groceries"},
        {"kind": "expense"},
        {"account": "{savings}"},
    ],
)
def test_a_transfer_legs_money_fields_cannot_change(api_client, checking, savings, data):
    body = make_transfer(api_client, checking, savings)
    data = {key: value.format(savings=savings.pk) for key, value in data.items()}
    before = db_state()

    response = api_client.patch(f"{TXN_URL}{body['outgoing']['id']}/", data, format="json")

    assert response.status_code == 400, response.json()
    assert db_state() == before


def test_another_users_transfer_leg_is_404(api_client, other_client, other_user):
    mine = BankAccountFactory(user=other_user)
    also_mine = BankAccountFactory(user=other_user)
    body = make_transfer(other_client, mine, also_mine)
    before = db_state()

    for leg in ("outgoing", "incoming"):
        url = f"{TXN_URL}{body[leg]['id']}/"
        assert api_client.get(url).status_code == 404
        assert api_client.delete(url).status_code == 404
        assert api_client.patch(url, {"description": "mine now"}, format="json").status_code == 404
    assert db_state() == before
