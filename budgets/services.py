"""Every write to budgets, and the budget alerts a ledger write can raise.

Invariants kept here: a budget's month is the first day of a month, its amount is
positive and at most MONEY_MAX, its category is one the owner may use (a default one or
their own, never "transfers"), and a customer has at most one budget per category and
month (checked here, and held by a unique constraint under concurrent requests). What
staff change is written to the audit log.
"""

import logging
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db import transaction as db_transaction

from accounts.currency import MissingRateError
from accounts.models import User
from accounts.services import audit_if_staff
from budgets import selectors
from budgets.models import Budget
from smartbank.dates import BOOKING_DAYS_AHEAD, add_months, check_date_range
from smartbank.money import MONEY_MAX, format_money, quantize_money
from transactions.models import Category, Transaction
from transactions.services import check_category

logger = logging.getLogger(__name__)

BUDGET_EDITABLE_FIELDS = ("category", "month", "amount")
# Percent used at which a budget's first warning is raised.
BUDGET_WARNING_PERCENT = Decimal(80)


# --- Validation -----------------------------------------------------------------------


def normalize_month(value: date, *, user: User, field: str = "month") -> date:
    """The first day of ``value``'s month, within the dates SmartBank accepts.

    From 1900-01 to the month that holds the day BOOKING_DAYS_AHEAD after the user's today:
    a budget can be planned a year ahead, not for a mistyped year.
    """
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationError({field: "A month is given as a date, e.g. 2025-03-01."})
    start = value.replace(day=1)
    check_date_range(
        start, field=field, today=user.today(), days_ahead=BOOKING_DAYS_AHEAD, label="month"
    )
    return start


def _check_amount(amount: Decimal) -> Decimal:
    if amount is None:
        raise ValidationError({"amount": "This field is required."})
    amount = Decimal(amount)
    if not amount.is_finite():
        raise ValidationError({"amount": "A valid number is required."})
    if amount != quantize_money(amount):
        raise ValidationError({"amount": "A budget's amount has at most two decimals."})
    if amount <= 0:
        raise ValidationError({"amount": "A budget's amount must be positive."})
    if amount > MONEY_MAX:
        raise ValidationError({"amount": "This amount is too large."})
    return quantize_money(amount)


def _check_budget_category(category: Category | None, user: User) -> None:
    if category is None:
        raise ValidationError({"category": "A budget needs a category."})
    check_category(category, user)


def _duplicate_error(category: Category, month: date) -> ValidationError:
    return ValidationError(
        {
            "category": f"You already have a budget for {category.name} in {_month_label(month)}; "
            "change that one instead."
        },
        code="duplicate",
    )


def _check_unique(*, user: User, category: Category, month: date, exclude_pk=None) -> None:
    others = Budget.objects.for_user(user).filter(category=category, month=month)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        raise _duplicate_error(category, month)


# --- Writes ---------------------------------------------------------------------------


@db_transaction.atomic
def budget_create(
    *,
    user: User,
    category: Category | None,
    month: date,
    amount: Decimal,
    actor: User | None = None,
) -> Budget:
    """Set a limit on one category's spending in one month.

    ``month`` may be any day of the month; it is stored as the first. The currency is the
    user's base currency now. A second budget for the same category and month is a
    ValidationError on "category", also when a concurrent request made the first (the
    unique constraint). Staff creating one for a customer is audited.
    """
    _check_budget_category(category, user)
    month = normalize_month(month, user=user)
    amount = _check_amount(amount)
    _check_unique(user=user, category=category, month=month)
    try:
        # A savepoint, so losing the race to a concurrent request leaves the outer
        # database transaction usable.
        with db_transaction.atomic():
            budget = Budget.objects.create(
                user=user,
                category=category,
                month=month,
                amount=amount,
                currency=user.base_currency,
            )
    except IntegrityError:
        raise _duplicate_error(category, month) from None
    audit_if_staff(
        actor=actor,
        owner=user,
        action="budget.create",
        target=budget,
        changes={
            "category": (None, category.slug),
            "month": (None, month),
            "amount": (None, amount),
            "currency": (None, budget.currency),
        },
    )
    return budget


