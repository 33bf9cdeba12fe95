"""Every write to bills: create, edit, delete, pay, the transactions that pay them, the jobs.

Invariants kept here:

- A bill is paid by one transaction and a transaction pays one bill at most
  (``Bill.paid_transaction`` is one-to-one); paying a paid bill is refused.
- Whatever pays a bill (``bill_pay``, auto-pay, a matched transaction) takes one path
  afterwards (``_payments_completed``): a recurring bill's next occurrence is created, once
  (``Bill.previous`` is one-to-one), and the on-time points are earned, once per bill.
- Locks are taken in the ledger's order: the paying account, then the bill. A ledger write
  locks its account and then, through its follow-ups, the unpaid bills its rows may pay;
  taking them the other way round here could deadlock against it.
- The daily jobs are safe to run twice: a reminder, an overdue notice and an auto-pay
  failure are alerts keyed by the bill (``alerts.services.alert_raise`` stores a key once and
  its notifications go out once per channel), and auto-pay only picks unpaid bills, each
  locked and checked again before it is paid.
"""

import datetime
import logging
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction as db_transaction
from django.utils import timezone

from accounts.models import BankAccount, User
from accounts.services import audit_if_staff
from bills.models import NOTICE_DAYS_DEFAULT, NOTICE_DAYS_MAX, Bill, Recurrence
from smartbank.bulk import chunked
from smartbank.dates import check_date_range
from smartbank.money import (
    MONEY_MAX,
    format_money,
    is_currency_code,
    normalize_currency_code,
    quantize_money,
)
from transactions.models import Category, Transaction
from transactions.services import InsufficientFunds, check_category, transaction_create

logger = logging.getLogger(__name__)

# A yearly bill paid early has its next occurrence almost two years ahead.
BILL_DUE_DAYS_AHEAD = 2 * 366
BILLER_MAX_LENGTH = Bill._meta.get_field("biller").max_length
BILL_EDITABLE_FIELDS = (
    "biller",
    "amount_due",
    "currency",
    "due_date",
    "recurrence",
    "autopay",
    "account",
    "category",
    "notice_days",
)
# What a payment fixed: changing them afterwards would make the payment disagree with its bill.
PAID_BILL_FROZEN_FIELDS = ("amount_due", "currency", "due_date")
# The least time between two reminders of one bill sent by hand (send-reminder): each one
# queues an email and maybe a text message, so a client calling in a loop must not spam.
BILL_REMINDER_MIN_INTERVAL = datetime.timedelta(minutes=10)
# Bills per query in the daily jobs (under SQLite's limit on query parameters).
_JOB_CHUNK = 500
# The furthest any time zone is from UTC, either way: bounds the candidates of a daily job
# before each bill is checked against its own customer's today.
_ZONE_AHEAD = datetime.timedelta(hours=14)
_ZONE_BEHIND = datetime.timedelta(hours=12)


class BillAlreadyPaid(ValidationError):
    """The bill has a payment already (bill_pay twice, or a concurrent payment won)."""


# --- Validation -------------------------------------------------------------------------


def _check_bill(bill: Bill, *, changed: Collection[str]) -> None:
    """Check and normalise the fields in ``changed``; raise one error naming every bad field."""
    errors: dict[str, str] = {}
    user = bill.user
    if "biller" in changed:
        bill.biller = (bill.biller or "").strip() if isinstance(bill.biller, str) else ""
        if not bill.biller:
            errors["biller"] = "A bill needs a biller: who it is paid to."
        elif len(bill.biller) > BILLER_MAX_LENGTH:
            errors["biller"] = f"A biller is at most {BILLER_MAX_LENGTH} characters."
        elif "\x00" in bill.biller:
            errors["biller"] = "A biller cannot contain NUL characters."
    if "amount_due" in changed:
        try:
            bill.amount_due = quantize_money(bill.amount_due)
        except (InvalidOperation, TypeError, ValueError):
            errors["amount_due"] = "The amount due must be a number, e.g. 49.99."
        else:
            if not bill.amount_due.is_finite() or bill.amount_due <= 0:
                errors["amount_due"] = "The amount due must be positive."
            elif bill.amount_due > MONEY_MAX:
                errors["amount_due"] = "This amount is too large."
    if "currency" in changed:
        bill.currency = normalize_currency_code(bill.currency or "")
        if not is_currency_code(bill.currency):
            errors["currency"] = f"{bill.currency[:10]!r} is not an ISO 4217 currency code."
    if "recurrence" in changed and bill.recurrence not in Recurrence.values:
        errors["recurrence"] = f"Recurrence is one of {', '.join(Recurrence.values)}."
    if "notice_days" in changed and (
        isinstance(bill.notice_days, bool)
        or not isinstance(bill.notice_days, int)
        or not 0 <= bill.notice_days <= NOTICE_DAYS_MAX
    ):
        errors["notice_days"] = f"Days of notice are a whole number from 0 to {NOTICE_DAYS_MAX}."
    if "due_date" in changed:
        if not isinstance(bill.due_date, datetime.date) or isinstance(
            bill.due_date, datetime.datetime
        ):
            errors["due_date"] = "The due date must be a date."
        else:
            try:
                check_date_range(
                    bill.due_date,
                    field="due_date",
                    today=user.today(),
                    days_ahead=BILL_DUE_DAYS_AHEAD,
                )
            except ValidationError as exc:
                _collect(errors, exc)
    if "category" in changed:
        try:
            check_category(bill.category, user)
        except ValidationError as exc:
            _collect(errors, exc)
    if {"account", "currency", "autopay"} & set(changed):
        _check_account(bill, changed=changed, errors=errors)
    if errors:
        raise ValidationError(errors)


