"""Every write to reward programmes and their points ledger.

Invariant kept here: a programme's balance is the sum of its entries, and never below
zero. Earnings happen once per cause (``PointsEntry.cause`` is unique per programme, so a
retry, a second call or a concurrent one adds nothing); a redemption or a negative
adjustment locks the programme row before it sums the entries, so two at once cannot
spend the same points. A bill earns its on-time points only when it was tracked before it
fell due (see points_earn_for_bill), so entering a bill and paying it at once earns nothing.

The ledger (transactions.followups) and bills call in here; this module imports
transactions but never bills, so there is no import cycle.
"""

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.db import transaction as db_transaction
from django.db.models import Prefetch
from django.utils import timezone

from accounts.currency import MissingRateError, RateBook
from accounts.models import BankAccount, User
from accounts.services import audit_record
from rewards import selectors
from rewards.models import EarningRule, PointsEntry, PointsSource, RedemptionRate, RewardProgramme
from smartbank.bulk import chunked
from smartbank.money import CENT, MONEY_MAX
from transactions.models import Category, Transaction
from transactions.services import transaction_create

logger = logging.getLogger(__name__)

# The most points one entry (an earning, a redemption, an adjustment) may carry: far above
# any real amount, and far below what a 64-bit sum of many entries can hold.
POINTS_MAX = 10**12
REDEMPTION_DESCRIPTION = "Rewards statement credit"
REDEMPTION_CATEGORY_SLUG = "income"
# A bill paid more than this many days before its due date earns no on-time points.
BILL_EARLIEST_ON_TIME_DAYS = 31
# Up to this many causes are looked up by name; more (an import) by their transactions' ids.
_CAUSE_LOOKUP_MAX = 500


@dataclass(frozen=True)
class Redemption:
    """What a redemption did: the negative entry, the statement credit, and the new balance."""

    entry: PointsEntry
    transaction: Transaction
    credit: Decimal
    currency: str
    balance: int


# --- Programmes -------------------------------------------------------------------------


def programme_create(*, user: User) -> RewardProgramme:
    """The user's programme, made if they have none. Idempotent (and safe when two race).

    Called by accounts.services.user_signup in the sign-up's database transaction.
    """
    programme, _ = RewardProgramme.objects.get_or_create(user=user)
    return programme


def programme_for(user: User) -> RewardProgramme:
    """The user's programme; made on the spot for a user who somehow has none."""
    return programme_create(user=user)


def _lock_programme(programme_id: int) -> RewardProgramme:
    # Redemptions and adjustments of one programme queue here, so each sums the entries
    # the one before it wrote.
    return RewardProgramme.objects.select_for_update().get(pk=programme_id)


