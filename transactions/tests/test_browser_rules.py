"""Add a rule in a real browser, see its preview, apply it; every page passes axe at both widths."""

import datetime
from decimal import Decimal

import pytest
from django.db import connections

from accounts.tests.factories import TEST_PASSWORD, BankAccountFactory, UserFactory
from smartbank.browser import browser_context, check_page, log_in
from transactions.models import CategorizationRule, Transaction
from transactions.tests.factories import TransactionFactory, default_category

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_add_preview_and_apply_a_rule(live_server):
    user = UserFactory()
    account = BankAccountFactory(user=user, name="Everyday")
    for n, description in enumerate(["Costa latte", "Costa flat white", "Bakery"], start=1):
        TransactionFactory(
            account=account,
            description=description,
            amount=Decimal("-3.50"),
            txn_date=datetime.date(2025, 3, n),
            category=None,
            apply_rules=False,
        )
    dining = default_category("dining")
    stranger = UserFactory()
    with browser_context(live_server.url) as context:
        try:
            page = context.new_page()
            log_in(page, live_server.url, email=user.email, password=TEST_PASSWORD)
            page.goto(f"{live_server.url}/transactions/rules/")
            check_page(page, "rules-empty")
            page.get_by_role("link", name="Add a rule").click()
            page.get_by_label("Name").fill("Coffee")
            # Saved without an action: the error is shown and nothing is written.
            page.locator("#id_conditions-0-field").select_option("description")
            page.locator("#id_conditions-0-operator").select_option("starts_with")
            page.locator("#id_conditions-0-value").fill("costa")
            page.get_by_role("button", name="Save").click()
            assert "Choose what the rule does" in page.locator(".form-errors").inner_text()
            assert CategorizationRule.objects.count() == 0
            check_page(page, "rule-form-error")

            page.get_by_label("Set the category to").select_option(str(dining.pk))
            page.get_by_role("button", name="Preview").click()
            assert page.locator("#preview-changed").inner_text() == "2"
            check_page(page, "rule-form-preview")
            with page.expect_navigation():
                page.get_by_role("button", name="Save").click()
            rule = CategorizationRule.objects.get()
            assert page.url == f"{live_server.url}/transactions/rules/{rule.pk}/preview/"
            assert page.locator("#preview-changes tbody tr").count() == 2
            check_page(page, "rule-preview")
            with page.expect_navigation():
                page.get_by_role("button", name="Apply to 2 transactions").click()
            assert "changed 2 of the 2 matching" in page.locator(".messages").inner_text()
            assert Transaction.objects.filter(category=dining).count() == 2

            page.goto(f"{live_server.url}/transactions/rules/")
            assert "Description starts with “costa”" in page.locator("#rules").inner_text()
            check_page(page, "rules")
            page.get_by_role("link", name="Coffee", exact=True).click()
            check_page(page, "rule-edit")

            # A second customer's rule URLs are 404.
            context.clear_cookies()
            log_in(page, live_server.url, email=stranger.email, password=TEST_PASSWORD)
            page.wait_for_load_state("networkidle")
            for path in (f"{rule.pk}/", f"{rule.pk}/preview/"):
                response = page.goto(f"{live_server.url}/transactions/rules/{path}")
                assert response.status == 404
            assert context.outside_requests == []
        finally:
            # Playwright's greenlet has its own database connection; closed before teardown.
            connections.close_all()
