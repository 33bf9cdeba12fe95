"""Writes for categorisation rules and category changes.

Rule create/update/delete, applying one rule to the existing transactions (and previewing
what that would do), setting one transaction's category by hand, and categorising many at
once. What a rule matches and decides is defined once, in transactions.rules.

Invariants kept here:

- Every change of a transaction's category writes a CategoryChange row (source, rule, who)
  in the same database transaction as the change (transactions.services.category_changes_record).
- A category set by hand (category_source manual or bulk) is not overwritten by applying a
  rule unless the customer asks (override_manual).
- Transfers keep the transfers category: rules and bulk changes leave them alone.
- Bad input raises ValidationError before anything is written.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction as db_transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import BankAccount, User
from accounts.services import audit_if_staff
from smartbank.bulk import chunked
from transactions.followups import categories_changed
from transactions.models import (
    HAND_SET_CATEGORY_SOURCES,
    CategorizationRule,
    Category,
    CategorySource,
    Transaction,
)
from transactions.rules import MAX_TEXT_VALUE_LENGTH, clean_conditions, compile_rule
from transactions.services import category_changes_record, check_category

MAX_RULE_NAME_LENGTH = 100
MAX_PRIORITY = 1_000_000
# A preview lists this many rows; its counts cover all of them.
PREVIEW_LIMIT = 100
# Rows read per round trip when a rule runs over a customer's history.
SCAN_CHUNK_SIZE = 2000
# Ids per UPDATE ... WHERE id IN (...): well under SQLite's and PostgreSQL's bind limits.
UPDATE_CHUNK_SIZE = 5000
MAX_BULK_IDS = 1000

TRANSFER_KEEPS_CATEGORY = "A transfer keeps the transfers category."


# --- Rules ----------------------------------------------------------------------------------


def _clean_text(value: Any, *, field_name: str, max_length: int, required: bool) -> str:
    if not isinstance(value, str):
        raise ValidationError({field_name: "Give text."})
    value = value.strip()
    if required and not value:
        raise ValidationError({field_name: "This field cannot be empty."})
    if "\x00" in value:
        raise ValidationError({field_name: "NUL characters are not allowed."})
    if len(value) > max_length:
        raise ValidationError({field_name: f"At most {max_length} characters."})
    return value


def _clean_rule(*, user: User, values: dict[str, Any]) -> dict[str, Any]:
    """Check every field of a rule; collect all the errors in one ValidationError."""
    errors: dict[str, Any] = {}
    cleaned: dict[str, Any] = {}
    checks = {
        "name": lambda v: _clean_text(
            v, field_name="name", max_length=MAX_RULE_NAME_LENGTH, required=True
        ),
        "set_merchant": lambda v: _clean_text(
            v, field_name="set_merchant", max_length=MAX_TEXT_VALUE_LENGTH, required=False
        ),
        "conditions": lambda v: clean_conditions(v, user=user),
    }
    for name, check in checks.items():
        try:
            cleaned[name] = check(values[name])
        except ValidationError as exc:
            errors.update(exc.message_dict)
    priority = values["priority"]
    if isinstance(priority, bool) or not isinstance(priority, int):
        errors["priority"] = ["A whole number."]
    elif not 0 <= priority <= MAX_PRIORITY:
        errors["priority"] = [f"From 0 to {MAX_PRIORITY}."]
    cleaned["priority"] = priority
    if values["match"] not in CategorizationRule.Match.values:
        errors["match"] = ["all or any."]
    cleaned["match"] = values["match"]
    for flag in ("is_active", "stop_processing"):
        if not isinstance(values[flag], bool):
            errors[flag] = ["true or false."]
        cleaned[flag] = values[flag]
    category = values["set_category"]
    try:
        check_category(category, user, field="set_category")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    cleaned["set_category"] = category
    if (
        "set_merchant" not in errors
        and category is None
        and not cleaned["set_merchant"]
        and not cleaned["stop_processing"]
    ):
        errors["actions"] = ["Give at least one action: set_category, set_merchant or stop."]
    if errors:
        raise ValidationError(errors)
    return cleaned


RULE_DEFAULTS: dict[str, Any] = {
    "priority": 100,
    "is_active": True,
    "match": CategorizationRule.Match.ALL,
    "set_category": None,
    "set_merchant": "",
    "stop_processing": False,
}
RULE_FIELDS = ("name", "conditions", *RULE_DEFAULTS)


def rule_build(*, user: User, **values: Any) -> CategorizationRule:
    """A checked rule that is not saved: what preview evaluates for a rule being written."""
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise ValueError(f"A rule has no fields {sorted(unknown)}")
    cleaned = _clean_rule(user=user, values={**RULE_DEFAULTS, **values})
    return CategorizationRule(user=user, **cleaned)


def rule_create(*, user: User, actor: User | None = None, **values: Any) -> CategorizationRule:
    """Save a new rule for ``user`` (name and conditions required; see RULE_DEFAULTS).

    Conditions are checked and normalised (transactions.rules.clean_conditions): regexes
    compile under RE2, amounts are decimals, accounts and the category are the user's.
    """
    rule = rule_build(user=user, **values)
    rule.save()
    audit_if_staff(
        actor=actor,
        owner=user,
        action="rule.create",
        target=rule,
        changes={"name": (None, rule.name)},
    )
    return rule


def rule_update(
    *, rule: CategorizationRule, actor: User | None, **values: Any
) -> CategorizationRule:
    """Change some of a rule's fields; the whole rule is checked again before saving."""
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise ValueError(f"A rule has no fields {sorted(unknown)}")
    current = {name: getattr(rule, name) for name in RULE_FIELDS}
    cleaned = _clean_rule(user=rule.user, values={**current, **values})
    changes = {}
    for name, value in cleaned.items():
        if current[name] != value:
            changes[name] = (
                getattr(current[name], "pk", current[name]),
                getattr(value, "pk", value),
            )
            setattr(rule, name, value)
    if changes:
        rule.save()
        audit_if_staff(
            actor=actor, owner=rule.user, action="rule.update", target=rule, changes=changes
        )
    return rule