def _collect(errors: dict[str, str], exc: ValidationError) -> None:
    """Add a shared check's field errors to ``errors``, one message per field."""
    errors.update({name: " ".join(msgs) for name, msgs in exc.message_dict.items()})


def _check_account(bill: Bill, *, changed: Collection[str], errors: dict[str, str]) -> None:
    account = bill.account
    if account is None:
        if bill.autopay:
            errors["account"] = "Auto-pay needs an account to pay the bill from."
        return
    if account.user_id != bill.user_id:
        # Callers pass accounts from for_user(); this guards one that forgot to.
        errors["account"] = "Account not found."
    elif account.is_archived and ("account" in changed or ("autopay" in changed and bill.autopay)):
        errors["account"] = f"{account.name} is archived; choose an open account."
    elif "currency" not in errors and account.currency != bill.currency:
        field = "account" if "account" in changed or "currency" not in changed else "currency"
        errors[field] = (
            f"{account.name} is in {account.currency}; this bill is in {bill.currency}. "
            "A bill is paid from an account in its own currency."
        )


# --- Create, edit, delete ---------------------------------------------------------------


@db_transaction.atomic
def bill_create(
    *,
    user: User,
    biller: str,
    amount_due: Decimal,
    due_date: datetime.date,
    currency: str | None = None,
    recurrence: str = Recurrence.NONE,
    autopay: bool = False,
    account: BankAccount | None = None,
    category: Category | None = None,
    notice_days: int = NOTICE_DAYS_DEFAULT,
    actor: User | None = None,
) -> Bill:
    """Add a bill. The currency defaults to the account's, else the user's base currency.

    The account (needed for auto-pay) must be one of the user's open accounts in the bill's
    currency; the category one the user may use (not transfers). Staff adding one is audited.
    """
    if not currency:
        currency = account.currency if account is not None else user.base_currency
    bill = Bill(
        user=user,
        biller=biller,
        amount_due=amount_due,
        currency=currency,
        due_date=due_date,
        recurrence=recurrence,
        autopay=autopay,
        account=account,
        category=category,
        notice_days=notice_days,
    )
    _check_bill(bill, changed=BILL_EDITABLE_FIELDS)
    bill.anchor_day = bill.due_date.day
    bill.save()
    audit_if_staff(
        actor=actor,
        owner=user,
        action="bill.create",
        target=bill,
        changes={
            "biller": (None, bill.biller),
            "amount_due": (None, bill.amount_due),
            "due_date": (None, bill.due_date),
        },
    )
    return bill