def _floor_points(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def _check_points(points: Any, *, field: str = "points") -> int:
    """A whole, non-zero number of points within POINTS_MAX either way."""
    if isinstance(points, bool) or not isinstance(points, int):
        raise ValidationError({field: "Points are a whole number, such as 500."})
    if points == 0:
        raise ValidationError({field: "The points cannot be zero."})
    if abs(points) > POINTS_MAX:
        raise ValidationError({field: f"At most {POINTS_MAX} points at a time."})
    return points


def _entry_reason(text: str) -> str:
    return text if len(text) <= 255 else text[:254] + "…"


# --- Earning ----------------------------------------------------------------------------


@db_transaction.atomic
def points_earn_for_bill(*, bill: Any) -> PointsEntry | None:
    """Points for a bill paid on or before its due date, once per bill, when the bill was
    tracked before it fell due.

    "Tracked before it fell due": the bill was entered (its created_at, as a date in the
    customer's time zone) before its notice period opened (due_date - notice_days), or it is
    a next occurrence the series created (previous_id set). The points reward keeping track
    of a bill ahead of time; without this a customer could enter a 0.01 bill due today, pay
    it at once and earn again and again.

    Uses only bill.pk, bill.user, bill.due_date, bill.notice_days, bill.created_at,
    bill.previous_id and bill.paid_transaction (and bill.biller for the reason, when it has
    one); it never imports bills. The points are the sum of the active bill_on_time rules
    in force on the payment's date, rounded down, as ONE entry with cause ``bill:{pk}``.
    Bills are the customer's own entries, so what they can earn is bounded: a payment more
    than BILL_EARLIEST_ON_TIME_DAYS ahead of the due date earns nothing, and at most
    settings.REWARDS_BILLS_PER_MONTH bills earn per customer per month (of the payment).
    Returns None when nothing is earned: no payment, a late one, one far ahead, a bill
    entered once it was due, the month's bills already counted, no rule, or points for this bill already (a second call, or a concurrent one
    losing on the unique constraint).
    """
    payment = bill.paid_transaction
    if payment is None or payment.txn_date > bill.due_date:
        return None
    # Paid ahead by more than a month: prepaying a series occurrence after occurrence would
    # otherwise earn as often as the customer likes.
    if payment.txn_date < bill.due_date - timedelta(days=BILL_EARLIEST_ON_TIME_DAYS):
        return None
    if not _tracked_before_due(bill):
        return None
    cause = f"bill:{bill.pk}"
    rules = EarningRule.objects.filter(
        kind=EarningRule.Kind.BILL_ON_TIME, active=True, starts_on__lte=payment.txn_date
    ).values_list("points", flat=True)
    points = min(_floor_points(sum(rules, Decimal(0))), POINTS_MAX)
    if points <= 0:
        return None
    programme = programme_for(bill.user)
    if _bill_earnings_in_month(programme, payment.txn_date) >= settings.REWARDS_BILLS_PER_MONTH:
        return None
    if PointsEntry.objects.filter(programme=programme, cause=cause).exists():
        return None
    biller = getattr(bill, "biller", "") or "A bill"
    try:
        # A savepoint: a concurrent call that won the race leaves this database
        # transaction usable.
        with db_transaction.atomic():
            return PointsEntry.objects.create(
                programme=programme,
                points=points,
                reason=_entry_reason(f"{biller} paid on time (due {bill.due_date.isoformat()})"),
                source=PointsSource.BILL_ON_TIME,
                cause=cause,
                transaction=payment,
            )
    except IntegrityError:
        return None


def _bill_earnings_in_month(programme: RewardProgramme, day: date) -> int:
    """How many bills earned on-time points with a payment in ``day``'s month."""
    first = day.replace(day=1)
    return PointsEntry.objects.filter(
        programme=programme,
        source=PointsSource.BILL_ON_TIME,
        transaction__txn_date__gte=first,
        transaction__txn_date__lt=(first + timedelta(days=32)).replace(day=1),
    ).count()


def _tracked_before_due(bill: Any) -> bool:
    """Whether the bill was entered before its notice period opened, or came from its series."""
    if bill.previous_id is not None:
        return True
    notice_opens = bill.due_date - timedelta(days=bill.notice_days)
    return timezone.localtime(bill.created_at, bill.user.zone).date() < notice_opens


def _spend_rules(
    *, category_ids: set[int], latest: date
) -> list[tuple[EarningRule, frozenset[int]]]:
    """The active category_spend rules worth points that started by ``latest`` and reward
    one of ``category_ids``, each with those of its categories among them.

    Runs on every expense written: one query when no rule applies (the usual case), two
    when some do (the rules, then their categories).
    """
    rewarding = EarningRule.categories.through.objects.filter(category_id__in=category_ids)
    rules = EarningRule.objects.filter(
        kind=EarningRule.Kind.CATEGORY_SPEND,
        active=True,
        points__gt=0,
        starts_on__lte=latest,
        pk__in=rewarding.values("earningrule_id"),
    ).prefetch_related(
        Prefetch("categories", queryset=Category.objects.filter(pk__in=category_ids).only("pk"))
    )
    return [(rule, frozenset(category.pk for category in rule.categories.all())) for rule in rules]


def points_earn_for_spending(*, user: User, transactions: Sequence[Transaction]) -> int:
    """Points for the user's expenses in rewarded categories; returns the points added.

    For each active category_spend rule and each non-transfer expense (amount < 0) of the
    user in one of the rule's categories dated on or after the rule's start:
    floor(abs(amount) in the user's base currency at the txn_date * rule.points), one entry
    with cause ``spend:{transaction_id}:{rule_id}``, so a row earns once per rule however
    often it is passed (an edit, a new category, a retried import). Zero points: no entry.

    Batched for imports: a fixed number of queries whatever the number of rows (rules and
    their categories, rates, the programme, the causes already earned, one bulk insert).
    A row whose amount cannot be converted (no exchange rate) is skipped with a logged
    warning: rewards never break the ledger write that called them.

    Runs in the caller's database transaction (the ledger's); it opens no savepoint of its
    own, as each of its writes is idempotent by itself.
    """
    # Plain fields first: a foreign key's id and pk go through descriptors, and an import
    # passes 100,000 rows.
    user_id = user.pk
    candidates = [
        txn
        for txn in transactions
        if txn.amount < 0
        and txn.kind != Transaction.Kind.TRANSFER
        and txn.category_id is not None
        and txn.user_id == user_id
        and txn.id is not None
    ]
    if not candidates:
        return 0
    rules = _spend_rules(
        category_ids={txn.category_id for txn in candidates},
        latest=max(txn.txn_date for txn in candidates),
    )
    matches = [
        (txn, rule)
        for txn in candidates
        for rule, category_ids in rules
        if txn.category_id in category_ids and txn.txn_date >= rule.starts_on
    ]
    if not matches:
        return 0

    spent = _spent_in_base(user=user, transactions={txn.pk: txn for txn, _ in matches})
    now = timezone.now()
    entries: dict[str, PointsEntry] = {}
    for txn, rule in matches:
        amount = spent.get(txn.pk)
        if amount is None:
            continue
        points = min(_floor_points(amount * rule.points), POINTS_MAX)
        if points <= 0:
            continue
        cause = f"spend:{txn.pk}:{rule.pk}"
        where = txn.merchant or txn.description or "spending"
        entries[cause] = PointsEntry(
            points=points,
            reason=_entry_reason(f"{rule.name}: {-txn.amount} {txn.currency} at {where}"),
            source=PointsSource.CATEGORY_SPEND,
            cause=cause,
            transaction_id=txn.pk,
            created_at=now,
        )
    if not entries:
        return 0

    programme = programme_for(user)
    earned = PointsEntry.objects.filter(programme=programme, source=PointsSource.CATEGORY_SPEND)
    if len(entries) <= _CAUSE_LOOKUP_MAX:
        earned = earned.filter(cause__in=list(entries))
    else:
        ids = [entry.transaction_id for entry in entries.values()]
        earned = earned.filter(transaction_id__gte=min(ids), transaction_id__lte=max(ids))
    for cause in earned.values_list("cause", flat=True).iterator():
        entries.pop(cause, None)
    new_entries = list(entries.values())
    for entry in new_entries:
        entry.programme = programme
    # ignore_conflicts: a concurrent write of the same causes keeps its rows and this one
    # adds nothing for them (the count returned may then include those few).
    PointsEntry.objects.bulk_create(new_entries, ignore_conflicts=True)
    return sum(entry.points for entry in new_entries)


def points_reverse_for_transactions(*, user: User, transaction_ids: Sequence[int]) -> int:
    """Take back what the user's spending rows earned, before those rows are deleted.

    Points earned by spending belong to that spending: a deleted expense must not leave
    them behind (or entering and deleting an expense would mint points). Each earning is
    reversed once (cause ``spend-reversed:{entry_id}``, unique per programme). The balance
    never goes below zero: points already redeemed are not taken back, only what is left.
    Returns the points taken back (a positive number).
    """
    ids = list(transaction_ids)
    if not ids:
        return 0
    earnings = PointsEntry.objects.filter(
        programme__user=user, source=PointsSource.CATEGORY_SPEND, points__gt=0
    )
    earned: list[PointsEntry] = []
    # In chunks: undoing an import deletes more rows than one query may name (SQLite).
    for chunk in chunked(ids):
        earned.extend(earnings.filter(transaction_id__in=chunk))
    earned.sort(key=lambda entry: entry.pk)
    if not earned:
        return 0
    programme = _lock_programme(earned[0].programme_id)
    reversed_causes = set(
        PointsEntry.objects.filter(
            programme=programme, cause__in=[f"spend-reversed:{entry.pk}" for entry in earned]
        ).values_list("cause", flat=True)
    )
    available = selectors.programme_balance(programme=programme)
    taken = 0
    reversals = []
    for entry in earned:
        cause = f"spend-reversed:{entry.pk}"
        points = min(entry.points, available - taken)
        if cause in reversed_causes or points <= 0:
            continue
        taken += points
        reversals.append(
            PointsEntry(
                programme=programme,
                points=-points,
                reason=_entry_reason(f"Reversed, the spending was deleted: {entry.reason}"),
                source=PointsSource.REVERSAL,
                cause=cause,
            )
        )
    PointsEntry.objects.bulk_create(reversals)
    return taken


def _spent_in_base(*, user: User, transactions: dict[int, Transaction]) -> dict[int, Decimal]:
    """abs(amount) of each row in the user's base currency at its txn_date; None if no rate."""
    base = user.base_currency
    spent: dict[int, Decimal] = {}
    foreign = [txn for txn in transactions.values() if txn.currency != base]
    for txn in transactions.values():
        if txn.currency == base:
            spent[txn.pk] = -txn.amount
    if not foreign:
        return spent
    days = [txn.txn_date for txn in foreign]
    book = RateBook.load({txn.currency for txn in foreign} | {base}, min(days), max(days))
    missing: Counter[tuple[str, date]] = Counter()
    for txn in foreign:
        try:
            spent[txn.pk] = book.convert(-txn.amount, txn.currency, base, txn.txn_date)
        except MissingRateError:
            missing[(txn.currency, txn.txn_date)] += 1
    if missing:
        (currency, day), _ = missing.most_common(1)[0]
        logger.warning(
            "Rewards: %d expense(s) of user %s earned no points: no exchange rate to %s "
            "(for example %s on %s).",
            sum(missing.values()),
            user.pk,
            base,
            currency,
            day.isoformat(),
        )
    return spent


# --- Redeeming --------------------------------------------------------------------------


def _redemption_category() -> Category | None:
    return Category.objects.filter(slug=REDEMPTION_CATEGORY_SLUG, user__isnull=True).first()


@db_transaction.atomic
def points_redeem(*, programme: RewardProgramme, points: int, account: BankAccount) -> Redemption:
    """Turn points into a statement credit on one of the customer's open accounts.

    The credit is points / the account currency's RedemptionRate, rounded down to the
    cent. In one database transaction: an income transaction on the account through the
    ledger (transactions.services.transaction_create, so the balance moves) and a negative
    entry linked to it. Refused (ValidationError, nothing written): points not a positive
    whole number, fewer than the rate's minimum, worth less than 0.01, more than the
    balance; an account that is not the customer's, archived, or in a currency with no rate.
    """
    points = _check_points(points)
    if points < 0:
        raise ValidationError({"points": "Redeem a positive number of points."})
    user = programme.user
    if account.user_id != user.pk:
        raise ValidationError({"account": "Account not found."})
    if account.is_archived:
        raise ValidationError({"account": f"{account.name} is archived; choose an open account."})
    rate = RedemptionRate.objects.filter(currency=account.currency).first()
    if rate is None:
        raise ValidationError(
            {"account": f"Points cannot be redeemed into a {account.currency} account."}
        )
    if points < rate.minimum_points:
        raise ValidationError({"points": f"Redeem at least {rate.minimum_points} points."})
    credit = (Decimal(points) / rate.points_per_unit).quantize(CENT, rounding=ROUND_FLOOR)
    if credit < CENT:
        needed = -(-rate.points_per_unit // 100)
        raise ValidationError(
            {
                "points": f"{points} points are worth less than 0.01 {account.currency}; "
                f"redeem at least {needed}."
            }
        )
    if credit > MONEY_MAX:
        raise ValidationError({"points": "That is more than one credit can hold."})

    locked = _lock_programme(programme.pk)
    balance = selectors.programme_balance(programme=locked)
    if points > balance:
        raise ValidationError(
            {"points": f"You have {balance} points; you cannot redeem {points}."},
            code="insufficient_points",
        )
    txn = transaction_create(
        user=user,
        account=account,
        amount=credit,
        kind=Transaction.Kind.INCOME,
        txn_date=user.today(),
        description=REDEMPTION_DESCRIPTION,
        merchant=locked.name,
        category=_redemption_category(),
        actor=user,
        apply_rules=False,
    )
    entry = PointsEntry.objects.create(
        programme=locked,
        points=-points,
        reason=_entry_reason(f"Statement credit of {credit} {account.currency} to {account.name}"),
        source=PointsSource.REDEMPTION,
        transaction=txn,
    )
    return Redemption(
        entry=entry,
        transaction=txn,
        credit=credit,
        currency=account.currency,
        balance=balance - points,
    )


# --- Staff adjustments ------------------------------------------------------------------


def can_adjust_points(user: User | None) -> bool:
    """Only admins adjust points (auditors and support read)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or user.role == User.Role.ADMIN


@db_transaction.atomic
def points_adjust(
    *, programme: RewardProgramme, points: int, reason: str, actor: User
) -> PointsEntry:
    """A staff correction: add (positive) or take away (negative) points, with a reason.

    Only admin staff may (PermissionDenied otherwise). A negative adjustment may not take
    the balance below zero. Written to the audit log with the actor, the points, the reason
    and the balances before and after.
    """
    if not can_adjust_points(actor):
        raise PermissionDenied("Only admin staff may adjust points.")
    points = _check_points(points)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the points are adjusted."})
    if len(reason) > 255:
        raise ValidationError({"reason": "At most 255 characters."})
    locked = _lock_programme(programme.pk)
    balance = selectors.programme_balance(programme=locked)
    if balance + points < 0:
        raise ValidationError(
            {"points": f"The balance is {balance} points; it cannot go below zero."}
        )
    entry = PointsEntry.objects.create(
        programme=locked,
        points=points,
        reason=reason,
        source=PointsSource.ADJUSTMENT,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="rewards.points_adjust",
        target=locked,
        changes={
            "balance": (balance, balance + points),
            "points": (None, points),
            "reason": (None, reason),
            "entry": (None, entry.pk),
        },
    )
    return entry
