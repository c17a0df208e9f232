"""Every figure of the analytics page against the hand-built data set (dataset.py), worked out by hand;
the same expectations hold on SQLite and PostgreSQL (scripts/test.sh runs this file on both)."""

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chatbot.analytics import selectors
from chatbot.analytics.period import Period
from chatbot.analytics.selectors import DayCount, IntentRow, ReasonCount
from tests.chatbot.analytics.dataset import build_example

pytestmark = pytest.mark.django_db
THRESHOLD = 0.2


def test_conversations_per_day_count_the_conversations_started_each_day(example, march):
    # C5 started on 28 February and C6 on 4 March: outside. C4 at 23:30 on the 3rd: inside.
    assert selectors.conversations_per_day(period=march) == [
        DayCount(date(2025, 3, 1), 2),
        DayCount(date(2025, 3, 2), 2),
        DayCount(date(2025, 3, 3), 1),
    ]


def test_days_are_the_support_teams_days(example):
    # Berlin is UTC+1 in March: C5 (23:59 UTC on 28 Feb) starts on 1 March there, C4 (23:30 UTC on
    # 3 March) on the 4th, outside the period.
    berlin = Period(first_day=date(2025, 3, 1), last_day=date(2025, 3, 3), timezone=ZoneInfo("Europe/Berlin"))
    assert selectors.conversations_per_day(period=berlin) == [
        DayCount(date(2025, 3, 1), 3),
        DayCount(date(2025, 3, 2), 2),
        DayCount(date(2025, 3, 3), 0),
    ]


def test_outcomes_split_the_periods_conversations_by_their_first_escalation(example, march):
    outcomes = selectors.conversation_outcomes(period=march)
    # C1, C2, C3, C4, C7; C2, C3 and C7 went to staff; C3 first for a complaint, later as bot unsure.
    assert (outcomes.conversations, outcomes.bot_alone, outcomes.escalated) == (5, 2, 3)
    assert (outcomes.bot_alone_share, outcomes.escalated_share) == (0.4, 0.6)
    assert outcomes.by_reason == [
        ReasonCount("complaint", "Complaint", 1, 0.2),
        ReasonCount("customer_button", "Pressed “Talk to a person”", 1, 0.2),
        ReasonCount("customer_request", "Asked for a person", 1, 0.2),
    ]


def test_reply_quality_counts_the_bot_replies_made_in_the_period(example, march):
    quality, _ = selectors.reply_figures(period=march, threshold=THRESHOLD)
    # Replies: C5 (00:00:30 on the 1st), C1 x2, C2, C7, C3 x2, C4 = 8; C4's has no confidence nor timing.
    assert (quality.replies, quality.with_confidence, quality.timed) == (8, 7, 7)
    # Below 0.2: 0.10 (C1), 0.15 and 0.05 (C3). 0.2 itself would not count; C6's 0.01 is outside.
    assert quality.low_confidence == 3
    assert quality.low_confidence_share == pytest.approx(3 / 7)
    assert (quality.thumbs_up, quality.thumbs_down) == (2, 2)
    assert quality.voted_share == 0.5


def test_first_token_median_and_p95(example, march):
    timing = selectors.first_token_times(period=march, timed_replies=7)
    # Sorted: 100 150 200 300 400 500 600. Median: position 3 -> 300. p95: position 0.95 * 6 = 5.7,
    # 500 + 0.7 * (600 - 500) = 570.
    assert timing.count == 7
    assert timing.median == 300
    assert timing.p95 == pytest.approx(570)


def test_staff_response_runs_from_the_escalation_to_the_first_staff_message_before_it_ended(example, march):
    staff = selectors.staff_response_times(period=march)
    # C2: 10:01 -> 10:03 (120 s). C7: 08:01 -> 08:01:30 (30 s). C3's first escalation (12:01 to 12:05)
    # had no staff message: the one at 12:08:30 belongs to the second (12:07, 90 s). C6's is outside.
    assert (staff.escalations, staff.count) == (4, 3)
    # 30 90 120: median 90; p95 at position 1.9: 90 + 0.9 * 30 = 117.
    assert staff.median == pytest.approx(90)
    assert staff.p95 == pytest.approx(117)