def rule_delete(*, rule: CategorizationRule, actor: User | None) -> None:
    """Delete a rule. Categories it set stay; their history keeps the change, without the rule."""
    audit_if_staff(
        actor=actor,
        owner=rule.user,
        action="rule.delete",
        target=rule,
        changes={"name": (rule.name, None)},
    )
    rule.delete()


# --- Applying a rule to existing transactions -------------------------------------------------


@dataclass(frozen=True)
class PlannedChange:
    """What applying a rule does to one transaction."""

    transaction_id: int
    txn_date: date
    description: str
    amount: Decimal
    currency: str
    old_category_id: int | None
    new_category_id: int | None  # None: the category stays
    old_merchant: str
    new_merchant: str | None  # None: the merchant stays


@dataclass
class RuleRunResult:
    """Counts of one apply or preview. ``changes`` is filled (up to a limit) by preview only."""

    matched: int = 0
    changed: int = 0
    category_changed: int = 0
    merchant_changed: int = 0
    # Matched, but the category was set by hand and override_manual was not given.
    skipped_manual: int = 0
    changes: list[PlannedChange] = field(default_factory=list)


def _scope(
    *,
    user: User,
    date_from: date | None,
    date_to: date | None,
    account: BankAccount | None,
) -> QuerySet[Transaction]:
    queryset = Transaction.objects.for_user(user).non_transfer()
    if date_from is not None:
        queryset = queryset.filter(txn_date__gte=date_from)
    if date_to is not None:
        queryset = queryset.filter(txn_date__lte=date_to)
    if account is not None:
        queryset = queryset.filter(account=account)
    return queryset


def _plan(
    *,
    rule: CategorizationRule,
    queryset: QuerySet[Transaction],
    override_manual: bool,
    result: RuleRunResult,
) -> Iterator[PlannedChange]:
    """Evaluate one rule over the rows in memory; yield the rows it would change."""
    rules = compile_rule(rule)
    new_category_id = rule.set_category_id
    new_merchant = rule.set_merchant or None
    rows = queryset.values_list(
        "pk",
        "description",
        "merchant",
        "amount",
        "account_id",
        "category_id",
        "category_source",
        "txn_date",
        "currency",
    ).iterator(chunk_size=SCAN_CHUNK_SIZE)
    for pk, description, merchant, amount, account_id, category_id, source, day, currency in rows:
        if (
            rules.evaluate(
                description=description, merchant=merchant, amount=amount, account_id=account_id
            )
            is None
        ):
            continue
        result.matched += 1
        category_to = None
        if new_category_id is not None and category_id != new_category_id:
            if source in HAND_SET_CATEGORY_SOURCES and not override_manual:
                result.skipped_manual += 1
            else:
                category_to = new_category_id
        merchant_to = (
            new_merchant if new_merchant is not None and merchant != new_merchant else None
        )
        if category_to is None and merchant_to is None:
            continue
        result.changed += 1
        result.category_changed += category_to is not None
        result.merchant_changed += merchant_to is not None
        yield PlannedChange(
            transaction_id=pk,
            txn_date=day,
            description=description,
            amount=amount,
            currency=currency,
            old_category_id=category_id,
            new_category_id=category_to,
            old_merchant=merchant,
            new_merchant=merchant_to,
        )


