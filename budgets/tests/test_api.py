"""/api/v1/budgets/: CRUD with progress, a budget's progress, a month, copying a month."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from accounts.models import AuditLog
from accounts.tests.factories import BankAccountFactory, ExchangeRateFactory
from budgets.models import Budget
from budgets.tests.factories import BudgetFactory
from smartbank.money import MONEY_MAX
from smartbank.testing import database_snapshot
from transactions.tests.factories import CategoryFactory, TransactionFactory, default_category

URL = "/api/v1/budgets/"

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_today():
    """20 March 2025 for everyone (the factories' users are in London)."""
    with time_machine.travel(datetime.datetime(2025, 3, 20, 12, tzinfo=datetime.UTC), tick=False):
        yield


def detail(pk) -> str:
    return f"{URL}{pk}/"


def db_state():
    """Every row a refused request must leave as it was (budgets are not in the snapshot)."""
    return database_snapshot(), list(Budget.objects.order_by("pk").values())


@pytest.fixture
def account(user):
    return BankAccountFactory(user=user, opening_balance=D("10000.00"))


def spend(account, amount, day=datetime.date(2025, 3, 10), category="groceries"):
    category = default_category(category) if isinstance(category, str) else category
    return TransactionFactory(account=account, amount=D(amount), txn_date=day, category=category)


# --- Create -----------------------------------------------------------------------------


def test_create_returns_the_budget_with_its_progress(api_client, user, account):
    spend(account, "-30.00")

    response = api_client.post(
        URL, {"category": "groceries", "month": "2025-03", "amount": "120.00"}, format="json"
    )

    assert response.status_code == 201, response.json()
    budget = Budget.objects.get()
    assert response.json() == {
        "id": budget.pk,
        "category": "groceries",
        "category_name": "Groceries",
        "month": "2025-03-01",
        "amount": "120.00",
        "currency": "EUR",
        "progress": {
            "spent": "30.00",
            "remaining": "90.00",
            "percent_used": "25.00",
            "exceeded": False,
            "projected": "46.50",
            "days_in_month": 31,
            "days_elapsed": 20,
        },
        "created_at": response.json()["created_at"],
        "updated_at": response.json()["updated_at"],
    }
    assert budget.user == user


@pytest.mark.parametrize(
    "month",
    [
        {"month": "2025-04"},
        {"month": "2025-04-17"},
        {"month": 4, "year": 2025},
        {"month": "4", "year": "2025"},
    ],
)
def test_the_month_may_be_given_several_ways(api_client, month):
    response = api_client.post(
        URL, {"category": "dining", "amount": "50.00", **month}, format="json"
    )

    assert response.status_code == 201, response.json()
    assert response.json()["month"] == "2025-04-01"


def test_create_with_ones_own_category(api_client, user):
    own = CategoryFactory(user=user, slug="hobbies")

    response = api_client.post(
        URL, {"category": "hobbies", "month": "2025-03", "amount": "50.00"}, format="json"
    )

    assert response.status_code == 201
    assert Budget.objects.get().category == own


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": "0.00"}, "amount"),
        ({"amount": "-10.00"}, "amount"),
        ({"amount": "12.345"}, "amount"),
        ({"amount": "lots"}, "amount"),
        ({"amount": "1000000000000.00"}, "amount"),
        ({"amount": None}, "amount"),
        ({"month": "2025-13"}, "month"),
        ({"month": "March"}, "month"),
        ({"month": "2025-02-30"}, "month"),
        ({"month": ["2025-03"]}, "month"),
        ({"month": True}, "month"),
        ({"month": 13, "year": 2025}, "month"),
        ({"month": "2025-03", "year": 2025}, "month"),
        ({"month": 3}, "year"),
        ({"month": 3, "year": 1800}, "year"),
        ({"month": "1899-12"}, "month"),
        ({"month": "2026-05"}, "month"),
        ({"category": "no-such-category"}, "category"),
        ({"category": "transfers"}, "category"),
        ({"category": ""}, "category"),
        ({"category": 7}, "category"),
    ],
)
def test_bad_input_is_a_400_on_the_field_and_changes_nothing(api_client, overrides, field):
    before = db_state()
    payload = {"category": "groceries", "month": "2025-03", "amount": "100.00", **overrides}

    response = api_client.post(URL, payload, format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert db_state() == before


def test_missing_fields_are_named(api_client):
    response = api_client.post(URL, {}, format="json")

    assert response.status_code == 400
    assert {"category", "month", "amount"} <= set(response.json())


def test_another_customers_category_is_not_found(api_client, other_user):
    CategoryFactory(user=other_user, slug="secret")
    before = db_state()

    response = api_client.post(
        URL, {"category": "secret", "month": "2025-03", "amount": "10.00"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"category": ["Category 'secret' not found."]}
    assert db_state() == before


def test_a_second_budget_for_the_category_and_month_is_a_400(api_client, user):
    BudgetFactory(user=user)
    before = db_state()

    response = api_client.post(
        URL, {"category": "groceries", "month": "2025-03-09", "amount": "10.00"}, format="json"
    )

    assert response.status_code == 400
    assert "already have a budget for Groceries in March 2025" in response.json()["category"][0]
    assert db_state() == before


def test_anonymous_calls_are_401(anon_client, user):
    budget = BudgetFactory(user=user)
    for method, url in [
        ("get", URL),
        ("post", URL),
        ("get", detail(budget.pk)),
        ("patch", detail(budget.pk)),
        ("delete", detail(budget.pk)),
        ("get", f"{detail(budget.pk)}progress/"),
        ("get", f"{URL}month/2025/3/"),
        ("post", f"{URL}copy-previous/"),
    ]:
        assert getattr(anon_client, method)(url, {}, format="json").status_code == 401, url
    assert Budget.objects.count() == 1


# --- List and retrieve ------------------------------------------------------------------


def test_list_shows_only_ones_own_budgets_newest_month_first(api_client, user, other_user):
    BudgetFactory(user=other_user)
    dining = BudgetFactory(user=user, category=default_category("dining"))
    groceries = BudgetFactory(user=user)
    february = BudgetFactory(user=user, month=datetime.date(2025, 2, 1))

    response = api_client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [row["id"] for row in body["results"]] == [dining.pk, groceries.pk, february.pk]
    assert body["results"][0]["progress"]["spent"] == "0.00"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"year": "2025"}, {"2025-03 groceries", "2025-03 dining", "2025-02 groceries"}),
        ({"month": "3"}, {"2025-03 groceries", "2025-03 dining", "2024-03 groceries"}),
        ({"year": "2025", "month": "3"}, {"2025-03 groceries", "2025-03 dining"}),
        ({"category": "dining"}, {"2025-03 dining"}),
        ({"category": "groceries,dining", "year": "2024"}, {"2024-03 groceries"}),
    ],
)
def test_list_filters(api_client, user, query, expected):
    BudgetFactory(user=user)
    BudgetFactory(user=user, category=default_category("dining"))
    BudgetFactory(user=user, month=datetime.date(2025, 2, 1))
    BudgetFactory(user=user, month=datetime.date(2024, 3, 1))

    response = api_client.get(URL, query)

    assert response.status_code == 200
    assert {f"{row['month'][:7]} {row['category']}" for row in response.json()["results"]} == (
        expected
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"year": "twenty"}, "year"),
        ({"year": "1899"}, "year"),
        ({"month": "13"}, "month"),
        ({"month": "2.5"}, "month"),
        ({"category": "nope"}, "category"),
        ({"limit": "0"}, "limit"),
    ],
)
def test_bad_filters_are_400s(api_client, query, field):
    response = api_client.get(URL, query)

    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("size", [1, 8])
