"""Rules on new transactions, categories set by hand, bulk categorising, and the history."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.models import BankAccount
from accounts.tests.factories import BankAccountFactory, UserFactory
from smartbank.testing import database_snapshot
from transactions.models import CategoryChange, CategorySource, Transaction
from transactions.rule_services import (
    category_changes_for_new,
    rule_apply,
    rule_create,
    transaction_set_category,
    transactions_bulk_categorize,
)
from transactions.rules import compile_rules
from transactions.services import (
    category_delete,
    transaction_create,
    transaction_update,
    transactions_bulk_create,
    transfer_create,
)
from transactions.tests.factories import CategoryFactory, TransactionFactory, default_category

pytestmark = pytest.mark.django_db

URL = "/api/v1/transactions/"
DAY = datetime.date(2025, 3, 14)


def cond(field, operator, value) -> dict:
    return {"field": field, "operator": operator, "value": value}


@pytest.fixture
def account(user):
    return BankAccountFactory(user=user)


@pytest.fixture
def tesco_rule(user):
    return rule_create(
        user=user,
        name="Tesco",
        conditions=[cond("description", "contains", "tesco")],
        set_category=default_category("groceries"),
        set_merchant="Tesco",
    )


def spend(account, description="Card payment", *, category=None, amount="-20.00", **extra):
    return TransactionFactory(
        account=account,
        description=description,
        category=category,
        amount=Decimal(amount),
        apply_rules=False,
        **extra,
    )


def history(txn) -> list[tuple]:
    return list(
        CategoryChange.objects.filter(transaction=txn)
        .order_by("id")
        .values_list("old_category_slug", "new_category_slug", "source", "rule_id", "changed_by_id")
    )


# --- Rules on new transactions ---------------------------------------------------------------


def test_a_new_transaction_without_a_category_is_categorised_by_the_rules(
    user, account, tesco_rule
):
    txn = transaction_create(
        user=user,
        account=account,
        amount=Decimal("-31.20"),
        txn_date=DAY,
        description="CARD TESCO STORES 2231",
        merchant="TESCO STORES",
        actor=user,
    )

    assert txn.category == default_category("groceries")
    assert txn.merchant == "Tesco"
    assert (txn.category_source, txn.category_rule) == (CategorySource.RULE, tesco_rule)
    assert history(txn) == [(("", "groceries", "rule", tesco_rule.pk, user.pk))]


def test_a_category_given_by_hand_wins_and_the_rules_do_not_run(user, account, tesco_rule):
    dining = default_category("dining")

    txn = transaction_create(
        user=user,
        account=account,
        amount=Decimal("-8.00"),
        txn_date=DAY,
        description="TESCO CAFE",
        merchant="Cafe",
        category=dining,
        actor=user,
    )

    assert (txn.category, txn.merchant, txn.category_source) == (dining, "Cafe", "manual")
    assert history(txn) == [("", "dining", "manual", None, user.pk)]


def test_no_match_leaves_the_category_empty_and_no_history(user, account, tesco_rule):
    txn = transaction_create(
        user=user, account=account, amount=Decimal("-5"), txn_date=DAY, description="ALDI"
    )

    assert (txn.category, txn.category_source) == (None, CategorySource.NONE)
    assert history(txn) == []


def test_apply_rules_false_skips_them(user, account, tesco_rule):
    txn = transaction_create(
        user=user,
        account=account,
        amount=Decimal("-5"),
        txn_date=DAY,
        description="TESCO",
        apply_rules=False,
    )

    assert txn.category is None


def test_an_income_can_be_categorised_by_amount(user, account):
    rule = rule_create(
        user=user,
        name="Salary",
        conditions=[cond("amount", "gt", "1000"), cond("description", "contains", "acme")],
        set_category=default_category("income"),
    )

    txn = transaction_create(
        user=user, account=account, amount=Decimal("2500"), txn_date=DAY, description="ACME LTD"
    )

    assert (txn.category.slug, txn.category_rule) == ("income", rule)


def test_transfers_are_not_categorised_by_rules(user, account):
    savings = BankAccountFactory(user=user, account_type=BankAccount.Type.SAVINGS)
    rule_create(
        user=user,
        name="Everything",
        conditions=[cond("amount", "lt", "0"), cond("amount", "gt", "0")],
        match="any",
        set_category=default_category("groceries"),
    )

    result = transfer_create(
        user=user, from_account=account, to_account=savings, amount=Decimal("10"), txn_date=DAY
    )

    for leg in (result.outgoing, result.incoming):
        assert leg.category.slug == "transfers"
        assert leg.category_source == CategorySource.NONE
    assert not CategoryChange.objects.exists()


def test_the_api_create_uses_the_rules_when_no_category_is_given(api_client, account, tesco_rule):
    response = api_client.post(
        URL,
        {
            "account": account.pk,
            "amount": "-12.00",
            "txn_date": "2025-03-01",
            "description": "TESCO",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["category"] == "groceries"
    assert response.json()["merchant"] == "Tesco"


# --- Set by hand, not overwritten unless asked -----------------------------------------------


def test_editing_the_category_marks_it_manual_and_records_who(user, account, tesco_rule, staff):
    txn = transaction_create(
        user=user, account=account, amount=Decimal("-5"), txn_date=DAY, description="TESCO"
    )
    dining = default_category("dining")

    transaction_update(transaction=txn, actor=user, category=dining)
    transaction_update(transaction=txn, actor=staff["admin"], category=dining, notes="same")

    txn.refresh_from_db()
    assert (txn.category, txn.category_source, txn.category_rule) == (dining, "manual", None)
    assert history(txn) == [
        ("", "groceries", "rule", tesco_rule.pk, None),
        ("groceries", "dining", "manual", None, user.pk),
    ]


def test_a_manual_category_is_not_overwritten_by_a_rule_unless_asked(user, account, tesco_rule):
    dining = default_category("dining")
    txn = spend(account, "TESCO CAFE", category=dining)

    kept = rule_apply(rule=tesco_rule, actor=user)
    txn.refresh_from_db()
    assert (kept.skipped_manual, txn.category) == (1, dining)
    assert txn.merchant == "Tesco"  # the merchant is not the hand-set part

    replaced = rule_apply(rule=tesco_rule, actor=user, override_manual=True)
    txn.refresh_from_db()
    assert (replaced.category_changed, txn.category.slug) == (1, "groceries")
    assert history(txn)[-1] == ("dining", "groceries", "rule", tesco_rule.pk, user.pk)


def test_applying_twice_changes_nothing_the_second_time(user, account, tesco_rule):
    spend(account, "TESCO 1")
    spend(account, "TESCO 2")

    first = rule_apply(rule=tesco_rule, actor=user)
    second = rule_apply(rule=tesco_rule, actor=user)

    assert (first.matched, first.changed) == (2, 2)
    assert (second.matched, second.changed) == (2, 0)
    assert CategoryChange.objects.filter(source="rule").count() == 2


def test_a_rule_set_category_can_be_replaced_by_another_rule(user, account, tesco_rule):
    txn = transaction_create(
        user=user, account=account, amount=Decimal("-5"), txn_date=DAY, description="TESCO"
    )
    better = rule_create(
        user=user,
        name="Tesco cafe",
        conditions=[cond("description", "contains", "tesco")],
        set_category=default_category("dining"),
    )

    result = rule_apply(rule=better, actor=user)

    txn.refresh_from_db()
    assert (result.category_changed, txn.category.slug, txn.category_rule) == (1, "dining", better)


def test_deleting_a_category_records_the_move_to_other(user, account):
    own = CategoryFactory(user=user)
    txn = spend(account, category=own)

    category_delete(category=own, actor=user)

    txn.refresh_from_db()
    assert txn.category.slug == "other"
    changes = history(txn)
    assert changes[-1] == (own.slug, "other", "bulk", None, user.pk)
    # The slugs stay readable after the category is gone.
    assert changes[0] == ("", own.slug, "manual", None, None)


# --- PUT /api/v1/transactions/{id}/category/ --------------------------------------------------


def category_url(txn) -> str:
    return f"{URL}{txn.pk}/category/"


def test_put_category_sets_it_by_hand(api_client, user, account):
    txn = spend(account)

    response = api_client.put(category_url(txn), {"category": "dining"}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["id"], body["category"], body["category_source"]) == (txn.pk, "dining", "manual")
    assert body["category_rule"] is None
    txn.refresh_from_db()
    assert (txn.category.slug, txn.category_source) == ("dining", "manual")
    assert history(txn) == [("", "dining", "manual", None, user.pk)]


def test_put_category_null_clears_it_and_same_category_adds_no_history(api_client, user, account):
    txn = spend(account, category=default_category("groceries"))

    same = api_client.put(category_url(txn), {"category": "groceries"}, format="json")
    cleared = api_client.put(category_url(txn), {"category": None}, format="json")

    assert same.status_code == cleared.status_code == 200
    txn.refresh_from_db()
    assert txn.category is None and txn.category_source == "manual"
    assert history(txn) == [
        ("", "groceries", "manual", None, None),
        ("groceries", "", "manual", None, user.pk),
    ]


def test_put_category_own_category(api_client, user, account):
    own = CategoryFactory(user=user, slug="coffee")
    txn = spend(account)

    response = api_client.put(category_url(txn), {"category": "coffee"}, format="json")

    assert response.status_code == 200
    txn.refresh_from_db()
    assert txn.category == own


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"category": "no-such-category"},
        {"category": "their-own"},
        {"category": 5},
        {"category": "gro\x00ceries"},
        {"category": "x" * 10_000},
        {"category": ["groceries"]},
    ],
)
def test_put_category_bad_input_is_400_and_changes_nothing(api_client, other_user, account, body):
    CategoryFactory(user=other_user, slug="their-own")
    txn = spend(account)
    before = database_snapshot()

    response = api_client.put(category_url(txn), body, format="json")

    assert response.status_code == 400
    assert "category" in response.json()
    assert database_snapshot() == before


def test_put_category_on_a_transfer_is_refused(api_client, user, account):
    savings = BankAccountFactory(user=user, account_type=BankAccount.Type.SAVINGS)
    leg = transfer_create(
        user=user, from_account=account, to_account=savings, amount=Decimal("10"), txn_date=DAY
    ).outgoing
    before = database_snapshot()

    response = api_client.put(category_url(leg), {"category": "dining"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"category": ["A transfer keeps the transfers category."]}
    assert database_snapshot() == before


def test_put_category_another_customers_transaction_is_404(other_client, account):
    txn = spend(account)
    before = database_snapshot()

    response = other_client.put(category_url(txn), {"category": "dining"}, format="json")

    assert response.status_code == 404
    assert database_snapshot() == before


def test_put_category_anonymous_is_401(anon_client, account):
    txn = spend(account)

    assert (
        anon_client.put(category_url(txn), {"category": "dining"}, format="json").status_code == 401
    )


def test_service_refuses_another_users_category(account, other_user):
    txn = spend(account)

    with pytest.raises(ValidationError):
        transaction_set_category(
            transaction=txn, category=CategoryFactory(user=other_user), actor=None
        )


# --- POST /api/v1/transactions/bulk-categorize/ -----------------------------------------------

BULK_URL = f"{URL}bulk-categorize/"


def test_bulk_by_ids(api_client, user, account):
    dining = default_category("dining")
    rows = [spend(account, f"Row {n}") for n in range(3)]
    already = spend(account, "Already", category=dining)
    untouched = spend(account, "Untouched")

    response = api_client.post(
        BULK_URL,
        {"ids": [row.pk for row in rows] + [already.pk], "category": "dining"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "updated": 3,
        "unchanged": 1,
        "skipped_transfers": 0,
        "category": "dining",
    }
    for row in rows:
        row.refresh_from_db()
        assert (row.category, row.category_source) == (dining, CategorySource.BULK)
        assert history(row) == [("", "dining", "bulk", None, user.pk)]
    untouched.refresh_from_db()
    assert untouched.category is None


def test_bulk_by_filters_skips_transfers(api_client, user, account):
    savings = BankAccountFactory(user=user, account_type=BankAccount.Type.SAVINGS)
    in_march = [spend(account, "Tesco", txn_date=datetime.date(2025, 3, d)) for d in (2, 9)]
    spend(account, "Tesco", txn_date=datetime.date(2025, 2, 20))
    transfer_create(
        user=user,
        from_account=account,
        to_account=savings,
        amount=Decimal("10"),
        txn_date=datetime.date(2025, 3, 5),
    )

    response = api_client.post(
        BULK_URL,
        {"filters": {"date_from": "2025-03-01", "account": account.pk}, "category": "groceries"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["updated"] == 2
    assert response.json()["skipped_transfers"] == 1
    changed = Transaction.objects.filter(category_source=CategorySource.BULK)
    assert set(changed.values_list("pk", flat=True)) == {row.pk for row in in_march}
    assert Transaction.objects.filter(kind="transfer", category__slug="transfers").count() == 2


def test_bulk_filters_apply_to_the_users_rows_only(api_client, other_user, account):
    theirs = spend(BankAccountFactory(user=other_user), "Tesco")
    mine = spend(account, "Tesco")

    response = api_client.post(
        BULK_URL, {"filters": {"q": "tesco"}, "category": "groceries"}, format="json"
    )

    assert response.json()["updated"] == 1
    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert (theirs.category, mine.category.slug) == (None, "groceries")


def test_bulk_with_an_id_that_is_not_yours_refuses_all(api_client, other_user, account):
    mine = spend(account)
    theirs = spend(BankAccountFactory(user=other_user))
    before = database_snapshot()

    response = api_client.post(
        BULK_URL, {"ids": [mine.pk, theirs.pk, 99999999], "category": "dining"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"ids": [f"Transactions not found: {theirs.pk}, 99999999."]}
    assert database_snapshot() == before


def test_bulk_with_a_transfer_id_refuses_all(api_client, user, account):
    savings = BankAccountFactory(user=user, account_type=BankAccount.Type.SAVINGS)
    mine = spend(account)
    leg = transfer_create(
        user=user, from_account=account, to_account=savings, amount=Decimal("10"), txn_date=DAY
    ).incoming
    before = database_snapshot()

    response = api_client.post(
        BULK_URL, {"ids": [mine.pk, leg.pk], "category": "dining"}, format="json"
    )

    assert response.status_code == 400
    assert str(leg.pk) in response.json()["ids"][0]
    assert database_snapshot() == before


BAD_BULK = {
    "neither ids nor filters": {"category": "dining"},
    "both": {"ids": [1], "filters": {"q": "x"}, "category": "dining"},
    "no category": {"ids": [1]},
    "unknown category": {"ids": [1], "category": "nope"},
    "another users category": {"ids": [1], "category": "their-own"},
    "empty ids": {"ids": [], "category": "dining"},
    "ids not numbers": {"ids": ["one"], "category": "dining"},
    "fractional id": {"ids": [1.5], "category": "dining"},
    "too many ids": {"ids": list(range(1, 1002)), "category": "dining"},
    "huge id": {"ids": [10**30], "category": "dining"},
    "filters not an object": {"filters": "tesco", "category": "dining"},
    "empty filters": {"filters": {}, "category": "dining"},
    "unknown filter": {"filters": {"colour": "red"}, "category": "dining"},
    "ordering only": {"filters": {"ordering": "amount"}, "category": "dining"},
    "bad filter value": {"filters": {"date_from": "yesterday"}, "category": "dining"},
    "another users account filter": {"filters": {"account": "THEIRS"}, "category": "dining"},
    "nested filter value": {"filters": {"q": {"a": 1}}, "category": "dining"},
    "NUL in category": {"ids": [1], "category": "din\x00ing"},
}


@pytest.mark.parametrize("body", BAD_BULK.values(), ids=BAD_BULK.keys())
def test_bulk_bad_input_is_400_and_changes_nothing(api_client, other_user, account, body):
    CategoryFactory(user=other_user, slug="their-own")
    theirs = BankAccountFactory(user=other_user)
    spend(account, "Tesco")
    if body.get("filters") == {"account": "THEIRS"}:
        body = {**body, "filters": {"account": theirs.pk}}
    before = database_snapshot()

    response = api_client.post(BULK_URL, body, format="json")

    assert response.status_code == 400, response.json()
    assert database_snapshot() == before


def test_bulk_anonymous_is_401(anon_client):
    assert (
        anon_client.post(BULK_URL, {"ids": [1], "category": "dining"}, format="json").status_code
        == 401
    )


@pytest.mark.parametrize("count", [2, 40])
def test_bulk_costs_the_same_for_few_or_many_rows(
    api_client, account, count, django_assert_num_queries
):
    rows = [
        spend(account, f"Row {n}", category=default_category("groceries")) for n in range(count)
    ]
    ids = [row.pk for row in rows]

    # JWT user, category slug, savepoint, the rows (locked), one UPDATE, category slugs, one
    # INSERT of history, release.
    # Then the follow-ups of a category change (transactions.followups.categories_changed):
    # the changed rows read back and the active spending rules; no budgets, so no more.
    with django_assert_num_queries(10):
        response = api_client.post(BULK_URL, {"ids": ids, "category": "dining"}, format="json")
    assert response.json()["updated"] == count

    # With filters the same, plus the account filter's check of the account.
    with django_assert_num_queries(11):
        response = api_client.post(
            BULK_URL,
            {"filters": {"account": account.pk}, "category": "shopping"},
            format="json",
        )
    assert response.json()["updated"] == count


def test_bulk_service_needs_ids_or_a_queryset(user):
    with pytest.raises(ValueError):
        transactions_bulk_categorize(user=user, category=None, actor=None)


# --- History in the API and the admin ---------------------------------------------------------


def test_category_history_endpoint(api_client, user, account, tesco_rule, staff):
    txn = transaction_create(
        user=user, account=account, amount=Decimal("-5"), txn_date=DAY, description="TESCO"
    )
    transaction_set_category(transaction=txn, category=default_category("dining"), actor=user)
    transaction_set_category(
        transaction=txn, category=default_category("shopping"), actor=staff["support"]
    )

    response = api_client.get(f"{URL}{txn.pk}/category-history/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    rows = [
        (r["old_category"], r["new_category"], r["source"], r["rule"], r["changed_by"])
        for r in body["results"]
    ]
    assert rows == [
        ("dining", "shopping", "manual", None, "staff"),
        ("groceries", "dining", "manual", None, "customer"),
        ("", "groceries", "rule", tesco_rule.pk, "system"),
    ]


def test_category_history_of_another_customers_transaction_is_404(other_client, account):
    txn = spend(account, category=default_category("groceries"))

    assert other_client.get(f"{URL}{txn.pk}/category-history/").status_code == 404


def test_the_admin_shows_the_history_read_only(admin_client, account):
    txn = spend(account, category=default_category("groceries"))
    change = CategoryChange.objects.get(transaction=txn)

    page = admin_client.get(f"/admin/transactions/categorychange/{change.pk}/change/")
    listing = admin_client.get("/admin/transactions/categorychange/")
    posted = admin_client.post(
        f"/admin/transactions/categorychange/{change.pk}/change/", {"source": "rule"}
    )

    assert page.status_code == listing.status_code == 200
    assert b"groceries" in listing.content
    assert posted.status_code == 403
    assert admin_client.get("/admin/transactions/categorychange/add/").status_code == 403
    deleted = admin_client.post(
        f"/admin/transactions/categorychange/{change.pk}/delete/", {"post": "yes"}
    )
    assert deleted.status_code == 403
    change.refresh_from_db()
    assert change.source == "manual"
    # Its rows go with their transaction when staff delete that.
    removed = admin_client.post(
        f"/admin/transactions/transaction/{txn.pk}/delete/", {"post": "yes"}
    )
    assert removed.status_code == 302
    assert not CategoryChange.objects.filter(pk=change.pk).exists()


def test_the_admin_shows_rules_read_only(admin_client, user, tesco_rule):
    page = admin_client.get(f"/admin/transactions/categorizationrule/{tesco_rule.pk}/change/")

    assert page.status_code == 200
    assert b"tesco" in page.content
    assert admin_client.get("/admin/transactions/categorizationrule/add/").status_code == 403
    delete = admin_client.post(
        f"/admin/transactions/categorizationrule/{tesco_rule.pk}/delete/", {"post": "yes"}
    )
    assert delete.status_code == 403


def test_history_rows_of_a_user_are_theirs_only(account):
    stranger = UserFactory()
    spend(BankAccountFactory(user=stranger), category=default_category("groceries"))
    spend(account, category=default_category("groceries"))

    assert CategoryChange.objects.for_user(account.user).count() == 1


def test_an_import_can_write_the_first_history_of_its_new_rows(user, account, tesco_rule):
    rules = compile_rules(user)
    rows = [
        {"amount": Decimal("-3.00"), "txn_date": DAY, "description": "TESCO 1"},
        {"amount": Decimal("-4.00"), "txn_date": DAY, "description": "ALDI"},
        {
            "amount": Decimal("-5.00"),
            "txn_date": DAY,
            "description": "Rent",
            "category_id": default_category("housing").pk,
            "category_source": CategorySource.IMPORT,
        },
    ]
    for row in rows:
        rules.apply_to_row(row)

    created = transactions_bulk_create(account=account, rows=rows)
    written = category_changes_for_new(user=user, transactions=created, changed_by=user)

    assert written == 2
    assert history(created[0]) == [("", "groceries", "rule", tesco_rule.pk, user.pk)]
    assert created[0].merchant == "Tesco"
    assert history(created[1]) == []
    assert history(created[2]) == [("", "housing", "import", None, user.pk)]
