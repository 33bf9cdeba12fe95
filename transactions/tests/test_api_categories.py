"""/api/v1/categories/: default categories plus the customer's own."""

from decimal import Decimal

import pytest

from accounts.models import BankAccount
from accounts.tests.factories import BankAccountFactory
from smartbank.testing import database_snapshot
from transactions.models import Category, Transaction
from transactions.services import ledger_differences
from transactions.tests.factories import CategoryFactory, TransactionFactory, default_category

pytestmark = pytest.mark.django_db

URL = "/api/v1/categories/"
DEFAULT_SLUGS = {
    "groceries",
    "dining",
    "utilities",
    "transport",
    "housing",
    "entertainment",
    "shopping",
    "travel",
    "health",
    "education",
    "technology",
    "income",
    "transfers",
    "fees",
    "other",
}


def detail(pk: int) -> str:
    return f"{URL}{pk}/"


def listed(client) -> dict[str, dict]:
    response = client.get(URL, {"limit": 500})
    assert response.status_code == 200, response.json()
    return {row["slug"]: row for row in response.json()["results"]}


# --- List -------------------------------------------------------------------------------


def test_list_shows_defaults_and_own_never_anothers(api_client, user, other_user):
    mine = CategoryFactory(user=user, slug="coffee", name="Coffee")
    CategoryFactory(user=other_user, slug="their-secret", name="Their secret")

    rows = listed(api_client)

    assert set(rows) == DEFAULT_SLUGS | {"coffee"}
    assert rows["coffee"] == {
        "id": mine.pk,
        "slug": "coffee",
        "name": "Coffee",
        "is_default": False,
    }
    assert rows["groceries"]["is_default"] is True
    assert rows["groceries"]["name"] == "Groceries"


def test_list_is_paginated_and_ordered_by_name(api_client, user):
    CategoryFactory(user=user, slug="aaa", name="Aardvarks")

    body = api_client.get(URL).json()

    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == len(DEFAULT_SLUGS) + 1
    names = [row["name"] for row in body["results"]]
    assert names == sorted(names)
    assert names[0] == "Aardvarks"
    by_slug = [row["slug"] for row in api_client.get(URL, {"ordering": "-slug"}).json()["results"]]
    assert by_slug == sorted(by_slug, reverse=True)


def test_list_query_count_does_not_grow_with_categories(
    api_client, user, django_assert_num_queries
):
    # The user behind the token, the count, the page.
    with django_assert_num_queries(3):
        api_client.get(URL)

    CategoryFactory.create_batch(10, user=user)
    with django_assert_num_queries(3):
        assert api_client.get(URL).json()["count"] == len(DEFAULT_SLUGS) + 10


# --- Create -----------------------------------------------------------------------------


def test_create_own_category_from_a_name(api_client, user):
    response = api_client.post(URL, {"name": "Coffee & Cake"}, format="json")

    assert response.status_code == 201, response.json()
    category = Category.objects.get(user=user)
    assert response.json() == {
        "id": category.pk,
        "slug": "coffee-cake",
        "name": "Coffee & Cake",
        "is_default": False,
    }