def test_list_takes_a_fixed_number_of_queries(
    api_client, user, account, django_assert_num_queries, size
):
    ExchangeRateFactory(day=datetime.date(2024, 12, 31), quote="USD", rate=D("1.05"))
    dollars = BankAccountFactory(user=user, currency="USD", opening_balance=D("10000.00"))
    for index in range(size):
        category = CategoryFactory(user=user)
        for month in (2, 3):
            BudgetFactory(user=user, category=category, month=datetime.date(2025, month, 1))
            spend(account, "-5.00", datetime.date(2025, month, 1 + index), category)
            spend(dollars, "-5.25", datetime.date(2025, month, 1 + index), category)

    # user (JWT), count, page (budgets + categories), spending aggregate, rates (2)
    with django_assert_num_queries(6):
        response = api_client.get(URL)

    assert response.status_code == 200
    assert {row["progress"]["spent"] for row in response.json()["results"]} == {"10.00"}


def test_retrieve_and_progress(api_client, user, account):
    budget = BudgetFactory(user=user, amount=D("40.00"))
    spend(account, "-50.00")

    assert api_client.get(detail(budget.pk)).json()["progress"]["exceeded"] is True
    response = api_client.get(f"{detail(budget.pk)}progress/")

    assert response.status_code == 200
    assert response.json() == {
        "budget": budget.pk,
        "category": "groceries",
        "month": "2025-03-01",
        "amount": "40.00",
        "currency": "EUR",
        "spent": "50.00",
        "remaining": "-10.00",
        "percent_used": "125.00",
        "exceeded": True,
        "projected": "77.50",
        "days_in_month": 31,
        "days_elapsed": 20,
    }


