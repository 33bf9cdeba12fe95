"""Delete an alert from the alerts page in a real browser: it is gone for good, and the
page says so. The page passes axe at both widths before and after."""

import pytest

from accounts.tests.factories import TEST_PASSWORD, UserFactory
from alerts.models import Alert
from alerts.tests.factories import AlertFactory
from smartbank.browser import browser_context, check_page, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_delete_an_alert_for_good(live_server):
    user = UserFactory(phone="")
    spend = AlertFactory(user=user, title="Large payment at Travel Co")
    AlertFactory(user=user, title="Everyday is low")
    with browser_context(live_server.url) as context:
        page = context.new_page()
        log_in(
            page, live_server.url, email=user.email, password=TEST_PASSWORD, next_path="/alerts/"
        )
        check_page(page, "alerts-with-delete")
        with page.expect_navigation():
            page.get_by_role("button", name="Delete Large payment at Travel Co").click()
        assert page.get_by_role("status").inner_text() == (
            "“Large payment at Travel Co” is deleted for good: it cannot be brought back."
        )
        assert page.locator(f"#alert-{spend.pk}").count() == 0
        assert page.locator(".alert-item").count() == 1
        check_page(page, "alerts-deleted")
        assert Alert.objects.get(pk=spend.pk).deleted_at is not None
        assert context.outside_requests == []
