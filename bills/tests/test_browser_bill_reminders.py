"""Send a bill's reminder from the bills page in a real browser: the confirmation names
the channels, the email goes out, and a second one minutes later is refused beside the
bill. The page passes axe at both widths after each."""

import datetime

import pytest
from django.core import mail

from accounts.tests.factories import TEST_PASSWORD, UserFactory
from alerts.models import Notification
from bills.tests.factories import BillFactory
from smartbank.browser import browser_context, check_page, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_send_a_reminder_now_and_a_second_is_refused(live_server):
    user = UserFactory(email="bea@example.com", phone="")
    power = BillFactory(
        user=user, biller="City Power", due_date=user.today() + datetime.timedelta(days=3)
    )
    with browser_context(live_server.url) as context:
        page = context.new_page()
        log_in(page, live_server.url, email=user.email, password=TEST_PASSWORD, next_path="/bills/")
        with page.expect_navigation():
            page.get_by_role("button", name="Send reminder now for City Power").click()
        assert page.get_by_role("status").inner_text() == (
            "A reminder of City Power is on its way by email to bea@example.com."
        )
        check_page(page, "bills-reminder-sent")
        assert Notification.objects.get().status == Notification.Status.SENT
        assert [message.to for message in mail.outbox] == [["bea@example.com"]]

        with page.expect_navigation():
            page.get_by_role("button", name="Send reminder now for City Power").click()
        error = page.locator(f"#bill-{power.pk}-error").inner_text()
        assert error.startswith("A reminder of this bill was sent less than 10 minutes ago")
        check_page(page, "bills-reminder-refused")
        assert Notification.objects.count() == 1
        assert context.outside_requests == []