@db_transaction.atomic
def bill_update(*, bill: Bill, actor: User | None, **fields: Any) -> Bill:
    """Edit a bill. A paid bill's amount, currency and due date are fixed by its payment.

    A new due date also becomes the day of the month the series keeps from then on.
    """
    unknown = set(fields) - set(BILL_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"bill_update cannot change {sorted(unknown)}")
    locked = Bill.objects.select_for_update().get(pk=bill.pk)
    if "currency" in fields and isinstance(fields["currency"], str):
        fields["currency"] = normalize_currency_code(fields["currency"])
    changed = [name for name, value in fields.items() if getattr(locked, name) != value]
    frozen = [name for name in changed if name in PAID_BILL_FROZEN_FIELDS]
    if locked.is_paid and frozen:
        raise ValidationError(
            {
                name: "This bill is paid: its amount, currency and due date stay as paid. "
                "Change its next occurrence instead."
                for name in frozen
            }
        )
    before = {name: getattr(locked, name) for name in changed}
    for name in changed:
        setattr(locked, name, fields[name])
    if not changed:
        return locked
    _check_bill(locked, changed=changed)
    if "due_date" in changed:
        locked.anchor_day = locked.due_date.day
    locked.save()
    audit_if_staff(
        actor=actor,
        owner=locked.user,
        action="bill.update",
        target=locked,
        changes={
            name: (_plain(old), _plain(getattr(locked, name))) for name, old in before.items()
        },
    )
    return locked


def _plain(value: Any) -> Any:
    """A related object by its id, for the audit trail."""
    return getattr(value, "pk", value)


@db_transaction.atomic
def bill_delete(*, bill: Bill, actor: User | None) -> None:
    """Delete a bill. Its payment stays in the ledger; its next occurrence stays, unlinked."""
    locked = Bill.objects.select_for_update().get(pk=bill.pk)
    audit_if_staff(
        actor=actor,
        owner=locked.user,
        action="bill.delete",
        target=locked,
        changes={"biller": (locked.biller, None), "due_date": (locked.due_date, None)},
    )
    locked.delete()


# --- Paying -----------------------------------------------------------------------------

# Set while bill_pay records a bill's payment through the ledger. The ledger's follow-ups
# then match that row to no bill: it is this bill's payment (linked right after), and must
# not pay another unpaid bill of the same biller, nor this one by a second path.
_recording_payment: ContextVar[bool] = ContextVar("bills_recording_payment", default=False)


@contextmanager
def _payment_being_recorded() -> Iterator[None]:
    token = _recording_payment.set(True)
    try:
        yield
    finally:
        _recording_payment.reset(token)


def _next_occurrence(bill: Bill) -> Bill | None:
    due_date = bill.next_due_date()
    if due_date is None:
        return None
    return Bill(
        user_id=bill.user_id,
        biller=bill.biller,
        amount_due=bill.amount_due,
        currency=bill.currency,
        due_date=due_date,
        anchor_day=bill.anchor_day,
        recurrence=bill.recurrence,
        autopay=bill.autopay,
        account_id=bill.account_id,
        category_id=bill.category_id,
        notice_days=bill.notice_days,
        previous=bill,
    )


def _payments_completed(bills: Sequence[Bill]) -> None:
    """What follows a payment, for bills just marked paid (and locked): same path for all.

    The next occurrence of each recurring bill is created unless it exists (a payment
    deleted and made again), then the on-time points are earned.
    """
    from rewards.services import points_earn_for_bill

    recurring = [bill for bill in bills if bill.recurrence != Recurrence.NONE]
    if recurring:
        existing = set(
            Bill.objects.filter(previous__in=[bill.pk for bill in recurring]).values_list(
                "previous_id", flat=True
            )
        )
        new = [_next_occurrence(bill) for bill in recurring if bill.pk not in existing]
        Bill.objects.bulk_create([bill for bill in new if bill is not None])
    for bill in bills:
        points_earn_for_bill(bill=bill)


def _lock_paying_account(account: BankAccount) -> BankAccount:
    locked = BankAccount.objects.select_for_update().filter(pk=account.pk).first()
    if locked is None:
        raise ValidationError({"account": "Account not found."})
    return locked


