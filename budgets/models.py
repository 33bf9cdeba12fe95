"""Monthly spending limits per category.

A budget's progress (spent, remaining, ...) is never stored: budgets.selectors computes it
from the transactions each time, so it cannot go stale.
"""

from django.conf import settings
from django.db import models

from smartbank.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS, validate_currency_code


class BudgetQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)


class Budget(models.Model):
    """A limit on one category's spending in one month, for one customer.

    ``month`` is always the first day of the month (the services normalise it; a database
    constraint refuses anything else). ``currency`` is the customer's base currency when the
    budget was made; spending in other currencies is converted into it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="budgets"
    )
    # PROTECT: transactions.services.category_delete refuses to delete a category a budget
    # uses, with a message saying so.
    category = models.ForeignKey(
        "transactions.Category", on_delete=models.PROTECT, related_name="budgets"
    )
    month = models.DateField(help_text="The first day of the month the budget is for.")
    amount = models.DecimalField(
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        help_text="The limit on spending in the month, in the budget's currency.",
    )
    currency = models.CharField(max_length=3, validators=[validate_currency_code])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BudgetQuerySet.as_manager()

    class Meta:
        ordering = ["-month", "id"]
        indexes = [models.Index(fields=["user", "month"], name="budget_user_month_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "category", "month"], name="budget_user_category_month_unique"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="budget_amount_positive"),
            models.CheckConstraint(condition=models.Q(month__day=1), name="budget_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.category} {self.month:%Y-%m}: {self.amount} {self.currency}"
