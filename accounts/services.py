"""Every write to users, bank accounts and the audit trail."""

import re
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db import transaction as db_transaction
from django.db.models import F

from accounts.models import AuditLog, BankAccount, User
from accounts.roles import ROLE_GROUPS
from smartbank import request_context
from smartbank.dates import check_date_range
from smartbank.money import MONEY_MAX, quantize_money, validate_currency_code

_ACCOUNT_NUMBER_SEPARATORS = re.compile(r"[\s\-./]")
_ACCOUNT_NUMBER_SHAPE = re.compile(r"^[A-Za-z0-9]{4,34}$")

USER_PROFILE_FIELDS = ("full_name", "phone", "base_currency", "time_zone", "locale")


# --- Audit ----------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal | date):
        return str(value)
    return value


def audit_record(
    *,
    actor: User | None,
    action: str,
    target: Any,
    changes: dict[str, Any] | None = None,
) -> AuditLog:
    """Append one entry to the audit trail, with the IP and request id of the current request."""
    context = request_context.current()
    return AuditLog.objects.create(
        actor=actor,
        actor_email=getattr(actor, "email", "") or "",
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        changes={
            key: [_jsonable(old), _jsonable(new)] for key, (old, new) in (changes or {}).items()
        },
        ip_address=context.ip_address,
        request_id=context.request_id,
    )


def audit_if_staff(
    *, actor: User | None, owner: User, action: str, target: Any, changes: dict[str, Any]
) -> None:
    """Staff changing a customer's data is always audited; customers editing their own is not."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return
    if actor.pk == owner.pk and not actor.is_staff_role:
        return
    if actor.is_staff_role or actor.is_superuser:
        audit_record(actor=actor, action=action, target=target, changes=changes)


def _apply_changes(instance: Any, fields: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    changes = {}
    for name, value in fields.items():
        old = getattr(instance, name)
        if old != value:
            changes[name] = (old, value)
            setattr(instance, name, value)
    return changes


# --- Users ----------------------------------------------------------------------------


def user_signup(
    *,
    email: str,
    password: str,
    full_name: str = "",
    phone: str = "",
    base_currency: str | None = None,
    time_zone: str = "UTC",
    locale: str = "en-us",
) -> User:
    """Create a customer and their rewards programme, in one database transaction.

    The email is unique whatever its case; the password is validated.
    """
    email = User.objects.normalize_login_email(email)
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "An account with this email already exists."})
    user = User(
        email=email,
        full_name=full_name,
        phone=phone,
        role=User.Role.CUSTOMER,
        time_zone=time_zone,
        locale=locale,
    )
    if base_currency:
        user.base_currency = base_currency
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    user.set_password(password)
    user.full_clean(exclude=["password"], validate_constraints=False)
    # rewards sits above accounts (it imports accounts.services): imported here, not at the top.
    from rewards.services import programme_create

    try:
        with db_transaction.atomic():
            user.save()
            # Every customer has a rewards programme from sign-up, or neither is saved.
            programme_create(user=user)
    except IntegrityError:
        # Two sign-ups with one email racing each other: the unique index decides.
        raise ValidationError({"email": "An account with this email already exists."}) from None
    return user


@db_transaction.atomic
def user_update(*, user: User, actor: User | None, **fields: Any) -> User:
    """Change a user's profile fields; staff changes are audited."""
    unknown = set(fields) - set(USER_PROFILE_FIELDS) - {"email", "is_active"}
    if unknown:
        raise ValueError(f"user_update cannot change {sorted(unknown)}")
    if "email" in fields:
        fields["email"] = User.objects.normalize_login_email(fields["email"])
        if User.objects.filter(email__iexact=fields["email"]).exclude(pk=user.pk).exists():
            raise ValidationError({"email": "An account with this email already exists."})
    changes = _apply_changes(user, fields)
    if not changes:
        return user
    user.full_clean(exclude=["password"], validate_constraints=False)
    user.save(update_fields=[*changes.keys()])
    audit_if_staff(actor=actor, owner=user, action="user.update", target=user, changes=changes)
    return user


