"""Totals over transactions in one currency, summed by the database: the one way insights add money.

Every total across accounts is in the customer's base currency, each row at the rate of its
``txn_date`` (DESIGN.md, "What the numbers mean"). The database sums the rows per group and
per currency; rows already in the target currency are summed whole, rows in another
currency per day as well, so each day's sum can be converted at that day's rate. Python
then converts and adds the sums exactly and rounds each total once
(``accounts.currency.converted_total``). So a customer whose rows are all in one currency
costs one grouped query however long the history, and a foreign account adds one group per
day it was used.

A missing rate raises ``accounts.currency.MissingRateError`` naming the pair and day; the
API answers it with a 409, never a silent 1:1.
"""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Aggregate,
    Case,
    Count,
    DateField,
    Expression,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)

from accounts.currency import DatedAmount, RateBook, converted_total, rate_book_for
from smartbank.money import quantize_money

# Cash flow (DESIGN.md): money in and money out are the positive and negative amounts of
# non-transfer rows; the caller excludes transfers.
MONEY_IN = Sum("amount", filter=Q(amount__gt=0))
MONEY_OUT = Sum("amount", filter=Q(amount__lt=0))
NET = Sum("amount")
EXPENSE_COUNT = Count("id", filter=Q(amount__lt=0))

ZERO = quantize_money(Decimal(0))


@dataclass
class _Group:
    amounts: dict[str, list[DatedAmount]] = field(default_factory=lambda: defaultdict(list))
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))


@dataclass(frozen=True)
class Totals:
    """What ``totals_by`` found: each group's totals, and the totals over every row.

    ``overall`` converts every row's sums together and rounds once, so with rows in another
    currency it may differ by a cent from the sum of the rounded groups; with no rows its
    sums are ``0.00`` and its counts 0.
    """

    groups: dict[tuple, dict[str, Any]]
    overall: dict[str, Any]


def totals_by(
    rows: QuerySet,
    *,
    currency: str,
    group_by: Mapping[str, str | Expression] | None = None,
    sums: Mapping[str, Aggregate],
    counts: Mapping[str, Aggregate] | None = None,
    book: RateBook | None = None,
) -> Totals:
    """Each group's ``sums`` in ``currency`` and its ``counts``, and the same over all rows.

    ``rows`` is a transaction queryset already filtered (owner, dates, kinds); ``group_by``
    names the keys (a field name or an expression, e.g. ``TruncMonth("txn_date")``), and
    ``groups`` is keyed by the tuple of their values in that order (``()`` for no grouping).
    ``sums`` are money aggregates over ``amount`` (``MONEY_IN``, ``MONEY_OUT``, ``NET``), each
    returned converted and rounded once; ``counts`` are counts returned as ints. A group with
    no rows is absent; a sum with no rows in a present group is ``0.00``.

    One query for the sums, plus two for the rates when some row is in another currency
    (none when ``book`` is given: it must then cover those currencies and days).
    """
    group_by = dict(group_by or {})
    counts = dict(counts or {})
    rate_day = Case(
        When(currency=currency, then=Value(None, output_field=DateField())),
        default=F("txn_date"),
        output_field=DateField(),
    )
    values = (
        rows.order_by()
        .values(**{f"key_{i}": _expression(e) for i, e in enumerate(group_by.values())})
        .annotate(sum_currency=F("currency"), sum_day=rate_day)
        .values(*(f"key_{i}" for i in range(len(group_by))), "sum_currency", "sum_day")
        .annotate(**sums, **counts)
    )
    groups: dict[tuple, _Group] = defaultdict(_Group)
    everything = _Group()
    foreign: list[DatedAmount] = []
    for row in values:
        key = tuple(row[f"key_{i}"] for i in range(len(group_by)))
        group = groups[key]
        from_currency, day = row["sum_currency"], row["sum_day"]
        for name in sums:
            amount = row[name]
            if amount is None:
                continue
            group.amounts[name].append((from_currency, day, amount))
            everything.amounts[name].append((from_currency, day, amount))
            if from_currency != currency:
                foreign.append((from_currency, day, amount))
        for name in counts:
            group.counts[name] += row[name] or 0
            everything.counts[name] += row[name] or 0
    if book is None and foreign:
        book = rate_book_for(foreign, {currency})

    def converted(group: _Group) -> dict[str, Any]:
        totals: dict[str, Any] = {
            name: converted_total(group.amounts.get(name, ()), currency, book) for name in sums
        }
        totals.update({name: group.counts.get(name, 0) for name in counts})
        return totals

    return Totals(
        groups={key: converted(group) for key, group in groups.items()},
        overall=converted(everything),
    )


def grouped_totals(rows: QuerySet, **kwargs) -> dict[tuple, dict[str, Any]]:
    """``totals_by``'s groups alone."""
    return totals_by(rows, **kwargs).groups


def _expression(value: str | Expression) -> Expression:
    return F(value) if isinstance(value, str) else value


def total(rows: QuerySet, **kwargs) -> dict[str, Any]:
    """``totals_by`` with no grouping: one dict of totals, zeros when there are no rows."""
    return totals_by(rows, **kwargs).overall
