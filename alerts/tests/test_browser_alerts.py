"""Alerts in a real browser: unread first, read, dismiss, read all, filter, preferences with
a refusal shown beside its field; another customer's alert is a 404."""

from decimal import Decimal

import pytest

from accounts.tests.factories import TEST_PASSWORD, UserFactory
from alerts.models import Alert, AlertType
from alerts.selectors import alert_preferences
from alerts.tests.factories import AlertFactory
from smartbank.browser import browser_context, check_page, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_alerts_read_dismiss_and_preferences(live_server):
    user = UserFactory(phone="")
    AlertFactory(
        user=user,
        alert_type=AlertType.BILL_OVERDUE,
        severity="critical",
        title="City Power is overdue",
        message="60.00 EUR to City Power was due on 2025-03-10 and is not paid yet.",
    )
    AlertFactory(user=user, alert_type=AlertType.LOW_BALANCE, title="Everyday is low")
    AlertFactory(user=user, title="Large payment at Travel Co")
    stranger = AlertFactory(user=UserFactory(), title="Not yours")

    with browser_context(live_server.url) as context:
        page = context.new_page()
        log_in(page, live_server.url, email=user.email, password=TEST_PASSWORD)
        page.goto(f"{live_server.url}/alerts/")
        assert page.locator("[data-unread-count]").inner_text() == "3"
        check_page(page, "alerts")

        with page.expect_navigation():
            page.get_by_role("button", name="Mark read Everyday is low").click()
        assert "is marked read" in page.get_by_role("status").inner_text()
        assert page.locator("[data-unread-count]").inner_text() == "2"
        with page.expect_navigation():
            page.get_by_role("button", name="Dismiss Large payment at Travel Co").click()
        assert "Large payment at Travel Co" not in page.locator(".alert-list").inner_text()

        page.get_by_label("Type").select_option("bill_overdue")
        with page.expect_navigation():
            page.get_by_role("button", name="Filter").click()
        assert page.locator(".alert-item").count() == 1
        with page.expect_navigation():
            page.get_by_role("button", name="Mark all read").click()
        assert "1 alert marked read." in page.get_by_role("status").inner_text()
        assert "type=bill_overdue" in page.url
        assert Alert.objects.filter(user=user, read_at__isnull=True).count() == 0

        page.get_by_role("link", name="Choose which alerts you get, and how").click()
        page.get_by_label("Threshold for Low balance (EUR)").fill("-5")
        page.get_by_role("button", name="Save preferences").click()
        assert (
            "greater than or equal to 0"
            in page.locator("#id_low_balance_threshold_error").inner_text()
        )
        # With the form's own checks passed, the service's refusal shows beside its field.
        page.get_by_label("Threshold for Low balance (EUR)").fill("250")
        page.get_by_label("Text message for Bill due soon").check()
        page.get_by_role("button", name="Save preferences").click()
        assert "Add a phone number" in page.locator("#id_bill_due_soon_sms_error").inner_text()
        assert alert_preferences(user)["low_balance"].threshold == Decimal("100.00")
        check_page(page, "alert-preferences-error")
        page.get_by_label("Text message for Bill due soon").uncheck()
        page.get_by_label("Email for Unusual spending").uncheck()
        with page.expect_navigation():
            page.get_by_role("button", name="Save preferences").click()
        assert "Your alert preferences are saved." in page.get_by_role("status").inner_text()
        check_page(page, "alert-preferences")

        response = page.goto(f"{live_server.url}/alerts/")
        assert response.status == 200
        assert context.outside_requests == []
    preferences = alert_preferences(user)
    assert preferences["low_balance"].threshold == Decimal("250.00")
    assert preferences["unusual_spending"].email is False
    stranger.refresh_from_db()
    assert stranger.read_at is None