def test_csat_average_and_distribution_of_the_ratings_given_in_the_period(example, march):
    csat = selectors.csat(period=march)
    assert (csat.ratings, csat.average) == (2, 3.5)  # 5 (C2) and 2 (C7); C6's 1 came on 4 March
    assert csat.distribution == {1: 0, 2: 1, 3: 0, 4: 0, 5: 1}
    assert csat.share_of(5) == 0.5


def test_top_intents_with_the_escalation_rate_of_their_conversations(example, march):
    assert selectors.top_intents(period=march) == [
        IntentRow("track_order", replies=3, conversations=2, escalated=0),  # C1 x2, C5
        IntentRow("get_refund", replies=2, conversations=2, escalated=2),  # C2, C3
        IntentRow("complaint", replies=1, conversations=1, escalated=1),
        IntentRow("contact_human_agent", replies=1, conversations=1, escalated=1),
        IntentRow("greeting", replies=1, conversations=1, escalated=0),
    ]
    assert selectors.top_intents(period=march, limit=2)[1].escalation_rate == 1.0


def test_model_versions_side_by_side(example, march):
    _, (v1, v2) = selectors.reply_figures(period=march, threshold=THRESHOLD)
    # v1: C1 (0.90 up, 0.10 down), C5 (0.95 up), C4 (no confidence, no timing); none escalated.
    assert (v1.model_version, v1.replies, v1.with_confidence, v1.low_confidence) == ("v1", 4, 3, 1)
    assert v1.mean_confidence == pytest.approx(0.65)
    assert (v1.thumbs_up, v1.thumbs_down, v1.conversations, v1.escalated) == (2, 1, 3, 0)
    assert v1.escalation_rate == 0.0
    # First tokens 100 200 600: mean 300, median 200, p95 at 1.9: 200 + 0.9 * 400 = 560.
    assert v1.mean_first_token_ms == pytest.approx(300)
    assert (v1.median_first_token_ms, v1.p95_first_token_ms) == (200, pytest.approx(560))
    assert v1.mean_latency_ms == pytest.approx((400 + 600 + 700) / 3)
    # v2: C2 (0.5), C7 (0.3), C3 (0.15 down, 0.05): all three conversations went to staff.
    assert (v2.model_version, v2.replies, v2.low_confidence, v2.low_confidence_share) == ("v2", 4, 2, 0.5)
    assert v2.mean_confidence == pytest.approx(0.25)
    assert (v2.thumbs_up, v2.thumbs_down, v2.conversations, v2.escalated) == (0, 1, 3, 3)
    # First tokens 150 300 400 500: median 350, p95 at 2.85: 400 + 0.85 * 100 = 485.
    assert v2.mean_first_token_ms == pytest.approx(337.5)
    assert (v2.median_first_token_ms, v2.p95_first_token_ms) == (350, pytest.approx(485))
    assert v2.mean_latency_ms == pytest.approx(875)


def test_replies_without_a_model_version_count_in_the_totals_only(example, march):
    from chatbot.conversations.models import Message

    Message.objects.filter(intent="greeting").update(model_version="")  # C4's reply
    quality, versions = selectors.reply_figures(period=march, threshold=THRESHOLD)
    assert quality.replies == 8
    assert [(row.model_version, row.replies) for row in versions] == [("v1", 3), ("v2", 4)]


def test_an_empty_period_has_zeros_and_no_made_up_figures(example):
    empty = Period(first_day=date(2024, 1, 1), last_day=date(2024, 1, 2), timezone=ZoneInfo("UTC"))
    report = selectors.analytics_report(period=empty, low_confidence_threshold=THRESHOLD)
    assert [day.conversations for day in report.per_day] == [0, 0]
    assert (report.outcomes.conversations, report.outcomes.escalated_share) == (0, None)
    assert (report.first_token.median, report.staff_response.p95, report.csat.average) == (None, None, None)
    assert report.quality.low_confidence_share is None
    assert report.intents == [] and report.model_versions == []


def test_the_report_takes_the_same_number_of_queries_however_many_rows(example, march):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            selectors.analytics_report(period=march, low_confidence_threshold=THRESHOLD)
        return len(captured)

    few = queries()
    for _ in range(3):
        build_example()
    assert queries() == few == 9
