"""The ledger: every write that adds, edits or deletes a transaction, and so every balance change.

Invariant kept by every function here: for each account,
``balance == opening_balance + sum(transaction amounts)``. The account rows are locked
(``select_for_update``, in primary-key order so two writers never deadlock) and their
balances moved with ``F()`` in the same database transaction as the rows that cause it.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.db import transaction as db_transaction
from django.db.models import F, ProtectedError, RestrictedError, Sum
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import BankAccount, User
from accounts.services import audit_if_staff
from smartbank.bulk import insert_rows
from smartbank.dates import BOOKING_DAYS_AHEAD, check_date_range
from smartbank.money import MONEY_MAX, quantize_money
from transactions.followups import transactions_deleting, transactions_written
from transactions.models import (
    TRANSFER_CATEGORY_SLUG,
    Category,
    CategoryChange,
    CategorySource,
    Transaction,
)
from transactions.rules import compile_rules


class InsufficientFunds(ValidationError):
    """A payment would take an account below its floor (zero, or minus its credit limit)."""


@dataclass(frozen=True)
class TransferResult:
    outgoing: Transaction
    incoming: Transaction


# --- Balances ---------------------------------------------------------------------------


def _lock_accounts(account_ids: Iterable[int]) -> dict[int, BankAccount]:
    ids = sorted(set(account_ids))
    accounts = BankAccount.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    locked = {account.pk: account for account in accounts}
    if len(locked) != len(ids):
        # Deleted by a concurrent request between the caller's read and this lock.
        raise ValidationError({"account": "Account not found."})
    return locked


def _move_balance(
    account: BankAccount, delta: Decimal, *, enforce_floor: bool, field: str = "amount"
) -> None:
    """Move a locked account's balance by delta; refuse a payment that breaks its floor."""
    if delta == 0:
        return
    new_balance = account.balance + delta
    floor = account.balance_floor
    if enforce_floor and delta < 0 and floor is not None and new_balance < floor:
        if floor == 0:
            limit = "below zero"
        else:
            limit = f"past its credit limit of {-floor} {account.currency}"
        raise InsufficientFunds(
            {
                field: (
                    f"Insufficient funds: this would take {account.name} {limit} "
                    f"(balance {account.balance} {account.currency})."
                )
            },
            code="insufficient_funds",
        )
    if abs(new_balance) > MONEY_MAX:
        raise ValidationError({field: "This would take the balance past the largest amount held."})
    BankAccount.objects.filter(pk=account.pk).update(balance=F("balance") + delta)
    account.balance = new_balance


# --- Validation helpers ---------------------------------------------------------------


def _check_account_open(account: BankAccount, user: User, field: str = "account") -> None:
    if account.user_id != user.pk:
        # Callers pass accounts from for_user(); this guards a caller that forgot to.
        raise ValidationError({field: "Account not found."})
    if account.is_archived:
        raise ValidationError(
            {field: f"{account.name} is archived; unarchive it to record transactions."}
        )


def _check_amount(amount: Decimal, field: str = "amount") -> Decimal:
    amount = quantize_money(amount)
    if amount == 0:
        raise ValidationError({field: "The amount cannot be zero."})
    if abs(amount) > MONEY_MAX:
        raise ValidationError({field: "This amount is too large."})
    return amount


def check_category(category: Category | None, user: User, field: str = "category") -> None:
    """A category a user may file an income or expense under: a default one or their own.

    "transfers" is kept for the linked legs of transfers, which only transfer_create and
    transfer_link make, so spending totals can leave transfers out by their kind alone.
    """
    if category is None:
        return
    if category.user_id not in (None, user.pk):
        raise ValidationError({field: "Category not found."})
    if category.user_id is None and category.slug == TRANSFER_CATEGORY_SLUG:
        raise ValidationError(
            {
                field: "The transfers category is kept for transfers between your accounts: "
                "make one with POST /api/v1/transactions/transfer/ or accept one an import offers."
            }
        )


def _check_kind(kind: str | None, amount: Decimal) -> str:
    derived = Transaction.kind_for_amount(amount)
    if kind in (None, ""):
        return derived
    if kind == Transaction.Kind.TRANSFER:
        raise ValidationError(
            {"kind": "Transfers are made with POST /api/v1/transactions/transfer/."}
        )
    if kind != derived:
        sign = "positive" if kind == Transaction.Kind.INCOME else "negative"
        raise ValidationError({"amount": f"An {kind} must have a {sign} amount."})
    return derived


