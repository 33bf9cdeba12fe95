import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from smartbank.money import (
    MONEY_DECIMAL_PLACES,
    MONEY_MAX_DIGITS,
    RATE_DECIMAL_PLACES,
    RATE_MAX_DIGITS,
    validate_currency_code,
)


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            "%(value)s is not a known IANA time zone.",
            code="invalid_time_zone",
            params={"value": value},
        )


validate_phone = RegexValidator(
    r"^\+?[0-9][0-9 ()./-]{3,30}$",
    "Enter a phone number of digits, spaces and ( ) . / - with an optional leading +.",
    code="invalid_phone",
)
validate_locale = RegexValidator(
    r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$",
    "Enter a language tag such as en-us or de.",
    code="invalid_locale",
)


def default_base_currency() -> str:
    return settings.BASE_CURRENCY


class UserManager(BaseUserManager):
    use_in_migrations = True

    @classmethod
    def normalize_login_email(cls, email: str) -> str:
        """The one form an email is stored, looked up and throttled by: trimmed, lower-case.

        Lookups compare this exactly rather than with iexact: PostgreSQL's UPPER() folds
        look-alikes such as "ſ" into "S", which would let one account be reached under
        many spellings (and past the per-email throttle).
        """
        return cls.normalize_email(email.strip()).lower()

    def get_by_natural_key(self, email):
        # Login is case-insensitive: Ann@Example.com and ann@example.com are one user.
        return self.get(email=self.normalize_login_email(email))

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_login_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("role", User.Role.ADMIN)
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    class Role(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        ADMIN = "admin", "Admin"
        AUDITOR = "auditor", "Auditor"
        SUPPORT = "support", "Support"

    class KycStatus(models.TextChoices):
        PENDING = "pending", "Pending"
        VERIFIED = "verified", "Verified"
        REJECTED = "rejected", "Rejected"

    STAFF_ROLES = (Role.ADMIN, Role.AUDITOR, Role.SUPPORT)

    email = models.EmailField("email address", max_length=254, unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    phone = models.CharField(max_length=32, blank=True, validators=[validate_phone])
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CUSTOMER)
    kyc_status = models.CharField(
        "KYC status", max_length=16, choices=KycStatus.choices, default=KycStatus.PENDING
    )
    base_currency = models.CharField(
        max_length=3, default=default_base_currency, validators=[validate_currency_code]
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    locale = models.CharField(max_length=16, default="en-us", validators=[validate_locale])
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="Can log into the admin. Follows the role."
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]
        indexes = [models.Index(fields=["role"], name="accounts_user_role_idx")]

    def __str__(self) -> str:
        return self.email

    @property
    def is_staff_role(self) -> bool:
        return self.role in self.STAFF_ROLES

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def today(self):
        """Today's date where the customer is, which is what "this month" is taken on."""
        return timezone.now().astimezone(self.zone).date()


class BankAccountQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def active(self):
        return self.filter(is_archived=False)


class BankAccount(models.Model):
    class Type(models.TextChoices):
        CHECKING = "checking", "Checking"
        SAVINGS = "savings", "Savings"
        CREDIT_CARD = "credit_card", "Credit card"
        LOAN = "loan", "Loan"
        CASH = "cash", "Cash"
        INVESTMENT = "investment", "Investment"

    # These types may not go below zero, or below minus their credit limit when one is set.
    FLOORED_TYPES = (Type.CHECKING, Type.SAVINGS, Type.CASH, Type.CREDIT_CARD)
    LIABILITY_TYPES = (Type.CREDIT_CARD, Type.LOAN)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bank_accounts"
    )
    name = models.CharField(max_length=100)
    bank_name = models.CharField(max_length=100, blank=True)
    account_type = models.CharField(max_length=16, choices=Type.choices, default=Type.CHECKING)
    # Only the last four digits are ever stored; the full number never reaches the database.
    number_last4 = models.CharField(max_length=4, blank=True)
    currency = models.CharField(max_length=3, validators=[validate_currency_code])
    opening_balance = models.DecimalField(
        max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, default=Decimal("0.00")
    )
    opening_date = models.DateField()
    # Kept equal to opening_balance + sum(transactions) by transactions.services (the ledger).
    balance = models.DecimalField(
        max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, default=Decimal("0.00")
    )
    credit_limit = models.DecimalField(
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.00"))],
    )
    is_archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BankAccountQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["user", "is_archived"], name="accounts_ba_user_archived_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(credit_limit__isnull=True) | models.Q(credit_limit__gte=0),
                name="accounts_ba_credit_limit_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.currency})"

    @property
    def masked_account(self) -> str:
        return f"•••• {self.number_last4}" if self.number_last4 else ""

    @property
    def balance_floor(self) -> Decimal | None:
        """The lowest balance SmartBank lets a payment take this account to, or None."""
        if self.account_type not in self.FLOORED_TYPES:
            return None
        return -(self.credit_limit or Decimal("0.00"))


class ExchangeRate(models.Model):
    """One unit of ``base`` is worth ``rate`` units of ``quote`` on ``day``."""

    class Source(models.TextChoices):
        ECB = "ecb", "European Central Bank"
        MANUAL = "manual", "Entered by staff"

    day = models.DateField()
    base = models.CharField(max_length=3, validators=[validate_currency_code])
    quote = models.CharField(max_length=3, validators=[validate_currency_code])
    rate = models.DecimalField(
        max_digits=RATE_MAX_DIGITS,
        decimal_places=RATE_DECIMAL_PLACES,
        validators=[MinValueValidator(Decimal("0.0000000001"))],
    )
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.ECB)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "base", "quote"]
        constraints = [
            models.UniqueConstraint(
                fields=["base", "quote", "day"], name="accounts_rate_pair_day_unique"
            ),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="accounts_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.day} 1 {self.base} = {self.rate} {self.quote}"


class AuditLog(models.Model):
    """What staff changed in a customer's data. Written by services, never edited."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_entries",
    )
    # Kept as text too, so the trail still names the actor if that user is deleted.
    actor_email = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    changes = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="accounts_audit_target_idx"),
            models.Index(fields=["actor", "created_at"], name="accounts_audit_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_email} {self.action} {self.target_type}#{self.target_id}"
