"""The period form: the last 30 days by default, whole days in the support timezone, clear errors."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from chatbot.analytics.period import Period, PeriodForm

BERLIN = ZoneInfo("Europe/Berlin")
TODAY = date(2025, 3, 10)


def form(**query: str) -> PeriodForm:
    return PeriodForm(query, today=TODAY, timezone=BERLIN)


def test_without_dates_it_shows_the_last_30_days_up_to_today():
    chosen = form()
    assert chosen.is_valid()
    assert chosen.period == Period(first_day=date(2025, 2, 9), last_day=TODAY, timezone=BERLIN)


def test_a_period_is_whole_days_in_the_support_timezone():
    chosen = form(**{"from": "2025-03-01", "to": "2025-03-02"})
    assert chosen.is_valid()
    period = chosen.period
    assert period.start == datetime(2025, 3, 1, tzinfo=BERLIN)
    assert period.end == datetime(2025, 3, 3, tzinfo=BERLIN)  # exclusive
    assert period.days() == [date(2025, 3, 1), date(2025, 3, 2)]
    assert period.range_of("created") == {"created__gte": period.start, "created__lt": period.end}


def test_one_date_alone_keeps_the_other_default():
    chosen = form(**{"from": "2025-03-01"})
    assert chosen.is_valid()
    assert (chosen.period.first_day, chosen.period.last_day) == (date(2025, 3, 1), TODAY)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"from": "1 March"}, "from", "Enter a date as YYYY-MM-DD, for example 2025-02-09."),
        ({"to": "2025-02-30"}, "to", "Enter a date as YYYY-MM-DD, for example 2025-03-10."),
        (
            {"from": "2025-03-05", "to": "2025-03-01"},
            "from",
            "The first day (5 March 2025) is after the last day (1 March 2025).",
        ),
        ({"to": "2025-03-11"}, "to", "The period cannot end after today (10 March 2025)."),
        ({"from": "2024-03-09"}, "from", "Choose at most 366 days; this period has 367."),
    ],
)
def test_bad_periods_are_refused_with_a_clear_error(query, field, message):
    chosen = form(**query)
    assert not chosen.is_valid()
    assert chosen.errors == {field: [message]}


def test_a_whole_year_is_allowed():
    assert form(**{"from": "2024-03-10"}).is_valid()  # 366 days: 2024 is a leap year