def _check_dates(txn_date: date, posted_date: date | None, user: User) -> None:
    today = user.today()
    check_date_range(txn_date, field="txn_date", today=today, days_ahead=BOOKING_DAYS_AHEAD)
    if posted_date is None:
        return
    check_date_range(posted_date, field="posted_date", today=today, days_ahead=BOOKING_DAYS_AHEAD)
    if posted_date < txn_date:
        raise ValidationError(
            {"posted_date": "The posted date cannot be before the transaction date."}
        )


def transfer_category() -> Category:
    category, _ = Category.objects.get_or_create(
        slug=TRANSFER_CATEGORY_SLUG, user=None, defaults={"name": "Transfers"}
    )
    return category


# --- Transactions ---------------------------------------------------------------------


@db_transaction.atomic
def transaction_create(
    *,
    user: User,
    account: BankAccount,
    amount: Decimal,
    txn_date: date,
    kind: str | None = None,
    description: str = "",
    merchant: str = "",
    category: Category | None = None,
    posted_date: date | None = None,
    notes: str = "",
    external_id: str = "",
    fingerprint: str = "",
    actor: User | None = None,
    apply_rules: bool = True,
) -> Transaction:
    """Record one income or expense and move the account's balance by its amount.

    An expense that would take a floored account past its floor is refused
    (InsufficientFunds) and nothing is written.

    Categorisation: a category the caller gives is set by hand (category_source "manual").
    When the caller gives none, the user's active rules run (transactions.rules, after
    validation and before the insert) and may set the category (category_source "rule",
    category_rule) and the merchant; ``apply_rules=False`` skips them. A new transaction that
    gets a category also gets its first CategoryChange row (old category empty), so its
    history says who chose it.
    """
    amount = _check_amount(amount)
    kind = _check_kind(kind, amount)
    check_category(category, user)
    _check_dates(txn_date, posted_date, user)
    category_source, category_rule_id = CategorySource.NONE, None
    if category is not None:
        category_source = CategorySource.MANUAL
    elif apply_rules:
        outcome = compile_rules(user).evaluate(
            description=description, merchant=merchant, amount=amount, account_id=account.pk
        )
        if outcome is not None and outcome.category_id is not None:
            category = Category.objects.get(pk=outcome.category_id)
            category_source, category_rule_id = CategorySource.RULE, outcome.category_rule_id
        if outcome is not None and outcome.merchant is not None:
            merchant = outcome.merchant
    locked = _lock_accounts([account.pk])[account.pk]
    # Checked on the locked row, so a concurrent archive cannot slip a row in.
    _check_account_open(locked, user)
    _move_balance(locked, amount, enforce_floor=amount < 0)
    txn = Transaction.objects.create(
        user=user,
        account=locked,
        amount=amount,
        currency=locked.currency,
        kind=kind,
        description=description,
        merchant=merchant,
        category=category,
        txn_date=txn_date,
        posted_date=posted_date,
        notes=notes,
        external_id=external_id,
        fingerprint=fingerprint,
        category_source=category_source,
        category_rule_id=category_rule_id,
    )
    if category is not None:
        category_changes_record(
            user=user,
            changes=[(txn.pk, None, category.pk, category_rule_id)],
            source=category_source,
            changed_by=actor,
            slugs={category.pk: category.slug},
        )
    account.balance = locked.balance
    audit_if_staff(
        actor=actor,
        owner=user,
        action="transaction.create",
        target=txn,
        changes={"amount": (None, amount), "account": (None, locked.pk)},
    )
    transactions_written(user=user, transactions=[txn], accounts=[locked])
    return txn


TRANSACTION_EDITABLE_FIELDS = (
    "account",
    "amount",
    "kind",
    "description",
    "merchant",
    "category",
    "txn_date",
    "posted_date",
    "notes",
)
# A transfer's legs must stay a matching pair: only these may change on one leg.
TRANSFER_EDITABLE_FIELDS = ("description", "merchant", "notes", "txn_date", "posted_date")


