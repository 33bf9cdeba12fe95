"""/api/v1/categories/rules/: CRUD, apply and preview."""

import datetime
from decimal import Decimal

import pytest

from accounts.tests.factories import BankAccountFactory
from smartbank.testing import database_snapshot
from transactions.models import CategorizationRule, CategoryChange, CategorySource, Transaction
from transactions.rule_services import PREVIEW_LIMIT, rule_create, transaction_set_category
from transactions.services import transactions_bulk_create, transfer_create
from transactions.tests.factories import CategoryFactory, TransactionFactory, default_category

URL = "/api/v1/categories/rules/"

pytestmark = pytest.mark.django_db


def detail(pk, action: str = "") -> str:
    return f"{URL}{pk}/" + (f"{action}/" if action else "")


def cond(field, operator, value) -> dict:
    return {"field": field, "operator": operator, "value": value}


def payload(**overrides) -> dict:
    data = {
        "name": "Supermarkets",
        "priority": 10,
        "match": "any",
        "conditions": [
            cond("description", "contains", "tesco"),
            cond("merchant", "regex", r"^aldi\b"),
        ],
        "actions": {"set_category": "groceries", "set_merchant": "", "stop": False},
    }
    data.update(overrides)
    return data


@pytest.fixture
def account(user):
    return BankAccountFactory(user=user)


@pytest.fixture
def rule(user):
    return rule_create(
        user=user,
        name="Tesco",
        conditions=[cond("description", "contains", "tesco")],
        set_category=default_category("groceries"),
    )


def spend(account, description, *, category=None, merchant="", amount="-20.00", day=14):
    return TransactionFactory(
        account=account,
        description=description,
        merchant=merchant,
        category=category,
        amount=Decimal(amount),
        txn_date=datetime.date(2025, 3, day),
        apply_rules=False,
    )


# --- Create, read, update, delete ------------------------------------------------------------


