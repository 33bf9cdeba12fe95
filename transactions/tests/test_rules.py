"""The rules engine (transactions.rules): checking conditions, and evaluating them in memory."""

import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.tests.factories import BankAccountFactory
from transactions.models import CategorizationRule, CategorySource, Transaction
from transactions.rule_services import rule_create
from transactions.rules import RuleSet, clean_conditions, compile_rule, compile_rules
from transactions.tests.factories import CategoryFactory, default_category

pytestmark = pytest.mark.django_db


def cond(field, operator, value) -> dict:
    return {"field": field, "operator": operator, "value": value}


def make_rule(user, *conditions, **values) -> CategorizationRule:
    values.setdefault("name", "A rule")
    if not {"set_category", "set_merchant", "stop_processing"} & set(values):
        values["set_category"] = default_category("groceries")
    return rule_create(user=user, conditions=list(conditions), **values)


def row(**fields) -> dict:
    base = {"description": "", "merchant": "", "amount": Decimal("-10.00"), "account_id": 1}
    return {**base, **fields}


# --- Each operator --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "fields", "expected"),
    [
        # Text is matched case-insensitively, ignoring spaces at either end.
        (cond("description", "contains", "tesco"), {"description": "CARD TESCO STORES"}, True),
        (cond("description", "contains", "tesco"), {"description": "Sainsbury's"}, False),
        (cond("description", "contains", "straße"), {"description": "HAUPTSTRASSE 5"}, True),
        (cond("description", "equals", " Coffee "), {"description": "COFFEE  "}, True),
        (cond("description", "equals", "coffee"), {"description": "coffee beans"}, False),
        (cond("description", "starts_with", "card"), {"description": "Card 1234 Tesco"}, True),
        (cond("description", "starts_with", "tesco"), {"description": "Card 1234 Tesco"}, False),
        (cond("description", "regex", r"^card\s+\d{4}\b"), {"description": "CARD 1234 X"}, True),
        (cond("description", "regex", r"^card\s+\d{4}\b"), {"description": "CARD 12345"}, False),
        (cond("merchant", "contains", "amzn"), {"merchant": "AMZN Mktp UK"}, True),
        (cond("merchant", "equals", "netflix"), {"merchant": "Netflix"}, True),
        (cond("merchant", "starts_with", "uber"), {"merchant": "Uber Eats"}, True),
        (cond("merchant", "regex", "eats$"), {"merchant": "Uber Eats"}, True),
        (cond("merchant", "contains", "uber"), {"description": "uber"}, False),
        # Amounts are signed: money out is negative.
        (cond("amount", "equals", "-9.99"), {"amount": Decimal("-9.99")}, True),
        (cond("amount", "equals", "9.99"), {"amount": Decimal("-9.99")}, False),
        (cond("amount", "gt", "1000"), {"amount": Decimal("2500.00")}, True),
        (cond("amount", "gt", "1000"), {"amount": Decimal("1000.00")}, False),
        (cond("amount", "lt", "-50"), {"amount": Decimal("-50.01")}, True),
        (cond("amount", "lt", "-50"), {"amount": Decimal("-50.00")}, False),
    ],
)
def test_each_operator(user, condition, fields, expected):
    rules = compile_rule(make_rule(user, condition))

    outcome = rules.apply(row(**fields))

    assert (outcome is not None) is expected
    if expected:
        assert outcome.category_id == default_category("groceries").pk


def test_account_equals_matches_that_account_only(user):
    current = BankAccountFactory(user=user)
    savings = BankAccountFactory(user=user)
    rules = compile_rule(make_rule(user, cond("account", "equals", savings.pk)))

    assert rules.apply(row(account_id=savings.pk)) is not None
    assert rules.apply(row(account_id=current.pk)) is None
    # A Transaction (or a dict holding the account object) works as well as account_id.
    assert rules.apply({**row(), "account_id": None, "account": savings}) is not None


def test_all_needs_every_condition_and_any_needs_one(user):
    conditions = (cond("description", "contains", "tesco"), cond("amount", "lt", "-100"))
    every = compile_rule(make_rule(user, *conditions, match="all"))
    some = compile_rule(make_rule(user, *conditions, match="any"))
    small_tesco = row(description="TESCO", amount=Decimal("-20.00"))
    big_tesco = row(description="TESCO", amount=Decimal("-120.00"))

    assert every.apply(small_tesco) is None
    assert every.apply(big_tesco) is not None
    assert some.apply(small_tesco) is not None
    assert some.apply(row(description="Aldi", amount=Decimal("-5.00"))) is None


