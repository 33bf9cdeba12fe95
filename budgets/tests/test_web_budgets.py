"""The budgets pages (Django test client): a month's progress, navigation, add, edit,
delete, copy last month, unbudgeted spending."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import BankAccountFactory
from budgets.models import Budget
from budgets.tests.factories import BudgetFactory
from smartbank.testing import database_snapshot
from transactions.tests.factories import TransactionFactory, default_category

NOW = datetime.datetime(2025, 3, 15, 12, 0, tzinfo=datetime.UTC)
LIST = reverse("budgets-web:list")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def account(user):
    return BankAccountFactory(user=user, opening_balance=Decimal("5000.00"))


def _spend(account, amount: str, slug: str, day: datetime.date = datetime.date(2025, 3, 10)):
    return TransactionFactory(
        account=account, amount=Decimal(amount), category=default_category(slug), txn_date=day
    )


def test_anonymous_is_sent_to_login(client):
    budget = BudgetFactory()
    for url in (LIST, reverse("budgets-web:create"), reverse("budgets-web:edit", args=[budget.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_this_months_progress_and_unbudgeted_spending(web, user, account):
    groceries = BudgetFactory(user=user, amount=Decimal("100.00"))
    dining = BudgetFactory(user=user, category=default_category("dining"), amount=Decimal("50.00"))
    _spend(account, "-120.00", "groceries")
    _spend(account, "-20.00", "dining")
    _spend(account, "-33.30", "transport")
    BudgetFactory(user=user, month=datetime.date(2025, 2, 1))  # another month: not shown
    response = web.get(LIST)
    assert response.status_code == 200
    assert response.context["label"] == "March 2025"
    html = response.content.decode()
    progress = {p.budget.pk: p for p in response.context["summary"].budgets}
    assert set(progress) == {groceries.pk, dining.pk}
    assert progress[groceries.pk].exceeded and not progress[dining.pk].exceeded
    assert '<span class="badge exceeded">Exceeded</span>' in html
    assert html.count("badge exceeded") == 1
    assert 'data-money="120.00" data-currency="EUR">120.00 EUR</span>' in html
    assert "120.00%" in html and "40.00%" in html
    assert 'value="120.00" max="100.00"' in html
    # Over by 20.00 (shown positive); the projection is spent / 15 days * 31.
    assert 'Over by</dt><dd class="negative"><span data-money="20.00"' in html
    assert 'data-money="248.00"' in html
    assert [item.name for item in response.context["summary"].unbudgeted] == ["Transport"]
    assert 'data-money="33.30"' in html


def test_month_navigation(web, user):
    BudgetFactory(user=user, month=datetime.date(2025, 1, 1), category=default_category("dining"))
    response = web.get(LIST, {"month": "2025-01"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Budgets for January 2025" in html
    assert "?month=2024-12" in html and "?month=2025-02" in html
    assert "Dining" in html


@pytest.mark.parametrize("month", ["2025-13", "March", "0000-01", "9" * 5000])
def test_a_bad_month_is_shown_beside_the_field(web, month):
    response = web.get(LIST, {"month": month})
    assert response.status_code == 400
    assert 'id="id_month_error"' in response.content.decode()


def test_empty_month_says_what_to_do(web):
    html = web.get(LIST).content.decode()
    assert "No budgets for March 2025." in html
    assert "Add a budget</a> for a category" in html


def test_add_a_budget(web, user):
    groceries = default_category("groceries")
    form = web.get(reverse("budgets-web:create"), {"month": "2025-04", "category": groceries.pk})
    assert 'value="2025-04"' in form.content.decode()
    response = web.post(
        reverse("budgets-web:create"),
        {"category": groceries.pk, "month": "2025-04", "amount": "250.00"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?month=2025-04"
    budget = Budget.objects.get(user=user)
    assert (budget.month, budget.amount, budget.currency) == (
        datetime.date(2025, 4, 1),
        Decimal("250.00"),
        "EUR",
    )
    page = web.get(response["Location"]).content.decode()
    assert "Your Groceries budget for April 2025 is set." in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"amount": "0"}, "amount", "greater than or equal to 0.01"),
        ({"amount": "12.345"}, "amount", "no more than 2 decimal places"),
        ({"amount": "1e400"}, "amount", "no more than 14 digits"),
        ({"amount": ""}, "amount", "required"),
        ({"month": "2025-02-30x"}, "month", "YYYY-MM"),
        ({"month": "2099-01"}, "month", ""),
        ({"category": "999999"}, "category", "Select a valid choice"),
        ({"category": "transfers"}, "category", "Select a valid choice"),
        ({"month": "2025-03"}, "category", "already have a budget for Groceries"),
    ],
)
def test_add_refusals_are_beside_the_field_and_write_nothing(web, user, data, field, message):
    BudgetFactory(user=user, month=datetime.date(2025, 3, 1))
    valid = {"category": default_category("groceries").pk, "month": "2025-04", "amount": "10"}
    if data.get("category") == "transfers":
        data = {"category": default_category("transfers").pk}
    before = database_snapshot()
    response = web.post(reverse("budgets-web:create"), {**valid, **data})
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert message in html
    assert database_snapshot() == before


def test_edit_a_budget(web, user):
    budget = BudgetFactory(user=user)
    page = web.get(reverse("budgets-web:edit", args=[budget.pk]))
    assert 'value="400.00"' in page.content.decode()
    response = web.post(
        reverse("budgets-web:edit", args=[budget.pk]),
        {"category": budget.category_id, "month": "2025-03", "amount": "450.50"},
    )
    assert response.status_code == 302
    budget.refresh_from_db()
    assert budget.amount == Decimal("450.50")


def test_edit_onto_a_taken_category_is_refused(web, user):
    BudgetFactory(user=user)
    dining = BudgetFactory(user=user, category=default_category("dining"))
    before = database_snapshot()
    response = web.post(
        reverse("budgets-web:edit", args=[dining.pk]),
        {"category": default_category("groceries").pk, "month": "2025-03", "amount": "10"},
    )
    assert response.status_code == 400
    assert 'id="id_category_error"' in response.content.decode()
    assert database_snapshot() == before


def test_delete_a_budget(web, user, account):
    budget = BudgetFactory(user=user)
    txn = _spend(account, "-10.00", "groceries")
    assert web.get(reverse("budgets-web:delete", args=[budget.pk])).status_code == 200
    response = web.post(reverse("budgets-web:delete", args=[budget.pk]), follow=True)
    assert "Your Groceries budget for March 2025 is deleted." in response.content.decode()
    assert not Budget.objects.filter(pk=budget.pk).exists()
    txn.refresh_from_db()


def test_copy_last_month(web, user):
    BudgetFactory(user=user, month=datetime.date(2025, 2, 1), amount=Decimal("300.00"))
    BudgetFactory(user=user, month=datetime.date(2025, 2, 1), category=default_category("dining"))
    BudgetFactory(user=user, month=datetime.date(2025, 3, 1), category=default_category("dining"))
    response = web.post(reverse("budgets-web:copy"), {"month": "2025-03"}, follow=True)
    assert "Copied 1 budget from February 2025 into March 2025." in response.content.decode()
    copied = Budget.objects.get(
        user=user, month=datetime.date(2025, 3, 1), category__slug="groceries"
    )
    assert copied.amount == Decimal("300.00")
    # Twice makes nothing more.
    before = database_snapshot()
    response = web.post(reverse("budgets-web:copy"), {"month": "2025-03"}, follow=True)
    assert "Nothing to copy" in response.content.decode()
    assert database_snapshot() == before


@pytest.mark.parametrize("month", ["", "2025-99", "2099-01"])
def test_copy_refusals_say_why_and_write_nothing(web, user, month):
    BudgetFactory(user=user, month=datetime.date(2025, 2, 1))
    before = database_snapshot()
    response = web.post(reverse("budgets-web:copy"), {"month": month}, follow=True)
    assert "Nothing was copied:" in response.content.decode()
    assert database_snapshot() == before


def test_another_customers_budget_is_404_and_unchanged(web, other_user):
    theirs = BudgetFactory(user=other_user)
    before = database_snapshot()
    for name, method, data in (
        ("edit", "get", None),
        ("edit", "post", {"category": theirs.category_id, "month": "2025-03", "amount": "1"}),
        ("delete", "get", None),
        ("delete", "post", {}),
    ):
        url = reverse(f"budgets-web:{name}", args=[theirs.pk])
        response = (
            getattr(web, method)(url, data) if data is not None else getattr(web, method)(url)
        )
        assert response.status_code == 404, (name, method)
    assert database_snapshot() == before
    # Their budgets never appear on the list.
    assert web.get(LIST).context["summary"].budgets == []


def test_writes_need_post_and_csrf(user):
    budget = BudgetFactory(user=user)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    before = database_snapshot()
    assert client.post(reverse("budgets-web:delete", args=[budget.pk])).status_code == 403
    assert client.post(reverse("budgets-web:copy"), {"month": "2025-03"}).status_code == 403
    assert client.get(reverse("budgets-web:copy")).status_code == 405
    assert database_snapshot() == before


def _budgets_and_spending(user, account, slugs) -> None:
    for slug in slugs:
        BudgetFactory(user=user, category=default_category(slug))
        for day in (3, 9, 12):
            _spend(account, "-4.00", slug, datetime.date(2025, 3, day))
    for day in (4, 5):
        _spend(account, "-2.00", "health", datetime.date(2025, 3, day))


def test_list_query_count_does_not_grow(web, user, account, django_assert_num_queries):
    _budgets_and_spending(user, account, ["groceries", "dining"])
    # Session, user, the month's budgets, one aggregate over the month's transactions.
    with django_assert_num_queries(4):
        web.get(LIST)
    _budgets_and_spending(user, account, ["transport", "utilities", "shopping", "travel"])
    with django_assert_num_queries(4):
        response = web.get(LIST)
    assert len(response.context["summary"].budgets) == 6


def test_demo_customers_budgets_page_runs_the_pinned_queries(client, django_assert_num_queries):
    from accounts.models import User
    from smartbank.demo import DemoSize, seed_demo

    seed_demo(DemoSize(customers=1, months=3, transactions_per_month=6), today=NOW.date())
    customer = User.objects.filter(role="customer").get()
    client.force_login(customer)
    with django_assert_num_queries(4):
        response = client.get(LIST)
    assert response.context["summary"].budgets
