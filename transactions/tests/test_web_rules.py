"""The categorisation rules pages through Django's test client."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.tests.factories import BankAccountFactory, UserFactory
from smartbank.testing import database_snapshot
from transactions.models import CategorizationRule, CategorySource, Transaction
from transactions.rule_services import rule_create, transaction_set_category
from transactions.tests.factories import CategoryFactory, TransactionFactory, default_category

pytestmark = pytest.mark.django_db

RULES_URL = reverse("transactions-web:rules")
CREATE_URL = reverse("transactions-web:rule-create")


def url(name: str, rule) -> str:
    return reverse(f"transactions-web:{name}", args=[rule.pk])


@pytest.fixture
def account(user):
    return BankAccountFactory(user=user, name="Everyday")


@pytest.fixture
def rule(user):
    return rule_create(
        user=user,
        name="Tesco",
        conditions=[{"field": "description", "operator": "contains", "value": "tesco"}],
        set_category=default_category("groceries"),
    )


def spend(account, description, *, category=None, amount="-20.00", day=14):
    return TransactionFactory(
        account=account,
        description=description,
        category=category,
        amount=Decimal(amount),
        txn_date=datetime.date(2025, 3, day),
        apply_rules=False,
    )


def form_data(conditions, **fields) -> dict:
    """The rule form as the browser sends it, with the conditions as rows (+ blank rows)."""
    rows = [*conditions, {}, {}]
    data = {
        "name": "Coffee",
        "match": "all",
        "set_category": "",
        "set_merchant": "",
        "priority": "100",
        "is_active": "on",
        "action": "save",
        "conditions-TOTAL_FORMS": str(len(rows)),
        "conditions-INITIAL_FORMS": "0",
        "conditions-MIN_NUM_FORMS": "0",
        "conditions-MAX_NUM_FORMS": "20",
    }
    for index, row in enumerate(rows):
        for key in ("field", "operator", "value", "account"):
            data[f"conditions-{index}-{key}"] = str(row.get(key, ""))
        if not row:
            data[f"conditions-{index}-operator"] = "contains"
    return data | {key: value for key, value in fields.items() if value is not None}


def test_add_a_rule_with_conditions_then_preview_and_apply_it(web, user, account):
    dining = default_category("dining")
    latte = spend(account, "Costa latte")
    spend(account, "Costa latte big", amount="-80.00")
    by_hand = spend(account, "Costa cake", category=default_category("shopping"))
    transaction_set_category(transaction=by_hand, category=by_hand.category, actor=user)
    spend(account, "Bakery")

    page = web.get(CREATE_URL)
    assert page.status_code == 200
    assert 'name="conditions-0-field"' in page.content.decode()
    data = form_data(
        [
            {"field": "description", "operator": "starts_with", "value": "costa"},
            {"field": "amount", "operator": "gt", "value": "-50"},
            {"field": "account", "operator": "equals", "account": account.pk},
        ],
        set_category=str(dining.pk),
        set_merchant="Costa",
    )
    # Preview of the rule as written: nothing saved.
    before = database_snapshot()
    previewed = web.post(CREATE_URL, data | {"action": "preview"})
    assert previewed.status_code == 200
    assert previewed.context["preview"]["result"].changed == 2
    assert "What this rule would change" in previewed.content.decode()
    assert database_snapshot() == before

    saved = web.post(CREATE_URL, data)
    rule = CategorizationRule.objects.get()
    assert saved.status_code == 302 and saved["Location"] == url("rule-preview", rule)
    assert rule.conditions == [
        {"field": "description", "operator": "starts_with", "value": "costa"},
        {"field": "amount", "operator": "gt", "value": "-50.00"},
        {"field": "account", "operator": "equals", "value": account.pk},
    ]
    assert (rule.set_category, rule.set_merchant, rule.match) == (dining, "Costa", "all")

    preview = web.get(url("rule-preview", rule))
    html = preview.content.decode()
    # The latte and the cake match; the cake's category was set by hand, only its merchant moves.
    result = preview.context["result"]
    assert (result.matched, result.changed, result.skipped_manual) == (2, 2, 1)
    assert "Costa latte" in html and "Apply to 2 transactions" in html

    applied = web.post(url("rule-apply", rule), follow=True)
    assert (
        "changed 2 of the 2 matching transactions. 1 whose category you set by hand kept it."
        in (applied.content.decode())
    )
    latte.refresh_from_db()
    by_hand.refresh_from_db()
    assert (latte.category, latte.category_source, latte.merchant) == (
        dining,
        CategorySource.RULE,
        "Costa",
    )
    assert by_hand.category == default_category("shopping")

    listed = web.get(RULES_URL).content.decode()
    assert "Description starts with “costa”" in listed
    assert "Amount is more than “-50.00”" in listed
    assert "Account is Everyday (EUR)" in listed
    assert "Category: Dining" in listed


def test_apply_with_override_manual_changes_hand_set_categories_too(web, user, account, rule):
    own = spend(account, "Tesco extra", category=default_category("shopping"))
    transaction_set_category(transaction=own, category=own.category, actor=user)
    preview = web.get(url("rule-preview", rule), {"override_manual": "1"})
    assert preview.context["result"].changed == 1
    web.post(url("rule-apply", rule), {"override_manual": "1"})
    own.refresh_from_db()
    assert own.category == default_category("groceries")


def test_edit_a_rule_and_delete_it(web, rule):
    page = web.get(url("rule-edit", rule))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="tesco"' in html and 'value="Tesco"' in html
    data = form_data(
        [{"field": "merchant", "operator": "equals", "value": "Tesco Metro"}],
        name="Tesco shops",
        match="any",
        set_category=str(default_category("groceries").pk),
        stop_processing="on",
    )
    response = web.post(url("rule-edit", rule), data)
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.match, rule.stop_processing) == ("Tesco shops", "any", True)
    assert rule.conditions == [{"field": "merchant", "operator": "equals", "value": "Tesco Metro"}]
    deleted = web.post(url("rule-delete", rule), follow=True)
    assert "is deleted" in deleted.content.decode()
    assert not CategorizationRule.objects.exists()


@pytest.mark.parametrize(
    ("conditions", "fields", "where", "message"),
    [
        ([], {}, "conditions_error", "Give at least one condition."),
        (
            [{"field": "description", "operator": "regex", "value": "(?<=x)y"}],
            {"set_merchant": "X"},
            "conditions-0_error",
            "Not a valid regular expression",
        ),
        (
            [{"field": "amount", "operator": "contains", "value": "5"}],
            {"set_merchant": "X"},
            "conditions-0_error",
            "On amount the operator must be one of equals, gt, lt.",
        ),
        (
            [{"field": "amount", "operator": "lt", "value": "lots"}],
            {"set_merchant": "X"},
            "conditions-0_error",
            "The amount must be a number such as -12.50.",
        ),
        (
            [{"field": "description", "operator": "contains", "value": "x"}],
            {},
            "form-errors",
            "Choose what the rule does",
        ),
        (
            [{"field": "description", "operator": "contains", "value": "x"}],
            {"name": "", "set_merchant": "X"},
            "id_name_error",
            "This field is required.",
        ),
        (
            [{"field": "description", "operator": "contains", "value": "x"}],
            {"priority": "-1", "set_merchant": "X"},
            "id_priority_error",
            "greater than or equal to 0",
        ),
        (
            [{"operator": "contains", "value": "coffee"}],
            {"set_merchant": "X"},
            "id_conditions-0-field_error",
            "Choose the field this condition looks at.",
        ),
    ],
)
def test_bad_rules_are_refused_beside_the_field_and_save_nothing(
    web, account, conditions, fields, where, message
):
    before = database_snapshot()
    response = web.post(CREATE_URL, form_data(conditions, **fields))
    assert response.status_code == 400
    html = response.content.decode()
    assert where in html
    assert message in html
    assert database_snapshot() == before


def test_another_customers_category_account_and_rule_are_out_of_reach(web, user, rule):
    stranger = UserFactory()
    their_account = BankAccountFactory(user=stranger)
    their_category = CategoryFactory(user=stranger)
    their_rule = rule_create(
        user=stranger,
        name="Theirs",
        conditions=[{"field": "description", "operator": "contains", "value": "x"}],
        set_merchant="X",
    )
    before = database_snapshot()
    with_category = web.post(
        CREATE_URL,
        form_data(
            [{"field": "description", "operator": "contains", "value": "x"}],
            set_category=str(their_category.pk),
        ),
    )
    assert with_category.status_code == 400
    assert "Choose one of your categories." in with_category.content.decode()
    with_account = web.post(
        CREATE_URL,
        form_data(
            [{"field": "account", "operator": "equals", "account": their_account.pk}],
            set_merchant="X",
        ),
    )
    assert with_account.status_code == 400
    assert 'id="id_conditions-0-account_error"' in with_account.content.decode()
    for name in ("rule-edit", "rule-preview"):
        assert web.get(url(name, their_rule)).status_code == 404
    for name in ("rule-edit", "rule-apply", "rule-delete"):
        assert web.post(url(name, their_rule), form_data([])).status_code == 404
    assert database_snapshot() == before
    assert "Theirs" not in web.get(RULES_URL).content.decode()


def test_the_pages_need_a_login(client, rule):
    for target in (RULES_URL, CREATE_URL, url("rule-edit", rule), url("rule-preview", rule)):
        response = client.get(target)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    for target in (url("rule-apply", rule), url("rule-delete", rule)):
        assert client.post(target).status_code == 302
    assert CategorizationRule.objects.count() == 1


def test_an_empty_list_says_what_to_do(web):
    assert "No rules yet. Add one" in web.get(RULES_URL).content.decode()


@pytest.mark.parametrize("size", [2, 40])
def test_the_pages_run_a_fixed_number_of_queries(
    web, user, account, django_assert_num_queries, size
):
    for n in range(size):
        rule_create(
            user=user,
            name=f"Rule {n}",
            conditions=[
                {"field": "description", "operator": "contains", "value": f"shop {n}"},
                {"field": "account", "operator": "equals", "value": account.pk},
            ],
            set_category=default_category("groceries"),
        )
        spend(account, f"Shop {n} card payment", category=default_category("shopping"))
    rule = CategorizationRule.objects.first()
    # Session, user, the rules with their categories, the accounts' names.
    with django_assert_num_queries(4):
        assert web.get(RULES_URL).status_code == 200
    # Session, user, the rule, the accounts for the condition rows, the categories.
    with django_assert_num_queries(5):
        assert web.get(url("rule-edit", rule)).status_code == 200
    # Session, user, the rule, the transactions scanned, the changes' category names.
    with django_assert_num_queries(5):
        assert web.get(url("rule-preview", rule)).status_code == 200
    assert Transaction.objects.count() == size
