"""The categories pages and a transaction's category history, through Django's test client."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.tests.factories import BankAccountFactory, UserFactory
from smartbank.testing import database_snapshot
from transactions.models import Category, CategorySource, Transaction
from transactions.rule_services import (
    rule_apply,
    rule_create,
    transaction_set_category,
    transactions_bulk_categorize,
)
from transactions.tests.factories import CategoryFactory, TransactionFactory, default_category

pytestmark = pytest.mark.django_db

CATEGORIES = reverse("transactions-web:categories")
CREATE = reverse("transactions-web:category-create")


def edit_url(category) -> str:
    return reverse("transactions-web:category-edit", args=[category.pk])


def delete_url(category) -> str:
    return reverse("transactions-web:category-delete", args=[category.pk])


@pytest.fixture
def account(user):
    return BankAccountFactory(user=user, name="Everyday")


@pytest.fixture
def coffee(user):
    return CategoryFactory(user=user, name="Coffee", slug="coffee")


def spend(account, category, amount="-3.50"):
    return TransactionFactory(
        account=account, category=category, amount=Decimal(amount), apply_rules=False
    )


# --- Login and methods ------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in_and_nothing_changes(client, coffee):
    for url in (CATEGORIES, edit_url(coffee), delete_url(coffee)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    before = database_snapshot()
    for url, data in (
        (CREATE, {"name": "Tea"}),
        (edit_url(coffee), {"name": "Tea"}),
        (delete_url(coffee), {}),
    ):
        response = client.post(url, data)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert database_snapshot() == before


def test_create_is_post_only_and_the_list_get_only(web):
    before = database_snapshot()
    assert web.get(CREATE).status_code == 405
    assert web.post(CATEGORIES, {"name": "Tea"}).status_code == 405
    assert database_snapshot() == before


# --- The list ---------------------------------------------------------------------------


def test_the_list_shows_defaults_and_your_own_with_your_counts(web, user, account, coffee):
    groceries = default_category("groceries")
    spend(account, coffee)
    spend(account, coffee)
    spend(account, groceries)
    # Another customer's category and transactions are not shown and not counted.
    stranger_account = BankAccountFactory()
    theirs = CategoryFactory(user=stranger_account.user, name="Their secret")
    spend(stranger_account, groceries)
    spend(stranger_account, theirs)

    response = web.get(CATEGORIES)

    assert response.status_code == 200
    own = {c.name: c.transaction_count for c in response.context["own"]}
    defaults = {c.slug: c.transaction_count for c in response.context["defaults"]}
    assert own == {"Coffee": 2}
    assert defaults["groceries"] == 1
    body = response.content.decode()
    assert "Their secret" not in body
    assert "shared by every customer, so they cannot be renamed or deleted" in body
    assert edit_url(coffee) in body and delete_url(coffee) in body
    assert edit_url(groceries) not in body


def test_the_list_says_what_to_do_when_you_have_no_categories(web):
    response = web.get(CATEGORIES)

    assert "No categories of your own yet" in response.content.decode()


@pytest.mark.parametrize("size", [1, 25])
def test_the_list_runs_a_fixed_number_of_queries(
    web, user, account, django_assert_num_queries, size
):
    for _ in range(size):
        category = CategoryFactory(user=user)
        spend(account, category)
        spend(account, default_category("groceries"))
    # Session, user, the categories, their transaction counts (one grouped query).
    with django_assert_num_queries(4):
        response = web.get(CATEGORIES)
    assert len(response.context["own"]) == size


def test_the_pages_are_linked_from_transactions_and_rules(web):
    for url in (reverse("transactions-web:list"), reverse("transactions-web:rules")):
        assert f'href="{CATEGORIES}"' in web.get(url).content.decode()


# --- Create -----------------------------------------------------------------------------


def test_create_a_category(web, user):
    response = web.post(CREATE, {"name": "  Coffee shops "}, follow=True)

    assert response.redirect_chain == [(CATEGORIES, 302)]
    category = Category.objects.get(user=user)
    assert (category.name, category.slug) == ("Coffee shops", "coffee-shops")
    assert "The category “Coffee shops” is added." in response.content.decode()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "A category needs a name."),
        ("   ", "A category needs a name."),
        ("x" * 51, "at most 50 characters"),
        ("x" * 100_000, "at most 50 characters"),
        ("!!!", "Use letters or digits"),
        ("Groceries", "A category &#x27;groceries&#x27; already exists."),
        ("COFFEE", "A category &#x27;coffee&#x27; already exists."),
        ("Tea\x00", "Null characters are not allowed."),
    ],
)
def test_bad_names_are_400_beside_the_field_and_write_nothing(web, coffee, name, message):
    default_category("groceries")
    before = database_snapshot()

    response = web.post(CREATE, {"name": name})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["form"].errors["name"]
    assert 'id="id_name_error"' in response.content.decode()
    # The page is the list again, with the categories still shown.
    assert [c.name for c in response.context["own"]] == ["Coffee"]
    assert database_snapshot() == before


def test_a_missing_name_is_400(web):
    before = database_snapshot()

    response = web.post(CREATE, {})

    assert response.status_code == 400
    assert response.context["form"].errors["name"] == ["A category needs a name."]
    assert database_snapshot() == before


# --- Rename -----------------------------------------------------------------------------


def test_rename_keeps_the_slug(web, coffee):
    page = web.get(edit_url(coffee))
    assert page.status_code == 200
    assert 'value="Coffee"' in page.content.decode()

    response = web.post(edit_url(coffee), {"name": "Coffee & cake"}, follow=True)

    assert response.redirect_chain == [(CATEGORIES, 302)]
    coffee.refresh_from_db()
    assert (coffee.name, coffee.slug) == ("Coffee & cake", "coffee")
    assert "“Coffee” is now called “Coffee &amp; cake”." in response.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "A category needs a name."),
        ({}, "A category needs a name."),
        ({"name": "x" * 51}, "at most 50 characters"),
        ({"name": "y" * 100_000}, "at most 50 characters"),
    ],
)
def test_a_bad_rename_is_400_and_unchanged(web, coffee, data, message):
    before = database_snapshot()

    response = web.post(edit_url(coffee), data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'id="id_name_error"' in response.content.decode()
    assert "Rename “Coffee”" in response.content.decode()
    assert database_snapshot() == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_default_categories_are_refused_and_unchanged(web, method):
    groceries = default_category("groceries")
    before = database_snapshot()

    for url in (edit_url(groceries), delete_url(groceries)):
        response = getattr(web, method)(url, {"name": "Food"} if method == "post" else None)
        assert response.status_code == 403
        body = response.content.decode()
        assert "is a default category, shared by every customer" in body
        assert "Nothing has changed." in body
    assert database_snapshot() == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_customers_category_is_404_and_unchanged(web, method):
    theirs = CategoryFactory(user=UserFactory(), name="Theirs")
    spend(BankAccountFactory(user=theirs.user), theirs)
    before = database_snapshot()

    for url in (edit_url(theirs), delete_url(theirs)):
        response = getattr(web, method)(url, {"name": "Mine"} if method == "post" else None)
        assert response.status_code == 404
    assert database_snapshot() == before


def test_unknown_ids_are_404(web):
    for name in ("category-edit", "category-delete"):
        assert web.get(reverse(f"transactions-web:{name}", args=[999_999])).status_code == 404
    assert web.get(f"{CATEGORIES}abc/edit/").status_code == 404


# --- Delete -----------------------------------------------------------------------------


def test_delete_asks_first_then_moves_the_transactions_to_other(web, user, account, coffee):
    other = default_category("other")
    first, second = spend(account, coffee), spend(account, coffee, amount="-12.00")
    account.refresh_from_db()
    balance = account.balance

    page = web.get(delete_url(coffee))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Its <strong>2</strong> transactions move to “Other”." in body
    assert "no balance changes" in body
    assert Category.objects.filter(pk=coffee.pk).exists()

    response = web.post(delete_url(coffee), follow=True)

    assert response.redirect_chain == [(CATEGORIES, 302)]
    assert "its 2 transactions are now in Other" in response.content.decode()
    assert not Category.objects.filter(pk=coffee.pk).exists()
    for txn in (first, second):
        txn.refresh_from_db()
        assert (txn.category_id, txn.category_source) == (other.pk, CategorySource.BULK)
    assert [t.amount for t in Transaction.objects.order_by("pk")] == [
        Decimal("-3.50"),
        Decimal("-12.00"),
    ]
    account.refresh_from_db()
    assert account.balance == balance


def test_deleting_an_empty_category_says_so(web, coffee):
    assert "It holds no transactions." in web.get(delete_url(coffee)).content.decode()


def test_a_category_a_rule_uses_is_refused_and_unchanged(web, user, account, coffee):
    spend(account, coffee)
    rule_create(
        user=user,
        name="Costa",
        conditions=[{"field": "description", "operator": "contains", "value": "costa"}],
        set_category=coffee,
    )
    before = database_snapshot()

    response = web.post(delete_url(coffee))

    assert response.status_code == 400
    body = response.content.decode()
    assert "still in use (a budget or rule refers to it)" in body
    assert "Nothing has changed." in body
    assert database_snapshot() == before


@pytest.mark.parametrize("size", [1, 25])
def test_edit_and_delete_pages_run_a_fixed_number_of_queries(
    web, account, coffee, django_assert_num_queries, size
):
    for _ in range(size):
        spend(account, coffee)
    # Session, user, the category.
    with django_assert_num_queries(3):
        assert web.get(edit_url(coffee)).status_code == 200
    # Session, user, the category, how many transactions it holds.
    with django_assert_num_queries(4):
        assert web.get(delete_url(coffee)).status_code == 200


# --- A transaction's category history ---------------------------------------------------


def update_url(txn) -> str:
    return reverse("transactions-web:update", args=[txn.pk])


def test_the_edit_page_lists_the_category_history_newest_first(web, user, account, coffee):
    groceries, dining = default_category("groceries"), default_category("dining")
    txn = spend(account, groceries)
    transaction_set_category(transaction=txn, category=coffee, actor=user)
    rule = rule_create(
        user=user,
        name="Everything to dining",
        conditions=[{"field": "description", "operator": "contains", "value": "card"}],
        set_category=dining,
    )
    rule_apply(rule=rule, actor=user, override_manual=True)
    transactions_bulk_categorize(user=user, category=None, actor=user, ids=[txn.pk])
    coffee.delete()  # the history still names it, by its slug

    response = web.get(update_url(txn))

    assert response.status_code == 200
    history = response.context["category_history"]
    assert [(c.source, c.old_category_slug, c.new_category_slug) for c in history] == [
        ("bulk", "dining", ""),
        ("rule", "coffee", "dining"),
        ("manual", "groceries", "coffee"),
        ("manual", "", "groceries"),
    ]
    assert history[1].old_category_id is None and history[2].new_category_id is None
    body = response.content.decode()
    section = body[body.index('id="category-history"') :]
    assert "Set by a rule “Everything to dining”" in section
    assert "coffee (deleted)" in section
    assert "Set in bulk by hand" in section
    assert "by you" in section
    assert section.index("Set in bulk by hand") < section.index("Set by a rule")


def test_the_history_says_who_changed_it(web, user, account):
    staff = UserFactory(staff_role="support")
    txn = spend(account, default_category("groceries"))
    transaction_set_category(transaction=txn, category=default_category("dining"), actor=staff)

    section = web.get(update_url(txn)).content.decode()
    section = section[section.index('id="category-history"') :]
    assert "by bank staff" in section


def test_a_transaction_without_a_category_says_it_has_no_history(web, account):
    txn = spend(account, None)

    body = web.get(update_url(txn)).content.decode()

    assert "Its category has not changed yet." in body


def test_the_create_page_has_no_history(web, account):
    assert (
        'id="category-history"' not in web.get(reverse("transactions-web:create")).content.decode()
    )


@pytest.mark.parametrize("changes", [1, 30])
def test_the_edit_page_runs_a_fixed_number_of_queries_whatever_the_history(
    web, user, account, django_assert_num_queries, changes
):
    categories = [default_category("groceries"), default_category("dining")]
    txn = spend(account, categories[0])
    for n in range(changes):
        transaction_set_category(transaction=txn, category=categories[(n + 1) % 2], actor=user)
    # Session, user, the row, the form's accounts and categories, the history (joined).
    with django_assert_num_queries(6):
        response = web.get(update_url(txn))
    shown = response.context["category_history"]
    assert len(shown) == min(changes + 1, 20)
    assert response.context["category_history_more"] is (changes + 1 > 20)
    if changes + 1 > 20:
        assert "Only the latest 20 changes are shown." in response.content.decode()


def test_another_customers_transaction_history_is_404(web):
    theirs = spend(BankAccountFactory(), default_category("groceries"))

    assert web.get(update_url(theirs)).status_code == 404


def test_an_invalid_edit_still_shows_the_history(web, account):
    txn = spend(account, default_category("groceries"))
    before = database_snapshot()

    response = web.post(
        update_url(txn),
        {"account": account.pk, "kind": "expense", "amount": "abc", "txn_date": "2025-03-01"},
    )

    # The transaction form's own refusal (200, as the page has always answered).
    assert response.context["form"].errors["amount"]
    assert len(response.context["category_history"]) == 1
    assert database_snapshot() == before