@db_transaction.atomic
def bill_pay(*, bill: Bill, account: BankAccount | None = None, actor: User | None) -> Bill:
    """Pay a bill now: an expense of its amount on the account (the bill's own by default).

    In one database transaction: the account and then the bill are locked, a paid bill is
    refused (BillAlreadyPaid, a 400), the expense goes through the ledger
    (transactions.services.transaction_create, dated the customer's today, in the bill's
    category; InsufficientFunds, a 400, rolls everything back), the bill is marked paid, a
    recurring bill's next occurrence is created and the on-time points are earned. Staff
    paying a customer's bill is audited (the transaction and the payment).
    """
    chosen = account is not None
    account = account if chosen else bill.account
    if account is None:
        raise ValidationError({"account": "Choose the account to pay this bill from."})
    locked_account = _lock_paying_account(account)
    locked = Bill.objects.select_for_update().filter(pk=bill.pk).first()
    if locked is None:
        raise ValidationError({"detail": "Bill not found."})
    if locked.is_paid:
        raise BillAlreadyPaid({"detail": "This bill is already paid."}, code="already_paid")
    if not chosen and locked.account_id != locked_account.pk:
        # The bill's account changed between the read and the lock.
        raise ValidationError({"account": "This bill's account has just changed; try again."})
    user = locked.user
    if locked_account.user_id != user.pk:
        raise ValidationError({"account": "Account not found."})
    if locked_account.currency != locked.currency:
        raise ValidationError(
            {
                "account": f"{locked_account.name} is in {locked_account.currency}; this bill "
                f"is in {locked.currency}. Pay it from an account in {locked.currency}."
            }
        )
    try:
        with _payment_being_recorded():
            payment = transaction_create(
                user=user,
                account=locked_account,
                amount=-locked.amount_due,
                txn_date=user.today(),
                description=f"Bill payment: {locked.biller}",
                merchant=locked.biller,
                category=locked.category,
                actor=actor,
            )
    except InsufficientFunds as exc:
        # The ledger names its own "amount"; what the customer chose here is the account.
        raise InsufficientFunds(
            {
                "account": [
                    ValidationError(message, code="insufficient_funds") for message in exc.messages
                ]
            }
        ) from exc
    locked.paid_transaction = payment
    locked.save(update_fields=["paid_transaction", "updated_at"])
    _payments_completed([locked])
    audit_if_staff(
        actor=actor,
        owner=user,
        action="bill.pay",
        target=locked,
        changes={"paid_transaction": (None, payment.pk), "account": (None, locked_account.pk)},
    )
    account.balance = locked_account.balance
    bill.paid_transaction = payment
    return locked


# --- Transactions that pay bills --------------------------------------------------------


def _pays(txn: Transaction, low: Decimal, high: Decimal, needle: str) -> bool:
    return low <= -txn.amount <= high and (
        needle in (txn.merchant or "").casefold() or needle in (txn.description or "").casefold()
    )


def bills_match_transactions(*, user: User, transactions: Sequence[Transaction]) -> list[Bill]:
    """Mark the user's unpaid bills paid by these transactions; returns the bills paid.

    A transaction pays a bill when it is a non-transfer expense in the bill's currency, the
    biller is in its merchant or description (ignoring case), its amount is within
    BILL_MATCH_TOLERANCE_PERCENT of the amount due and its date within BILL_MATCH_DAYS of
    the due date. Each bill is paid by one transaction and each transaction pays one bill:
    the closest pairs (in days, then in amount) are taken first. A paid bill then follows
    bill_pay's path (next occurrence, points).

    Batched for imports: a fixed number of queries whatever the number of rows (the user's
    unpaid bills in the rows' date range, locked, in one; the rows already paying a bill in
    one), matching in memory; then per bill paid, its points.
    """
    if _recording_payment.get():
        return []
    user_id = user.pk
    expenses = [
        txn
        for txn in transactions
        if txn.amount < 0 and txn.kind == Transaction.Kind.EXPENSE and txn.user_id == user_id
    ]
    if not expenses:
        return []
    # The ledger calls this inside its own database transaction: no savepoint (two more
    # queries on every expense written) is needed; an error rolls the whole write back.
    with db_transaction.atomic(savepoint=False):
        return _match(user, expenses)