def rule_preview(
    *,
    rule: CategorizationRule,
    override_manual: bool = False,
    date_from: date | None = None,
    date_to: date | None = None,
    account: BankAccount | None = None,
    limit: int = PREVIEW_LIMIT,
) -> RuleRunResult:
    """What rule_apply would do, without writing: counts of all rows, the first ``limit`` rows.

    Works for a saved rule and for one built with rule_build. Newest transactions first.
    """
    result = RuleRunResult()
    queryset = _scope(user=rule.user, date_from=date_from, date_to=date_to, account=account)
    for planned in _plan(
        rule=rule,
        queryset=queryset.order_by("-txn_date", "-id"),
        override_manual=override_manual,
        result=result,
    ):
        if len(result.changes) < limit:
            result.changes.append(planned)
    return result


@db_transaction.atomic
def rule_apply(
    *,
    rule: CategorizationRule,
    actor: User | None,
    override_manual: bool = False,
    date_from: date | None = None,
    date_to: date | None = None,
    account: BankAccount | None = None,
) -> RuleRunResult:
    """Apply one rule (active or not) to the user's existing non-transfer transactions.

    The rule's category replaces the current one, except where the customer set it by hand
    (manual or bulk) and ``override_manual`` is false; its merchant replaces the merchant.
    Changed rows get category_source "rule" and category_rule, and one CategoryChange each.
    The scanned rows are locked (in id order) so a concurrent edit is not lost. Writes are
    a few bulk statements whatever the number of rows.
    """
    result = RuleRunResult()
    queryset = _scope(user=rule.user, date_from=date_from, date_to=date_to, account=account)
    planned = list(
        _plan(
            rule=rule,
            queryset=queryset.select_for_update().order_by("pk"),
            override_manual=override_manual,
            result=result,
        )
    )
    now = timezone.now()
    category_rows = [p for p in planned if p.new_category_id is not None]
    merchant_ids = [p.transaction_id for p in planned if p.new_merchant is not None]
    for chunk in chunked([p.transaction_id for p in category_rows], UPDATE_CHUNK_SIZE):
        Transaction.objects.filter(pk__in=chunk).update(
            category_id=rule.set_category_id,
            category_source=CategorySource.RULE,
            category_rule=rule,
            updated_at=now,
        )
    for chunk in chunked(merchant_ids, UPDATE_CHUNK_SIZE):
        Transaction.objects.filter(pk__in=chunk).update(merchant=rule.set_merchant, updated_at=now)
    category_changes_record(
        user=rule.user,
        changes=[
            (p.transaction_id, p.old_category_id, p.new_category_id, rule.pk) for p in category_rows
        ],
        source=CategorySource.RULE,
        changed_by=actor,
    )
    categories_changed(user=rule.user, transaction_ids=[p.transaction_id for p in category_rows])
    if planned:
        audit_if_staff(
            actor=actor,
            owner=rule.user,
            action="rule.apply",
            target=rule,
            changes={"changed": (None, result.changed)},
        )
    return result


# --- Setting categories by hand -------------------------------------------------------------


@db_transaction.atomic
def transaction_set_category(
    *, transaction: Transaction, category: Category | None, actor: User | None
) -> Transaction:
    """Set one transaction's category by hand (None: uncategorised).

    category_source becomes "manual", so rules leave it alone unless asked; a change of
    category writes a CategoryChange. Setting the category it already has only marks it
    as chosen by hand. A transfer keeps the transfers category (400).
    """
    txn = (
        Transaction.objects.select_for_update(of=("self",))
        .select_related("category")
        .get(pk=transaction.pk)
    )
    if txn.kind == Transaction.Kind.TRANSFER:
        raise ValidationError({"category": TRANSFER_KEEPS_CATEGORY})
    check_category(category, txn.user)
    old = txn.category
    new_id = category.pk if category is not None else None
    txn.category = category
    txn.category_source = CategorySource.MANUAL
    txn.category_rule = None
    txn.save(update_fields=["category", "category_source", "category_rule", "updated_at"])
    if txn.category_id != (old.pk if old is not None else None):
        category_changes_record(
            user=txn.user,
            changes=[(txn.pk, old.pk if old is not None else None, new_id, None)],
            source=CategorySource.MANUAL,
            changed_by=actor,
            slugs={c.pk: c.slug for c in (old, category) if c is not None},
        )
        audit_if_staff(
            actor=actor,
            owner=txn.user,
            action="transaction.update",
            target=txn,
            changes={"category": (old.pk if old is not None else None, new_id)},
        )
        categories_changed(user=txn.user, transaction_ids=[txn.pk])
    return txn