# --- Several rules --------------------------------------------------------------------------


def test_lower_priority_number_runs_first_and_its_category_wins(user):
    dining = default_category("dining")
    groceries = default_category("groceries")
    later = make_rule(user, cond("description", "contains", "tesco"), priority=20)
    earlier = make_rule(
        user, cond("description", "contains", "tesco"), priority=10, set_category=dining
    )
    later.set_category = groceries

    outcome = compile_rules(user).apply(row(description="Tesco cafe"))

    assert outcome.category_id == dining.pk
    assert outcome.category_rule_id == earlier.pk
    assert outcome.matched_rule_ids == (earlier.pk, later.pk)


def test_equal_priorities_run_in_the_order_the_rules_were_made(user):
    first = make_rule(
        user, cond("merchant", "contains", "shop"), set_category=default_category("dining")
    )
    make_rule(user, cond("merchant", "contains", "shop"))

    outcome = compile_rules(user).apply(row(merchant="Corner Shop"))

    assert outcome.category_rule_id == first.pk


def test_stop_ends_processing(user):
    tidy = make_rule(
        user,
        cond("description", "contains", "amzn"),
        priority=1,
        set_merchant="Amazon",
        stop_processing=True,
    )
    make_rule(user, cond("description", "contains", "amzn"), priority=2)

    outcome = compile_rules(user).apply(row(description="AMZN MKTP UK*2X4"))

    assert outcome.merchant == "Amazon"
    assert outcome.merchant_rule_id == tidy.pk
    assert outcome.category_id is None
    assert outcome.matched_rule_ids == (tidy.pk,)


def test_a_merchant_set_by_one_rule_is_seen_by_the_next(user):
    shopping = default_category("shopping")
    make_rule(user, cond("description", "contains", "amzn"), priority=1, set_merchant="Amazon")
    make_rule(user, cond("merchant", "equals", "amazon"), priority=2, set_category=shopping)
    make_rule(user, cond("description", "contains", "amzn"), priority=3, set_merchant="Other")

    outcome = compile_rules(user).apply(row(description="AMZN MKTP UK*2X4", merchant="AMZN"))

    assert outcome.merchant == "Amazon"  # the first rule that sets a merchant decides it
    assert outcome.category_id == shopping.pk


def test_inactive_rules_and_other_users_rules_do_not_run(user, other_user):
    make_rule(user, cond("description", "contains", "tesco"), is_active=False)
    make_rule(other_user, cond("description", "contains", "tesco"))

    assert compile_rules(user).apply(row(description="TESCO")) is None
    assert len(compile_rules(user)) == 0


def test_transfers_are_never_categorised(user):
    rules = compile_rule(make_rule(user, cond("description", "contains", "transfer")))

    assert rules.apply(row(description="Transfer to savings", kind="transfer")) is None
    assert rules.apply(row(description="Transfer", transfer_id="8f1d")) is None


def test_compile_is_one_query_and_evaluating_makes_none(user, django_assert_num_queries):
    for number in range(5):
        make_rule(user, cond("description", "contains", f"shop {number}"))

    with django_assert_num_queries(1):
        rules = compile_rules(user)
    with django_assert_num_queries(0):
        outcomes = [rules.apply(row(description=f"SHOP {n}")) for n in range(10)]

    assert sum(outcome is not None for outcome in outcomes) == 5


def test_apply_to_row_fills_in_a_dict_for_the_import(user):
    rule = make_rule(
        user,
        cond("description", "contains", "tesco"),
        set_merchant="Tesco",
        set_category=default_category("groceries"),
    )
    rules = compile_rules(user)
    fresh = row(description="TESCO STORES 123", merchant="TESCO STORES", category=None)
    own = CategoryFactory(user=user)
    given = row(description="TESCO STORES 123", category_id=own.pk)

    rules.apply_to_row(fresh)
    assert rules.apply_to_row(given) is None

    assert fresh["category_id"] == default_category("groceries").pk
    assert fresh["category_source"] == CategorySource.RULE
    assert fresh["category_rule_id"] == rule.pk
    assert fresh["merchant"] == "Tesco"
    assert "category" not in fresh
    assert given["category_id"] == own.pk and "category_source" not in given
    # The dict builds a Transaction as the import's bulk insert would.
    txn = Transaction(user=user, currency="EUR", kind="expense", txn_date="2025-01-01", **fresh)
    assert txn.category_id == default_category("groceries").pk