def test_create_a_rule(api_client, user, account):
    response = api_client.post(
        URL,
        payload(conditions=[*payload()["conditions"], cond("account", "equals", account.pk)]),
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    rule = CategorizationRule.objects.get()
    assert body == {
        "id": rule.pk,
        "name": "Supermarkets",
        "priority": 10,
        "is_active": True,
        "match": "any",
        "conditions": [
            cond("description", "contains", "tesco"),
            cond("merchant", "regex", r"^aldi\b"),
            cond("account", "equals", account.pk),
        ],
        "actions": {"set_category": "groceries", "set_merchant": "", "stop": False},
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert rule.user == user
    assert rule.set_category == default_category("groceries")


def test_defaults_and_an_own_category(api_client, user):
    own = CategoryFactory(user=user, slug="coffee")

    response = api_client.post(
        URL,
        {
            "name": "Coffee",
            "conditions": [cond("amount", "gt", -5)],
            "actions": {"set_category": "coffee"},
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["priority"], body["is_active"], body["match"]) == (100, True, "all")
    assert body["conditions"] == [cond("amount", "gt", "-5.00")]
    assert body["actions"] == {"set_category": "coffee", "set_merchant": "", "stop": False}
    assert CategorizationRule.objects.get().set_category == own


def test_list_is_in_running_order_and_costs_the_same_for_many_rules(
    api_client, user, other_user, django_assert_num_queries
):
    groceries = default_category("groceries")
    made = [
        rule_create(
            user=user,
            name=f"Rule {n}",
            priority=priority,
            conditions=[cond("description", "contains", f"shop {n}")],
            set_category=groceries,
        )
        for n, priority in enumerate([30, 10, 20, 10])
    ]
    rule_create(
        user=other_user,
        name="Theirs",
        conditions=[cond("merchant", "equals", "x")],
        set_merchant="Y",
    )

    # JWT user, count, page (categories joined).
    with django_assert_num_queries(3):
        response = api_client.get(URL)

    assert response.status_code == 200
    ids = [row["id"] for row in response.json()["results"]]
    assert ids == [made[1].pk, made[3].pk, made[2].pk, made[0].pk]
    for n in range(10):
        rule_create(
            user=user,
            name=f"More {n}",
            conditions=[cond("merchant", "equals", "m")],
            set_merchant="M",
        )
    with django_assert_num_queries(3):
        assert api_client.get(URL).json()["count"] == 14


def test_retrieve_update_and_delete(api_client, rule):
    assert api_client.get(detail(rule.pk)).json()["name"] == "Tesco"

    patched = api_client.patch(
        detail(rule.pk),
        {"is_active": False, "actions": {"set_merchant": "Tesco"}},
        format="json",
    )
    assert patched.status_code == 200, patched.json()
    assert patched.json()["actions"] == {
        "set_category": "groceries",
        "set_merchant": "Tesco",
        "stop": False,
    }
    rule.refresh_from_db()
    assert (rule.is_active, rule.set_merchant) == (False, "Tesco")

    replaced = api_client.put(
        detail(rule.pk),
        payload(name="Aldi", conditions=[cond("merchant", "equals", "aldi")]),
        format="json",
    )
    assert replaced.status_code == 200, replaced.json()
    rule.refresh_from_db()
    assert rule.name == "Aldi" and rule.conditions == [cond("merchant", "equals", "aldi")]

    assert api_client.delete(detail(rule.pk)).status_code == 204
    assert not CategorizationRule.objects.exists()


def test_deleting_a_rule_keeps_the_categories_it_set_and_their_history(api_client, user, account):
    rule = rule_create(
        user=user,
        name="Tesco",
        conditions=[cond("description", "contains", "tesco")],
        set_category=default_category("groceries"),
    )
    txn = TransactionFactory(account=account, description="TESCO", category=None)

    assert api_client.delete(detail(rule.pk)).status_code == 204

    txn.refresh_from_db()
    assert txn.category == default_category("groceries")
    assert txn.category_rule is None
    change = CategoryChange.objects.get(transaction=txn)
    assert (change.source, change.rule) == (CategorySource.RULE, None)


def test_the_categories_routes_still_work(api_client, user, rule):
    own = CategoryFactory(user=user)

    assert api_client.get(f"/api/v1/categories/{own.pk}/").json()["slug"] == own.slug
    assert api_client.get("/api/v1/categories/").status_code == 200
    assert api_client.get(f"{URL}rules/").status_code == 404
    assert api_client.get(f"{URL}abc/").status_code == 404


def test_anonymous_is_401(anon_client, rule):
    assert anon_client.get(URL).status_code == 401
    assert anon_client.post(URL, payload(), format="json").status_code == 401
    assert anon_client.post(detail(rule.pk, "apply"), {}, format="json").status_code == 401
    assert anon_client.post(f"{URL}preview/", {}, format="json").status_code == 401


@pytest.mark.parametrize(
    ("method", "action"),
    [
        ("get", ""),
        ("patch", ""),
        ("put", ""),
        ("delete", ""),
        ("post", "apply"),
        ("post", "preview"),
    ],
)
def test_another_customers_rule_is_404_and_unchanged(other_client, user, rule, method, action):
    spend(BankAccountFactory(user=user), "TESCO")
    before = database_snapshot()

    response = getattr(other_client, method)(
        detail(rule.pk, action), payload(name="Mine now"), format="json"
    )

    assert response.status_code == 404
    assert database_snapshot() == before


def test_another_customers_rules_are_not_listed(other_client, rule):
    assert other_client.get(URL).json()["count"] == 0


# --- Bad input --------------------------------------------------------------------------------


@pytest.fixture
def strangers(other_user):
    return {
        "account": BankAccountFactory(user=other_user),
        "category": CategoryFactory(user=other_user, slug="their-own"),
    }


BAD_RULES = {
    "bad operator": (
        {"conditions": [cond("description", "like", "x")]},
        "conditions",
    ),
    "invalid regex": ({"conditions": [cond("description", "regex", "(")]}, "conditions"),
    "unsupported regex": (
        {"conditions": [cond("description", "regex", "(?<=card )tesco")]},
        "conditions",
    ),
    "gt on description": ({"conditions": [cond("description", "gt", "5")]}, "conditions"),
    "amount not a number": ({"conditions": [cond("amount", "lt", "lots")]}, "conditions"),
    "unknown field": ({"conditions": [cond("category", "equals", "x")]}, "conditions"),
    "no conditions": ({"conditions": []}, "conditions"),
    "conditions not a list": ({"conditions": {"field": "amount"}}, "conditions"),
    "huge value": ({"conditions": [cond("description", "contains", "x" * 100_000)]}, "conditions"),
    "NUL in value": ({"conditions": [cond("merchant", "equals", "a\x00b")]}, "conditions"),
    "NUL in name": ({"name": "Tes\x00co"}, "name"),
    "long name": ({"name": "n" * 101}, "name"),
    "unknown category": ({"actions": {"set_category": "no-such-slug"}}, "actions"),
    "NUL in category": ({"actions": {"set_category": "gro\x00ceries"}}, "actions"),
    "long merchant": ({"actions": {"set_merchant": "m" * 256}}, "actions"),
    "no action": (
        {"actions": {"set_category": None, "set_merchant": "", "stop": False}},
        "actions",
    ),
    "negative priority": ({"priority": -1}, "priority"),
    "huge priority": ({"priority": 10**12}, "priority"),
    "bad match": ({"match": "most"}, "match"),
}


@pytest.mark.parametrize(("overrides", "field"), BAD_RULES.values(), ids=BAD_RULES.keys())
def test_bad_input_is_400_naming_the_field_and_saves_nothing(
    api_client, user, rule, overrides, field
):
    before = database_snapshot()

    created = api_client.post(URL, payload(**overrides), format="json")
    updated = api_client.put(detail(rule.pk), payload(**overrides), format="json")

    for response in (created, updated):
        assert response.status_code == 400, response.json()
        assert field in response.json()
    assert database_snapshot() == before


def test_another_customers_category_and_account_are_not_found(api_client, rule, strangers):
    before = database_snapshot()

    category = api_client.post(URL, payload(actions={"set_category": "their-own"}), format="json")
    account = api_client.post(
        URL, payload(conditions=[cond("account", "equals", strangers["account"].pk)]), format="json"
    )
    patched = api_client.patch(
        detail(rule.pk),
        {"conditions": [cond("account", "equals", strangers["account"].pk)]},
        format="json",
    )

    assert category.status_code == 400
    assert category.json() == {"actions": {"set_category": ["Category 'their-own' not found."]}}
    assert account.status_code == patched.status_code == 400
    assert account.json() == {"conditions": ["Condition 1: account not found."]}
    assert database_snapshot() == before


def test_every_bad_condition_is_named(api_client):
    response = api_client.post(
        URL,
        payload(
            conditions=[
                cond("description", "contains", "ok"),
                cond("description", "regex", "("),
                cond("amount", "contains", "5"),
            ]
        ),
        format="json",
    )

    assert response.status_code == 400
    messages = response.json()["conditions"]
    assert [m.split(":")[0] for m in messages] == ["Condition 2", "Condition 3"]
    assert "not a valid regular expression" in messages[0]


# --- Apply and preview ------------------------------------------------------------------------


def test_apply_changes_matching_rows_but_not_categories_set_by_hand(
    api_client, user, account, rule
):
    dining = default_category("dining")
    plain = spend(account, "TESCO STORES 1")
    by_hand = spend(account, "TESCO CAFE", category=dining)
    bulk = spend(account, "TESCO EXPRESS")
    transaction_set_category(transaction=bulk, category=dining, actor=user)
    Transaction.objects.filter(pk=bulk.pk).update(category_source=CategorySource.BULK)
    spend(account, "ALDI")

    response = api_client.post(detail(rule.pk, "apply"), {}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "matched": 3,
        "changed": 1,
        "category_changed": 1,
        "merchant_changed": 0,
        "skipped_manual": 2,
    }
    plain.refresh_from_db()
    by_hand.refresh_from_db()
    assert plain.category == default_category("groceries")
    assert (plain.category_source, plain.category_rule) == (CategorySource.RULE, rule)
    assert by_hand.category == dining
    change = CategoryChange.objects.get(transaction=plain)
    assert (change.source, change.rule, change.changed_by) == (CategorySource.RULE, rule, user)
    assert (change.old_category_slug, change.new_category_slug) == ("", "groceries")


def test_apply_with_override_manual_replaces_them_too(api_client, account, rule):
    by_hand = spend(account, "TESCO CAFE", category=default_category("dining"))

    response = api_client.post(detail(rule.pk, "apply"), {"override_manual": True}, format="json")

    assert response.json()["changed"] == 1
    by_hand.refresh_from_db()
    assert by_hand.category == default_category("groceries")
    assert by_hand.category_source == CategorySource.RULE


def test_apply_within_dates_and_an_account(api_client, user, account, rule):
    card = BankAccountFactory(user=user)
    early = spend(account, "TESCO", day=1)
    inside = spend(account, "TESCO", day=15)
    elsewhere = spend(card, "TESCO", day=15)

    response = api_client.post(
        detail(rule.pk, "apply"),
        {"date_from": "2025-03-10", "date_to": "2025-03-31", "account": account.pk},
        format="json",
    )

    assert response.json()["changed"] == 1
    changed = set(
        Transaction.objects.filter(category_source=CategorySource.RULE).values_list("pk", flat=True)
    )
    assert changed == {inside.pk}
    assert early.pk not in changed and elsewhere.pk not in changed


def test_apply_sets_the_merchant_and_leaves_transfers_alone(api_client, user, account):
    savings = BankAccountFactory(user=user)
    transfer_create(
        user=user,
        from_account=account,
        to_account=savings,
        amount=Decimal("5.00"),
        txn_date=datetime.date(2025, 3, 14),
        description="Transfer for tesco",
    )
    by_hand = spend(account, "TESCO CAFE", category=default_category("dining"), merchant="T")
    rule = rule_create(
        user=user,
        name="Tidy",
        conditions=[cond("description", "contains", "tesco")],
        set_merchant="Tesco",
        set_category=default_category("groceries"),
    )
    before_transfers = list(Transaction.objects.filter(kind="transfer").values())

    response = api_client.post(detail(rule.pk, "apply"), {}, format="json")

    assert response.json() == {
        "matched": 1,
        "changed": 1,
        "category_changed": 0,
        "merchant_changed": 1,
        "skipped_manual": 1,
    }
    by_hand.refresh_from_db()
    assert (by_hand.merchant, by_hand.category.slug) == ("Tesco", "dining")
    assert list(Transaction.objects.filter(kind="transfer").values()) == before_transfers
    assert not CategoryChange.objects.filter(source=CategorySource.RULE).exists()


def test_bad_apply_input_is_400_and_changes_nothing(api_client, account, rule, strangers):
    spend(account, "TESCO")
    before = database_snapshot()

    for body in (
        {"date_from": "2025-13-01"},
        {"date_from": "2025-03-10", "date_to": "2025-03-01"},
        {"account": strangers["account"].pk},
        {"account": "1.5"},
        {"override_manual": "perhaps"},
    ):
        response = api_client.post(detail(rule.pk, "apply"), body, format="json")
        assert response.status_code == 400, (body, response.json())
    assert database_snapshot() == before


def test_preview_says_what_apply_would_do_and_writes_nothing(api_client, account, rule):
    rows = [spend(account, f"TESCO {n}", day=n + 1) for n in range(3)]
    spend(account, "TESCO CAFE", category=default_category("dining"))
    spend(account, "ALDI")
    before = database_snapshot()

    response = api_client.post(detail(rule.pk, "preview"), {}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert database_snapshot() == before
    assert {k: body[k] for k in ("matched", "changed", "skipped_manual", "truncated")} == {
        "matched": 4,
        "changed": 3,
        "skipped_manual": 1,
        "truncated": False,
    }
    newest = rows[-1]
    assert body["changes"][0] == {
        "transaction": newest.pk,
        "txn_date": "2025-03-03",
        "description": "TESCO 2",
        "amount": "-20.00",
        "currency": "EUR",
        "old_category": None,
        "new_category": "groceries",
        "old_merchant": "",
        "new_merchant": "",
    }
    assert [c["transaction"] for c in body["changes"]] == [r.pk for r in reversed(rows)]
    applied = api_client.post(detail(rule.pk, "apply"), {}, format="json").json()
    assert applied == {k: v for k, v in body.items() if k not in ("changes", "truncated")}


def many_rows(account, count):
    transactions_bulk_create(
        account=account,
        rows=[
            {
                "amount": Decimal("-1.00"),
                "txn_date": datetime.date(2025, 3, 1),
                "description": f"tesco {n}",
            }
            for n in range(count)
        ],
    )


def test_preview_lists_a_capped_number_of_rows_with_the_full_count(api_client, account, rule):
    many_rows(account, PREVIEW_LIMIT + 30)

    body = api_client.post(detail(rule.pk, "preview"), {}, format="json").json()

    assert body["changed"] == PREVIEW_LIMIT + 30
    assert len(body["changes"]) == PREVIEW_LIMIT
    assert body["truncated"] is True


@pytest.mark.parametrize("rows", [3, 60])
def test_preview_and_apply_cost_the_same_for_few_or_many_rows(
    api_client, account, rule, rows, django_assert_num_queries
):
    many_rows(account, rows)

    # JWT user, rule (owner and category joined), the rows, the category slugs.
    with django_assert_num_queries(4):
        response = api_client.post(detail(rule.pk, "preview"), {}, format="json")
    assert response.json()["changed"] == rows

    # JWT user, rule, savepoint, the rows, one UPDATE, category slugs, one INSERT of history
    # (SQLite splits it every 999 parameters, PostgreSQL every 1000 rows), release.
    # Then the follow-ups of a category change (transactions.followups.categories_changed):
    # the changed rows read back and the active spending rules; no budgets, so no more.
    with django_assert_num_queries(10):
        response = api_client.post(detail(rule.pk, "apply"), {}, format="json")
    assert response.json()["changed"] == rows
    assert CategoryChange.objects.filter(source=CategorySource.RULE).count() == rows


def test_preview_an_unsaved_rule(api_client, account):
    spend(account, "NETFLIX.COM", amount="-9.99")
    spend(account, "NETFLIX.COM", amount="-15.99")
    before = database_snapshot()

    response = api_client.post(
        f"{URL}preview/",
        {
            "rule": payload(
                match="all",
                conditions=[
                    cond("description", "starts_with", "netflix"),
                    cond("amount", "gt", -10),
                ],
                actions={"set_category": "entertainment", "set_merchant": "Netflix"},
            ),
            "override_manual": False,
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["matched"], body["changed"], body["merchant_changed"]) == (1, 1, 1)
    assert body["changes"][0]["new_category"] == "entertainment"
    assert body["changes"][0]["new_merchant"] == "Netflix"
    assert database_snapshot() == before


def test_preview_of_a_bad_unsaved_rule_is_400(api_client):
    before = database_snapshot()

    response = api_client.post(
        f"{URL}preview/",
        {"rule": payload(conditions=[cond("description", "regex", "(")])},
        format="json",
    )
    missing = api_client.post(f"{URL}preview/", {}, format="json")

    assert response.status_code == 400 and "conditions" in response.json()
    assert missing.status_code == 400 and "rule" in missing.json()
    assert database_snapshot() == before