@db_transaction.atomic
def budget_update(*, budget: Budget, actor: User | None = None, **fields: Any) -> Budget:
    """Change a budget's category, month or amount (same rules as budget_create).

    The currency does not change: the limit keeps the meaning it was set with. Moving a
    budget onto a category and month that already has one is a ValidationError.
    """
    unknown = set(fields) - set(BUDGET_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"budget_update cannot change {sorted(unknown)}")
    locked = (
        Budget.objects.select_for_update(of=("self",))
        .select_related("user", "category")
        .get(pk=budget.pk)
    )
    user = locked.user
    if "category" in fields:
        _check_budget_category(fields["category"], user)
    if "month" in fields:
        fields["month"] = normalize_month(fields["month"], user=user)
    if "amount" in fields:
        fields["amount"] = _check_amount(fields["amount"])
    changes: dict[str, tuple[Any, Any]] = {}
    for name, value in fields.items():
        current = getattr(locked, name)
        if current != value:
            changes[name] = (getattr(current, "slug", current), getattr(value, "slug", value))
            setattr(locked, name, value)
    if not changes:
        return locked
    if "category" in changes or "month" in changes:
        _check_unique(user=user, category=locked.category, month=locked.month, exclude_pk=locked.pk)
    try:
        with db_transaction.atomic():
            locked.save()
    except IntegrityError:
        raise _duplicate_error(locked.category, locked.month) from None
    audit_if_staff(actor=actor, owner=user, action="budget.update", target=locked, changes=changes)
    return locked


@db_transaction.atomic
def budget_delete(*, budget: Budget, actor: User | None = None) -> None:
    """Delete a budget. Its transactions are untouched; alerts it raised stay."""
    budget = (
        Budget.objects.select_for_update(of=("self",))
        .select_related("user", "category")
        .get(pk=budget.pk)
    )
    audit_if_staff(
        actor=actor,
        owner=budget.user,
        action="budget.delete",
        target=budget,
        changes={
            "category": (budget.category.slug, None),
            "month": (budget.month, None),
            "amount": (budget.amount, None),
        },
    )
    Budget.objects.filter(pk=budget.pk).delete()


@db_transaction.atomic
def budgets_copy_month(
    *, user: User, year: int, month: int, actor: User | None = None
) -> list[Budget]:
    """Copy the previous month's budgets into year-month; returns the budgets it made.

    Categories that already have a budget in the month are skipped (so running it twice
    makes nothing the second time, and a concurrent copy cannot make duplicates: the
    unique constraint and ignore_conflicts). A copy keeps the amount and the currency of
    the budget it copies. Nothing to copy returns [].
    """
    try:
        target, _ = selectors.month_bounds(year, month)
    except ValueError as exc:
        raise ValidationError({"month": str(exc)}) from None
    target = normalize_month(target, user=user)
    source = add_months(target, -1)
    taken = set(
        Budget.objects.for_user(user).filter(month=target).values_list("category_id", flat=True)
    )
    copies = [
        Budget(
            user=user,
            category_id=budget.category_id,
            month=target,
            amount=budget.amount,
            currency=budget.currency,
        )
        for budget in Budget.objects.for_user(user).filter(month=source).order_by("pk")
        if budget.category_id not in taken
    ]
    if not copies:
        return []
    Budget.objects.bulk_create(copies, ignore_conflicts=True)
    created = list(
        selectors.budget_list(user=user).filter(
            month=target, category_id__in=[copy.category_id for copy in copies]
        )
    )
    audit_if_staff(
        actor=actor,
        owner=user,
        action="budget.copy_month",
        target=user,
        changes={"month": (source, target), "budgets": (None, [b.pk for b in created])},
    )
    return created


