"""The staff console for bills: pages render, writes go through bills.services (audited)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditLog, BankAccount
from accounts.tests.factories import BankAccountFactory, UserFactory
from accounts.tests.test_admin import admin_url, change_url, client_logged_in, form_data
from bills.models import Bill
from bills.services import bill_pay
from bills.tests.factories import BillFactory, bill_with_account
from smartbank.testing import database_snapshot
from transactions.models import Transaction

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_time")]

D = datetime.date


def bill_form(account, **overrides) -> dict:
    return {
        "user": account.user.pk,
        "biller": "Water Co",
        "amount_due": "45.50",
        "currency": "",
        "due_date": "2025-03-31",
        "recurrence": "monthly",
        "account": account.pk,
        "category": "",
        "notice_days": "3",
        **overrides,
    }


def test_every_bill_page_renders(admin_client):
    bill = bill_with_account()
    bill_pay(bill=bill, actor=None)
    BillFactory(due_date=D(2025, 3, 1))

    changelist = admin_client.get(admin_url(Bill, "changelist"))
    assert changelist.status_code == 200
    assert "Paid" in changelist.content.decode()
    assert "Overdue" in changelist.content.decode()
    for status in ("upcoming", "due", "paid", "overdue"):
        assert (
            admin_client.get(admin_url(Bill, "changelist"), {"status": status}).status_code == 200
        )
    assert admin_client.get(admin_url(Bill, "changelist"), {"q": "city"}).status_code == 200
    assert admin_client.get(admin_url(Bill, "add")).status_code == 200
    change = admin_client.get(change_url(bill))
    assert change.status_code == 200
    assert str(Bill.objects.get(previous=bill)) in change.content.decode()
    assert admin_client.get(admin_url(Bill, "delete", bill.pk)).status_code == 200


def test_the_status_filter_shows_the_bills_of_that_status(admin_client):
    paid = bill_with_account(due_date=D(2025, 3, 20), recurrence="none")
    bill_pay(bill=paid, actor=None)
    overdue = BillFactory(due_date=D(2025, 3, 1))
    upcoming = BillFactory(due_date=D(2025, 4, 1))

    def shown(status):
        response = admin_client.get(admin_url(Bill, "changelist"), {"status": status})
        return {bill.pk for bill in response.context["cl"].result_list}

    assert shown("paid") == {paid.pk}
    assert shown("overdue") == {overdue.pk}
    assert shown("upcoming") == {upcoming.pk}


def test_changelist_queries_do_not_grow_per_row(admin_client):
    url = admin_url(Bill, "changelist")

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(url).status_code == 200
        return len(queries)

    BillFactory()
    few = count_queries()
    for _ in range(10):
        BillFactory()
    assert count_queries() == few


def test_adding_a_bill_goes_through_the_service(admin_client, admin_user):
    account = BankAccountFactory(currency="USD")

    response = admin_client.post(admin_url(Bill, "add"), bill_form(account))

    assert response.status_code == 302, response.context["adminform"].form.errors
    bill = Bill.objects.get()
    assert (bill.currency, bill.anchor_day, bill.user) == ("USD", 31, account.user)
    assert AuditLog.objects.get(action="bill.create").actor == admin_user


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount_due": "0"}, "amount_due"),
        ({"currency": "EUR"}, "account"),
        ({"notice_days": "61"}, "notice_days"),
        ({"due_date": "1800-01-01"}, "due_date"),
    ],
)
def test_a_refused_bill_is_a_form_error_and_writes_nothing(admin_client, overrides, field):
    account = BankAccountFactory(currency="USD")
    before = database_snapshot()

    response = admin_client.post(admin_url(Bill, "add"), bill_form(account, **overrides))

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert field in form.errors or any(
        field.replace("_", " ") in e.lower() for e in form.non_field_errors()
    )
    assert database_snapshot() == before


def test_another_customers_account_is_refused(admin_client):
    account = BankAccountFactory()
    response = admin_client.post(admin_url(Bill, "add"), bill_form(account, user=UserFactory().pk))
    assert "account" in response.context["adminform"].form.errors
    assert not Bill.objects.exists()


def test_editing_a_bill_goes_through_the_service_and_keeps_money_read_only(
    admin_client, admin_user
):
    bill = BillFactory()
    page = admin_client.get(change_url(bill))
    data = form_data(page)
    assert "amount_due" not in data
    data["notice_days"] = "10"

    response = admin_client.post(change_url(bill), data)

    assert response.status_code == 302
    bill.refresh_from_db()
    assert bill.notice_days == 10
    entry = AuditLog.objects.get(action="bill.update")
    assert (entry.actor, entry.changes) == (admin_user, {"notice_days": [3, 10]})


def test_deleting_goes_through_the_service(admin_client):
    bills = [BillFactory(), BillFactory()]
    response = admin_client.post(
        admin_url(Bill, "changelist"),
        {"action": "delete_selected", "_selected_action": [b.pk for b in bills], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Bill.objects.exists()
    assert AuditLog.objects.filter(action="bill.delete").count() == 2


def test_pay_now_pays_through_bill_pay_and_is_audited(admin_client, admin_user):
    rich = bill_with_account()
    poor = bill_with_account(
        account=BankAccountFactory(opening_balance=Decimal("1.00")), biller="Gas"
    )

    response = admin_client.post(
        admin_url(Bill, "changelist"),
        {"action": "pay_now", "_selected_action": [rich.pk, poor.pk]},
        follow=True,
    )

    assert response.status_code == 200
    messages = [str(message) for message in response.context["messages"]]
    assert any("Insufficient funds" in message for message in messages)
    assert any("Paid 1 bill" in message for message in messages)
    rich.refresh_from_db()
    poor.refresh_from_db()
    assert rich.is_paid and not poor.is_paid
    assert BankAccount.objects.get(pk=poor.account_id).balance == Decimal("1.00")
    assert Transaction.objects.count() == 1
    entry = AuditLog.objects.get(action="bill.pay")
    assert (entry.actor, entry.target_id) == (admin_user, str(rich.pk))


def test_an_auditor_cannot_pay_or_change_bills(staff):
    bill = bill_with_account()
    client = client_logged_in(staff["auditor"])

    changelist = client.get(admin_url(Bill, "changelist"))
    assert changelist.status_code == 200
    assert changelist.context["action_form"] is None
    client.post(admin_url(Bill, "changelist"), {"action": "pay_now", "_selected_action": [bill.pk]})
    bill.refresh_from_db()
    assert not bill.is_paid
    assert not Transaction.objects.exists()