def test_an_empty_rule_set_answers_nothing():
    assert RuleSet([]).apply(row(description="anything")) is None


# --- Checking conditions on save -------------------------------------------------------------


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ([], "Give at least one condition."),
        ("description contains tesco", "Give at least one condition."),
        ([cond("description", "contains", "x")] * 21, "at most 20 conditions"),
        (["tesco"], "Condition 1: give an object"),
        ([{**cond("description", "contains", "x"), "extra": 1}], "unknown key extra"),
        ([cond("notes", "contains", "x")], "field must be one of"),
        ([cond("description", "like", "x")], "operator must be one of"),
        ([cond("description", "gt", "10")], "on description the operator must be one of"),
        ([cond("amount", "contains", "10")], "on amount the operator must be one of"),
        ([cond("account", "gt", 1)], "on account the operator must be one of"),
        ([{"field": "description", "operator": "contains"}], "give a value"),
        ([cond("description", "contains", "  ")], "cannot be empty"),
        ([cond("description", "contains", 12)], "must be text"),
        ([cond("description", "contains", "a\x00b")], "NUL"),
        ([cond("merchant", "equals", "x" * 256)], "at most 255 characters"),
        ([cond("description", "regex", "(")], "not a valid regular expression (missing )"),
        ([cond("description", "regex", "(?=tesco)")], "not a valid regular expression"),
        ([cond("description", "regex", r"(a)\1")], "not a valid regular expression"),
        ([cond("description", "regex", "((a{100}){100}){100}")], "not a valid regular"),
        ([cond("amount", "gt", "ten")], "the amount must be a number"),
        ([cond("amount", "gt", "NaN")], "the amount must be a number"),
        ([cond("amount", "gt", "1e400")], "too large"),
        ([cond("amount", "gt", "1" * 100)], "the amount must be a number"),
        ([cond("amount", "gt", "1.005")], "at most 2 decimal places"),
        ([cond("amount", "gt", True)], "the amount must be a number"),
        ([cond("account", "equals", "savings")], "the id of one of your accounts"),
        ([cond("account", "equals", 1.5)], "the id of one of your accounts"),
        ([cond("account", "equals", 10**30)], "the id of one of your accounts"),
        ([cond("account", "equals", 999999)], "Condition 1: account not found."),
    ],
)
def test_bad_conditions_are_refused_naming_the_condition(user, conditions, message):
    with pytest.raises(ValidationError) as excinfo:
        clean_conditions(conditions, user=user)

    assert message in " ".join(excinfo.value.message_dict["conditions"])


def test_another_users_account_is_not_found(user, other_user):
    theirs = BankAccountFactory(user=other_user)
    mine = BankAccountFactory(user=user)

    with pytest.raises(ValidationError) as excinfo:
        clean_conditions(
            [cond("account", "equals", mine.pk), cond("account", "equals", theirs.pk)], user=user
        )

    assert excinfo.value.message_dict["conditions"] == ["Condition 2: account not found."]


def test_conditions_are_normalised_for_storing(user):
    account = BankAccountFactory(user=user)

    cleaned = clean_conditions(
        [
            cond("description", "contains", "  Tesco "),
            cond("amount", "lt", -50),
            cond("amount", "gt", 12.5),
            cond("amount", "equals", "-0"),
            cond("account", "equals", str(account.pk)),
        ],
        user=user,
    )

    assert cleaned == [
        cond("description", "contains", "Tesco"),
        cond("amount", "lt", "-50.00"),
        cond("amount", "gt", "12.50"),
        cond("amount", "equals", "0.00"),
        cond("account", "equals", account.pk),
    ]


# --- Regexes cannot hang the server ---------------------------------------------------------


def test_a_catastrophic_pattern_returns_at_once(user):
    # (a+)+$ against "aaa...b" takes exponential time in a backtracking engine (Python's re
    # would not finish this in years); RE2 is linear in the text.
    rules = compile_rule(make_rule(user, cond("description", "regex", "(a+)+$")))
    text = "a" * 100_000 + "b"

    started = time.perf_counter()
    outcome = rules.evaluate(description=text, merchant="", amount=Decimal("-1"), account_id=1)
    elapsed = time.perf_counter() - started

    assert outcome is None
    assert elapsed < 0.5, f"took {elapsed:.3f}s"
    assert rules.evaluate(description="aaaa", merchant="", amount=Decimal("-1"), account_id=1)