@db_transaction.atomic
def user_set_role(*, user: User, role: str, actor: User | None) -> User:
    """Give a user a role: staff roles may use the admin and belong to their role's group."""
    if role not in User.Role.values:
        raise ValidationError({"role": f"{role!r} is not a role."})
    old_role = user.role
    user.role = role
    user.is_staff = role in User.STAFF_ROLES or user.is_superuser
    user.save(update_fields=["role", "is_staff"])
    role_groups = Group.objects.filter(name__in=ROLE_GROUPS.values())
    user.groups.remove(*role_groups)
    if role in ROLE_GROUPS:
        group, _ = Group.objects.get_or_create(name=ROLE_GROUPS[role])
        user.groups.add(group)
    if old_role != role:
        audit_if_staff(
            actor=actor,
            owner=user,
            action="user.set_role",
            target=user,
            changes={"role": (old_role, role)},
        )
    return user


@db_transaction.atomic
def user_set_kyc_status(*, user: User, kyc_status: str, actor: User | None) -> User:
    if kyc_status not in User.KycStatus.values:
        raise ValidationError({"kyc_status": f"{kyc_status!r} is not a KYC status."})
    old_status = user.kyc_status
    if old_status == kyc_status:
        return user
    user.kyc_status = kyc_status
    user.save(update_fields=["kyc_status"])
    audit_if_staff(
        actor=actor,
        owner=user,
        action="user.set_kyc_status",
        target=user,
        changes={"kyc_status": (old_status, kyc_status)},
    )
    return user


# --- Bank accounts --------------------------------------------------------------------


def account_number_last4(raw: str) -> str:
    """The last four characters of an account number, card number or IBAN; nothing else is kept."""
    cleaned = _ACCOUNT_NUMBER_SEPARATORS.sub("", raw or "")
    if not _ACCOUNT_NUMBER_SHAPE.match(cleaned):
        raise ValidationError(
            {"account_number": "Enter an account number of 4 to 34 letters and digits."}
        )
    return cleaned[-4:].upper()


# An opening date before this is a typing mistake, not an account anyone still holds.
def _validate_opening_date(account: BankAccount) -> None:
    """An account opens no later than its owner's today, and not after its first transaction."""
    check_date_range(
        account.opening_date,
        field="opening_date",
        label="opening date",
        today=account.user.today(),
        days_ahead=0,
    )
    if account.pk is not None:
        first = account.transactions.order_by("txn_date").values_list("txn_date", flat=True).first()
        if first is not None and account.opening_date > first:
            raise ValidationError(
                {
                    "opening_date": f"The account has transactions from {first}; it cannot open later."
                }
            )


def _validate_account(account: BankAccount) -> None:
    errors: dict[str, str] = {}
    if account.credit_limit is not None and account.credit_limit < 0:
        errors["credit_limit"] = "A credit limit cannot be negative."
    floor = account.balance_floor
    if floor is not None and account.opening_balance < floor:
        errors["opening_balance"] = (
            f"A {account.get_account_type_display().lower()} account cannot open below "
            f"{floor}; set a credit limit to allow it."
        )
    if abs(account.opening_balance) > MONEY_MAX:
        errors["opening_balance"] = "This amount is too large."
    try:
        validate_currency_code(account.currency)
    except ValidationError as exc:
        errors["currency"] = exc.messages[0]
    if errors:
        raise ValidationError(errors)


def account_create(
    *,
    user: User,
    name: str,
    currency: str,
    opening_date: date,
    account_type: str = BankAccount.Type.CHECKING,
    bank_name: str = "",
    account_number: str = "",
    opening_balance: Decimal = Decimal("0.00"),
    credit_limit: Decimal | None = None,
    actor: User | None = None,
) -> BankAccount:
    """Open an account; its balance starts at its opening balance (ledger invariant)."""
    opening_balance = quantize_money(opening_balance)
    account = BankAccount(
        user=user,
        name=name,
        bank_name=bank_name,
        account_type=account_type,
        number_last4=account_number_last4(account_number) if account_number else "",
        currency=currency,
        opening_balance=opening_balance,
        opening_date=opening_date,
        balance=opening_balance,
        credit_limit=credit_limit,
    )
    _validate_opening_date(account)
    _validate_account(account)
    account.save()
    audit_if_staff(
        actor=actor,
        owner=user,
        action="bank_account.create",
        target=account,
        changes={"name": (None, name), "currency": (None, currency)},
    )
    return account


