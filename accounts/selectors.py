"""Reads of bank accounts. Every one starts from BankAccount.objects.for_user (ownership)."""

from django.db import models
from django.db.models import QuerySet

from accounts.models import BankAccount, User


class ArchivedState(models.TextChoices):
    """Which accounts a list shows: the active ones unless asked otherwise."""

    ACTIVE = "false", "Active accounts only (the default)"
    ARCHIVED = "true", "Archived accounts only"
    ALL = "all", "Active and archived accounts"


def bank_accounts_filter_archived(
    queryset: QuerySet[BankAccount], state: str
) -> QuerySet[BankAccount]:
    if state == ArchivedState.ALL:
        return queryset
    return queryset.filter(is_archived=state == ArchivedState.ARCHIVED)


def bank_account_list(*, user: User, archived: str = ArchivedState.ACTIVE) -> QuerySet[BankAccount]:
    """The user's accounts, active ones only by default, in name order."""
    return bank_accounts_filter_archived(BankAccount.objects.for_user(user), archived)
