"""Percentiles computed by the database, the same numbers on PostgreSQL and SQLite.

PostgreSQL has `percentile_cont`, an ordered-set aggregate. SQLite has none, so there the database ranks
the values with window functions (ROW_NUMBER and COUNT over each group) and returns only the two rows
around each percentile; the interpolation between those two is the one `percentile_cont` does:
position p * (n - 1), the value below it plus the fraction of the step to the next value. Either way the
rows never travel to Python, and one query answers every group.
"""

import math
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Count, Expression, F, FloatField, Q, QuerySet, Window
from django.db.models.functions import Cast, Floor, RowNumber


class PercentileCont(Aggregate):
    """PostgreSQL's continuous percentile of an expression (interpolated, like numpy's default)."""

    function = "PERCENTILE_CONT"
    name = "PercentileCont"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: Any, *, fraction: float, **extra: Any) -> None:
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"a percentile fraction is between 0 and 1, not {fraction}")
        # A float we checked, written into the SQL: the aggregate's argument must be a constant.
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


Percentiles = dict[float, float | None]


def percentiles(
    queryset: QuerySet, value: Expression | str, fractions: Sequence[float], *, group_by: str | None = None
) -> dict[Any, Percentiles]:
    """The `fractions` percentiles (0.5 is the median) of `value` over the rows of `queryset` where it is
    not NULL, per value of the field `group_by` (or one group, keyed None). Groups without values are
    absent. One query."""
    value = F(value) if isinstance(value, str) else value
    rows = queryset.annotate(_percentile_value=Cast(value, FloatField())).filter(
        _percentile_value__isnull=False
    )
    if connection.vendor == "postgresql":
        return _percentile_cont(rows, fractions, group_by)
    return _ranked(rows, fractions, group_by)


def _percentile_cont(
    rows: QuerySet, fractions: Sequence[float], group_by: str | None
) -> dict[Any, Percentiles]:
    aggregates = {
        f"p{index}": PercentileCont("_percentile_value", fraction=fraction)
        for index, fraction in enumerate(fractions)
    }
    if group_by is None:
        result = rows.aggregate(**aggregates)
        if all(value is None for value in result.values()):  # no rows: no group, as on SQLite
            return {}
        return {None: {fraction: result[f"p{index}"] for index, fraction in enumerate(fractions)}}
    grouped = rows.order_by().values(group_by).annotate(**aggregates)
    return {
        row[group_by]: {fraction: row[f"p{index}"] for index, fraction in enumerate(fractions)}
        for row in grouped
    }


def _ranked(rows: QuerySet, fractions: Sequence[float], group_by: str | None) -> dict[Any, Percentiles]:
    partition = [F(group_by)] if group_by else []
    ranked = rows.annotate(
        _rank=Window(RowNumber(), partition_by=partition, order_by=F("_percentile_value").asc()),
        _count=Window(Count("pk"), partition_by=partition),
    )
    # Rank r (from 1) holds position r - 1; a percentile at position p needs floor(p) and floor(p) + 1.
    # Rows beyond the end do not exist, so the second one is simply missing for the last position.
    wanted = Q()
    for fraction in fractions:
        below = F("_count") - 1
        wanted |= Q(_rank__gte=Floor(below * fraction) + 1, _rank__lte=Floor(below * fraction) + 2)
    found: dict[Any, dict[int, float]] = {}
    counts: dict[Any, int] = {}
    fields = ["_rank", "_count", "_percentile_value", *([group_by] if group_by else [])]
    for rank, count, value, *group in ranked.filter(wanted).values_list(*fields):
        key = group[0] if group_by else None
        found.setdefault(key, {})[rank - 1] = value
        counts[key] = count
    return {
        key: {fraction: interpolate(positions, counts[key], fraction) for fraction in fractions}
        for key, positions in found.items()
    }


def interpolate(values_at: dict[int, float], count: int, fraction: float) -> float:
    """percentile_cont's interpolation, given the values at the positions around fraction * (count - 1)."""
    position = fraction * (count - 1)
    lower = math.floor(position)
    if lower + 1 >= count or position == lower:
        return values_at[lower]
    return values_at[lower] + (values_at[lower + 1] - values_at[lower]) * (position - lower)
