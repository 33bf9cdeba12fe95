"""The bills page's "Send reminder now" (Django test client): the same service as
POST /api/v1/bills/{id}/send-reminder/, its refusals beside the bill, ownership."""

import datetime

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from alerts.models import AlertSubscription, Notification
from bills.services import bill_pay
from bills.tests.conftest import TODAY
from bills.tests.factories import BillFactory, bill_with_account
from smartbank.testing import database_snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_time")]

LIST = reverse("bills-web:list")


def remind(pk) -> str:
    return reverse("bills-web:send-reminder", args=[pk])


def test_each_unpaid_bill_has_the_button_and_a_paid_one_does_not(web, user):
    unpaid = BillFactory(user=user, biller="City Power")
    paid = bill_with_account(user=user, biller="Gym", recurrence="none", due_date=TODAY)
    bill_pay(bill=paid, actor=None)
    html = web.get(LIST).content.decode()
    assert f'action="{remind(unpaid.pk)}"' in html
    assert 'Send reminder now<span class="visually-hidden"> for City Power</span>' in html
    assert f'action="{remind(paid.pk)}"' not in html


def test_send_a_reminder_says_what_was_queued_and_sends_it(
    web, user, django_capture_on_commit_callbacks
):
    bill = BillFactory(user=user, biller="City Power")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = web.post(remind(bill.pk), follow=True)
    assert response.redirect_chain == [(LIST, 302)]
    assert len(callbacks) == 1
    notification = Notification.objects.get()
    assert notification.key.startswith(f"bill_reminder:{bill.pk}:manual:")
    assert (notification.channel, notification.status) == ("email", Notification.Status.SENT)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]
    assert (
        f"A reminder of City Power is on its way by email to {user.email}."
        in response.content.decode()
    )


def test_email_and_text_message_are_both_named(
    web, user, sms_outbox, django_capture_on_commit_callbacks
):
    AlertSubscription.objects.create(user=user, alert_type="bill_due_soon", email=True, sms=True)
    user.phone = "+447700900123"
    user.save(update_fields=["phone"])
    bill = BillFactory(user=user, biller="Water Co")
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(remind(bill.pk), follow=True)
    assert (
        f"A reminder of Water Co is on its way by email to {user.email} and by text message "
        "to +447700900123." in response.content.decode()
    )
    assert (len(mail.outbox), len(sms_outbox)) == (1, 1)


def test_a_channel_without_a_recipient_says_what_to_do(
    web, user, django_capture_on_commit_callbacks
):
    AlertSubscription.objects.create(user=user, alert_type="bill_due_soon", email=True, sms=True)
    user.phone = ""
    user.save(update_fields=["phone"])
    bill = BillFactory(user=user, biller="Water Co")
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(remind(bill.pk), follow=True)
    text = response.content.decode()
    assert f"on its way by email to {user.email}." in text
    assert "To get reminders by text message, add a phone number in your settings." in text


def test_a_paid_bill_is_refused_beside_it_and_nothing_is_written(web, user):
    bill = bill_with_account(user=user, biller="Gym", recurrence="none", due_date=TODAY)
    bill_pay(bill=bill, actor=None)
    before = database_snapshot()
    response = web.post(remind(bill.pk))
    assert response.status_code == 400
    html = response.content.decode()
    assert f'<p class="error" id="bill-{bill.pk}-error" role="alert">' in html
    assert "This bill is paid: there is nothing to remind of." in html
    assert database_snapshot() == before
    assert mail.outbox == []


def test_a_bill_paid_long_ago_is_refused_at_the_top_of_the_page(web, user):
    old = TODAY - datetime.timedelta(days=200)
    bill = bill_with_account(user=user, biller="Old gym", recurrence="none", due_date=old)
    bill_pay(bill=bill, actor=None)
    before = database_snapshot()
    response = web.post(remind(bill.pk))
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="bill-{bill.pk}-error"' not in html
    assert "Old gym: This bill is paid: there is nothing to remind of." in html
    assert database_snapshot() == before


def test_every_channel_off_and_a_second_reminder_too_soon_are_refused(
    web, user, frozen_time, django_capture_on_commit_callbacks
):
    bill = BillFactory(user=user, biller="City Power")
    with django_capture_on_commit_callbacks(execute=True):
        assert web.post(remind(bill.pk)).status_code == 302
    frozen_time.shift(60)
    before = database_snapshot()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = web.post(remind(bill.pk))
    assert response.status_code == 400
    assert "A reminder of this bill was sent less than 10 minutes ago" in response.content.decode()
    assert f'id="bill-{bill.pk}-error"' in response.content.decode()
    assert callbacks == []
    assert database_snapshot() == before

    other = BillFactory(user=user, biller="Water Co")
    AlertSubscription.objects.create(
        user=user, alert_type="bill_due_soon", in_app=True, email=False, sms=False
    )
    before = database_snapshot()
    response = web.post(remind(other.pk))
    assert response.status_code == 400
    assert "Reminders for bills are turned off" in response.content.decode()
    assert database_snapshot() == before
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("pk", [0, 999_999, 2**62])
def test_a_bill_that_does_not_exist_is_404(web, pk):
    before = database_snapshot()
    assert web.post(remind(pk)).status_code == 404
    assert database_snapshot() == before


def test_another_customers_bill_is_404_and_nothing_is_sent(web, other_user):
    theirs = BillFactory(user=other_user)
    before = database_snapshot()
    assert web.post(remind(theirs.pk)).status_code == 404
    assert database_snapshot() == before
    assert mail.outbox == []


def test_anonymous_is_sent_to_login_and_nothing_is_sent(client):
    bill = BillFactory()
    before = database_snapshot()
    response = client.post(remind(bill.pk))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert database_snapshot() == before


def test_it_needs_post_and_csrf(user):
    bill = BillFactory(user=user)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    before = database_snapshot()
    assert client.get(remind(bill.pk)).status_code == 405
    assert client.post(remind(bill.pk)).status_code == 403
    assert database_snapshot() == before


def test_the_list_with_reminder_buttons_keeps_its_pinned_queries(
    web, user, django_assert_num_queries
):
    for index in range(2):
        BillFactory(user=user, due_date=TODAY + datetime.timedelta(days=index))
    # Session, user, unpaid bills, recently paid bills: the button adds none.
    with django_assert_num_queries(4):
        web.get(LIST)
    for index in range(8):
        BillFactory(user=user, due_date=TODAY + datetime.timedelta(days=index))
    with django_assert_num_queries(4):
        response = web.get(LIST)
    assert response.content.decode().count("Send reminder now") == 10


def test_a_refusal_renders_the_list_in_a_fixed_number_of_queries(
    web, user, django_assert_num_queries
):
    bill = bill_with_account(user=user, recurrence="none", due_date=TODAY)
    bill_pay(bill=bill, actor=None)
    for index in range(5):
        BillFactory(user=user, due_date=TODAY + datetime.timedelta(days=index))
    # Session, user, the bill; savepoint, the locked row, rollback, release; the list's two.
    with django_assert_num_queries(9):
        assert web.post(remind(bill.pk)).status_code == 400
    for index in range(5):
        BillFactory(user=user, due_date=TODAY + datetime.timedelta(days=index))
    with django_assert_num_queries(9):
        assert web.post(remind(bill.pk)).status_code == 400