def _match(user: User, expenses: list[Transaction]) -> list[Bill]:
    window = datetime.timedelta(days=settings.BILL_MATCH_DAYS)
    tolerance = Decimal(settings.BILL_MATCH_TOLERANCE_PERCENT) / 100
    first = min(txn.txn_date for txn in expenses) - window
    last = max(txn.txn_date for txn in expenses) + window
    bills = list(
        Bill.objects.for_user(user)
        .unpaid()
        .filter(due_date__range=(first, last), currency__in={txn.currency for txn in expenses})
        .select_for_update()
        .order_by("due_date", "pk")
    )
    if not bills:
        return []

    by_currency: dict[str, list[Transaction]] = {}
    for txn in sorted(expenses, key=lambda row: (row.txn_date, row.pk)):
        by_currency.setdefault(txn.currency, []).append(txn)
    dates = {currency: [txn.txn_date for txn in rows] for currency, rows in by_currency.items()}

    pairs: list[tuple[tuple[int, Decimal, int, int], Bill, Transaction]] = []
    for bill in bills:
        rows = by_currency.get(bill.currency, [])
        start = bisect_left(dates.get(bill.currency, []), bill.due_date - window)
        end = bisect_right(dates.get(bill.currency, []), bill.due_date + window)
        low = bill.amount_due * (1 - tolerance)
        high = bill.amount_due * (1 + tolerance)
        needle = bill.biller.casefold()
        for txn in rows[start:end]:
            if _pays(txn, low, high, needle):
                score = (
                    abs((txn.txn_date - bill.due_date).days),
                    abs(-txn.amount - bill.amount_due),
                    bill.pk,
                    txn.pk,
                )
                pairs.append((score, bill, txn))
    if not pairs:
        return []

    # A row that pays a bill already (an edited payment coming through again) pays no other.
    paying = set(
        Bill.objects.filter(paid_transaction__in={txn.pk for _, _, txn in pairs}).values_list(
            "paid_transaction_id", flat=True
        )
    )
    matched: list[Bill] = []
    used: set[int] = set()
    now = timezone.now()
    for _, bill, txn in sorted(pairs, key=lambda pair: pair[0]):
        if bill.is_paid or txn.pk in used or txn.pk in paying:
            continue
        bill.paid_transaction = txn
        bill.updated_at = now
        bill.user = user
        used.add(txn.pk)
        matched.append(bill)
    if not matched:
        return []
    matched.sort(key=lambda bill: (bill.due_date, bill.pk))
    Bill.objects.bulk_update(matched, ["paid_transaction", "updated_at"])
    _payments_completed(matched)
    return matched


# --- Reminders --------------------------------------------------------------------------


def _reminder_context(bill: Bill, today: datetime.date) -> dict[str, Any]:
    return {
        "user": bill.user,
        "bill": bill,
        "amount": format_money(bill.amount_due, bill.currency),
        "days_left": (bill.due_date - today).days,
        "today": today,
    }