@db_transaction.atomic
def transaction_update(
    *, transaction: Transaction, actor: User | None, **fields: Any
) -> Transaction:
    """Edit a transaction; a changed amount or account moves the balances by the difference.

    Making an expense larger (or moving it to another account) is a payment and must
    respect the floor; correcting an income downwards is not refused. A changed category is
    one set by hand: category_source becomes "manual" (rules leave it alone from then on)
    and a CategoryChange row records it, with the actor.
    """
    unknown = set(fields) - set(TRANSACTION_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"transaction_update cannot change {sorted(unknown)}")
    txn = Transaction.objects.select_for_update().get(pk=transaction.pk)
    user = txn.user

    if txn.kind == Transaction.Kind.TRANSFER:
        return _transfer_leg_update(txn=txn, actor=actor, fields=fields)

    new_account = fields.get("account", txn.account)
    new_amount = _check_amount(fields["amount"]) if "amount" in fields else txn.amount
    new_kind = _check_kind(fields.get("kind"), new_amount)
    if "category" in fields:
        check_category(fields["category"], user)
    _check_dates(
        fields.get("txn_date", txn.txn_date), fields.get("posted_date", txn.posted_date), user
    )

    accounts = _lock_accounts([txn.account_id, new_account.pk])
    old = accounts[txn.account_id]
    new = accounts[new_account.pk]
    if new.pk != old.pk:
        _check_account_open(new, user)
        if new.currency != old.currency:
            raise ValidationError(
                {"account": "A transaction can only move to an account in the same currency."}
            )
        _move_balance(old, -txn.amount, enforce_floor=False)
        _move_balance(new, new_amount, enforce_floor=new_amount < 0)
    else:
        delta = new_amount - txn.amount
        _move_balance(old, delta, enforce_floor=new_amount < 0 and delta < 0)

    fields["account"] = new
    fields["amount"] = new_amount
    fields["kind"] = new_kind
    old_category = txn.category
    changes = {}
    for name, value in fields.items():
        current = getattr(txn, name)
        if current != value:
            changes[name] = (getattr(current, "pk", current), getattr(value, "pk", value))
            setattr(txn, name, value)
    if "category" in changes:
        txn.category_source = CategorySource.MANUAL
        txn.category_rule = None
    if changes:
        txn.save()
        if "category" in changes:
            category_changes_record(
                user=user,
                changes=[(txn.pk, changes["category"][0], changes["category"][1], None)],
                source=CategorySource.MANUAL,
                changed_by=actor,
                slugs={c.pk: c.slug for c in (old_category, txn.category) if c is not None},
            )
        audit_if_staff(
            actor=actor, owner=user, action="transaction.update", target=txn, changes=changes
        )
        transactions_written(user=user, transactions=[txn], accounts=accounts.values())
    return txn


def _transfer_leg_update(
    *, txn: Transaction, actor: User | None, fields: dict[str, Any]
) -> Transaction:
    frozen = {
        name
        for name, value in fields.items()
        if name not in TRANSFER_EDITABLE_FIELDS and getattr(txn, name) != value
    }
    if frozen:
        raise ValidationError(
            {
                name: "A transfer's amount, account, kind and category cannot change; "
                "delete the transfer and make it again."
                for name in sorted(frozen)
            }
        )
    new_date = fields.get("txn_date", txn.txn_date)
    _check_dates(new_date, fields.get("posted_date", txn.posted_date), txn.user)
    if new_date != txn.txn_date and txn.counterpart_id:
        other_posted = (
            Transaction.objects.filter(pk=txn.counterpart_id)
            .values_list("posted_date", flat=True)
            .get()
        )
        if other_posted is not None and other_posted < new_date:
            raise ValidationError(
                {
                    "txn_date": f"The other leg of this transfer was posted on {other_posted}, before {new_date}."
                }
            )
    changes = {}
    for name in TRANSFER_EDITABLE_FIELDS:
        if name in fields and getattr(txn, name) != fields[name]:
            changes[name] = (getattr(txn, name), fields[name])
            setattr(txn, name, fields[name])
    if changes:
        txn.save()
        if "txn_date" in changes and txn.counterpart_id:
            # Both legs of one transfer happen on the same day.
            Transaction.objects.filter(pk=txn.counterpart_id).update(txn_date=new_date)
        audit_if_staff(
            actor=actor, owner=txn.user, action="transaction.update", target=txn, changes=changes
        )
    return txn


