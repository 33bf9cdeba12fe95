"""Categories, a transaction's category history and the import profiles in a real browser;
every page passes axe and fits the window at both widths."""

from decimal import Decimal

import pytest
from django.db import connections

from accounts.tests.factories import TEST_PASSWORD, BankAccountFactory, UserFactory
from smartbank.browser import browser_context, check_page, log_in
from transactions.models import Category, ImportProfile
from transactions.rule_services import transaction_set_category
from transactions.tests.factories import (
    ImportProfileFactory,
    TransactionFactory,
    default_category,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_categories_history_and_import_profiles(live_server):
    user = UserFactory()
    account = BankAccountFactory(user=user, name="Everyday")
    groceries = default_category("groceries")
    default_category("dining")
    default_category("other")
    txn = TransactionFactory(
        account=account, description="Costa latte", amount=Decimal("-3.50"), category=groceries
    )
    ImportProfileFactory(account=account, name="Corner Bank export")
    stranger = UserFactory()
    base = live_server.url
    with browser_context(base) as context:
        try:
            page = context.new_page()
            log_in(page, base, email=user.email, password=TEST_PASSWORD, next_path="/transactions/")
            page.get_by_role("link", name="Categories", exact=True).click()
            assert page.url == f"{base}/transactions/categories/"
            check_page(page, "categories-empty")

            # A clash with a default category is refused beside the field.
            page.get_by_label("Name").fill("Groceries")
            with page.expect_navigation():
                page.get_by_role("button", name="Add the category").click()
            assert "already exists" in page.locator("#id_name_error").inner_text()
            check_page(page, "categories-error")

            page.get_by_label("Name").fill("Coffee")
            with page.expect_navigation():
                page.get_by_role("button", name="Add the category").click()
            coffee = Category.objects.get(user=user)
            assert "“Coffee” is added" in page.locator(".messages").inner_text()

            # File the transaction under it, so it has a count and a history.
            transaction_set_category(transaction=txn, category=coffee, actor=user)
            page.reload()
            assert "Coffee" in page.locator("#own-categories").inner_text()
            check_page(page, "categories")

            page.get_by_role("link", name="Rename Coffee").click()
            check_page(page, "category-form")
            page.get_by_label("Name").fill("")
            with page.expect_navigation():
                page.get_by_role("button", name="Save the name").click()
            assert "needs a name" in page.locator("#id_name_error").inner_text()
            check_page(page, "category-form-error")
            page.get_by_label("Name").fill("Coffee shops")
            with page.expect_navigation():
                page.get_by_role("button", name="Save the name").click()
            assert "Coffee shops" in page.locator("#own-categories").inner_text()

            # A default category's edit page says why it cannot be changed.
            response = page.goto(f"{base}/transactions/categories/{groceries.pk}/edit/")
            assert response.status == 403
            check_page(page, "category-default-refused")

            page.goto(f"{base}/transactions/{txn.pk}/edit/")
            history = page.locator("#category-history")
            assert history.locator("li").count() == 2
            assert "Groceries → Coffee shops" in history.locator("li").first.inner_text()
            check_page(page, "transaction-edit-history")

            page.goto(f"{base}/transactions/categories/{coffee.pk}/delete/")
            assert (
                "Its 1 transaction moves to “Other”" in page.locator("#delete-effect").inner_text()
            )
            check_page(page, "category-delete")
            with page.expect_navigation():
                page.get_by_role("button", name="Delete the category").click()
            assert not Category.objects.filter(pk=coffee.pk).exists()
            check_page(page, "categories-after-delete")

            page.goto(f"{base}/transactions/import/")
            page.get_by_role("link", name="Saved CSV mappings (import profiles)").click()
            assert page.url == f"{base}/transactions/import/profiles/"
            assert "Money in" in page.locator("#import-profiles").inner_text()
            check_page(page, "import-profiles")
            page.get_by_role("link", name="Rename or correct the profile of Everyday").click()
            page.get_by_label("Mapping (JSON)").fill('{"date_colum": 0}')
            with page.expect_navigation():
                page.get_by_role("button", name="Save").click()
            assert "Unknown mapping setting" in page.locator("#id_mapping_error").inner_text()
            check_page(page, "import-profile-form-error")
            page.get_by_label("Mapping (JSON)").fill('{"date_column": 0, "amount_column": 1}')
            page.get_by_label("Name").fill("My bank")
            with page.expect_navigation():
                page.get_by_role("button", name="Save").click()
            profile = ImportProfile.objects.get()
            assert (profile.name, profile.mapping) == (
                "My bank",
                {"date_column": 0, "amount_column": 1},
            )
            page.get_by_role("link", name="Forget the profile of Everyday").click()
            check_page(page, "import-profile-delete")
            with page.expect_navigation():
                page.get_by_role("button", name="Forget it").click()
            assert not ImportProfile.objects.exists()
            check_page(page, "import-profiles-empty")

            # Another customer gets 404 on this customer's pages.
            context.clear_cookies()
            log_in(
                page, base, email=stranger.email, password=TEST_PASSWORD, next_path="/transactions/"
            )
            response = page.goto(f"{base}/transactions/{txn.pk}/edit/")
            assert response.status == 404
            assert context.outside_requests == []
        finally:
            # Playwright's greenlet has its own database connection; closed before teardown.
            connections.close_all()