def test_a_missing_rate_is_a_409_naming_the_pair_and_day(api_client, user):
    dollars = BankAccountFactory(user=user, currency="USD")
    budget = BudgetFactory(user=user)
    spend(dollars, "-5.00", datetime.date(2025, 3, 4))
    expected = {"detail": "No exchange rate for USD->EUR on or before 2025-03-04."}

    for url in (URL, detail(budget.pk), f"{detail(budget.pk)}progress/", f"{URL}month/2025/3/"):
        response = api_client.get(url)
        assert response.status_code == 409, url
        assert response.json() == expected


def test_a_write_whose_progress_needs_a_missing_rate_is_rolled_back(api_client, user):
    dollars = BankAccountFactory(user=user, currency="USD")
    spend(dollars, "-5.00", datetime.date(2025, 3, 4), "dining")
    budget = BudgetFactory(user=user)
    before = db_state()

    created = api_client.post(
        URL, {"category": "dining", "month": "2025-03", "amount": "10.00"}, format="json"
    )
    moved = api_client.patch(detail(budget.pk), {"category": "dining"}, format="json")

    assert (created.status_code, moved.status_code) == (409, 409)
    assert db_state() == before


# --- Update and delete ------------------------------------------------------------------


def test_patch_and_put(api_client, user):
    budget = BudgetFactory(user=user)

    patched = api_client.patch(detail(budget.pk), {"amount": "55.50"}, format="json")
    assert patched.status_code == 200, patched.json()
    assert patched.json()["amount"] == "55.50"

    put = api_client.put(
        detail(budget.pk),
        {"category": "dining", "month": "2025-04-03", "amount": "60.00"},
        format="json",
    )
    assert put.status_code == 200, put.json()
    budget.refresh_from_db()
    assert (budget.category.slug, budget.month, budget.amount) == (
        "dining",
        datetime.date(2025, 4, 1),
        D("60.00"),
    )
    assert not AuditLog.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"amount": "0"},
        {"amount": "x"},
        {"month": "2025-99"},
        {"year": 2025},
        {"category": "transfers"},
        {"category": "dining", "month": "2025-02"},  # that one exists already
    ],
)
def test_bad_updates_are_400s_and_change_nothing(api_client, user, payload):
    budget = BudgetFactory(user=user)
    BudgetFactory(user=user, category=default_category("dining"), month=datetime.date(2025, 2, 1))
    before = db_state()

    response = api_client.patch(detail(budget.pk), payload, format="json")

    assert response.status_code == 400, response.json()
    assert set(response.json()) & {"amount", "month", "category", "year"}
    assert db_state() == before


def test_put_needs_every_field(api_client, user):
    budget = BudgetFactory(user=user)

    response = api_client.put(detail(budget.pk), {"amount": "5.00"}, format="json")

    assert response.status_code == 400
    assert {"category", "month"} <= set(response.json())


def test_delete(api_client, user, account):
    budget = BudgetFactory(user=user)
    spend(account, "-5.00")

    assert api_client.delete(detail(budget.pk)).status_code == 204
    assert not Budget.objects.exists()
    assert Budget.objects.count() == 0


def test_another_customers_budget_is_404_and_unchanged(api_client, other_user):
    budget = BudgetFactory(user=other_user)
    before = db_state()

    for method, url, data in [
        ("get", detail(budget.pk), None),
        ("get", f"{detail(budget.pk)}progress/", None),
        ("patch", detail(budget.pk), {"amount": "1.00"}),
        ("put", detail(budget.pk), {"category": "dining", "month": "2025-03", "amount": "1.00"}),
        ("delete", detail(budget.pk), None),
    ]:
        response = getattr(api_client, method)(url, data, format="json")
        assert response.status_code == 404, (method, url)
    assert db_state() == before


# --- A month ----------------------------------------------------------------------------


