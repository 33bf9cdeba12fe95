"""Reads of transactions and categories, always scoped to one customer."""

from django.db.models import F, QuerySet

from accounts.models import BankAccount, User
from transactions.models import Category, CategoryChange, Transaction


def transaction_list(*, user: User) -> QuerySet[Transaction]:
    """The user's transactions, newest first, with what a list row shows joined in.

    Account and category are joined so a page of rows costs one query whatever its size.
    """
    return (
        Transaction.objects.for_user(user)
        .select_related("account", "category")
        .order_by("-txn_date", "-id")
    )


def bank_accounts_for_user(*, user: User) -> QuerySet[BankAccount]:
    """The accounts a user may name in a transaction or filter (archived ones included)."""
    return BankAccount.objects.for_user(user)


def categories_for_user(*, user: User) -> QuerySet[Category]:
    """Default categories plus the user's own; where a slug is both, the user's own first."""
    return Category.objects.for_user(user).order_by(F("user_id").desc(nulls_last=True), "slug")


def category_by_slug(*, user: User, slug: str) -> Category | None:
    """The category a user means by ``slug``, or None when they have none by that name."""
    return categories_for_user(user=user).filter(slug=slug).first()


def category_history(*, user: User, transaction: Transaction) -> QuerySet[CategoryChange]:
    """The changes of one of the user's transactions' category, newest first, with the
    categories and the rule they name joined in (one query however many there are). For
    the API's category-history and the transaction's edit page."""
    return (
        CategoryChange.objects.for_user(user)
        .filter(transaction=transaction)
        .select_related("old_category", "new_category", "rule")
        .order_by("-created_at", "-id")
    )
