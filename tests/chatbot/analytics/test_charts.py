"""The charts' geometry and words: bars in proportion, readable axes, a description with the numbers."""

from datetime import date, timedelta

import pytest

from chatbot.analytics import charts
from chatbot.analytics.selectors import Csat, DayCount, IntentRow, Outcomes, ReasonCount


@pytest.mark.parametrize(
    ("largest", "scale"),
    [
        (0, (4, 1)),
        (3, (4, 1)),
        (7, (8, 2)),
        (10, (10, 2)),
        (41, (50, 10)),
        (1620, (2000, 500)),
        (2001, (2500, 500)),
    ],
)
def test_the_axis_ends_at_a_round_number_above_the_largest_value(largest, scale):
    assert charts.nice_scale(largest) == scale


def test_columns_are_as_tall_as_their_day_count():
    first = date(2025, 3, 1)
    per_day = [DayCount(first + timedelta(days=i), count) for i, count in enumerate([0, 5, 10, 20])]
    chart = charts.conversations_per_day(per_day)
    heights = [column.height for column in chart.columns]
    plot_height = chart.bottom - chart.top
    assert heights == [0, plot_height / 4, plot_height / 2, plot_height]
    assert [tick.label for tick in chart.y_ticks] == ["0", "5", "10", "15", "20"]
    assert all(column.y + column.height == pytest.approx(chart.bottom) for column in chart.columns)
    assert chart.columns[2].label == "Mon 3 March 2025: 10"
    assert chart.description == (
        "4 days from 1 March 2025 to 4 March 2025: 35 conversations, the most (20) on 4 March 2025."
    )


def test_a_long_period_labels_a_day_every_100_pixels_at_most_and_an_empty_one_says_so():
    first = date(2025, 1, 1)
    chart = charts.conversations_per_day([DayCount(first + timedelta(days=i), 0) for i in range(366)])
    assert [tick.label for tick in chart.x_ticks][:3] == ["1 Jan", "7 Feb", "16 Mar"]  # every 37th day
    assert all(b.position - a.position >= 100 for a, b in zip(chart.x_ticks, chart.x_ticks[1:], strict=False))
    narrow = charts.conversations_per_day(
        [DayCount(first + timedelta(days=i), 0) for i in range(30)], width=charts.HALF
    )
    assert (narrow.width, narrow.right, narrow.id) == (560, 548, "chart-per-day-560")
    assert [tick.label for tick in narrow.x_ticks] == ["1 Jan", "9 Jan", "17 Jan", "25 Jan"]
    assert len(chart.columns) == 366 and all(column.height == 0 for column in chart.columns)
    assert chart.description.endswith(": 0 conversations.")


def test_bars_are_in_proportion_to_the_largest_and_carry_their_numbers():
    outcomes = Outcomes(
        conversations=10,
        bot_alone=6,
        escalated=4,
        by_reason=[
            ReasonCount("complaint", "Complaint", 3, 0.3),
            ReasonCount("angry_language", "Angry", 1, 0.1),
        ],
    )
    chart = charts.escalation_reasons(outcomes)
    full, quarter = (row.length for row in chart.rows)
    assert quarter == pytest.approx(full / 3, abs=0.01)
    assert [row.value_text for row in chart.rows] == ["3 (30 %)", "1 (10 %)"]
    assert chart.description == "Complaint: 3 (30 %); Angry: 1 (10 %)."
    assert full + chart.label_width + charts.VALUE_ROOM == pytest.approx(chart.width)

    share = charts.outcome_share(outcomes)
    assert [(segment.x, segment.width) for segment in share.segments] == [(0, 336), (336, 224)]
    assert share.description == "10 conversations: Bot alone 60 %, Handed to staff 40 %."


def test_csat_and_intents_charts():
    csat = charts.csat_distribution(Csat(ratings=4, average=4.0, distribution={1: 0, 2: 1, 3: 0, 4: 0, 5: 3}))
    assert [row.label for row in csat.rows] == ["5 of 5", "4 of 5", "3 of 5", "2 of 5", "1 of 5"]
    assert [row.variant for row in csat.rows] == ["plain", "plain", "muted", "warn", "warn"]
    assert csat.rows[0].value_text == "3 (75 %)"
    intents = charts.top_intents([IntentRow("track_order", replies=1200, conversations=10, escalated=1)])
    assert intents.rows[0].value_text == "1,200 · 10 % to staff"
    assert intents.width == charts.WIDE


def test_nothing_to_draw_draws_nothing():
    empty = Outcomes(conversations=0, bot_alone=0, escalated=0, by_reason=[])
    assert charts.escalation_reasons(empty).rows == []
    assert [segment.width for segment in charts.outcome_share(empty).segments] == [0, 0]