@db_transaction.atomic
def bill_send_reminder(*, bill: Bill) -> list:
    """Send a reminder of an unpaid bill now, on the channels the customer turned on for
    bill_due_soon alerts (email from templates/alerts/email/bill_reminder*, SMS).

    Each call is its own reminder (key ``bill_reminder:{pk}:manual:{timestamp}``) and
    queues one notification per channel, sent after the database transaction commits;
    returns them. Refused with a 400, writing nothing: a paid bill; every channel of
    bill_due_soon turned off (nothing could be sent); a manual reminder of the same bill
    less than BILL_REMINDER_MIN_INTERVAL ago (by its notifications' created_at), so a
    client calling in a loop cannot flood the customer with emails and text messages.
    The bill's row is locked first, so two calls at once take turns and the second sees
    the first's reminder.
    """
    from alerts.models import AlertType, Notification
    from alerts.notifications import notifications_queue, render_email
    from alerts.selectors import alert_preferences

    locked = Bill.objects.select_for_update().filter(pk=bill.pk).first()
    if locked is None:
        raise ValidationError({"detail": "Bill not found."})
    if locked.is_paid:
        raise ValidationError({"detail": "This bill is paid: there is nothing to remind of."})
    user = locked.user = bill.user
    channels = alert_preferences(user)[AlertType.BILL_DUE_SOON].channels
    if not channels:
        raise ValidationError(
            {
                "detail": "Reminders for bills are turned off in your alert preferences: "
                "turn on email or SMS for bill_due_soon alerts to send one."
            }
        )
    now = timezone.now()
    prefix = f"bill_reminder:{locked.pk}:manual:"
    # Served by the (user, -created_at) index: the user's notifications of the last minutes.
    last_sent = (
        Notification.objects.filter(
            user_id=user.pk,
            created_at__gt=now - BILL_REMINDER_MIN_INTERVAL,
            key__startswith=prefix,
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if last_sent is not None:
        minutes = int(BILL_REMINDER_MIN_INTERVAL.total_seconds() // 60)
        next_at = timezone.localtime(last_sent + BILL_REMINDER_MIN_INTERVAL, user.zone)
        raise ValidationError(
            {
                "detail": f"A reminder of this bill was sent less than {minutes} minutes ago; "
                f"you can send the next one from {next_at:%H:%M} on {next_at:%Y-%m-%d} "
                f"({user.time_zone})."
            },
        )
    context = _reminder_context(locked, user.today())
    subject, text, html = render_email("bill_reminder", context)
    sms_text = f"{subject}. {context['amount']} due {locked.due_date.isoformat()}."
    stamp = now.strftime("%Y%m%dT%H%M%S%f")
    return notifications_queue(
        user=user,
        key=f"{prefix}{stamp}",
        subject=subject,
        text=text,
        html=html,
        channels=channels,
        sms_text=sms_text,
    )


# --- The daily jobs ---------------------------------------------------------------------


class _Todays:
    """Each customer's today, worked out once per time zone for one run of a job."""

    def __init__(self, today: datetime.date | None) -> None:
        self.fixed = today
        self.now = timezone.now()
        self._by_zone: dict[str, datetime.date] = {}

    @property
    def earliest(self) -> datetime.date:
        return self.fixed or (self.now - _ZONE_BEHIND).date()

    @property
    def latest(self) -> datetime.date:
        return self.fixed or (self.now + _ZONE_AHEAD).date()

    def of(self, user: User) -> datetime.date:
        if self.fixed is not None:
            return self.fixed
        zone = user.time_zone
        if zone not in self._by_zone:
            self._by_zone[zone] = self.now.astimezone(user.zone).date()
        return self._by_zone[zone]


def _in_chunks(bill_ids: list[int]) -> Iterator[list[Bill]]:
    for chunk in chunked(bill_ids, _JOB_CHUNK):
        yield list(
            Bill.objects.filter(pk__in=chunk)
            .select_related("user", "account")
            .order_by("due_date", "pk")
        )


def _keys_raised(bills: Iterable[Bill], key_prefix: str) -> set[str]:
    """The alert keys of these bills that exist already: one query, so a daily run over
    bills alerted before costs one read per chunk instead of one raise per bill."""
    from alerts.models import Alert

    bills = list(bills)
    keys = [f"{key_prefix}:{bill.pk}" for bill in bills]
    return set(
        Alert.objects.filter(user_id__in={bill.user_id for bill in bills}, key__in=keys)
        .order_by()
        .values_list("key", flat=True)
    )


def _raise_bill_alert(*, bill: Bill, alert_type: str, key: str, **alert: Any) -> bool:
    """Raise one bill's alert in its own savepoint; a failure is logged and the run goes on."""
    from alerts.services import alert_raise

    try:
        with db_transaction.atomic():
            return (
                alert_raise(
                    user=bill.user,
                    alert_type=alert_type,
                    key=key,
                    data={
                        "bill_id": bill.pk,
                        "biller": bill.biller,
                        "amount_due": str(bill.amount_due),
                        "currency": bill.currency,
                        "due_date": bill.due_date.isoformat(),
                    },
                    **alert,
                )
                is not None
            )
    except Exception:  # one bill's failure must not stop the others; the next run retries
        logger.exception("raising %s for bill %s failed", alert_type, bill.pk)
        return False


def bills_send_due_reminders(*, today: datetime.date | None = None) -> int:
    """Remind customers of unpaid bills whose notice period is open (from due_date -
    notice_days to the due date, in the customer's today; ``today`` overrides it for all).

    The reminder is a bill_due_soon alert keyed ``bill_due_soon:{pk}``: raised once per bill
    occurrence, its notifications sent once per channel however often this runs. Returns
    how many reminders this run raised.
    """
    from alerts.models import AlertType

    todays = _Todays(today)
    candidates = list(
        Bill.objects.unpaid()
        .filter(due_date__gte=todays.earliest)
        .notice_open_by(todays.latest)
        .order_by("due_date", "pk")
        .values_list("pk", flat=True)
    )
    raised = 0
    for bills in _in_chunks(candidates):
        done = _keys_raised(bills, "bill_due_soon")
        for bill in bills:
            key = f"bill_due_soon:{bill.pk}"
            day = todays.of(bill.user)
            if key in done or not bill.remind_on <= day <= bill.due_date:
                continue
            amount = format_money(bill.amount_due, bill.currency)
            days_left = (bill.due_date - day).days
            when = (
                "today" if days_left == 0 else f"in {days_left} day{'s' if days_left > 1 else ''}"
            )
            message = f"{amount} to {bill.biller} is due {when}, on {bill.due_date.isoformat()}."
            if bill.autopay and bill.account is not None:
                message += f" Auto-pay will pay it from {bill.account.name}."
            raised += _raise_bill_alert(
                bill=bill,
                alert_type=AlertType.BILL_DUE_SOON,
                key=key,
                title=f"{bill.biller} is due {when}",
                message=message,
                severity="info",
            )
    return raised


def bills_mark_overdue(*, today: datetime.date | None = None) -> int:
    """Raise a bill_overdue alert (key ``bill_overdue:{pk}``, once) for each unpaid bill
    past its due date in the customer's today. Like every alert, only for what happened
    recently: bills due in the last ALERT_RECENT_DAYS days, so bills entered with old due
    dates raise nothing and the daily run stays small. Returns how many it raised.
    """
    from alerts.models import AlertType
    from alerts.services import ALERT_RECENT_DAYS

    todays = _Todays(today)
    candidates = list(
        Bill.objects.unpaid()
        .filter(
            due_date__lt=todays.latest,
            due_date__gte=todays.earliest - datetime.timedelta(days=ALERT_RECENT_DAYS),
        )
        .order_by("due_date", "pk")
        .values_list("pk", flat=True)
    )
    raised = 0
    for bills in _in_chunks(candidates):
        done = _keys_raised(bills, "bill_overdue")
        for bill in bills:
            key = f"bill_overdue:{bill.pk}"
            day = todays.of(bill.user)
            if key in done or not bill.due_date < day:
                continue
            if (day - bill.due_date).days > ALERT_RECENT_DAYS:
                continue
            amount = format_money(bill.amount_due, bill.currency)
            raised += _raise_bill_alert(
                bill=bill,
                alert_type=AlertType.BILL_OVERDUE,
                key=key,
                title=f"{bill.biller} is overdue",
                message=f"{amount} to {bill.biller} was due on {bill.due_date.isoformat()} "
                "and is not paid yet.",
                severity="warning",
            )
    return raised


@dataclass(frozen=True)
class AutopayResult:
    """Bill ids of one auto-pay run: paid, refused (an autopay_failed alert says why), and
    failed unexpectedly (logged; the next run tries again)."""

    paid: tuple[int, ...] = ()
    failed: tuple[int, ...] = ()
    errors: tuple[int, ...] = ()

    def as_dict(self) -> dict[str, int]:
        return {"paid": len(self.paid), "failed": len(self.failed), "errors": len(self.errors)}


def bills_autopay_due(*, today: datetime.date | None = None) -> AutopayResult:
    """Pay every unpaid auto-pay bill due on or before the customer's today, from its account.

    Each bill is paid in its own database transaction (bill_pay), so one failure never
    stops the rest. A refused payment (insufficient funds, no account, an archived one)
    raises an autopay_failed alert (key ``autopay_failed:{pk}``, once per bill) and is tried
    again on the next run; nothing crashes. Safe to run twice: a paid bill is not picked
    again, and bill_pay refuses a bill paid meanwhile.
    """
    from alerts.models import AlertType

    todays = _Todays(today)
    candidates = list(
        Bill.objects.unpaid()
        .filter(autopay=True, due_date__lte=todays.latest)
        .order_by("due_date", "pk")
        .values_list("pk", flat=True)
    )
    paid: list[int] = []
    failed: list[int] = []
    errors: list[int] = []
    for bills in _in_chunks(candidates):
        for bill in bills:
            if bill.due_date > todays.of(bill.user):
                continue
            try:
                with db_transaction.atomic():
                    bill_pay(bill=bill, actor=None)
            except BillAlreadyPaid:
                continue
            except ValidationError as exc:
                failed.append(bill.pk)
                reason = " ".join(exc.messages)
                _raise_bill_alert(
                    bill=bill,
                    alert_type=AlertType.AUTOPAY_FAILED,
                    key=f"autopay_failed:{bill.pk}",
                    title=f"Auto-pay of {bill.biller} failed",
                    message=f"{format_money(bill.amount_due, bill.currency)} to {bill.biller}, "
                    f"due on {bill.due_date.isoformat()}, could not be paid: {reason} "
                    "Auto-pay tries again tomorrow; you can also pay it now.",
                    severity="critical",
                )
            except Exception:  # a bug or an outage on one bill must not stop the others
                logger.exception("auto-pay of bill %s failed", bill.pk)
                errors.append(bill.pk)
            else:
                paid.append(bill.pk)
    return AutopayResult(paid=tuple(paid), failed=tuple(failed), errors=tuple(errors))