@db_transaction.atomic
def transaction_delete(*, transaction: Transaction, actor: User | None) -> int:
    """Delete a transaction (both legs of a transfer) and take its amount back out of the balance.

    Returns how many rows were deleted.
    """
    txn = Transaction.objects.select_for_update().get(pk=transaction.pk)
    legs = [txn]
    if txn.transfer_id:
        legs = list(Transaction.objects.select_for_update().filter(transfer_id=txn.transfer_id))
    accounts = _lock_accounts(leg.account_id for leg in legs)
    for leg in legs:
        _move_balance(accounts[leg.account_id], -leg.amount, enforce_floor=False)
    Transaction.objects.filter(pk__in=[leg.pk for leg in legs]).update(counterpart=None)
    for leg in legs:
        audit_if_staff(
            actor=actor,
            owner=leg.user,
            action="transaction.delete",
            target=leg,
            changes={"amount": (leg.amount, None), "account": (leg.account_id, None)},
        )
    transactions_deleting(user=txn.user, transaction_ids=[leg.pk for leg in legs])
    # Counted per model: the rows' category history goes with them (CASCADE).
    _, deleted_by_model = Transaction.objects.filter(pk__in=[leg.pk for leg in legs]).delete()
    # No rows left to follow up, but the balances moved (a deleted income lowers one).
    transactions_written(user=txn.user, transactions=[], accounts=accounts.values())
    return deleted_by_model.get(Transaction._meta.label, 0)


@db_transaction.atomic
def transfer_create(
    *,
    user: User,
    from_account: BankAccount,
    to_account: BankAccount,
    amount: Decimal,
    txn_date: date,
    amount_received: Decimal | None = None,
    description: str = "",
    notes: str = "",
    posted_date: date | None = None,
    actor: User | None = None,
) -> TransferResult:
    """Move money between two of the user's accounts as two linked legs, all or nothing.

    ``amount`` leaves from_account; ``amount_received`` (required between currencies)
    arrives in to_account. The outgoing leg must respect from_account's floor.
    """
    # Checked first so nothing below (currencies, names) speaks of another user's account;
    # checked again on the locked rows.
    _check_account_open(from_account, user, field="from_account")
    _check_account_open(to_account, user, field="to_account")
    if from_account.pk == to_account.pk:
        raise ValidationError({"to_account": "Choose a different account to transfer to."})
    amount = _check_amount(amount)
    if amount < 0:
        raise ValidationError({"amount": "The amount of a transfer must be positive."})
    if from_account.currency != to_account.currency:
        if amount_received is None:
            raise ValidationError(
                {
                    "amount_received": (
                        f"Give the amount received in {to_account.currency} for a transfer "
                        f"from {from_account.currency}."
                    )
                }
            )
        amount_received = _check_amount(amount_received, field="amount_received")
        if amount_received < 0:
            raise ValidationError({"amount_received": "The amount received must be positive."})
    else:
        if amount_received is not None and quantize_money(amount_received) != amount:
            raise ValidationError(
                {
                    "amount_received": "Between accounts in one currency the amount received is the amount sent."
                }
            )
        amount_received = amount
    _check_dates(txn_date, posted_date, user)

    accounts = _lock_accounts([from_account.pk, to_account.pk])
    source, target = accounts[from_account.pk], accounts[to_account.pk]
    _check_account_open(source, user, field="from_account")
    _check_account_open(target, user, field="to_account")
    _move_balance(source, -amount, enforce_floor=True)
    _move_balance(target, amount_received, enforce_floor=False, field="amount_received")

    transfer_id = Transaction.new_transfer_id()
    category = transfer_category()
    common = {
        "user": user,
        "kind": Transaction.Kind.TRANSFER,
        "category": category,
        "txn_date": txn_date,
        "posted_date": posted_date,
        "notes": notes,
        "transfer_id": transfer_id,
    }
    outgoing = Transaction.objects.create(
        account=source,
        amount=-amount,
        currency=source.currency,
        description=description or f"Transfer to {target.name}",
        **common,
    )
    incoming = Transaction.objects.create(
        account=target,
        amount=amount_received,
        currency=target.currency,
        description=description or f"Transfer from {source.name}",
        counterpart=outgoing,
        **common,
    )
    Transaction.objects.filter(pk=outgoing.pk).update(counterpart=incoming)
    outgoing.counterpart = incoming
    from_account.balance, to_account.balance = source.balance, target.balance
    audit_if_staff(
        actor=actor,
        owner=user,
        action="transfer.create",
        target=outgoing,
        changes={"amount": (None, amount), "from": (None, source.pk), "to": (None, target.pk)},
    )
    # Transfers are neither spending nor bills: only the balances are followed up.
    transactions_written(user=user, transactions=[], accounts=[source, target])
    return TransferResult(outgoing=outgoing, incoming=incoming)


