"""Reads of reward programmes and points, always scoped to one customer."""

from django.db.models import QuerySet, Sum
from django.db.models.functions import Coalesce

from accounts.models import User
from rewards.models import PointsEntry, RewardProgramme


def programmes_for_user(*, user: User) -> QuerySet[RewardProgramme]:
    """The user's programmes, each with its ``balance`` annotated (one query for a page)."""
    return RewardProgramme.objects.for_user(user).with_balance().order_by("id")


def programme_balance(*, programme: RewardProgramme) -> int:
    """The balance: the sum of the programme's entries (0 with none)."""
    return PointsEntry.objects.filter(programme=programme).aggregate(
        balance=Coalesce(Sum("points"), 0)
    )["balance"]


def points_total(*, user: User) -> int:
    """The points of all the user's programmes together."""
    return PointsEntry.objects.for_user(user).aggregate(total=Coalesce(Sum("points"), 0))["total"]


def programme_entries(*, programme: RewardProgramme) -> QuerySet[PointsEntry]:
    """A programme's entries, newest first."""
    return PointsEntry.objects.filter(programme=programme).order_by("-created_at", "-id")
