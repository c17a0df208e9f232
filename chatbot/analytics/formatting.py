"""How the analytics page writes numbers: counts with thousands separators, shares as percentages,
durations in the unit a person reads best. "–" stands for "nothing to measure", never for zero."""

from datetime import date

MISSING = "–"


def count(value: int | None) -> str:
    return MISSING if value is None else f"{value:,}"


def percent(value: float | None) -> str:
    """0.1234 -> "12.3 %"; whole percentages without decimals ("50 %", "0 %")."""
    if value is None:
        return MISSING
    shown = f"{value * 100:.1f}"
    return f"{shown.removesuffix('.0')} %"


def milliseconds(value: float | None) -> str:
    """221.5 -> "222 ms"; from a second on in seconds: "1.25 s"."""
    if value is None:
        return MISSING
    if value < 1000:
        return f"{value:.0f} ms"
    return f"{value / 1000:.2f} s"


def seconds(value: float | None) -> str:
    """Minutes and seconds ("2 min 20 s"), hours and minutes from an hour on ("1 h 05 min")."""
    if value is None:
        return MISSING
    whole = round(value)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def decimal(value: float | None) -> str:
    """A mean rating or confidence: two decimals."""
    return MISSING if value is None else f"{value:.2f}"


def short_date(day: date) -> str:
    """ "3 May"."""
    return f"{day.day} {day:%b}"


def long_date(day: date) -> str:
    """ "3 May 2025"."""
    return f"{day.day} {day:%B %Y}"