# Fields a bulk row may not set: the ledger fills them in from the account and the sign, and
# transfers are made only by transfer_create.
_BULK_FIELDS_SET_BY_LEDGER = frozenset(
    {
        "id",
        "user",
        "user_id",
        "account",
        "account_id",
        "currency",
        "kind",
        "transfer_id",
        "counterpart",
        "counterpart_id",
    }
)


@db_transaction.atomic
def transactions_bulk_create(
    *,
    account: BankAccount,
    rows: list[dict[str, Any]],
    enforce_floor: bool = False,
    prepare_row: Callable[[dict[str, Any]], object] | None = None,
) -> list[Transaction]:
    """Insert many non-transfer rows into one account with one balance update.

    For imports and generated history: what a bank already booked is recorded as it is, so
    the floor is not enforced unless asked. Each row holds Transaction fields (a foreign key
    by name with an instance, or by attname with its id); user, account, currency and kind
    are filled in from the account and the sign, and a row may not set them. Returns the new
    Transactions, saved, in the order of the rows.

    Built for an import's tens of thousands of rows: each row is checked and sent to the
    database as plain values while the database stores the rows before it
    (smartbank.bulk.insert_rows; COPY on PostgreSQL). ``prepare_row``, when given, is
    called on each row just before that (an import runs its rules there), so its work
    overlaps with the database's too. A bad row (a zero amount) or a broken floor raises
    and the database transaction rolls back: nothing is written.
    """
    locked = _lock_accounts([account.pk])[account.pk]
    _check_account_open(locked, locked.user)
    filled = {"user_id": locked.user_id, "account": locked, "currency": locked.currency}
    kind_for_amount = Transaction.kind_for_amount
    total = Decimal("0.00")

    def prepared() -> Iterator[dict[str, Any]]:
        nonlocal total
        for row in rows:
            if prepare_row is not None:
                prepare_row(row)
            if not _BULK_FIELDS_SET_BY_LEDGER.isdisjoint(row):
                names = sorted(_BULK_FIELDS_SET_BY_LEDGER.intersection(row))
                raise TypeError(f"transactions_bulk_create sets {names} itself")
            amount = _check_amount(row["amount"])
            total += amount
            yield {**row, **filled, "amount": amount, "kind": kind_for_amount(amount)}

    created = insert_rows(Transaction, prepared(), count=len(rows))
    # After the insert, in the same database transaction: the account is locked throughout.
    _move_balance(locked, total, enforce_floor=enforce_floor and total < 0)
    account.balance = locked.balance
    return created


@db_transaction.atomic
def transactions_bulk_delete(*, transaction_ids: list[int]) -> int:
    """Delete many non-transfer rows with one balance update per account (undoing an import).

    Like transaction_delete, a deletion is a correction and is not held to the floor.
    Returns how many rows were deleted.
    """
    rows = Transaction.objects.filter(pk__in=transaction_ids)
    locked_rows = list(rows.select_for_update().values_list("account_id", "amount", "transfer_id"))
    if any(transfer_id is not None for _, _, transfer_id in locked_rows):
        raise ValidationError(
            {"detail": "Some of these rows are legs of a transfer; delete the transfer first."}
        )
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for account_id, amount, _ in locked_rows:
        totals[account_id] += amount
    accounts = _lock_accounts(totals)
    for account_id, total in totals.items():
        _move_balance(accounts[account_id], -total, enforce_floor=False)
    for user in User.objects.filter(bank_accounts__in=list(accounts)).distinct():
        transactions_deleting(user=user, transaction_ids=transaction_ids)
    # Counted per model: the rows' category history goes with them (CASCADE).
    _, deleted_by_model = rows.delete()
    return deleted_by_model.get(Transaction._meta.label, 0)