def test_create_with_an_explicit_slug(api_client, user):
    response = api_client.post(URL, {"name": "Pets", "slug": "Pet_Food"}, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["slug"] == "pet_food"
    assert Category.objects.get(user=user).slug == "pet_food"


def test_two_customers_may_use_the_same_slug(api_client, other_client, user, other_user):
    assert api_client.post(URL, {"name": "Coffee"}, format="json").status_code == 201
    assert other_client.post(URL, {"name": "Coffee"}, format="json").status_code == 201

    assert Category.objects.filter(slug="coffee").count() == 2


@pytest.mark.parametrize(
    "data",
    [
        {"name": "Groceries"},
        {"name": "My food", "slug": "groceries"},
        {"name": "Mine", "slug": "coffee"},
        {"name": "COFFEE"},
    ],
    ids=["name-of-default", "slug-of-default", "own-slug", "own-name-other-case"],
)
def test_slug_clash_is_400_and_creates_nothing(api_client, user, data):
    CategoryFactory(user=user, slug="coffee", name="Coffee")
    before = database_snapshot()

    response = api_client.post(URL, data, format="json")

    assert response.status_code == 400
    assert "slug" in response.json()
    assert database_snapshot() == before


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 51}, "name"),
        ({"name": ["Coffee"]}, "name"),
        ({"name": {"en": "Coffee"}}, "name"),
        ({"name": None}, "name"),
        ({"name": "!!!"}, "name"),
        ({"name": "Coffee", "slug": "not a slug!"}, "slug"),
        ({"name": "Coffee", "slug": "x" * 51}, "slug"),
        ({"name": "Coffee", "slug": 42.5}, "slug"),
    ],
)
def test_bad_input_on_create_is_400_and_writes_nothing(api_client, data, field):
    before = database_snapshot()

    response = api_client.post(URL, data, format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert database_snapshot() == before


# --- Retrieve ---------------------------------------------------------------------------


def test_retrieve_own_and_default_categories(api_client, user):
    mine = CategoryFactory(user=user)
    groceries = default_category("groceries")

    assert api_client.get(detail(mine.pk)).json()["slug"] == mine.slug
    assert api_client.get(detail(groceries.pk)).json() == {
        "id": groceries.pk,
        "slug": "groceries",
        "name": "Groceries",
        "is_default": True,
    }


# --- Update (rename) ---------------------------------------------------------------------


@pytest.mark.parametrize("method", ["patch", "put"])
def test_rename_own_category_keeps_its_slug(api_client, user, method):
    category = CategoryFactory(user=user, slug="coffee", name="Coffee")

    response = getattr(api_client, method)(
        detail(category.pk), {"name": "Coffee shops", "slug": "ignored"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "id": category.pk,
        "slug": "coffee",
        "name": "Coffee shops",
        "is_default": False,
    }
    category.refresh_from_db()
    assert (category.slug, category.name) == ("coffee", "Coffee shops")


@pytest.mark.parametrize(
    ("data", "field"),
    [({"name": ""}, "name"), ({"name": "x" * 51}, "name"), ({"name": ["x"]}, "name")],
)
def test_bad_rename_is_400_and_unchanged(api_client, user, data, field):
    category = CategoryFactory(user=user)
    before = database_snapshot()

    response = api_client.patch(detail(category.pk), data, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert database_snapshot() == before


@pytest.mark.parametrize(
    ("method", "data"), [("patch", {"name": "Food"}), ("put", {"name": "Food"}), ("delete", None)]
)
def test_default_categories_cannot_be_changed(api_client, method, data):
    groceries = default_category("groceries")
    before = database_snapshot()

    response = getattr(api_client, method)(detail(groceries.pk), data, format="json")

    assert response.status_code == 403
    assert response.json() == {"detail": "Default categories cannot be renamed or deleted."}
    assert database_snapshot() == before


# --- Delete -----------------------------------------------------------------------------


def test_delete_own_unused_category(api_client, user):
    category = CategoryFactory(user=user)

    response = api_client.delete(detail(category.pk))

    assert response.status_code == 204
    assert not Category.objects.filter(pk=category.pk).exists()


def test_delete_own_category_moves_its_transactions_to_other(api_client, user):
    category = CategoryFactory(user=user, slug="coffee", name="Coffee")
    account = BankAccountFactory(user=user)
    moved = [
        TransactionFactory(account=account, category=category, amount=Decimal("-3.50")).pk,
        TransactionFactory(account=account, category=category, amount=Decimal("-4.20")).pk,
    ]
    untouched = TransactionFactory(account=account, amount=Decimal("-9.99"))
    amounts_before = dict(Transaction.objects.values_list("pk", "amount"))
    balance_before = BankAccount.objects.get(pk=account.pk).balance

    response = api_client.delete(detail(category.pk))

    assert response.status_code == 204
    assert not Category.objects.filter(pk=category.pk).exists()
    other = default_category("other")
    assert set(Transaction.objects.filter(category=other).values_list("pk", flat=True)) == set(
        moved
    )
    untouched.refresh_from_db()
    assert untouched.category.slug == "groceries"
    assert dict(Transaction.objects.values_list("pk", "amount")) == amounts_before
    assert BankAccount.objects.get(pk=account.pk).balance == balance_before
    assert ledger_differences() == []


# --- Ownership, authentication ----------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "data"),
    [
        ("get", None),
        ("patch", {"name": "Hijacked"}),
        ("put", {"name": "Hijacked"}),
        ("delete", None),
    ],
)
def test_another_customers_category_is_404_and_unchanged(other_client, user, method, data):
    category = CategoryFactory(user=user)
    TransactionFactory(account=BankAccountFactory(user=user), category=category)
    before = database_snapshot()

    response = getattr(other_client, method)(detail(category.pk), data, format="json")

    assert response.status_code == 404
    assert database_snapshot() == before


@pytest.mark.parametrize(
    ("method", "on_object"),
    [
        ("get", False),
        ("post", False),
        ("get", True),
        ("put", True),
        ("patch", True),
        ("delete", True),
    ],
)
def test_anonymous_is_401(anon_client, user, method, on_object):
    category = CategoryFactory(user=user)
    before = database_snapshot()

    url = detail(category.pk) if on_object else URL
    response = getattr(anon_client, method)(url, {"name": "Anon"}, format="json")

    assert response.status_code == 401
    assert database_snapshot() == before
