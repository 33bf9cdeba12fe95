"""The dashboard page (Django test client): who may see it, the filters it renders from the
URL, the empty state, and a query count that does not grow with the history.

The figures themselves come from the API in the browser; test_browser_dashboard.py shows
they match it.
"""

import datetime
import json

import pytest
import time_machine
from django.urls import reverse

from accounts.tests.factories import BankAccountFactory, UserFactory
from transactions.tests.factories import CategoryFactory, TransactionFactory, default_category

pytestmark = pytest.mark.django_db

URL = "/dashboard/"
# 22:30 UTC on 30 June 2025: already 1 July in Auckland, still 30 June in London (BST).
NOW = datetime.datetime(2025, 6, 30, 22, 30, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def customer(client, user):
    client.force_login(user)
    return user


@pytest.fixture
def account(customer):
    return BankAccountFactory(user=customer, opening_date=datetime.date(2024, 1, 1))


def _initial_filters(response) -> dict:
    html = response.content.decode()
    start = html.index('id="dashboard-filters-initial"')
    body = html[html.index(">", start) + 1 : html.index("</script>", start)]
    return json.loads(body)


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={URL}"


def test_the_dashboard_is_the_nav_entry_named_dashboard(client, account):
    assert reverse("dashboard") == URL
    response = client.get(URL)
    assert response.status_code == 200
    assert '<a href="/dashboard/" aria-current="page">Dashboard</a>' in response.content.decode()


def test_default_filters_are_the_apis_range_in_the_customers_own_today(client, account):
    account.user.time_zone = "Pacific/Auckland"
    account.user.save(update_fields=["time_zone"])
    response = client.get(URL)
    # Auckland is already in July: the 12 calendar months up to 1 July 2025.
    assert _initial_filters(response) == {
        "date_from": "2024-08-01",
        "date_to": "2025-07-01",
        "category": "",
        "period": "month",
    }
    html = response.content.decode()
    assert 'data-today="2025-07-01"' in html
    assert 'value="2024-08-01"' in html and 'value="2025-07-01"' in html
    assert "vendor/chart.js/chart.umd.min.js" in html and "insights/dashboard.js" in html


def test_filters_in_the_url_are_kept(client, account):
    response = client.get(
        URL,
        {
            "date_from": "2025-01-01",
            "date_to": "2025-03-31",
            "category": "dining",
            "period": "week",
        },
    )
    assert _initial_filters(response) == {
        "date_from": "2025-01-01",
        "date_to": "2025-03-31",
        "category": "dining",
        "period": "week",
    }
    html = response.content.decode()
    assert 'value="2025-01-01"' in html and 'value="2025-03-31"' in html
    assert '<option value="dining" selected>' in html
    assert '<option value="week" selected>' in html


def test_the_category_filter_offers_the_customers_categories_only(client, account, other_user):
    default_category("groceries")
    own = CategoryFactory(user=account.user, name="Allotment", slug="allotment")
    CategoryFactory(user=other_user, name="Their secret", slug="their-secret")
    html = client.get(URL).content.decode()
    assert '<option value="groceries">' in html
    assert f'<option value="{own.slug}">Allotment</option>' in html
    assert "their-secret" not in html and "Their secret" not in html


def test_bad_filters_are_shown_beside_their_field_and_the_defaults_used(
    client, account, other_user
):
    CategoryFactory(user=other_user, name="Their secret", slug="their-secret")
    response = client.get(
        URL, {"date_from": "2025-02-30", "category": "their-secret", "period": "year"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert '<p class="error" id="id_date_from_error" aria-live="polite">Enter a valid date.' in html
    assert "Select a valid choice. their-secret is not one of the available choices." in html
    # Another customer's category is not taken: the page loads with the defaults instead.
    assert _initial_filters(response) == {
        "date_from": "2024-07-01",
        "date_to": "2025-06-30",
        "category": "",
        "period": "month",
    }


def test_without_accounts_the_page_says_to_add_one(client, customer):
    response = client.get(URL)
    html = response.content.decode()
    assert "You have no accounts yet" in html
    assert "insights/dashboard.js" not in html
    assert 'id="dashboard"' not in html


def test_a_staff_user_sees_their_own_empty_dashboard(client, staff):
    client.force_login(staff["support"])
    response = client.get(URL)
    assert response.status_code == 200
    assert "You have no accounts yet" in response.content.decode()


def test_the_page_reads_the_api_with_its_session(client, account):
    """The charts call the JSON API with the session cookie (JWT stays first for clients)."""
    for path in (
        "/api/v1/dashboard/overview/",
        "/api/v1/insights/categories/",
        "/api/v1/insights/trends/?period=week",
        "/api/v1/insights/cash-flow/",
        "/api/v1/transactions/metrics/",
        "/api/v1/transactions/?limit=10",
    ):
        assert client.get(path).status_code == 200, path


def _history(account, months: int) -> None:
    for index in range(months * 10):
        TransactionFactory(
            account=account,
            amount="-1.50",
            txn_date=datetime.date(2025, 6, 28) - datetime.timedelta(days=index * 3),
        )


@pytest.mark.parametrize("months", [1, 10])
def test_query_count_does_not_grow_with_the_history(
    client, account, months, django_assert_num_queries
):
    _history(account, months)
    CategoryFactory(user=account.user)
    # Session, user, "has accounts?", the categories for the filter.
    with django_assert_num_queries(4):
        response = client.get(URL, {"date_from": "2024-01-01", "category": "groceries"})
    assert response.status_code == 200


def test_another_customers_session_sees_only_their_own_page(client, account):
    other = UserFactory()
    BankAccountFactory(user=other)
    client.force_login(other)
    html = client.get(URL).content.decode()
    assert account.name not in html