@db_transaction.atomic
def transfer_link(*, user: User, outgoing_id: int, incoming_id: int) -> TransferResult:
    """Make two recorded rows (money out of one account, into another) one transfer.

    Balances do not move: both rows are already booked. Used for the transfers an import
    offers, where each bank's statement holds one leg.
    """
    legs = {
        txn.pk: txn
        for txn in Transaction.objects.select_for_update().filter(
            pk__in=[outgoing_id, incoming_id], user=user
        )
    }
    if len(legs) != 2:
        raise ValidationError({"detail": "Transaction not found."})
    out_leg, in_leg = legs[outgoing_id], legs[incoming_id]
    if out_leg.transfer_id or in_leg.transfer_id:
        raise ValidationError({"detail": "One of these rows is already part of a transfer."})
    if out_leg.account_id == in_leg.account_id:
        raise ValidationError({"incoming": "The two rows must be in different accounts."})
    if not (out_leg.amount < 0 < in_leg.amount):
        raise ValidationError(
            {"detail": "The outgoing row must take money out and the incoming row bring it in."}
        )
    if out_leg.currency == in_leg.currency and -out_leg.amount != in_leg.amount:
        raise ValidationError({"detail": "The two rows move different amounts."})
    transfer_id = Transaction.new_transfer_id()
    category = transfer_category()
    linked = {
        "kind": Transaction.Kind.TRANSFER,
        "transfer_id": transfer_id,
        "category": category,
        "category_source": CategorySource.MANUAL,
        "category_rule": None,
    }
    Transaction.objects.filter(pk=out_leg.pk).update(counterpart=in_leg, **linked)
    Transaction.objects.filter(pk=in_leg.pk).update(counterpart=out_leg, **linked)
    category_changes_record(
        user=user,
        changes=[
            (leg.pk, leg.category_id, category.pk, None)
            for leg in (out_leg, in_leg)
            if leg.category_id != category.pk
        ],
        source=CategorySource.MANUAL,
        changed_by=user,
    )
    out_leg.refresh_from_db()
    in_leg.refresh_from_db()
    return TransferResult(outgoing=out_leg, incoming=in_leg)


# --- Categories -----------------------------------------------------------------------


CATEGORY_NAME_MAX_LENGTH = Category._meta.get_field("name").max_length


def check_category_name(name: str) -> str:
    """A category's name as saved: trimmed, not empty, at most CATEGORY_NAME_MAX_LENGTH.

    The one check of a name, for the API and the web pages alike.
    """
    name = name.strip()
    if not name:
        raise ValidationError({"name": "A category needs a name."})
    if len(name) > CATEGORY_NAME_MAX_LENGTH:
        raise ValidationError(
            {"name": f"A category's name is at most {CATEGORY_NAME_MAX_LENGTH} characters."}
        )
    return name


def category_create(*, user: User, name: str, slug: str = "") -> Category:
    """Create one of the user's own categories; its slug may not shadow a default one."""
    name = check_category_name(name)
    slug = slugify(slug or name)[:50]
    if not slug:
        raise ValidationError({"name": "Use letters or digits in the category name."})
    clash = ValidationError({"slug": f"A category {slug!r} already exists."})
    if Category.objects.for_user(user).filter(slug=slug).exists():
        raise clash
    try:
        with db_transaction.atomic():
            return Category.objects.create(user=user, name=name, slug=slug)
    except IntegrityError:
        # Two identical requests at once: the unique constraint decides, the loser gets a 400.
        raise clash from None


FALLBACK_CATEGORY_SLUG = "other"


def _check_own_category(category: Category) -> None:
    if category.is_default:
        raise PermissionDenied("Default categories cannot be renamed or deleted.")


def category_update(*, category: Category, name: str, actor: User | None) -> Category:
    """Rename one of a user's own categories. The slug, which clients file by, stays."""
    _check_own_category(category)
    name = check_category_name(name)
    if name != category.name:
        old_name = category.name
        category.name = name
        category.save(update_fields=["name"])
        audit_if_staff(
            actor=actor,
            owner=category.user,
            action="category.update",
            target=category,
            changes={"name": (old_name, name)},
        )
    return category


