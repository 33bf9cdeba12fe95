"""The bills pages (Django test client): list, pay, auto-pay, add and edit."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import BankAccount
from accounts.tests.factories import BankAccountFactory
from bills.models import Bill
from bills.tests.conftest import TODAY
from bills.tests.factories import BillFactory, bill_with_account
from smartbank.testing import database_snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_time")]

LIST = reverse("bills-web:list")


def test_anonymous_is_sent_to_login(client):
    bill = BillFactory()
    for url in (
        LIST,
        reverse("bills-web:create"),
        reverse("bills-web:edit", args=[bill.pk]),
        reverse("bills-web:pay", args=[bill.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    before = database_snapshot()
    response = client.post(reverse("bills-web:pay", args=[bill.pk]))
    assert response.status_code == 302
    assert database_snapshot() == before


def test_list_shows_overdue_upcoming_and_paid_with_money_and_balance(web, user):
    overdue = bill_with_account(
        user=user, biller="Water Co", due_date=TODAY - datetime.timedelta(days=3)
    )
    upcoming = BillFactory(
        user=user, biller="Phone Ltd", due_date=TODAY + datetime.timedelta(days=20)
    )
    paid = bill_with_account(user=user, biller="Gym", recurrence="none", due_date=TODAY)
    from bills.services import bill_pay

    bill_pay(bill=paid, actor=None)
    response = web.get(LIST)
    assert response.status_code == 200
    assert [b.pk for b in response.context["overdue"]] == [overdue.pk]
    assert [b.pk for b in response.context["upcoming"]] == [upcoming.pk]
    assert [b.pk for b in response.context["paid"]] == [paid.pk]
    html = response.content.decode()
    assert 'data-money="60.00" data-currency="EUR">60.00 EUR</span>' in html
    # The paid bill's account shows its balance after the payment.
    assert 'data-money="940.00" data-currency="EUR"' in html
    assert "Turn auto-pay on" in html


def test_empty_list_says_what_to_do(web):
    response = web.get(LIST)
    assert response.status_code == 200
    assert "Add a bill</a> to be reminded" in response.content.decode()


def test_pay_takes_the_amount_from_the_account_and_says_the_new_balance(web, user):
    bill = bill_with_account(user=user, biller="City Power", amount_due=Decimal("60.00"))
    response = web.post(reverse("bills-web:pay", args=[bill.pk]), follow=True)
    assert response.redirect_chain == [(LIST, 302)]
    bill.refresh_from_db()
    assert bill.is_paid
    assert bill.paid_transaction.amount == Decimal("-60.00")
    assert BankAccount.objects.get(pk=bill.account_id).balance == Decimal("940.00")
    text = response.content.decode()
    # Amounts carry their raw value for the page script, which writes them in the locale.
    money = '<span data-money="{}" data-currency="EUR">{} EUR</span>'
    assert f"Paid {money.format('60.00', '60.00')} to City Power from" in text
    assert f"Its balance is now {money.format('940.00', '940.00')}." in text
    # The recurring bill's next occurrence is listed as upcoming.
    assert [b.biller for b in response.context["upcoming"]] == ["City Power"]


def test_pay_from_another_account_chosen_on_the_pay_page(web, user):
    bill = BillFactory(user=user)
    account = BankAccountFactory(user=user, opening_balance=Decimal("100.00"))
    assert web.get(reverse("bills-web:pay", args=[bill.pk])).status_code == 200
    response = web.post(reverse("bills-web:pay", args=[bill.pk]), {"account": account.pk})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.balance == Decimal("40.00")


def test_pay_refusals_are_shown_beside_the_account_and_change_nothing(web, user, other_user):
    poor = BankAccountFactory(user=user, opening_balance=Decimal("10.00"))
    bill = BillFactory(user=user, account=poor)
    theirs = BankAccountFactory(user=other_user)
    no_account = BillFactory(user=user, biller="No account")
    cases = [
        (bill, {}, "Insufficient funds"),
        (bill, {"account": theirs.pk}, "Select a valid choice"),
        (no_account, {}, "This field is required."),
        (bill, {"account": "x" * 10_000}, "Select a valid choice"),
    ]
    for target, data, message in cases:
        before = database_snapshot()
        response = web.post(reverse("bills-web:pay", args=[target.pk]), data)
        assert response.status_code == 400, data
        assert message.lower() in response.content.decode().lower()
        assert 'id="id_account_error"' in response.content.decode()
        assert database_snapshot() == before


def test_paying_twice_is_refused(web, user):
    bill = bill_with_account(user=user, recurrence="none")
    assert web.post(reverse("bills-web:pay", args=[bill.pk])).status_code == 302
    before = database_snapshot()
    response = web.post(reverse("bills-web:pay", args=[bill.pk]))
    assert response.status_code == 400
    assert "This bill is paid." in response.content.decode()
    assert database_snapshot() == before


def test_autopay_on_and_off(web, user):
    bill = bill_with_account(user=user)
    url = reverse("bills-web:autopay", args=[bill.pk])
    response = web.post(url, {"autopay": "on"}, follow=True)
    assert f"Auto-pay for {bill.biller} is on." in response.content.decode()
    bill.refresh_from_db()
    assert bill.autopay is True
    web.post(url, {"autopay": "off"})
    bill.refresh_from_db()
    assert bill.autopay is False


def test_autopay_without_an_account_is_refused_beside_the_bill(web, user):
    bill = BillFactory(user=user)
    before = database_snapshot()
    response = web.post(reverse("bills-web:autopay", args=[bill.pk]), {"autopay": "on"})
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="bill-{bill.pk}-error"' in html
    assert "Auto-pay needs an account" in html
    assert (
        web.post(reverse("bills-web:autopay", args=[bill.pk]), {"autopay": "maybe"}).status_code
        == 400
    )
    assert database_snapshot() == before


def test_add_a_bill(web, user):
    account = BankAccountFactory(user=user)
    response = web.post(
        reverse("bills-web:create"),
        {
            "biller": "Broadband",
            "amount_due": "29.99",
            "currency": "",
            "due_date": "2025-03-20",
            "recurrence": "monthly",
            "account": account.pk,
            "autopay": "on",
            "notice_days": "3",
        },
    )
    assert response.status_code == 302
    bill = Bill.objects.get(user=user, biller="Broadband")
    assert (bill.amount_due, bill.currency, bill.autopay, bill.account_id) == (
        Decimal("29.99"),
        "EUR",
        True,
        account.pk,
    )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"amount_due": "-1"}, "amount_due", "greater than or equal to 0.01"),
        ({"amount_due": "1e400"}, "amount_due", "no more than 14 digits"),
        ({"biller": ""}, "biller", "required"),
        ({"biller": "b" * 101}, "biller", "at most 100"),
        ({"due_date": "2025-02-30"}, "due_date", "Enter a valid date"),
        ({"due_date": "2099-01-01"}, "due_date", ""),
        ({"currency": "ZZZ"}, "currency", "not an ISO 4217"),
        ({"currency": "USD"}, "account", "this bill is in USD"),
        ({"autopay": "on", "account": ""}, "account", "Auto-pay needs an account"),
        ({"notice_days": "61"}, "notice_days", "less than or equal to 60"),
        ({"recurrence": "hourly"}, "recurrence", "Select a valid choice"),
        ({"amount_due": "NaN"}, "amount_due", "Enter a number"),
    ],
)
def test_add_refusals_are_beside_the_field_and_write_nothing(web, user, data, field, message):
    account = BankAccountFactory(user=user)
    valid = {
        "biller": "Broadband",
        "amount_due": "29.99",
        "due_date": "2025-03-20",
        "recurrence": "monthly",
        "account": account.pk,
        "notice_days": "3",
    }
    before = database_snapshot()
    response = web.post(reverse("bills-web:create"), {**valid, **data})
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert message in html
    assert database_snapshot() == before


def test_edit_a_bill(web, user):
    bill = bill_with_account(user=user)
    response = web.get(reverse("bills-web:edit", args=[bill.pk]))
    assert response.status_code == 200
    assert 'value="City Power"' in response.content.decode()
    data = {
        "biller": "City Power & Gas",
        "amount_due": "75.50",
        "currency": "EUR",
        "due_date": "2025-03-12",
        "recurrence": "monthly",
        "account": bill.account_id,
        "notice_days": "5",
    }
    response = web.post(reverse("bills-web:edit", args=[bill.pk]), data)
    assert response.status_code == 302
    bill.refresh_from_db()
    assert (bill.biller, bill.amount_due, bill.due_date, bill.notice_days) == (
        "City Power & Gas",
        Decimal("75.50"),
        datetime.date(2025, 3, 12),
        5,
    )


def test_a_paid_bills_amount_cannot_change(web, user):
    bill = bill_with_account(user=user, recurrence="none")
    web.post(reverse("bills-web:pay", args=[bill.pk]))
    before = database_snapshot()
    data = {
        "biller": bill.biller,
        "amount_due": "1.00",
        "currency": "EUR",
        "due_date": "2025-03-10",
        "recurrence": "none",
        "account": bill.account_id,
        "notice_days": "3",
    }
    response = web.post(reverse("bills-web:edit", args=[bill.pk]), data)
    assert response.status_code == 400
    assert 'id="id_amount_due_error"' in response.content.decode()
    assert database_snapshot() == before


def test_delete_a_bill_keeps_its_payment(web, user):
    bill = bill_with_account(user=user, recurrence="none")
    web.post(reverse("bills-web:pay", args=[bill.pk]))
    bill.refresh_from_db()
    payment = bill.paid_transaction
    page = web.get(reverse("bills-web:delete", args=[bill.pk]))
    assert "Its payment stays in your transactions." in page.content.decode()
    response = web.post(reverse("bills-web:delete", args=[bill.pk]), follow=True)
    assert "City Power, due on 2025-03-10, is deleted." in response.content.decode()
    assert not Bill.objects.filter(pk=bill.pk).exists()
    payment.refresh_from_db()


def test_another_customers_bill_is_404_and_unchanged(web, other_user):
    theirs = bill_with_account(user=other_user)
    before = database_snapshot()
    for name, method, data in (
        ("edit", "get", None),
        ("edit", "post", {"biller": "Mine now"}),
        ("pay", "get", None),
        ("pay", "post", {}),
        ("autopay", "post", {"autopay": "on"}),
        ("delete", "get", None),
        ("delete", "post", {}),
    ):
        url = reverse(f"bills-web:{name}", args=[theirs.pk])
        response = (
            getattr(web, method)(url, data) if data is not None else getattr(web, method)(url)
        )
        assert response.status_code == 404, (name, method)
    assert database_snapshot() == before


def test_writes_need_post_and_csrf(user):
    from django.test import Client

    bill = bill_with_account(user=user)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    before = database_snapshot()
    assert client.post(reverse("bills-web:pay", args=[bill.pk])).status_code == 403
    assert (
        client.post(reverse("bills-web:autopay", args=[bill.pk]), {"autopay": "on"}).status_code
        == 403
    )
    assert client.get(reverse("bills-web:autopay", args=[bill.pk])).status_code == 405
    assert database_snapshot() == before


def _bills_of(user, count: int) -> None:
    account = BankAccountFactory(user=user, opening_balance=Decimal("100000.00"))
    from bills.services import bill_pay

    for index in range(count):
        BillFactory(user=user, account=account, due_date=TODAY + datetime.timedelta(days=index - 2))
        paid = BillFactory(user=user, account=account, recurrence="none", due_date=TODAY)
        bill_pay(bill=paid, actor=None)


def test_list_query_count_does_not_grow_with_bills(web, user, django_assert_num_queries):
    _bills_of(user, 2)
    # Session, user, unpaid bills, recently paid bills.
    with django_assert_num_queries(4):
        web.get(LIST)
    _bills_of(user, 8)
    with django_assert_num_queries(4):
        response = web.get(LIST)
    assert len(response.context["upcoming"]) + len(response.context["overdue"]) == 10


def test_demo_customers_bills_page_runs_the_pinned_queries(client, django_assert_num_queries):
    from accounts.models import User
    from smartbank.demo import DemoSize, seed_demo

    seed_demo(DemoSize(customers=1, months=3, transactions_per_month=6), today=TODAY)
    customer = User.objects.filter(role="customer").get()
    client.force_login(customer)
    with django_assert_num_queries(4):
        response = client.get(LIST)
    assert response.context["upcoming"] or response.context["overdue"]
    bill = (response.context["upcoming"] + response.context["overdue"])[0]
    with django_assert_num_queries(4):
        client.get(reverse("bills-web:pay", args=[bill.pk]))
