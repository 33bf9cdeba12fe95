import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from smartbank.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS, validate_currency_code

TRANSFER_CATEGORY_SLUG = "transfers"


class CategoryQuerySet(models.QuerySet):
    def for_user(self, user):
        """Default categories plus the user's own."""
        return self.filter(models.Q(user__isnull=True) | models.Q(user=user))


class Category(models.Model):
    """A spending category. ``user`` is null for the defaults every customer shares."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="categories",
    )
    slug = models.SlugField(max_length=50)
    name = models.CharField(max_length=50)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "categories"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["slug"],
                condition=models.Q(user__isnull=True),
                name="transactions_category_default_slug_unique",
            ),
            models.UniqueConstraint(
                fields=["user", "slug"], name="transactions_category_user_slug_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_default(self) -> bool:
        return self.user_id is None


class CategorySource(models.TextChoices):
    """Who chose a transaction's category (Transaction.category_source, CategoryChange.source)."""

    NONE = "none", "Not set"
    MANUAL = "manual", "Set by hand"
    RULE = "rule", "Set by a rule"
    BULK = "bulk", "Set in bulk by hand"
    IMPORT = "import", "Taken from an import"


# Categories chosen by the customer; rules overwrite them only when asked (override_manual).
HAND_SET_CATEGORY_SOURCES = frozenset({CategorySource.MANUAL, CategorySource.BULK})


class TransactionQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def non_transfer(self):
        return self.exclude(kind=Transaction.Kind.TRANSFER)


class Transaction(models.Model):
    class Kind(models.TextChoices):
        INCOME = "income", "Income"
        EXPENSE = "expense", "Expense"
        TRANSFER = "transfer", "Transfer"

    # Denormalised from account.user so every per-customer read is one indexed filter.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="transactions"
    )
    account = models.ForeignKey(
        "accounts.BankAccount", on_delete=models.PROTECT, related_name="transactions"
    )
    # Signed from the account's point of view: money in is positive, money out negative.
    amount = models.DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES)
    currency = models.CharField(max_length=3, validators=[validate_currency_code])
    kind = models.CharField(max_length=16, choices=Kind.choices)
    description = models.CharField(max_length=255, blank=True)
    merchant = models.CharField(max_length=255, blank=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, related_name="transactions"
    )
    txn_date = models.DateField("transaction date")
    posted_date = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    external_id = models.CharField(max_length=255, blank=True)
    # Unique per account when set; imports use it to add each bank row exactly once.
    fingerprint = models.CharField(max_length=128, blank=True)
    # The two legs of a transfer share a transfer_id and point at each other.
    transfer_id = models.UUIDField(null=True, blank=True, editable=False)
    counterpart = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    # How the category was chosen; rules and imports never overwrite a category set by hand.
    category_source = models.CharField(
        max_length=16, choices=CategorySource.choices, default=CategorySource.NONE
    )
    # The rule that chose the category, when category_source is "rule".
    category_rule = models.ForeignKey(
        "transactions.CategorizationRule",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The import that created this row; undoing that import removes it.
    import_batch = models.ForeignKey(
        "transactions.ImportBatch",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transactions",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TransactionQuerySet.as_manager()

    class Meta:
        ordering = ["-txn_date", "-id"]
        indexes = [
            models.Index(fields=["user", "-txn_date", "-id"], name="txn_user_date_idx"),
            models.Index(fields=["account", "-txn_date", "-id"], name="txn_account_date_idx"),
            models.Index(
                fields=["user", "category", "txn_date"], name="txn_user_category_date_idx"
            ),
            models.Index(fields=["user", "merchant"], name="txn_user_merchant_idx"),
            models.Index(fields=["transfer_id"], name="txn_transfer_idx"),
            # Every insight (cash flow, trends, merchants, categories, burn rate, budgets,
            # metrics, reports) sums a customer's non-transfer rows over a date range. With
            # what they group and sum included, PostgreSQL answers from this index alone
            # (an index-only scan) instead of reading the table's rows: see
            # bench/insights_bench.py. Partial, so transfers cost it nothing.
            models.Index(
                fields=["user", "txn_date"],
                include=["amount", "currency", "category", "merchant", "id"],
                condition=~models.Q(kind="transfer"),
                name="txn_user_flow_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "fingerprint"],
                condition=~models.Q(fingerprint=""),
                name="txn_account_fingerprint_unique",
            ),
            models.CheckConstraint(condition=~models.Q(amount=0), name="txn_amount_non_zero"),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="transfer", transfer_id__isnull=False)
                    | models.Q(kind="income", amount__gt=0, transfer_id__isnull=True)
                    | models.Q(kind="expense", amount__lt=0, transfer_id__isnull=True)
                ),
                name="txn_kind_matches_sign",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.txn_date} {self.amount} {self.currency} {self.description or self.merchant}"

    @staticmethod
    def kind_for_amount(amount) -> str:
        return Transaction.Kind.INCOME if amount > 0 else Transaction.Kind.EXPENSE

    @staticmethod
    def new_transfer_id() -> uuid.UUID:
        return uuid.uuid4()


class ImportBatchQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)


class ImportBatch(models.Model):
    """One uploaded statement file and what importing it did.

    The file is kept in the database (DESIGN.md, "Files") so any web or worker process can
    read it.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to run"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        UNDONE = "undone", "Undone"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="import_batches"
    )
    # The account rows go to when the file does not say (or names one account only).
    account = models.ForeignKey(
        "accounts.BankAccount", on_delete=models.PROTECT, related_name="import_batches"
    )
    filename = models.CharField(max_length=255, blank=True)
    format = models.CharField(max_length=16, blank=True)
    file_data = models.BinaryField()
    file_size = models.PositiveIntegerField(default=0)
    file_sha256 = models.CharField(max_length=64)
    # CSV mapping used (detected or given), and options such as the account map.
    mapping = models.JSONField(default=dict, blank=True)
    options = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)
    rows_read = models.PositiveIntegerField(default=0)
    rows_created = models.PositiveIntegerField(default=0)
    rows_duplicate = models.PositiveIntegerField(default=0)
    rows_matched = models.PositiveIntegerField(default=0)
    rows_skipped = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    # [{"line": 12, "outcome": "skipped" | "rejected", "reason": "..."}]
    problems = models.JSONField(default=list, blank=True)
    # Per account in the file: its statement balance and whether the account agrees.
    reconciliation = models.JSONField(default=list, blank=True)
    # Existing SmartBank entries this batch linked to bank rows (undo unlinks them).
    matched_ids = models.JSONField(default=list, blank=True)
    # Pairs of imported rows that look like one transfer between two of the user's accounts.
    transfer_candidates = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    objects = ImportBatchQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="import_user_created_idx")]

    def __str__(self) -> str:
        return f"Import #{self.pk} {self.filename} ({self.status})"


class ImportProfileQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)


class ImportProfile(models.Model):
    """A saved CSV mapping for one account, so the next file from that bank needs no questions."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_profiles"
    )
    account = models.OneToOneField(
        "accounts.BankAccount", on_delete=models.CASCADE, related_name="import_profile"
    )
    name = models.CharField(max_length=100, blank=True)
    format = models.CharField(max_length=16, default="csv")
    mapping = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ImportProfileQuerySet.as_manager()

    def __str__(self) -> str:
        return self.name or f"Import profile of {self.account}"


class CategorizationRuleQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def active(self):
        return self.filter(is_active=True)


class CategorizationRule(models.Model):
    """A customer's rule: when a transaction matches its conditions, set category and merchant.

    ``conditions`` is a list of ``{"field", "operator", "value"}`` checked and normalised by
    transactions.rules.clean_conditions (the only writer is transactions.rule_services).
    Rules run by ascending priority, then id; see transactions.rules for what a match does.
    """

    class Match(models.TextChoices):
        ALL = "all", "All conditions"
        ANY = "any", "Any condition"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="categorization_rules"
    )
    name = models.CharField(max_length=100)
    priority = models.PositiveIntegerField(default=100)
    is_active = models.BooleanField(default=True)
    match = models.CharField(max_length=3, choices=Match.choices, default=Match.ALL)
    conditions = models.JSONField(default=list)
    # Actions. A category in use by a rule cannot be deleted (PROTECT): category_delete says so.
    set_category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, related_name="rules"
    )
    set_merchant = models.CharField(max_length=255, blank=True)
    stop_processing = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CategorizationRuleQuerySet.as_manager()

    class Meta:
        ordering = ["priority", "id"]
        indexes = [
            models.Index(fields=["user", "is_active", "priority"], name="rule_user_active_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class CategoryChangeQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)


class CategoryChange(models.Model):
    """One change of a transaction's category: a log row, written once and never edited.

    Written by every path that sets a category (transactions.services and
    transactions.rule_services), including a new transaction's first category. The slugs are
    copied so the history still reads after a category is deleted.
    """

    transaction = models.ForeignKey(
        Transaction, on_delete=models.CASCADE, related_name="category_changes"
    )
    # Denormalised from transaction.user so a customer's history is one indexed filter.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    old_category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    old_category_slug = models.CharField(max_length=50, blank=True)
    new_category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    new_category_slug = models.CharField(max_length=50, blank=True)
    # manual, rule, bulk or import: what made this change.
    source = models.CharField(
        max_length=16,
        choices=[(value, label) for value, label in CategorySource.choices if value != "none"],
    )
    rule = models.ForeignKey(
        CategorizationRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # A default rather than auto_now_add, so one bulk write can give all its rows one time.
    created_at = models.DateTimeField(default=timezone.now)

    objects = CategoryChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["transaction", "-created_at"], name="catchange_txn_idx"),
            models.Index(fields=["user", "-created_at"], name="catchange_user_idx"),
        ]

    def __str__(self) -> str:
        old = self.old_category_slug or "uncategorised"
        new = self.new_category_slug or "uncategorised"
        return f"Transaction {self.transaction_id}: {old} -> {new} ({self.source})"