@db_transaction.atomic
def category_delete(*, category: Category, actor: User | None) -> int:
    """Delete one of a user's own categories; its transactions move to "other", none is lost.

    Amounts and balances do not change. Returns how many transactions were moved.
    """
    _check_own_category(category)
    fallback, _ = Category.objects.get_or_create(
        slug=FALLBACK_CATEGORY_SLUG, user=None, defaults={"name": "Other"}
    )
    # Locked so the history below names exactly the rows the update moves.
    moved_ids = list(
        Transaction.objects.select_for_update()
        .filter(category=category)
        .values_list("pk", flat=True)
    )
    moved = Transaction.objects.filter(category=category).update(
        category=fallback,
        category_source=CategorySource.BULK,
        category_rule=None,
        updated_at=timezone.now(),
    )
    category_changes_record(
        user=category.user,
        changes=[(pk, category.pk, fallback.pk, None) for pk in moved_ids],
        source=CategorySource.BULK,
        changed_by=actor,
        slugs={category.pk: category.slug, fallback.pk: fallback.slug},
    )
    audit_if_staff(
        actor=actor,
        owner=category.user,
        action="category.delete",
        target=category,
        changes={"slug": (category.slug, None), "moved_transactions": (moved, None)},
    )
    try:
        category.delete()
    except (ProtectedError, RestrictedError):
        raise ValidationError(
            {"detail": "This category is still in use (a budget or rule refers to it)."}
        ) from None
    return moved


# --- Category changes ------------------------------------------------------------------


def category_changes_record(
    *,
    user: User,
    changes: Iterable[tuple[int, int | None, int | None, int | None]],
    source: str,
    changed_by: User | None = None,
    slugs: dict[int, str] | None = None,
) -> list[CategoryChange]:
    """Write the history of category changes: one row per change, in one bulk insert.

    ``changes`` holds (transaction id, old category id, new category id, rule id) for
    transactions of ``user``; ``source`` is manual, rule, bulk or import. ``slugs`` maps
    category ids to slugs when the caller has them; otherwise they are read in one query.
    Callers write it in the same database transaction as the category change itself.
    """
    changes = list(changes)
    if not changes:
        return []
    if slugs is None:
        ids = {c for _, old, new, _ in changes for c in (old, new) if c is not None}
        slugs = (
            dict(Category.objects.filter(pk__in=ids).order_by().values_list("pk", "slug"))
            if ids
            else {}
        )
    now = timezone.now()
    changed_by = changed_by if getattr(changed_by, "pk", None) else None
    # Plain rows, not instances: an import writes tens of thousands (smartbank.bulk).
    return insert_rows(
        CategoryChange,
        [
            {
                "transaction_id": txn_id,
                "user_id": user.pk,
                "old_category_id": old_id,
                "old_category_slug": slugs.get(old_id, "") if old_id is not None else "",
                "new_category_id": new_id,
                "new_category_slug": slugs.get(new_id, "") if new_id is not None else "",
                "source": source,
                "rule_id": rule_id,
                "changed_by": changed_by,
                "created_at": now,
            }
            for txn_id, old_id, new_id, rule_id in changes
        ],
    )


# --- Ledger checks --------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerDifference:
    account_id: int
    account_name: str
    stored_balance: Decimal
    expected_balance: Decimal

    @property
    def difference(self) -> Decimal:
        return self.stored_balance - self.expected_balance


def ledger_differences() -> list[LedgerDifference]:
    """Every account whose stored balance is not opening balance + sum of its transactions."""
    sums = dict(
        Transaction.objects.values("account_id")
        .order_by()
        .annotate(total=Sum("amount"))
        .values_list("account_id", "total")
    )
    differences = []
    for account in BankAccount.objects.order_by("pk").only(
        "pk", "name", "balance", "opening_balance"
    ):
        # SQLite sums decimals as floats (10410.32000000002): round the sum back to cents.
        expected = account.opening_balance + quantize_money(sums.get(account.pk) or 0)
        if account.balance != expected:
            differences.append(
                LedgerDifference(
                    account_id=account.pk,
                    account_name=account.name,
                    stored_balance=account.balance,
                    expected_balance=expected,
                )
            )
    return differences