@dataclass(frozen=True)
class BulkCategorizeResult:
    updated: int
    unchanged: int
    skipped_transfers: int


@db_transaction.atomic
def transactions_bulk_categorize(
    *,
    user: User,
    category: Category | None,
    actor: User | None,
    ids: list[int] | None = None,
    queryset: QuerySet[Transaction] | None = None,
) -> BulkCategorizeResult:
    """Give many of the user's transactions one category by hand (source "bulk").

    Either ``ids`` (at most MAX_BULK_IDS; every one must be the user's and not a transfer, or
    the whole request is refused naming them and nothing changes) or ``queryset`` (already
    filtered, e.g. by the list filters; transfers in it are skipped and counted). Rows that
    already have the category are left as they are. One locking read, one UPDATE per
    UPDATE_CHUNK_SIZE rows and one bulk insert of CategoryChange rows, whatever the count.
    """
    if (ids is None) == (queryset is None):
        raise ValueError("Give ids or a queryset, not both.")
    check_category(category, user)
    if ids is not None:
        ids = list(dict.fromkeys(ids))
        if not ids:
            raise ValidationError({"ids": "Give at least one transaction id."})
        if len(ids) > MAX_BULK_IDS:
            raise ValidationError({"ids": f"At most {MAX_BULK_IDS} ids at once."})
        queryset = Transaction.objects.filter(pk__in=ids)
    rows = list(
        queryset.filter(user=user)
        .select_for_update()
        .order_by("pk")
        .values_list("pk", "category_id", "kind")
    )
    if ids is not None:
        found = {pk for pk, _, _ in rows}
        unknown = [pk for pk in ids if pk not in found]
        if unknown:
            raise ValidationError({"ids": f"Transactions not found: {_id_list(unknown)}."})
        transfers = [pk for pk, _, kind in rows if kind == Transaction.Kind.TRANSFER]
        if transfers:
            raise ValidationError(
                {"ids": f"{TRANSFER_KEEPS_CATEGORY} Remove these transfers: {_id_list(transfers)}."}
            )
    new_id = category.pk if category is not None else None
    skipped_transfers = sum(kind == Transaction.Kind.TRANSFER for _, _, kind in rows)
    to_change = [
        (pk, old_id)
        for pk, old_id, kind in rows
        if kind != Transaction.Kind.TRANSFER and old_id != new_id
    ]
    now = timezone.now()
    for chunk in chunked([pk for pk, _ in to_change], UPDATE_CHUNK_SIZE):
        Transaction.objects.filter(pk__in=chunk).update(
            category=category,
            category_source=CategorySource.BULK,
            category_rule=None,
            updated_at=now,
        )
    category_changes_record(
        user=user,
        changes=[(pk, old_id, new_id, None) for pk, old_id in to_change],
        source=CategorySource.BULK,
        changed_by=actor,
    )
    categories_changed(user=user, transaction_ids=[pk for pk, _ in to_change])
    if to_change:
        audit_if_staff(
            actor=actor,
            owner=user,
            action="transaction.bulk_categorize",
            target=user,
            changes={"category": (None, new_id), "count": (None, len(to_change))},
        )
    return BulkCategorizeResult(
        updated=len(to_change),
        unchanged=len(rows) - skipped_transfers - len(to_change),
        skipped_transfers=skipped_transfers,
    )


def category_changes_for_new(
    *, user: User, transactions: list[Transaction], changed_by: User | None = None
) -> int:
    """First history rows for new transactions that came with a category, e.g. after an
    import's bulk insert (rows prepared by RuleSet.apply_to_row).

    Each row's source is its category_source (rule, import, manual); the rule is its
    category_rule. One bulk insert per source. Returns how many rows were written.
    """
    by_source: dict[str, list[tuple[int, None, int, int | None]]] = {}
    for txn in transactions:
        if txn.category_id is None or txn.kind == Transaction.Kind.TRANSFER:
            continue
        source = txn.category_source
        if source == CategorySource.NONE:
            source = CategorySource.IMPORT
        by_source.setdefault(source, []).append(
            (txn.pk, None, txn.category_id, txn.category_rule_id)
        )
    slugs = dict(Category.objects.for_user(user).values_list("pk", "slug")) if by_source else {}
    written = 0
    for source, changes in by_source.items():
        written += len(
            category_changes_record(
                user=user, changes=changes, source=source, changed_by=changed_by, slugs=slugs
            )
        )
    return written


def _id_list(ids: list[int], shown: int = 20) -> str:
    text = ", ".join(str(pk) for pk in ids[:shown])
    return text + (f" and {len(ids) - shown} more" if len(ids) > shown else "")
