from django.conf import settings
from django.db import models

from smartbank.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS


class ExportQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)


def _money_field() -> models.DecimalField:
    # Empty until the statement is made.
    return models.DecimalField(
        max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, null=True, blank=True
    )


class Export(models.Model):
    """A PDF statement of one account for one period, made in the background.

    Written only by insights.exports: the request creates it pending, the Celery task
    claims it (running), renders it once and stores the PDF (done) or the reason it could
    not (failed). The PDF is kept in the database (DESIGN.md, "Files") so any web or worker
    process can serve it. The statement's figures are kept beside it, so the API and the
    staff console show them without opening the file. CSV exports are streamed as they
    are read and leave no row.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to run"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exports"
    )
    account = models.ForeignKey(
        "accounts.BankAccount", on_delete=models.CASCADE, related_name="exports"
    )
    # The period, inclusive, on txn_date.
    date_from = models.DateField()
    date_to = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    currency = models.CharField(max_length=3, blank=True)
    opening_balance = _money_field()
    money_in = _money_field()
    money_out = _money_field()
    closing_balance = _money_field()
    transaction_count = models.PositiveIntegerField(default=0)
    filename = models.CharField(max_length=255, blank=True)
    pdf = models.BinaryField(blank=True, default=b"")
    pdf_size = models.PositiveIntegerField(default=0)
    # Each claim by a task counts one; a render stores its PDF only while its claim is the
    # latest, so a late duplicate never overwrites or stores twice.
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ExportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="export_user_created_idx"),
            models.Index(fields=["user", "status"], name="export_user_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(date_from__lte=models.F("date_to")),
                name="export_period_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"Statement #{self.pk} {self.date_from} to {self.date_to} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