def test_month_summary(api_client, user, account, django_assert_num_queries):
    groceries = BudgetFactory(user=user, amount=D("100.00"))
    spend(account, "-40.00")
    spend(account, "-12.00", category="dining")
    spend(account, "-9.00", datetime.date(2025, 2, 27), category="dining")

    with django_assert_num_queries(3):  # user (JWT), budgets, aggregate
        response = api_client.get(f"{URL}month/2025/3/")

    assert response.status_code == 200
    body = response.json()
    assert (body["year"], body["month"], body["currency"]) == (2025, 3, "EUR")
    assert [(row["id"], row["progress"]["spent"]) for row in body["budgets"]] == [
        (groceries.pk, "40.00")
    ]
    assert body["unbudgeted"] == [
        {"category": "dining", "category_name": "Dining", "spent": "12.00", "currency": "EUR"}
    ]
    assert body["unbudgeted_spent"] == "12.00"


def test_another_customers_month_is_not_shown(api_client, other_user):
    BudgetFactory(user=other_user)
    spend(BankAccountFactory(user=other_user), "-12.00")

    body = api_client.get(f"{URL}month/2025/3/").json()

    assert (body["budgets"], body["unbudgeted"]) == ([], [])


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("2025/13", "The month must be from 1 to 12."),
        ("2025/0", "The month must be from 1 to 12."),
        ("1899/12", "The year must be from 1900 to 9999."),
        ("10000/1", "The year must be from 1900 to 9999."),
        ("twenty/3", "The year and month are numbers."),
        ("2025/x", "The year and month are numbers."),
    ],
)
def test_an_impossible_month_is_a_404_saying_why(api_client, path, message):
    response = api_client.get(f"{URL}month/{path}/")

    assert response.status_code == 404
    assert response.json() == {"detail": f"No such month: {message}"}


# --- Copying the previous month ---------------------------------------------------------


def test_copy_previous_makes_the_missing_budgets(api_client, user):
    BudgetFactory(user=user, month=datetime.date(2025, 2, 1), amount=D("80.00"))
    BudgetFactory(user=user, category=default_category("dining"), month=datetime.date(2025, 2, 1))
    BudgetFactory(user=user, category=default_category("dining"), amount=D("5.00"))
    url = f"{URL}copy-previous/"

    response = api_client.post(url, {"year": 2025, "month": 3}, format="json")

    assert response.status_code == 201, response.json()
    assert [(row["category"], row["month"], row["amount"]) for row in response.json()] == [
        ("groceries", "2025-03-01", "80.00")
    ]
    again = api_client.post(url, {"year": 2025, "month": 3}, format="json")
    assert (again.status_code, again.json()) == (200, [])
    assert Budget.objects.count() == 4


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"year": 2025}, "month"),
        ({"month": 3}, "year"),
        ({"year": 2025, "month": 13}, "month"),
        ({"year": "x", "month": 3}, "year"),
        ({"year": 1800, "month": 3}, "year"),
        ({"year": 2027, "month": 3}, "month"),
    ],
)
def test_copy_previous_bad_input_is_a_400_and_changes_nothing(api_client, user, payload, field):
    BudgetFactory(user=user, month=datetime.date(2025, 2, 1))
    BudgetFactory(user=user, month=datetime.date(2027, 2, 1))
    before = db_state()

    response = api_client.post(f"{URL}copy-previous/", payload, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert db_state() == before


def test_totals_larger_than_one_amount_are_shown_not_a_500(api_client, user):
    # Each row fits the 14-digit column, but a month's sum of them does not.
    accounts = [BankAccountFactory(user=user, opening_balance=MONEY_MAX) for _ in range(4)]
    budget = BudgetFactory(user=user, amount=D("0.01"))
    for account, category in zip(accounts, ["groceries"] * 2 + ["dining"] * 2, strict=True):
        spend(account, "-500000000000.00", category=category)
    spent = "1000000000000.00"

    progress = api_client.get(f"{detail(budget.pk)}progress/")
    listed = api_client.get(URL)
    month = api_client.get(f"{URL}month/2025/3/")

    assert progress.status_code == 200, progress.content
    assert progress.json()["spent"] == spent
    assert progress.json()["remaining"] == "-999999999999.99"
    assert progress.json()["projected"] == "1550000000000.00"
    assert listed.status_code == 200
    assert listed.json()["results"][0]["progress"]["spent"] == spent
    assert month.status_code == 200
    assert month.json()["unbudgeted"][0]["spent"] == spent
    assert month.json()["unbudgeted_spent"] == spent
