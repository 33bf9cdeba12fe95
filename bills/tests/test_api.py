"""/api/v1/bills/: CRUD, filters, pay and send-reminder; ownership, bad input, query counts."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail

from accounts.models import BankAccount
from accounts.tests.factories import BankAccountFactory, UserFactory
from alerts.models import AlertSubscription, Notification
from bills.models import Bill
from bills.services import BILL_REMINDER_MIN_INTERVAL, bill_pay
from bills.tests.conftest import TODAY
from bills.tests.factories import BillFactory, bill_with_account
from rewards.tests.factories import BillRuleFactory
from smartbank.testing import database_snapshot
from transactions.models import Transaction
from transactions.tests.factories import CategoryFactory

URL = "/api/v1/bills/"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_time")]

D = datetime.date


def detail(pk, action: str = "") -> str:
    return f"{URL}{pk}/{action + '/' if action else ''}"


@pytest.fixture
def account(user):
    return BankAccountFactory(user=user)


@pytest.fixture
def bill(account):
    return BillFactory(account=account)


def payload(bank_account, /, **overrides):
    account = bank_account
    data = {
        "biller": "Water Co",
        "amount_due": "45.50",
        "due_date": "2025-03-31",
        "recurrence": "monthly",
        "autopay": True,
        "account": account.pk,
        "category": "utilities",
        "notice_days": 5,
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not ...}


# --- Create ---------------------------------------------------------------------------


def test_create_returns_the_bill_with_its_status(api_client, account):
    response = api_client.post(URL, payload(account), format="json")

    assert response.status_code == 201, response.json()
    bill = Bill.objects.get()
    assert response.json() == {
        "id": bill.pk,
        "biller": "Water Co",
        "amount_due": "45.50",
        "currency": "EUR",
        "due_date": "2025-03-31",
        "recurrence": "monthly",
        "autopay": True,
        "account": account.pk,
        "category": "utilities",
        "notice_days": 5,
        "status": "upcoming",
        "remind_on": "2025-03-26",
        "paid_transaction": None,
        "previous": None,
        "next_occurrence": None,
        "created_at": response.json()["created_at"],
        "updated_at": response.json()["updated_at"],
    }
    assert bill.user == account.user


def test_create_with_the_least_takes_the_defaults(api_client, user):
    response = api_client.post(
        URL, {"biller": "Gym", "amount_due": "30.00", "due_date": "2025-03-06"}, format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["currency"], body["recurrence"], body["notice_days"]) == ("EUR", "none", 3)
    assert (body["autopay"], body["account"], body["category"], body["status"]) == (
        False,
        None,
        None,
        "due",
    )


def _bad_payloads(account):
    usd = BankAccountFactory(user=account.user, currency="USD")
    strangers_account = BankAccountFactory()
    strangers_category = CategoryFactory(user=UserFactory())
    return [
        ({"biller": ""}, "biller"),
        ({"biller": "x" * 101}, "biller"),
        ({"biller": ...}, "biller"),
        ({"amount_due": "0.00"}, "amount_due"),
        ({"amount_due": "-1.00"}, "amount_due"),
        ({"amount_due": "12.345"}, "amount_due"),
        ({"amount_due": "1e400"}, "amount_due"),
        ({"amount_due": "NaN"}, "amount_due"),
        ({"amount_due": "1000000000000.00"}, "amount_due"),
        ({"currency": "ZZZ"}, "currency"),
        ({"due_date": "31/03/2025"}, "due_date"),
        ({"due_date": "1899-12-31"}, "due_date"),
        ({"due_date": "2030-01-01"}, "due_date"),
        ({"recurrence": "daily"}, "recurrence"),
        ({"notice_days": 61}, "notice_days"),
        ({"notice_days": -1}, "notice_days"),
        ({"notice_days": "soon"}, "notice_days"),
        ({"account": strangers_account.pk}, "account"),
        ({"account": 1.5}, "account"),
        ({"account": usd.pk, "currency": "EUR"}, "account"),
        ({"account": None}, "account"),  # autopay without an account
        ({"category": strangers_category.slug}, "category"),
        ({"category": "transfers"}, "category"),
        ({"autopay": "maybe"}, "autopay"),
    ]


def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(api_client, account):
    for overrides, field in _bad_payloads(account):
        before = database_snapshot()
        response = api_client.post(URL, payload(account, **overrides), format="json")
        assert response.status_code == 400, (overrides, response.json())
        assert field in response.json(), (overrides, response.json())
        assert database_snapshot() == before


def test_a_body_that_is_not_an_object_is_a_400(api_client):
    response = api_client.post(URL, ["biller"], format="json")
    assert response.status_code == 400


# --- List, filters, retrieve ------------------------------------------------------------


def test_list_shows_only_mine_soonest_first_with_status(api_client, user, other_user):
    account = BankAccountFactory(user=user)
    later = BillFactory(account=account, due_date=D(2025, 4, 1))
    overdue = BillFactory(user=user, due_date=D(2025, 3, 1))
    due = BillFactory(user=user, due_date=D(2025, 3, 7))
    BillFactory(user=other_user)

    response = api_client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [(row["id"], row["status"]) for row in body["results"]] == [
        (overdue.pk, "overdue"),
        (due.pk, "due"),
        (later.pk, "upcoming"),
    ]


def test_the_next_occurrence_is_linked_both_ways(api_client, bill):
    bill_pay(bill=bill, actor=bill.user)
    following = Bill.objects.get(previous=bill)

    rows = {row["id"]: row for row in api_client.get(URL).json()["results"]}

    assert rows[bill.pk]["status"] == "paid"
    assert rows[bill.pk]["next_occurrence"] == following.pk
    assert rows[bill.pk]["paid_transaction"] == Transaction.objects.get().pk
    assert rows[following.pk]["previous"] == bill.pk
    assert rows[following.pk]["next_occurrence"] is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "overdue"}, ["overdue"]),
        ({"status": "due"}, ["due"]),
        ({"status": "upcoming"}, ["later", "autopaid"]),
        ({"status": "paid"}, ["paid"]),
        ({"due_before": "2025-03-07"}, ["paid", "overdue", "due"]),
        ({"due_after": "2025-03-07"}, ["due", "later", "autopaid"]),
        ({"due_after": "2025-03-02", "due_before": "2025-03-20"}, ["due", "later"]),
        ({"autopay": "true"}, ["autopaid"]),
        ({"autopay": "false", "status": "upcoming"}, ["later"]),
    ],
)
def test_filters(api_client, user, query, expected):
    account = BankAccountFactory(user=user)
    bills = {
        "paid": BillFactory(account=account, due_date=D(2025, 2, 28), recurrence="none"),
        "overdue": BillFactory(user=user, due_date=D(2025, 3, 1)),
        "due": BillFactory(user=user, due_date=D(2025, 3, 7)),
        "later": BillFactory(user=user, due_date=D(2025, 3, 20)),
        "autopaid": BillFactory(account=account, autopay=True, due_date=D(2025, 4, 20)),
    }
    bill_pay(bill=bills["paid"], actor=user)
    names = {bill.pk: name for name, bill in bills.items()}

    response = api_client.get(URL, query)

    assert response.status_code == 200, response.json()
    assert [names[row["id"]] for row in response.json()["results"]] == expected


@pytest.mark.parametrize(
    "query",
    [
        {"status": "late"},
        {"due_before": "yesterday"},
        {"due_after": "2025-02-30"},
        {"autopay": "maybe"},
        {"limit": "-1"},
    ],
)
def test_a_malformed_filter_is_a_400_naming_it(api_client, query):
    response = api_client.get(URL, query)
    assert response.status_code == 400
    assert set(query) <= set(response.json())


def test_list_queries_are_fixed_whatever_the_number_of_bills(
    api_client, user, django_assert_num_queries
):
    account = BankAccountFactory(user=user, opening_balance=Decimal("10000.00"))
    for day in range(1, 21):
        bill = BillFactory(
            account=account, due_date=D(2025, 3, day), category=CategoryFactory(user=user)
        )
        if day % 2:
            bill_pay(bill=bill, actor=user)

    # The user (JWT), the count, the page with category and next occurrence joined.
    with django_assert_num_queries(3):
        response = api_client.get(URL, {"status": "paid"})
    assert response.json()["count"] == 10
    with django_assert_num_queries(3):
        assert api_client.get(URL).json()["count"] == 30


def test_retrieve(api_client, bill):
    response = api_client.get(detail(bill.pk))
    assert response.status_code == 200
    assert response.json()["biller"] == "City Power"
    assert response.json()["status"] == "upcoming"


# --- Update and delete ----------------------------------------------------------------


def test_patch_changes_only_what_is_sent(api_client, bill):
    response = api_client.patch(detail(bill.pk), {"notice_days": 7}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["notice_days"] == 7
    assert response.json()["status"] == "due"  # 03-10 - 7 days <= 03-05
    bill.refresh_from_db()
    assert (bill.notice_days, bill.biller, bill.account_id) == (7, "City Power", bill.account_id)


def test_put_replaces_the_bill(api_client, bill, account):
    response = api_client.put(
        detail(bill.pk),
        {"biller": "Power Co", "amount_due": "70.00", "due_date": "2025-03-31"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    bill.refresh_from_db()
    assert (bill.biller, bill.amount_due, bill.due_date, bill.anchor_day) == (
        "Power Co",
        Decimal("70.00"),
        D(2025, 3, 31),
        31,
    )
    assert (bill.account, bill.recurrence, bill.notice_days) == (None, "none", 3)


def test_a_paid_bills_amount_cannot_change(api_client, bill):
    bill_pay(bill=bill, actor=bill.user)
    before = database_snapshot()

    response = api_client.patch(detail(bill.pk), {"amount_due": "1.00"}, format="json")

    assert response.status_code == 400
    assert "amount_due" in response.json()
    assert database_snapshot() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount_due": "0"}, "amount_due"),
        ({"autopay": True}, "account"),
        ({"account": "abc"}, "account"),
        ({"currency": "USD"}, "currency"),  # its account is in EUR
        ({"due_date": ""}, "due_date"),
        ({"notice_days": None}, "notice_days"),
    ],
)
def test_bad_edits_are_400s_and_change_nothing(api_client, user, body, field):
    bill = BillFactory(user=user)
    if "currency" in body:
        bill = BillFactory(account=BankAccountFactory(user=user))
    before = database_snapshot()

    response = api_client.patch(detail(bill.pk), body, format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert database_snapshot() == before


def test_delete(api_client, bill):
    assert api_client.delete(detail(bill.pk)).status_code == 204
    assert not Bill.objects.exists()


# --- Pay --------------------------------------------------------------------------------


def test_pay_through_the_api_then_again(api_client, bill, account):
    BillRuleFactory()

    response = api_client.post(detail(bill.pk, "pay"), {}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "paid"
    assert body["next_occurrence"] == Bill.objects.get(previous=bill).pk
    assert BankAccount.objects.get(pk=account.pk).balance == Decimal("940.00")
    before = database_snapshot()

    again = api_client.post(detail(bill.pk, "pay"), {}, format="json")

    assert again.status_code == 400
    assert again.json() == {"detail": "This bill is already paid."}
    assert database_snapshot() == before


def test_pay_from_another_of_my_accounts(api_client, bill, user):
    savings = BankAccountFactory(user=user, name="Savings")
    response = api_client.post(detail(bill.pk, "pay"), {"account": savings.pk}, format="json")
    assert response.status_code == 200, response.json()
    assert Transaction.objects.get().account == savings


@pytest.mark.parametrize("case", ["insufficient", "strangers_account", "no_account", "bad_id"])
def test_a_refused_payment_is_a_400_and_nothing_changes(api_client, user, case):
    poor = BankAccountFactory(user=user, opening_balance=Decimal("10.00"))
    bill = BillFactory(account=poor) if case != "no_account" else BillFactory(user=user)
    body = {
        "insufficient": {},
        "strangers_account": {"account": BankAccountFactory().pk},
        "no_account": {},
        "bad_id": {"account": "first"},
    }[case]
    before = database_snapshot()

    response = api_client.post(detail(bill.pk, "pay"), body, format="json")

    assert response.status_code == 400, response.json()
    # Every refusal names a field of the pay body: the account ("amount" is not in it).
    assert list(response.json()) == ["account"]
    if case == "strangers_account":
        assert response.json() == {"account": ["Account not found."]}
    if case == "insufficient":
        assert "Insufficient funds" in response.json()["account"][0]
    assert database_snapshot() == before


# --- Send reminder --------------------------------------------------------------------


def test_send_reminder_queues_and_sends(api_client, bill, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(detail(bill.pk, "send-reminder"), format="json")

    assert response.status_code == 202, response.json()
    notification = Notification.objects.get()
    assert response.json() == {
        "notifications": [
            {
                "id": notification.pk,
                "channel": "email",
                "recipient": user.email,
                "status": "pending",
            }
        ]
    }
    assert notification.status == Notification.Status.SENT
    assert len(mail.outbox) == 1


def test_send_reminder_of_a_paid_bill_is_a_400(api_client, bill):
    bill_pay(bill=bill, actor=bill.user)
    before = database_snapshot()
    response = api_client.post(detail(bill.pk, "send-reminder"), format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": "This bill is paid: there is nothing to remind of."}
    assert database_snapshot() == before


def test_a_second_reminder_within_ten_minutes_is_a_400_saying_when(
    api_client, bill, user, frozen_time, sms_outbox, django_capture_on_commit_callbacks
):
    assert BILL_REMINDER_MIN_INTERVAL == datetime.timedelta(minutes=10)
    AlertSubscription.objects.create(user=user, alert_type="bill_due_soon", email=True, sms=True)
    user.phone = "+447700900123"
    user.save(update_fields=["phone"])
    other_bill = BillFactory(user=user, biller="Water Co")
    send = lambda pk: api_client.post(detail(pk, "send-reminder"), format="json")  # noqa: E731
    with django_capture_on_commit_callbacks(execute=True):
        assert send(bill.pk).status_code == 202
    assert (len(mail.outbox), len(sms_outbox)) == (1, 1)

    # At once, a second later, and 9 min 59 s later: refused, nothing written or queued.
    for seconds in (0, 1, 598):
        frozen_time.shift(seconds)
        before = database_snapshot()
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            refused = send(bill.pk)
        assert refused.status_code == 400, seconds
        # Sent at 12:00 UTC, 12:00 in London on 2025-03-05 (GMT until the 30th).
        assert refused.json() == {
            "detail": "A reminder of this bill was sent less than 10 minutes ago; you can "
            "send the next one from 12:10 on 2025-03-05 (Europe/London)."
        }
        assert database_snapshot() == before
        assert callbacks == []
    assert (len(mail.outbox), len(sms_outbox)) == (1, 1)

    # Another bill of the same customer has its own interval.
    with django_capture_on_commit_callbacks(execute=True):
        assert send(other_bill.pk).status_code == 202
    # Ten minutes after the first, the next one goes out; then the wait starts again.
    frozen_time.shift(1)
    with django_capture_on_commit_callbacks(execute=True):
        again = send(bill.pk)
    assert again.status_code == 202, again.json()
    assert len(again.json()["notifications"]) == 2
    assert (len(mail.outbox), len(sms_outbox)) == (3, 3)
    frozen_time.shift(datetime.timedelta(minutes=4))
    assert "from 12:20 on" in send(bill.pk).json()["detail"]
    assert Notification.objects.filter(key__startswith=f"bill_reminder:{bill.pk}:").count() == 4


def test_the_interval_is_checked_in_one_indexed_query(
    api_client, bill, user, frozen_time, django_assert_num_queries
):
    api_client.post(detail(bill.pk, "send-reminder"), format="json")
    frozen_time.shift(60)

    with django_assert_num_queries(9) as captured:
        response = api_client.post(detail(bill.pk, "send-reminder"), format="json")

    assert response.status_code == 400
    (interval,) = [q["sql"] for q in captured.captured_queries if "alerts_notification" in q["sql"]]
    assert '"user_id" =' in interval and '"created_at" >' in interval


def test_send_reminder_with_every_channel_off_is_a_400(api_client, bill, user):
    AlertSubscription.objects.create(
        user=user, alert_type="bill_due_soon", in_app=True, email=False, sms=False
    )
    before = database_snapshot()

    response = api_client.post(detail(bill.pk, "send-reminder"), format="json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith(
        "Reminders for bills are turned off in your alert preferences"
    )
    assert database_snapshot() == before
    assert mail.outbox == []


# --- Ownership and authentication ---------------------------------------------------------


ENDPOINTS = [
    ("get", ""),
    ("put", ""),
    ("patch", ""),
    ("delete", ""),
    ("post", "pay"),
    ("post", "send-reminder"),
]


@pytest.mark.parametrize(("method", "action"), ENDPOINTS)
def test_another_customers_bill_is_404_and_unchanged(other_client, bill, method, action):
    before = database_snapshot()
    response = getattr(other_client, method)(
        detail(bill.pk, action),
        {"biller": "Mine now", "amount_due": "1.00", "due_date": "2025-03-10"},
        format="json",
    )
    assert response.status_code == 404
    assert database_snapshot() == before
    assert mail.outbox == []


@pytest.mark.parametrize(("method", "action"), [*ENDPOINTS, ("get", None), ("post", None)])
def test_anonymous_calls_are_401(anon_client, bill, method, action):
    url = URL if action is None else detail(bill.pk, action)
    before = database_snapshot()
    response = getattr(anon_client, method)(url, {}, format="json")
    assert response.status_code == 401
    assert database_snapshot() == before


def test_a_bill_id_that_is_not_a_number_is_404(api_client):
    assert api_client.get(detail("abc")).status_code == 404


def test_pay_with_an_autopay_bill_account(api_client, user):
    bill = bill_with_account(user=user, autopay=True, due_date=TODAY)
    assert api_client.post(detail(bill.pk, "pay"), format="json").status_code == 200