# --- Alerts ---------------------------------------------------------------------------


def _month_label(start: date) -> str:
    return f"{start:%B %Y}"


def _alert_data(progress: selectors.BudgetProgress) -> dict[str, Any]:
    budget = progress.budget
    return {
        "budget_id": budget.pk,
        "category": budget.category.slug,
        "month": budget.month.isoformat(),
        "amount": str(budget.amount),
        "spent": str(progress.spent),
        "percent_used": str(progress.percent_used),
        "currency": progress.currency,
    }


def budget_alerts_check(*, user: User, transactions: Iterable[Transaction]) -> None:
    """Raise budget_80 / budget_exceeded for budgets the given rows touch.

    A budget is looked at when a recent non-transfer row (``alerts.services.recent_cutoff``:
    importing old history raises nothing) falls in its category and month. At 80 % used
    or more it raises ``budget_80:{budget.pk}``; over its amount ``budget_exceeded:{pk}``.
    Each key is raised once for good (alerts.services.alert_raise keeps the key), so a
    budget warns once at 80 % and once when exceeded. Batched: a fixed number of queries
    for any number of rows (budgets, the progress aggregate and rates, existing keys),
    plus alert_raise for each new alert. Called by the ledger inside its database
    transaction; a missing exchange rate skips that budget (logged) rather than refusing
    the customer's transaction.
    """
    from alerts.models import Alert
    from alerts.services import alert_raise, recent_cutoff

    cutoff = recent_cutoff(user=user)
    touched = {
        (txn.category_id, txn.txn_date.replace(day=1))
        for txn in transactions
        if txn.kind != Transaction.Kind.TRANSFER
        and txn.category_id is not None
        and txn.txn_date >= cutoff
    }
    if not touched:
        return
    candidates = Budget.objects.for_user(user).filter(
        category_id__in={category_id for category_id, _ in touched},
        month__in={start for _, start in touched},
    )
    budgets = [
        budget
        for budget in candidates.select_related("category")
        if (budget.category_id, budget.month) in touched
    ]
    if not budgets:
        return

    def skip(budget: Budget, exc: MissingRateError) -> None:
        logger.warning("Budget %s: no alert check, %s", budget.pk, exc)

    progress = selectors.budgets_progress(budgets=budgets, today=user.today(), on_missing_rate=skip)
    wanted = []
    for item in progress:
        # One row that takes a budget from under 80 % to past its limit says "exceeded" only:
        # a warning titled "107 % used" beside it would say the same thing worse.
        if item.exceeded:
            wanted.append((f"budget_exceeded:{item.budget.pk}", "budget_exceeded", item))
        elif item.percent_used >= BUDGET_WARNING_PERCENT:
            wanted.append((f"budget_80:{item.budget.pk}", "budget_80", item))
    if not wanted:
        return
    raised = set(
        Alert.objects.filter(user=user, key__in=[key for key, _, _ in wanted]).values_list(
            "key", flat=True
        )
    )
    for key, alert_type, item in wanted:
        if key in raised:
            continue
        budget = item.budget
        name, month = budget.category.name, _month_label(budget.month)
        spent = format_money(item.spent, item.currency)
        limit = format_money(budget.amount, budget.currency)
        if alert_type == "budget_80":
            title = f"{name} budget {item.percent_used}% used"
            message = (
                f"You have spent {spent} of your {limit} {name} budget for {month} "
                f"({item.percent_used}%)."
            )
            severity = "warning"
        else:
            title = f"{name} budget exceeded"
            message = (
                f"You have spent {spent} against your {limit} {name} budget for {month}: "
                f"{format_money(-item.remaining, item.currency)} over."
            )
            severity = "critical"
        alert_raise(
            user=user,
            alert_type=alert_type,
            key=key,
            title=title,
            message=message,
            severity=severity,
            data=_alert_data(item),
        )