ACCOUNT_EDITABLE_FIELDS = (
    "name",
    "bank_name",
    "account_type",
    "account_number",
    "currency",
    "opening_balance",
    "opening_date",
    "credit_limit",
    "is_archived",
)


@db_transaction.atomic
def account_update(*, account: BankAccount, actor: User | None, **fields: Any) -> BankAccount:
    """Change an account. A new opening balance moves the balance by the same amount.

    A new opening balance is a correction of history and is not held to the floor; a new
    type or credit limit is refused when the current balance already breaks it.
    """
    unknown = set(fields) - set(ACCOUNT_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"account_update cannot change {sorted(unknown)}")
    locked = BankAccount.objects.select_for_update().get(pk=account.pk)
    if "account_number" in fields:
        raw = fields.pop("account_number")
        fields["number_last4"] = account_number_last4(raw) if raw else ""
    if "opening_balance" in fields:
        fields["opening_balance"] = quantize_money(fields["opening_balance"])
    if (
        "currency" in fields
        and fields["currency"] != locked.currency
        and locked.transactions.exists()
    ):
        raise ValidationError(
            {"currency": "The currency of an account with transactions cannot change."}
        )
    changes = _apply_changes(locked, fields)
    if not changes:
        return locked
    if "opening_date" in changes:
        _validate_opening_date(locked)
    _validate_account(locked)
    floor = locked.balance_floor
    floor_fields = sorted({"account_type", "credit_limit"} & set(changes))
    if floor_fields and floor is not None and locked.balance < floor:
        # A new type or limit sets the rule for payments to come; it cannot start out broken.
        raise ValidationError(
            {
                floor_fields[0]: (
                    f"The balance is {locked.balance} {locked.currency}, below the {floor} "
                    "this change would allow; settle the balance first."
                )
            }
        )
    update_fields = [*changes.keys(), "updated_at"]
    if "opening_balance" in changes:
        old, new = changes["opening_balance"]
        locked.balance = locked.balance + (new - old)
        if abs(locked.balance) > MONEY_MAX:
            raise ValidationError({"opening_balance": "This would make the balance too large."})
        update_fields.append("balance")
    locked.save(update_fields=update_fields)
    audit_if_staff(
        actor=actor, owner=locked.user, action="bank_account.update", target=locked, changes=changes
    )
    return locked


@db_transaction.atomic
def account_delete(*, account: BankAccount, actor: User | None) -> bool:
    """Delete an account with no transactions; archive one that has any, so nothing is lost.

    Returns True when the account was deleted, False when it was archived instead.
    """
    locked = BankAccount.objects.select_for_update().get(pk=account.pk)
    if locked.transactions.exists():
        if not locked.is_archived:
            BankAccount.objects.filter(pk=locked.pk).update(is_archived=True)
            locked.is_archived = True
            audit_if_staff(
                actor=actor,
                owner=locked.user,
                action="bank_account.archive",
                target=locked,
                changes={"is_archived": (False, True)},
            )
        account.is_archived = True
        return False
    audit_if_staff(
        actor=actor,
        owner=locked.user,
        action="bank_account.delete",
        target=locked,
        changes={"name": (locked.name, None)},
    )
    locked.delete()
    return True


def adjust_balance(*, account_id: int, delta: Decimal) -> None:
    """Move a stored balance by delta with F(), inside the caller's database transaction.

    Only the ledger (transactions.services) calls this, after locking the account row.
    """
    BankAccount.objects.filter(pk=account_id).update(balance=F("balance") + delta)
