"""Categorisation rules: checking a rule's conditions, and evaluating rules in memory.

``compile_rules(user)`` loads the user's active rules in one query and returns a ``RuleSet``;
``RuleSet.apply(row)`` then evaluates a row with no further queries, so an import can run
every row of a file through the rules before its bulk insert.

What a rule does (one definition, used by new transactions, imports, apply and preview):

- Rules run by ascending priority, then id. A rule matches when all (``match="all"``) or any
  (``match="any"``) of its conditions hold.
- Text (description, merchant) is compared case-insensitively, ignoring spaces at either end:
  ``contains``, ``equals``, ``starts_with``, or ``regex`` (RE2 syntax, searched anywhere in the
  text; anchor with ^ and $). RE2 matches in time linear in the text, so no pattern can hang
  the server; patterns RE2 does not support (look-around, back-references) are refused when
  the rule is saved.
- ``amount`` is the signed amount, as on the transaction: money out is negative, so "spent
  more than 50" is ``amount lt -50``. Operators: ``equals``, ``gt``, ``lt``.
- ``account equals <id>`` matches one of the customer's accounts.
- The first matching rule that sets a category decides the category, and the first that sets
  a merchant decides the merchant: a later (lower-priority) rule never overwrites them. A
  matching rule with ``stop`` ends processing. Conditions see the merchant as set by earlier
  rules, so one rule can tidy "AMZN MKTP UK*2X4" into "Amazon" and a later one file
  merchant "Amazon" under shopping.
- Transfers are never categorised by rules.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from operator import attrgetter
from typing import Any

import re2
from django.core.exceptions import ValidationError

from accounts.models import BankAccount, User
from smartbank.money import MONEY_DECIMAL_PLACES, MONEY_MAX, quantize_money
from transactions.models import CategorizationRule, CategorySource, Transaction

FIELDS = ("description", "merchant", "amount", "account")
TEXT_OPERATORS = ("contains", "equals", "starts_with", "regex")
OPERATORS = (*TEXT_OPERATORS, "gt", "lt")
OPERATORS_BY_FIELD = {
    "description": TEXT_OPERATORS,
    "merchant": TEXT_OPERATORS,
    "amount": ("equals", "gt", "lt"),
    "account": ("equals",),
}
MAX_CONDITIONS = 20
# As long as the longest description or merchant a transaction holds.
MAX_TEXT_VALUE_LENGTH = 255
# Memory RE2 may use for one compiled pattern; a pattern that needs more is refused on save.
REGEX_MAX_MEMORY = 1 << 20
# A number longer than this is not an amount anyone means (and is not parsed).
MAX_AMOUNT_TEXT_LENGTH = 32
# Distinct texts whose regex result one compiled condition remembers (bounds its memory).
REGEX_MEMO_SIZE = 10_000


def _regex_options() -> re2.Options:
    options = re2.Options()
    options.case_sensitive = False
    options.never_capture = True
    options.log_errors = False  # a refused pattern is the customer's 400, not a server log line
    options.max_mem = REGEX_MAX_MEMORY
    return options


_REGEX_OPTIONS = _regex_options()


def compile_regex(pattern: str):
    """The RE2 pattern for a regex condition; raises ValueError with RE2's reason if invalid."""
    try:
        return re2.compile(pattern, _REGEX_OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else ""
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise ValueError(f"not a valid regular expression ({reason}).") from None


# --- Checking conditions on save ------------------------------------------------------------


def _clean_text(value: Any, operator: str) -> str:
    if not isinstance(value, str):
        raise ValueError("the value must be text.")
    value = value.strip()
    if not value:
        raise ValueError("the value cannot be empty.")
    if "\x00" in value:
        raise ValueError("the value cannot contain NUL characters.")
    if len(value) > MAX_TEXT_VALUE_LENGTH:
        raise ValueError(f"the value may be at most {MAX_TEXT_VALUE_LENGTH} characters long.")
    if operator == "regex":
        compile_regex(value)
    return value


def _clean_amount(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError("the amount must be a number such as -12.50.")
    text = str(value).strip()
    if len(text) > MAX_AMOUNT_TEXT_LENGTH:
        raise ValueError("the amount must be a number such as -12.50.")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError("the amount must be a number such as -12.50.") from None
    if not amount.is_finite():
        raise ValueError("the amount must be a number such as -12.50.")
    if abs(amount) > MONEY_MAX:
        raise ValueError("this amount is too large.")
    if amount != quantize_money(amount):
        raise ValueError(f"use at most {MONEY_DECIMAL_PLACES} decimal places.")
    # Stored as a string with two decimals, like every amount the API shows.
    return str(quantize_money(amount) + 0)  # + 0 turns -0.00 into 0.00


def _clean_account_id(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("the value must be the id of one of your accounts.")
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 18:
        value = int(value.strip())
    # Bounded like the id column, so a huge number is a 400 and not a database error.
    if not isinstance(value, int) or not 0 < value < 2**63:
        raise ValueError("the value must be the id of one of your accounts.")
    return value


def clean_conditions(conditions: Any, *, user: User) -> list[dict[str, Any]]:
    """Check a rule's conditions and return them normalised for storing.

    Raises ValidationError({"conditions": [one message per bad condition]}) naming each
    condition by its position. Account ids must be the user's (one query).
    """
    if not isinstance(conditions, list) or not conditions:
        raise ValidationError({"conditions": "Give at least one condition."})
    if len(conditions) > MAX_CONDITIONS:
        raise ValidationError(
            {"conditions": f"A rule may have at most {MAX_CONDITIONS} conditions."}
        )
    errors: list[str] = []
    cleaned: list[dict[str, Any]] = []
    account_positions: dict[int, list[int]] = {}
    for position, condition in enumerate(conditions, start=1):
        prefix = f"Condition {position}: "
        if not isinstance(condition, dict):
            errors.append(prefix + "give an object with field, operator and value.")
            continue
        unknown = set(condition) - {"field", "operator", "value"}
        if unknown:
            names = ", ".join(sorted(str(name)[:30] for name in unknown))
            errors.append(prefix + f"unknown key {names}; use field, operator and value.")
            continue
        field, operator = condition.get("field"), condition.get("operator")
        if not isinstance(field, str) or field not in FIELDS:
            errors.append(prefix + f"field must be one of {', '.join(FIELDS)}.")
            continue
        allowed = OPERATORS_BY_FIELD[field]
        if not isinstance(operator, str) or operator not in allowed:
            errors.append(prefix + f"on {field} the operator must be one of {', '.join(allowed)}.")
            continue
        if "value" not in condition:
            errors.append(prefix + "give a value.")
            continue
        try:
            if field == "amount":
                value = _clean_amount(condition["value"])
            elif field == "account":
                value = _clean_account_id(condition["value"])
                account_positions.setdefault(value, []).append(position)
            else:
                value = _clean_text(condition["value"], operator)
        except ValueError as exc:
            errors.append(prefix + str(exc))
            continue
        cleaned.append({"field": field, "operator": operator, "value": value})
    if account_positions:
        own = set(
            BankAccount.objects.for_user(user)
            .filter(pk__in=list(account_positions))
            .values_list("pk", flat=True)
        )
        for account_id, positions in account_positions.items():
            if account_id not in own:
                errors.extend(f"Condition {p}: account not found." for p in positions)
    if errors:
        raise ValidationError({"conditions": sorted(errors, key=_position)})
    return cleaned


def _position(message: str) -> int:
    return int(message.split(" ", 2)[1].rstrip(":"))


# --- Evaluating -----------------------------------------------------------------------------


class _Subject:
    """The fields conditions read, with the folded text computed once per row."""

    __slots__ = ("description", "description_cf", "merchant", "merchant_cf", "amount", "account")

    def __init__(self, description: str, merchant: str, amount: Decimal, account: int | None):
        self.description = description.strip()
        self.description_cf = self.description.casefold()
        self.amount = amount
        self.account = account
        self.set_merchant(merchant)

    def set_merchant(self, merchant: str) -> None:
        self.merchant = merchant.strip()
        self.merchant_cf = self.merchant.casefold()


Condition = Callable[[_Subject], bool]


def _compile_condition(condition: Mapping[str, Any]) -> Condition:
    field, operator, value = condition["field"], condition["operator"], condition["value"]
    if field == "amount":
        number = Decimal(value)
        if operator == "gt":
            return lambda subject: subject.amount > number
        if operator == "lt":
            return lambda subject: subject.amount < number
        return lambda subject: subject.amount == number
    if field == "account":
        account_id = int(value)
        return lambda subject: subject.account == account_id
    text = attrgetter(field)
    folded = attrgetter(f"{field}_cf")
    if operator == "regex":
        search = compile_regex(value).search
        # A statement repeats a few hundred descriptions and merchants over thousands of
        # rows: each text is searched once per compiled rule set (an import's, a rule's
        # apply), which is most of the time an import spends in its rules.
        found: dict[str, bool] = {}

        def regex_matches(subject: _Subject) -> bool:
            value = text(subject)
            hit = found.get(value)
            if hit is None:
                hit = search(value) is not None
                if len(found) < REGEX_MEMO_SIZE:
                    found[value] = hit
            return hit

        return regex_matches
    needle = str(value).strip().casefold()
    if operator == "contains":
        return lambda subject: needle in folded(subject)
    if operator == "starts_with":
        return lambda subject: folded(subject).startswith(needle)
    return lambda subject: folded(subject) == needle


@dataclass(frozen=True, slots=True)
class _CompiledRule:
    id: int
    match_all: bool
    conditions: tuple[Condition, ...]
    category_id: int | None
    merchant: str
    stop: bool

    @classmethod
    def from_rule(cls, rule: CategorizationRule) -> "_CompiledRule":
        return cls(
            id=rule.pk,
            match_all=rule.match == CategorizationRule.Match.ALL,
            conditions=tuple(_compile_condition(c) for c in rule.conditions),
            category_id=rule.set_category_id,
            merchant=rule.set_merchant,
            stop=rule.stop_processing,
        )

    def matches(self, subject: _Subject) -> bool:
        if self.match_all:
            for condition in self.conditions:
                if not condition(subject):
                    return False
            return True
        for condition in self.conditions:
            if condition(subject):
                return True
        return False


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """What the rules decided for one row. None fields: no rule set them."""

    category_id: int | None = None
    category_rule_id: int | None = None
    merchant: str | None = None
    merchant_rule_id: int | None = None
    matched_rule_ids: tuple[int, ...] = ()


def _get(row: Any, name: str, default: Any = None) -> Any:
    if isinstance(row, Mapping):
        return row.get(name, default)
    return getattr(row, name, default)


def _account_id(row: Any) -> int | None:
    account_id = _get(row, "account_id")
    if account_id is None:
        account = _get(row, "account")
        account_id = getattr(account, "pk", account)
    return account_id


class RuleSet:
    """A user's active rules, compiled; evaluating a row makes no query."""

    def __init__(self, rules: Iterable[CategorizationRule]):
        ordered = sorted(rules, key=lambda rule: (rule.priority, rule.pk))
        self._rules = tuple(_CompiledRule.from_rule(rule) for rule in ordered)

    def __len__(self) -> int:
        return len(self._rules)

    def __bool__(self) -> bool:
        return bool(self._rules)

    def evaluate(
        self, *, description: str, merchant: str, amount: Decimal, account_id: int | None
    ) -> RuleOutcome | None:
        """Run the rules over one row's values; None when no rule matched."""
        if not self._rules:
            return None
        subject = _Subject(description or "", merchant or "", amount, account_id)
        category_id = category_rule_id = merchant_rule_id = None
        new_merchant = None
        matched: list[int] = []
        for rule in self._rules:
            if not rule.matches(subject):
                continue
            matched.append(rule.id)
            if rule.category_id is not None and category_id is None:
                category_id, category_rule_id = rule.category_id, rule.id
            if rule.merchant and new_merchant is None:
                new_merchant, merchant_rule_id = rule.merchant, rule.id
                subject.set_merchant(rule.merchant)
            if rule.stop:
                break
        if not matched:
            return None
        return RuleOutcome(
            category_id=category_id,
            category_rule_id=category_rule_id,
            merchant=new_merchant,
            merchant_rule_id=merchant_rule_id,
            matched_rule_ids=tuple(matched),
        )

    def apply(self, row: Any) -> RuleOutcome | None:
        """Evaluate a row: a dict of Transaction fields (before insert) or a Transaction.

        Reads description, merchant, amount and account_id (or account). A transfer (kind
        "transfer" or a transfer_id) is never categorised: the answer is None.
        """
        if _get(row, "kind") == Transaction.Kind.TRANSFER or _get(row, "transfer_id"):
            return None
        return self.evaluate(
            description=_get(row, "description") or "",
            merchant=_get(row, "merchant") or "",
            amount=_get(row, "amount"),
            account_id=_account_id(row),
        )

    def apply_to_row(self, row: dict[str, Any]) -> RuleOutcome | None:
        """Apply the rules to a dict of Transaction fields in place, for an import's rows.

        A row that already has a category (``category`` or ``category_id``) is left as it
        is, as is a transfer. Otherwise the rules' category goes in ``category_id`` with
        ``category_source="rule"`` and ``category_rule_id``, and their merchant in
        ``merchant``. The dict can then be passed to Transaction(**row) or
        transactions_bulk_create. Returns the outcome (None when nothing matched).
        """
        if row.get("category") is not None or row.get("category_id") is not None:
            return None
        outcome = self.apply(row)
        if outcome is None:
            return None
        if outcome.category_id is not None:
            row.pop("category", None)
            row["category_id"] = outcome.category_id
            row["category_source"] = CategorySource.RULE
            row["category_rule_id"] = outcome.category_rule_id
        if outcome.merchant is not None:
            row["merchant"] = outcome.merchant
        return outcome


def compile_rules(user: User) -> RuleSet:
    """The user's active rules, loaded in one query and compiled for evaluation in memory."""
    return RuleSet(CategorizationRule.objects.for_user(user).active().order_by("priority", "id"))


def compile_rule(rule: CategorizationRule) -> RuleSet:
    """One rule on its own (active or not), as apply and preview evaluate it."""
    return RuleSet([rule])
